// The rendezvous fuzz targets (src/fuzz/) built with the normal compiler
// and without libFuzzer, replaying scripts of well-formed messages: so
// that a target that no longer builds, or whose promises a well-formed
// message breaks, fails the unit tests and not only ci/fuzz-rendezvous.
// A broken promise aborts the process (NATLAB_INVARIANT), failing the test.
#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "src/stun/rendezvous_protocol.h"

extern "C" int fuzz_server_one_input(const std::uint8_t* data, std::size_t size);
extern "C" int fuzz_peer_one_input(const std::uint8_t* data, std::size_t size);

namespace natlab {
namespace {

using Script = std::vector<std::uint8_t>;

// One record of the targets' script format: [who][time step][length, 2 bytes][datagram].
void append(Script& script, std::uint8_t who, std::uint8_t step, const stun::Message& message) {
    auto wire = proto::to_wire(message);
    script.insert(script.end(), {who, step, static_cast<std::uint8_t>(wire.size() >> 8),
                                 static_cast<std::uint8_t>(wire.size() & 0xff)});
    for (auto b : wire) script.push_back(std::to_integer<std::uint8_t>(b));
}

proto::Token token_of(std::byte b) {
    proto::Token t{};
    t.fill(b);
    return t;
}

std::vector<Script> server_scripts() {
    stun::TransactionId id{};
    id.fill(std::byte{1});
    std::vector<Script> scripts(5);
    append(scripts[0], 0, 0, proto::binding_request(id));
    append(scripts[1], 2, 1,
           proto::build(proto::RegisterRequest{"carol", {Endpoint{Ipv4{0x0A000303}, 30000}}}, id));
    append(scripts[2], 0, 1, proto::build(proto::ConnectRequest{"", "bob"}, id));
    append(scripts[2], 1, 1, proto::build(proto::ListRequest{""}, id));
    append(scripts[3], 0, 1, proto::build(proto::Relay{token_of(std::byte{0x5a}), "", {std::byte{'h'}}}, id));
    append(scripts[4], 0x81, 250, proto::build(proto::ConnectRequest{"bob", "alice"}, id));
    return scripts;
}

std::vector<Script> peer_scripts() {
    stun::TransactionId id{};
    auto token = token_of(std::byte{0x5a});
    std::vector<Script> scripts(3);
    append(scripts[0], 1, 1, proto::build(proto::ProbeRequest{"bob", token, true}, id));
    append(scripts[1], 1, 1,
           proto::build(proto::DataRequest{token, 1, {std::byte{'h'}, std::byte{'i'}}}, id));
    append(scripts[2], 0, 50,
           proto::build(
               proto::Introduction{"bob", Endpoint{Ipv4{0xC6120201}, 50002}, {}, token_of(std::byte{0x77})},
               id));
    return scripts;
}

TEST(FuzzRendezvous, TheTargetsTakeWellFormedScripts) {
    for (const auto& script : server_scripts())
        EXPECT_EQ(fuzz_server_one_input(script.data(), script.size()), 0);
    for (const auto& script : peer_scripts()) EXPECT_EQ(fuzz_peer_one_input(script.data(), script.size()), 0);
}

TEST(FuzzRendezvous, TheTargetsTakeTruncatedAndEmptyInput) {
    for (const auto& script : server_scripts())
        for (std::size_t n = 0; n <= script.size(); n += 7)
            EXPECT_EQ(fuzz_server_one_input(script.data(), n), 0);
    for (const auto& script : peer_scripts())
        for (std::size_t n = 0; n <= script.size(); n += 7)
            EXPECT_EQ(fuzz_peer_one_input(script.data(), n), 0);
}

}  // namespace
}  // namespace natlab
