# Harness: pure unit tests, then command-line and end-to-end checks.
add_executable(test_harness
  ${CMAKE_CURRENT_LIST_DIR}/test_scenario.cpp
  ${CMAKE_CURRENT_LIST_DIR}/test_topology.cpp
  ${CMAKE_CURRENT_LIST_DIR}/test_expectations.cpp)
target_link_libraries(test_harness PRIVATE natlab_harness GTest::gtest_main)
gtest_discover_tests(test_harness)

# End to end: real labs in private namespaces (root, or unprivileged user
# namespaces). Run one at a time: each builds its own little internet.
set(E2E_ENV NATLAB=$<TARGET_FILE:nat-lab> SOURCE_DIR=${PROJECT_SOURCE_DIR})
function(natlab_e2e name)
  add_test(NAME ${name} COMMAND ${ARGN})
  set_tests_properties(${name} PROPERTIES ENVIRONMENT "${E2E_ENV}" RUN_SERIAL TRUE
                       SKIP_RETURN_CODE 77 TIMEOUT 120)
endfunction()
set(E2E ${CMAKE_CURRENT_LIST_DIR}/e2e)
natlab_e2e(e2e.bad_scenarios ${E2E}/bad_scenarios.sh)
natlab_e2e(e2e.kill9_leaves_nothing ${E2E}/kill9_leaves_nothing.sh)
natlab_e2e(e2e.unprivileged ${E2E}/unprivileged.sh)
natlab_e2e(scenario.same_nat ${E2E}/scenario_passes.sh scenarios/same_nat.yaml)
natlab_e2e(scenario.two_nats ${E2E}/scenario_passes.sh scenarios/two_nats.yaml)
natlab_e2e(scenario.linux_nat ${E2E}/scenario_passes.sh scenarios/linux_nat.yaml)
natlab_e2e(scenario.cgnat ${E2E}/scenario_passes.sh scenarios/cgnat.yaml)
natlab_e2e(scenario.cgnat_no_hairpin ${E2E}/scenario_passes.sh scenarios/cgnat_no_hairpin.yaml)
# Real tools nobody here wrote, through every kind of NAT.
natlab_e2e(e2e.classifier ${E2E}/classifier.sh)
natlab_e2e(e2e.kernel_tools ${E2E}/kernel_tools.sh)
natlab_e2e(e2e.address_pool ${E2E}/address_pool.sh)
