# ctg_embed(OUTPUT <cpp> SYMBOL <name> BASE_DIR <dir> FILES <files...>)
# Generates a .cpp defining `std::span<const ctg::EmbeddedFile> <name>()` that holds the bytes of
# each file (named by its path relative to BASE_DIR). Regenerated whenever a file changes.
function(ctg_embed)
  cmake_parse_arguments(E "" "OUTPUT;SYMBOL;BASE_DIR" "FILES" ${ARGN})
  add_custom_command(
    OUTPUT ${E_OUTPUT}
    COMMAND ${CMAKE_COMMAND} -DOUTPUT=${E_OUTPUT} -DSYMBOL=${E_SYMBOL} -DBASE_DIR=${E_BASE_DIR}
            "-DFILES=${E_FILES}" -P ${PROJECT_SOURCE_DIR}/cmake/embed_files.cmake
    DEPENDS ${E_FILES} ${PROJECT_SOURCE_DIR}/cmake/embed_files.cmake
    COMMENT "Embedding ${E_SYMBOL}"
    VERBATIM)
endfunction()
