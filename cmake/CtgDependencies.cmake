# Every dependency comes from a Debian package (see scripts/setup.sh and the README).
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)
find_package(OpenSSL 3 REQUIRED)
find_package(fmt 9 REQUIRED)
find_package(nlohmann_json 3.11 REQUIRED)
find_package(CLI11 2.1 REQUIRED)
find_package(SQLite3 REQUIRED)
# Debian's cpp-httplib is a compiled library with only a pkg-config file; its Cflags carry the
# OpenSSL, zlib and brotli defines, so every user of this target agrees on the ABI.
pkg_check_modules(HTTPLIB REQUIRED IMPORTED_TARGET cpp-httplib>=0.11)

# ctg-net and the tests: cpp-httplib and everything it needs, shared.
add_library(ctg_network_libs INTERFACE)
target_link_libraries(ctg_network_libs INTERFACE
  PkgConfig::HTTPLIB OpenSSL::SSL OpenSSL::Crypto SQLite::SQLite3 Threads::Threads)

# ctg-net's allocator: mimalloc (libmimalloc-dev). The receiver allocates a request on its event
# loop and frees it on the journal's and the display's threads; glibc's malloc makes that
# cross-thread pattern cost far more (bench/listen.sh). Not in sanitizer builds, which bring their own.
option(CTG_MIMALLOC "Link ctg-net with mimalloc" ON)
if(CTG_MIMALLOC AND NOT CTG_SANITIZE)
  find_package(mimalloc 2.0 REQUIRED CONFIG)
  target_link_libraries(ctg_network_libs INTERFACE mimalloc)
endif()

# ctg, the front-end every command starts in: no cpp-httplib, no libssl, and libcrypto, SQLite and
# the C++ runtime linked statically where Debian ships the archives (libssl-dev, libsqlite3-dev,
# libstdc++-12-dev do). Loading shared libraries costs more than anything ctg does before it
# prints --version: bench/sign.sh measures it.
add_library(ctg_frontend_libs INTERFACE)
find_library(CTG_CRYPTO_ARCHIVE NAMES libcrypto.a)
find_library(CTG_SQLITE_ARCHIVE NAMES libsqlite3.a)
if(CTG_CRYPTO_ARCHIVE AND CTG_SQLITE_ARCHIVE)
  target_link_libraries(ctg_frontend_libs INTERFACE
    ${CTG_CRYPTO_ARCHIVE} ${CTG_SQLITE_ARCHIVE} ${CMAKE_DL_LIBS} Threads::Threads m)
else()
  message(STATUS "ctg: libcrypto.a or libsqlite3.a not found; the front-end links them shared")
  target_link_libraries(ctg_frontend_libs INTERFACE OpenSSL::Crypto SQLite::SQLite3 Threads::Threads)
endif()
target_link_options(ctg_frontend_libs INTERFACE -Wl,--as-needed)
if(NOT CTG_SANITIZE)
  target_link_options(ctg_frontend_libs INTERFACE -static-libstdc++ -static-libgcc)
endif()

if(CTG_BUILD_TESTS)
  find_package(doctest REQUIRED)
endif()
