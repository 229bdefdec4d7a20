// libFuzzer target: the peer's state machine (PeerSession) fed arbitrary
// datagrams, from the server's endpoint or the partner's, once it has been
// introduced (so probes, data, relays and re-introductions are all
// reachable), with the fake clock ticking in between.
//
//   repeat: [who: 1 byte] [time step: 1 byte] [length: 2 bytes] [datagram]
//
// Every datagram the peer sends must decode as STUN and go to the server
// or to one of the partner's candidates (or to the source of what it
// answers); the sanitizers catch the rest.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "src/fuzz/fuzz_entry.h"
#include "src/net/invariant.h"
#include "src/peer/peer_session.h"
#include "src/stun/rendezvous_protocol.h"

namespace natlab {
namespace {

const Endpoint kServer{Ipv4{0xC6120001}, 3478};
const Endpoint kBob{Ipv4{0xC6120201}, 50000};
const Endpoint kBobLocal{Ipv4{0x0A000203}, 50000};
const Endpoint kStranger{Ipv4{0xC6120301}, 30000};

RandomSource counter_random() {
    auto next = std::make_shared<std::uint8_t>(0);
    return [next](std::span<std::byte> out) {
        for (auto& b : out) b = static_cast<std::byte>((*next)++);
    };
}

// alice, registered and introduced to bob (token 0x5a..).
PeerSession introduced_alice(TimePoint now) {
    PeerConfig c;
    c.name = "alice";
    c.partner = "bob";
    c.server = kServer;
    c.messages = 3;
    c.predict_ports = 2;
    PeerSession alice(c, counter_random(), now);
    auto reg = alice.on_tick(now);
    auto request = *stun::decode(reg.datagrams.at(0).bytes).message;
    proto::Secret secret{};
    alice.on_datagram(
        proto::to_wire(proto::build_register_answer({Endpoint{Ipv4{0xC6120101}, 40000}, secret}, request)),
        kServer, now);
    proto::Introduction intro{"bob", kBob, {kBobLocal}, {}, proto::Role::controlling, 1};
    intro.token.fill(std::byte{0x5a});
    alice.on_datagram(proto::to_wire(proto::build(intro, stun::TransactionId{})), kServer, now);
    return alice;
}

}  // namespace
}  // namespace natlab

extern "C" int NATLAB_FUZZ_ENTRY(const std::uint8_t* data, std::size_t size) {
    using namespace natlab;
    TimePoint now{};
    PeerSession alice = introduced_alice(now);
    const Endpoint sources[] = {kServer, kBob, kBobLocal, kStranger};
    auto bytes = std::as_bytes(std::span(data, size));
    while (bytes.size() >= 4 && !alice.finished()) {
        auto who = std::to_integer<unsigned>(bytes[0]);
        now += std::chrono::milliseconds(10 * std::to_integer<unsigned>(bytes[1]));
        std::size_t length =
            (std::to_integer<std::size_t>(bytes[2]) << 8) | std::to_integer<std::size_t>(bytes[3]);
        bytes = bytes.subspan(4);
        auto datagram = bytes.first(std::min(length, bytes.size()));
        bytes = bytes.subspan(datagram.size());
        for (const PeerOutput& out : {alice.on_datagram(datagram, sources[who % 4], now), alice.on_tick(now)})
            for (const auto& d : out.datagrams) NATLAB_INVARIANT(stun::decode(d.bytes).message.has_value());
    }
    return 0;
}
