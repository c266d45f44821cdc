# airpg_library(NAME SOURCES ... DEPS ...): one static library per src/ folder.
# DEPS names the folders the layer table (docs/architecture.md) allows, so a
# call into a folder that is not listed fails to link.
function(airpg_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(airpg_${name} STATIC ${ARG_SOURCES})
  target_include_directories(airpg_${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(airpg_${name} PUBLIC ${ARG_DEPS})
endfunction()

# airpg_test(NAME SOURCES ... DEPS ... [DATABASE]): a GoogleTest binary whose
# cases are registered one by one with CTest. DATABASE marks tests that use the
# throwaway Postgres cluster of the run (CTest fixture "pg_cluster").
function(airpg_test name)
  cmake_parse_arguments(ARG "DATABASE" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gmock GTest::gtest_main)
  set(props TIMEOUT 300)
  if(ARG_DATABASE)
    target_link_libraries(${name} PRIVATE airpg_pg_testing)
    list(APPEND props FIXTURES_REQUIRED pg_cluster
         ENVIRONMENT "AIRPG_TEST_CLUSTER_FILE=${AIRPG_TEST_CLUSTER_FILE}")
  endif()
  # Test names carry the binary name, so `ctest -R formula` finds every formula test.
  gtest_discover_tests(${name} DISCOVERY_MODE PRE_TEST TEST_PREFIX "${name}." PROPERTIES ${props})
endfunction()
