// Well-formed IPv4 datagrams built from a few fields.
//
// The NAT itself builds only ICMP errors and echo replies (icmp.h); these
// builders serve the tests, the benchmarks and the fuzzer's seed corpus, and
// give them one place that knows how a valid UDP datagram, TCP segment or
// ICMP echo looks on the wire. Every checksum is computed in full.
#pragma once

#include <cstdint>
#include <vector>

#include "simulator/wire/packet.h"
#include "src/net/endpoint.h"

namespace natlab::nat {

// An IPv4 header (no options, DF clear, identification 0) followed by
// `payload_size` zero bytes, with the header checksum filled in.
std::vector<std::byte> build_ipv4(std::uint8_t protocol, Ipv4 source, Ipv4 destination, std::uint8_t ttl,
                                  std::size_t payload_size);

// A UDP datagram (or a UDP checksum of 0 when `udp_checksum` is false).
struct UdpDatagramSpec {
    Flow flow;
    std::vector<std::byte> payload;
    std::uint8_t ttl = 64;
    bool udp_checksum = true;
};
std::vector<std::byte> build_udp_datagram(const UdpDatagramSpec& spec);

// A TCP segment; `mss`, when set, adds the MSS option (RFC 9293 §3.2).
struct TcpSegmentSpec {
    Flow flow;
    std::uint8_t flags = kTcpSyn;
    std::uint32_t seq = 1000;
    std::uint32_t ack = 0;
    std::vector<std::byte> payload;
    std::uint8_t ttl = 64;
    std::uint16_t mss = 0;
};
std::vector<std::byte> build_tcp_segment(const TcpSegmentSpec& spec);

// An ICMP echo request or reply (RFC 792).
struct IcmpEchoSpec {
    Ipv4 source;
    Ipv4 destination;
    std::uint16_t identifier = 0;
    std::uint16_t sequence = 1;
    bool request = true;
    std::vector<std::byte> payload;
    std::uint8_t ttl = 64;
};
std::vector<std::byte> build_icmp_echo(const IcmpEchoSpec& spec);

}  // namespace natlab::nat
