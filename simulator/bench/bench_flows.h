// The synthetic population both benchmarks use: `hosts` inside hosts with
// `ports_per_host` UDP sockets each, all talking to one server, behind a
// port-restricted NAT with two external addresses (one address has 64 512
// ports, fewer than the 100 000 mappings measured).
#pragma once

#include <cstdint>
#include <vector>

#include "simulator/nat/nat.h"
#include "simulator/wire/builder.h"

namespace natlab::nat::bench {

inline constexpr std::uint32_t kPortsPerHost = 500;
inline const Endpoint kServer{Ipv4{0xc6120002}, 3478};  // 198.18.0.2:3478

// Flow i: host 10.1.x.y (i / 500), source port 20000 + i % 500.
inline Endpoint inside_of(std::uint32_t i) {
    return {Ipv4{0x0a010000u + i / kPortsPerHost}, static_cast<std::uint16_t>(20000 + i % kPortsPerHost)};
}

inline NatAddresses bench_addresses() {
    return {{Ipv4{0xc6120101}, Ipv4{0xc6120102}}, Ipv4{0x0a000001}};  // 198.18.1.1, .1.2; 10.0.0.1
}

inline TimePoint at_seconds(double s) {
    return TimePoint{} + std::chrono::duration_cast<TimePoint::duration>(std::chrono::duration<double>(s));
}

// Sends one outbound datagram of flow i through `nat` using `buffer` (a UDP
// datagram built once); returns false if the NAT dropped it.
inline bool send_outbound(Nat& nat, std::vector<std::byte>& buffer, std::uint32_t i, TimePoint now,
                          Endpoint* external = nullptr) {
    DropReason why;
    auto packet = Ipv4Packet::parse(buffer, why);
    packet->set_source(inside_of(i));
    packet->set_ttl(64);  // the buffer is reused; every pass through the NAT took one
    auto out = nat.handle(*packet, Direction::Outbound, now);
    if (out && external) *external = out->source();
    return out.has_value();
}

inline std::vector<std::byte> template_datagram(Flow flow) {
    return build_udp_datagram({flow, std::vector<std::byte>(64, std::byte{0x42}), 64, true});
}

}  // namespace natlab::nat::bench
