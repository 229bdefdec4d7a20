# Tests of src/: the STUN codec, the rendezvous protocol, server and peer
# cores, and a loopback end-to-end run of the real programs.
# Included from tests/CMakeLists.txt; paths are relative to this file.

set(NATLAB_SRC_TEST_DIR ${CMAKE_CURRENT_LIST_DIR})

function(natlab_src_test name)
  add_executable(${name} ${NATLAB_SRC_TEST_DIR}/${name}.cpp)
  target_link_libraries(${name} PRIVATE ${ARGN} GTest::gtest_main)
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 30)
endfunction()

natlab_src_test(test_stun_codec natlab_proto)
natlab_src_test(test_rendezvous_protocol natlab_proto)
natlab_src_test(test_rendezvous_registry natlab_db)
natlab_src_test(test_rendezvous_rate_limiter natlab_server)
natlab_src_test(test_rendezvous_server natlab_server)
natlab_src_test(test_peer_session natlab_peer natlab_server)
natlab_src_test(test_peer_keepalive natlab_peer)

# The real programs on 127.0.0.1 (sends nowhere else).
foreach(mode loopback bytes hold db cli)
  add_test(NAME rendezvous_${mode}
           COMMAND sh ${NATLAB_SRC_TEST_DIR}/test_rendezvous_loopback.sh
                   $<TARGET_FILE_DIR:peer> ${mode})
  set_tests_properties(rendezvous_${mode} PROPERTIES TIMEOUT 60)
endforeach()

# Standard STUN clients (coturn's turnutils_stunclient, turnutils_natdiscovery)
# against rendezvous --alternate on 127.0.0.1 and 127.0.0.2. Skipped (77)
# when coturn is not installed.
add_test(NAME rendezvous_stunclient
         COMMAND sh ${NATLAB_SRC_TEST_DIR}/test_rendezvous_stunclient.sh $<TARGET_FILE_DIR:rendezvous>)
set_tests_properties(rendezvous_stunclient PROPERTIES TIMEOUT 120 SKIP_RETURN_CODE 77)
