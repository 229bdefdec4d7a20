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
# Every shipped scenario must pass, except those a script below drives with
# checks of its own.
file(GLOB SHIPPED CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/scenarios/*.yaml)
set(DRIVEN_BY_SCRIPT classifier kernel_tools address_pool)
foreach(file ${SHIPPED})
  get_filename_component(name ${file} NAME_WE)
  if(NOT name IN_LIST DRIVEN_BY_SCRIPT)
    natlab_e2e(scenario.${name} ${E2E}/scenario_passes.sh scenarios/${name}.yaml)
  endif()
endforeach()
# Real tools nobody here wrote, through every kind of NAT.
natlab_e2e(e2e.classifier ${E2E}/classifier.sh)
natlab_e2e(e2e.kernel_tools ${E2E}/kernel_tools.sh)
natlab_e2e(e2e.address_pool ${E2E}/address_pool.sh)

# The commands around the lab: matrix files, frame decoding, the review
# ladder, run helpers (pure), then real runs driven by scripts.
add_executable(test_commands
  ${CMAKE_CURRENT_LIST_DIR}/test_matrix.cpp
  ${CMAKE_CURRENT_LIST_DIR}/test_decode.cpp
  ${CMAKE_CURRENT_LIST_DIR}/test_review.cpp)
target_link_libraries(test_commands PRIVATE natlab_harness GTest::gtest_main)
gtest_discover_tests(test_commands)
natlab_e2e(e2e.commands ${E2E}/commands.sh)
natlab_e2e(e2e.concurrent_runs ${E2E}/concurrent_runs.sh)
natlab_e2e(e2e.matrix ${E2E}/matrix.sh)
natlab_e2e(e2e.matrix_behaviours ${E2E}/matrix_behaviours.sh)
natlab_e2e(e2e.interrupt_runs ${E2E}/interrupt_runs.sh)
# The lab runtime: timeline steps act, Ctrl-C still writes the captures,
# impaired links really lose, --keep holds a failed lab open.
natlab_e2e(e2e.timeline ${E2E}/timeline.sh)
natlab_e2e(e2e.sigint_mid_run ${E2E}/sigint_mid_run.sh)
natlab_e2e(e2e.lossy_link ${E2E}/lossy_link.sh)
natlab_e2e(e2e.keep_holds_lab ${E2E}/keep_holds_lab.sh)
natlab_e2e(e2e.no_capture ${E2E}/no_capture.sh)
