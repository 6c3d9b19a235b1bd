# Strong warnings for ctg's own targets; third-party headers are included as system headers.
add_library(ctg_warnings INTERFACE)
target_compile_options(ctg_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion -Wnon-virtual-dtor
  -Wold-style-cast -Wcast-align -Woverloaded-virtual -Wdouble-promotion
  -Wformat=2 -Wimplicit-fallthrough -Wmisleading-indentation -Wduplicated-cond
  -Wduplicated-branches -Wlogical-op -Wuseless-cast
  # designated initializers leave the other fields at their defaults on purpose
  -Wno-missing-field-initializers)
if(CTG_WERROR)
  target_compile_options(ctg_warnings INTERFACE -Werror)
endif()
if(CTG_SANITIZE)
  target_compile_options(ctg_warnings INTERFACE -fsanitize=address,undefined -fno-omit-frame-pointer
    -fno-sanitize-recover=undefined)
  target_link_options(ctg_warnings INTERFACE -fsanitize=address,undefined)
endif()
