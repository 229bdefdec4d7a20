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
natlab_src_test(test_rendezvous_registry natlab_server)
natlab_src_test(test_rendezvous_server natlab_server)
natlab_src_test(test_peer_session natlab_peer natlab_server)

# The real programs on 127.0.0.1 (sends nowhere else).
foreach(mode loopback cli)
  add_test(NAME rendezvous_${mode}
           COMMAND sh ${NATLAB_SRC_TEST_DIR}/test_rendezvous_loopback.sh
                   $<TARGET_FILE_DIR:peer> ${mode})
  set_tests_properties(rendezvous_${mode} PROPERTIES TIMEOUT 60)
endforeach()
