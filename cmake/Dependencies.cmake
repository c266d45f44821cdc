# Debian packages listed in scripts/install-deps; nothing is downloaded at build time.
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)
find_package(fmt REQUIRED)
find_package(spdlog REQUIRED)
find_package(yaml-cpp REQUIRED)
find_package(CLI11 CONFIG QUIET)
pkg_check_modules(LIBPQ REQUIRED IMPORTED_TARGET libpq)
if(AIRPG_TESTS)
  find_package(GTest REQUIRED)
  # The man page test renders airpg.1 (groff-base) and opens it as a user
  # would (man-db); the progress test gives airpg a pty with script(1) (bsdutils).
  find_program(AIRPG_GROFF groff REQUIRED)
  find_program(AIRPG_MAN man REQUIRED)
  find_program(AIRPG_SCRIPT script REQUIRED)
  include(GoogleTest)
endif()
if(AIRPG_BENCH)
  find_package(benchmark REQUIRED)
endif()
# HTTP server and client: only src/http/ links these (DESIGN.md layer table).
pkg_check_modules(HTTPLIB REQUIRED IMPORTED_TARGET cpp-httplib)
pkg_check_modules(CURL REQUIRED IMPORTED_TARGET libcurl)
# HMAC-SHA256 for webhook pings and signed attachment URLs (emulator).
find_package(OpenSSL REQUIRED)
find_package(nlohmann_json 3 REQUIRED)
# JSON: simdjson for record pages and payloads (src/airtable, src/mapping .cc files only).
pkg_check_modules(SIMDJSON REQUIRED IMPORTED_TARGET simdjson)
# Regular expressions: RE2 (linear time, no recursion) for REGEX_MATCH/EXTRACT/REPLACE,
# only in src/formula/ .cc files.
pkg_check_modules(RE2 REQUIRED IMPORTED_TARGET re2)
