// Decoding captured frames for `nat-lab review`: Ethernet, IPv4, IPv6, UDP,
// ICMP, ICMPv6, TCP, and STUN's message type (RFC 8489 section 5) with the rendezvous
// methods of docs/protocol.md. The type's split into method and class and
// the methods' names are src/stun's (stun_codec.h, rendezvous_protocol.h).
//
// Theory of operation: decode_frame() is pure: bytes in, a Frame out, or
// nullopt for what review does not draw (ARP, runts, anything that is not
// IP). Truncated or odd headers never throw; what cannot be read is left
// empty. Identity across links: a NAT rewrites addresses, ports and
// checksums but keeps the IPv4 identification and the payload, so `ip_id`
// plus a hash of the transport payload name one packet on every link it
// crossed (IPv6 has no identification: its `ip_id` is 0, the hash alone
// names it). IPv6 endpoints are written "[2001:2::2]:3478".
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

namespace natlab::harness {

struct Frame {
    std::string src, dst;  // "10.0.1.2:4000" (UDP/TCP) or "10.0.1.2" (ICMP, others)
    std::string src_ip, dst_ip;
    std::string protocol;  // udp | tcp | icmp | icmpv6 | ip-N
    std::uint16_t ip_id = 0;
    std::uint8_t ttl = 0;
    std::uint64_t payload_hash = 0;  // transport payload (for ICMP: the whole message minus checksum)
    std::size_t length = 0;          // IPv4 total length; IPv6: 40 + payload length
    std::string what;                // "STUN Probe request", "ICMP echo request", "TCP SYN", "UDP 12 bytes"
};

std::optional<Frame> decode_frame(std::span<const std::byte> frame);

// The STUN message in a UDP payload `p`: "Binding request", "Register
// success", "Introduce indication", "method 0x0099 request"; empty when `p`
// is not STUN-framed.
std::string stun_name(std::span<const std::byte> p);

}  // namespace natlab::harness
