// The port mapping fuzzers' input format, and the NAT box they run: the
// four targets fuzz_natpmp, fuzz_pcp, fuzz_ssdp and fuzz_http_soap, each
// over one protocol's parsers on both of nat-lab's sides (nat-emu's server,
// the peer's client).
//
//   byte 0         configuration: bit 7 the side (0: nat-emu's server,
//                  1: the peer's client); bits 0-6 the target's own (see
//                  its header)
//   then records:  byte 0  bits 0-1 "who" (the target's own meaning: which
//                          LAN host sent it, or flags of a TCP read),
//                          bits 2-7 a pause before it (x 4 s of the fake clock)
//                  bytes 1-2  length, big-endian
//                  then that many bytes (fewer if the input ends)
//
// The box is what nat-emu builds for a NAT with port mapping on
// (simulator/emu/emulator.cpp): a Datapath over the fuzzer's lab
// (fuzz_input.h: 10.0.1.1 inside, 198.18.1.1-2 outside), the shared
// NatMappingService with the target's policy, the PCP/NAT-PMP responder of
// UDP 5351 and the UPnP IGD over the same service. The clock is fake: it
// starts at 0 and moves only by the records' pauses.
//
// portmap_seeds.cpp writes each target's seed corpus in this format, and
// tests/simulator/test_fuzz_seeds.cpp replays them through the same
// entry points with the normal compiler.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "simulator/fuzz/fuzz_input.h"
#include "simulator/portmap/igd_grants.h"
#include "simulator/portmap/igd_server.h"
#include "simulator/portmap/nat_mapping_service.h"
#include "simulator/portmap/responder.h"
#include "src/portmap/pcp_codec.h"

namespace natlab::nat::fuzz {

inline constexpr std::uint8_t kPeerSide = 0x80;
inline constexpr int kPauseUnit = 4;  // seconds

// The LAN as the targets see it.
inline constexpr Ipv4 kGateway{0x0a000101};                       // 10.0.1.1, the NAT's inside address
inline constexpr Endpoint kPeerInternal{Ipv4{0x0a000102}, 4000};  // the peer's socket
inline constexpr pcp::Nonce kPeerNonce{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
// Who sent a datagram to the server: two sockets of one host, another host, a fourth.
inline constexpr std::array<Endpoint, 4> kLanHosts{
    {{Ipv4{0x0a000102}, 4000}, {Ipv4{0x0a000102}, 5000}, {Ipv4{0x0a000103}, 4000}, {Ipv4{0x0a0001fe}, 1}}};

struct Message {
    unsigned who = 0;  // 0-3
    int pause_seconds = 0;
    std::span<const std::uint8_t> bytes;
};

// Reads the next record from `in`; false at the end.
inline bool next_message(std::span<const std::uint8_t>& in, Message& m) {
    if (in.size() < 3) return false;
    m.who = in[0] & 3u;
    m.pause_seconds = (in[0] >> 2) * kPauseUnit;
    std::size_t length = std::min<std::size_t>((std::size_t{in[1]} << 8) | in[2], in.size() - 3);
    m.bytes = in.subspan(3, length);
    in = in.subspan(3 + length);
    return true;
}

inline void append_message(std::vector<std::uint8_t>& out, unsigned who, int pause_seconds,
                           std::span<const std::byte> bytes) {
    out.push_back(static_cast<std::uint8_t>((who & 3u) | ((pause_seconds / kPauseUnit) << 2)));
    out.push_back(static_cast<std::uint8_t>(bytes.size() >> 8));
    out.push_back(static_cast<std::uint8_t>(bytes.size() & 0xff));
    for (auto b : bytes) out.push_back(static_cast<std::uint8_t>(b));
}

inline std::span<const std::byte> as_bytes(std::string_view text) {
    return {reinterpret_cast<const std::byte*>(text.data()), text.size()};
}
inline std::string_view as_text(std::span<const std::uint8_t> bytes) {
    return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

// The server side's policy from configuration bits 0-5: `on` is the
// target's protocol, bit 1 switches on the other one of PCP and NAT-PMP.
//   bit 0 refuse everything, bit 1 the other protocol too, bit 2 suggested
//   ports not honoured, bit 3 THIRD_PARTY allowed, bit 4 two mappings per
//   host (so that the quota is reachable), bit 5 lifetimes at most 300 s
inline portmap::Policy policy_from(std::uint8_t b, bool natpmp, bool pcp_on) {
    portmap::Policy p;
    p.nat_pmp = natpmp || (b & 2);
    p.pcp = pcp_on || (b & 2);
    p.upnp = true;
    p.refuse = b & 1;
    p.honour_port = !(b & 4);
    p.third_party = b & 8;
    if (b & 0x10) p.per_host = 2;
    if (b & 0x20) p.max_lifetime = std::chrono::seconds{300};
    return p;
}

// Configuration bit 6: a symmetric NAT (else port-restricted cone).
inline NatConfig nat_from(std::uint8_t b) {
    return NatConfig::preset((b & 0x40) ? NatType::Symmetric : NatType::PortRestricted);
}

// One NAT box with every port mapping service on, as nat-emu builds it.
struct PortMapBox {
    PortMapBox(std::uint8_t config, portmap::Policy policy, int igd_version = 1)
        : path{lab_config(nat_from(config)), 1, {}},
          service{path.nat(), policy, [](const NatEvent&) {}, TimePoint{}},
          responder{service},
          grants{service},
          igd{{kGateway, portmap::kDefaultHttpPort, igd_version},
              {!policy.refuse, igd_version == 1 && (config & 0x20)},
              grants,
              TimePoint{}} {
        path.nat().serve(kPortMappingServerPort, &responder);
        path.attach(&igd);
    }
    PortMapBox(const PortMapBox&) = delete;
    PortMapBox& operator=(const PortMapBox&) = delete;

    // Time passes: the NAT and the IGD (the datapath ticks it) expire what
    // they must; what the datapath would send is dropped.
    void advance(TimePoint& now, int seconds) {
        if (!seconds) return;
        now += std::chrono::seconds{seconds};
        path.tick(now);
        for (Side side : {Side::Inside, Side::Outside}) path.sent(side, path.outgoing(side).entries().size());
    }

    Datapath path;
    portmap::NatMappingService service;
    portmap::PortMapResponder responder;
    portmap::ServiceGrants grants;
    portmap::IgdServer igd;
};

}  // namespace natlab::nat::fuzz
