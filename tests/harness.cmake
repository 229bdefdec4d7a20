# Harness: pure unit tests, then command-line and end-to-end checks.
add_executable(test_harness
  ${CMAKE_CURRENT_LIST_DIR}/test_scenario.cpp
  ${CMAKE_CURRENT_LIST_DIR}/test_topology.cpp
  ${CMAKE_CURRENT_LIST_DIR}/test_expectations.cpp)
target_link_libraries(test_harness PRIVATE natlab_harness GTest::gtest_main)
gtest_discover_tests(test_harness)
