// libFuzzer target: the rendezvous server's datagram handling (the pure
// core, RendezvousServer), with RFC 5780 addresses and relaying on.
//
// Theory of operation
//
// One input is a little script of datagrams, replayed into a fresh server:
//
//   repeat: [who: 1 byte] [time step: 1 byte] [length: 2 bytes] [datagram]
//
// `who` picks the source (one of four endpoints, two of which are
// registered as alice and bob with a live pair session before the script
// starts, so Connect, List and Relay paths are reachable) and the local
// endpoint it arrived at (one of the four RFC 5780 listeners); the time
// step moves the fake clock by 0..25.5 s, so expiry runs too. A short
// final record takes what is left.
//
// Besides the sanitizers' own checks, every answer is held to the
// server's promises, and a broken one aborts:
//   - every datagram it sends decodes as STUN;
//   - nothing it sends is larger than a relayed Data message can be;
//   - an answer to a source that is not registered is one datagram, back
//     to that source (or its RESPONSE-PORT), no bigger than a Binding answer.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <span>

#include "src/fuzz/fuzz_entry.h"
#include "src/net/invariant.h"
#include "src/server/rendezvous_server.h"
#include "src/stun/rendezvous_protocol.h"

namespace natlab {
namespace {

const Endpoint kSources[] = {
    {Ipv4{0xC6120101}, 40000},  // alice, registered
    {Ipv4{0xC6120201}, 50000},  // bob, registered
    {Ipv4{0xC6120301}, 30000},  // a stranger
    {Ipv4{0x7F000001}, 9},      // another stranger
};
const StunAddresses kAddresses{{Ipv4{0xC6120001}, 3478}, Endpoint{Ipv4{0xC6120002}, 3479}};

RandomSource counter_random() {
    auto next = std::make_shared<std::uint8_t>(0);
    return [next](std::span<std::byte> out) {
        for (auto& b : out) b = static_cast<std::byte>((*next)++);
    };
}

void feed(RendezvousServer& server, const stun::Message& m, Endpoint from, TimePoint now) {
    server.handle(proto::to_wire(m), from, now);
}

// alice and bob registered, alice connected to bob.
void prepare(RendezvousServer& server, TimePoint now) {
    stun::TransactionId id{};
    feed(server,
         proto::build(proto::RegisterRequest{"alice", {Endpoint{Ipv4{0x0A000102}, 40000}}, "lab"}, id),
         kSources[0], now);
    feed(server, proto::build(proto::RegisterRequest{"bob", {}, "lab"}, id), kSources[1], now);
    feed(server, proto::build(proto::ConnectRequest{"alice", "bob"}, id), kSources[0], now);
}

void check(const ServerOutput& out, Endpoint source, bool registered) {
    for (const auto& d : out.datagrams) {
        NATLAB_INVARIANT(stun::decode(d.bytes, {.accept_classic = true}).message.has_value());
        NATLAB_INVARIANT(d.bytes.size() <= 1400);
        if (registered) continue;
        NATLAB_INVARIANT(out.datagrams.size() == 1);
        NATLAB_INVARIANT(d.destination.same_address(source));
        NATLAB_INVARIANT(d.bytes.size() <= kMaxBindingAnswer);
    }
}

}  // namespace
}  // namespace natlab

extern "C" int NATLAB_FUZZ_ENTRY(const std::uint8_t* data, std::size_t size) {
    using namespace natlab;
    ServerConfig config;
    config.addresses = kAddresses;
    config.request_rate = 50;
    config.request_burst = 20;
    RendezvousServer server(counter_random(), config);
    TimePoint now{};
    prepare(server, now);
    auto bytes = std::as_bytes(std::span(data, size));
    auto listeners = kAddresses.listeners();
    while (bytes.size() >= 4) {
        auto who = std::to_integer<unsigned>(bytes[0]);
        now += std::chrono::milliseconds(100 * std::to_integer<unsigned>(bytes[1]));
        std::size_t length =
            (std::to_integer<std::size_t>(bytes[2]) << 8) | std::to_integer<std::size_t>(bytes[3]);
        bytes = bytes.subspan(4);
        auto datagram = bytes.first(std::min(length, bytes.size()));
        bytes = bytes.subspan(datagram.size());
        Endpoint source = kSources[who % 4];
        bool registered = server.registry().find_by_endpoint(source, now) != nullptr;
        auto out = server.handle(datagram, source, listeners[(who >> 2) % listeners.size()], now);
        check(out, source, registered);
        if (who & 0x80) server.tick(now);
    }
    return 0;
}
