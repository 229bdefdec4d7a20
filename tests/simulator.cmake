# Tests for simulator/: unit tests of the pure NAT core on a fake clock, and
# one end-to-end smoke test of nat-emu in throwaway network namespaces.

add_executable(test_simulator
  ${CMAKE_CURRENT_SOURCE_DIR}/test_packet.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/test_nat_arp.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/test_nat_behaviour.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/test_nat_datapath.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/test_nat_event_log.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/test_nat_filtering.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/test_nat_flush.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/test_nat_hairpin.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/test_nat_icmp.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/test_nat_impairment.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/test_nat_link_emu_options.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/test_nat_mapping.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/test_nat_mapping_index.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/test_nat_options.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/test_nat_pooling.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/test_nat_port_allocator.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/test_nat_route.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/test_nat_tcp.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/test_nat_timeout.cpp
)
target_include_directories(test_simulator PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
target_link_libraries(test_simulator PRIVATE natlab_nat_shell GTest::gtest_main)
gtest_discover_tests(test_simulator)

# The 256-byte budget per live mapping, measured with a counting allocator
# (deterministic: no timing). The rate benchmark, nat-bench-table, is run by
# hand: docs/nat.md.
add_test(NAME nat_bench_memory COMMAND nat-bench-memory)

# nat-emu with real frames, inside a private namespace tree it creates itself
# (unshare). Needs root; without it the script exits 77 and ctest reports the
# test as skipped.
add_test(NAME nat_emu_smoke
         COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/nat_emu_smoke.sh $<TARGET_FILE:nat-emu>)
set_tests_properties(nat_emu_smoke PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 60 LABELS "root;netns")

# link-emu (the lab's user-space netem) between two namespaces: loss, delay,
# jitter, down/up and a rate limit measured on real traffic. Root only.
add_test(NAME e2e.link_emu
         COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/e2e/link_emu.sh $<TARGET_FILE:link-emu>)
set_tests_properties(e2e.link_emu PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 60 RUN_SERIAL TRUE
                     LABELS "root;netns")
