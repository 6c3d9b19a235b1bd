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
if(CTG_BUILD_TESTS)
  find_package(doctest REQUIRED)
endif()
