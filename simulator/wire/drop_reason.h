// Why a frame or packet was dropped.
//
// Every stage of the emulator answers "packet out, or nothing"; when it is
// nothing, a DropReason says why. The code is the stable, countable part (the
// counters and the event log's "code" field use its name); the text is the
// sentence a person reads in the event log or the trace, for example
//   filtered (address-and-port-dependent): no mapping has sent to 198.18.0.3:40001
// Producers write the whole sentence; nothing here formats addresses.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace natlab::nat {

enum class DropCode : std::uint8_t {
    Malformed,             // failed a header check (Ethernet, ARP, IPv4, UDP, TCP, ICMP) or checksum
    Fragment,              // IPv4 fragment: the emulator does not reassemble
    UnsupportedProtocol,   // IPv4 but neither UDP, TCP nor ICMP (GRE, SCTP, ESP, ...)
    UnsupportedIcmp,       // an ICMP type the NAT does not translate (RFC 5508 REQ-11)
    TtlExpired,            // TTL would reach zero when forwarded
    NotOurAddress,         // not addressed to one of the NAT's external addresses, or to the NAT itself
    NoMapping,             // inbound to an external port that no live mapping owns
    Filtered,              // a mapping exists but its filter refuses this remote (RFC 4787 §5)
    TcpNotSyn,             // outbound TCP without SYN and without a mapping: no session to join
    IcmpErrorUnmatched,    // an ICMP error about a flow the NAT has no live mapping for (RFC 5508 REQ-4/5)
    HairpinOff,            // inside host to the NAT's own external address, hairpin disabled
    PortsExhausted,        // no free external port in the configured range
    NoRoute,               // destination is on neither link and there is no gateway
    NeighbourUnreachable,  // ARP for the next hop was never answered
    ArpQueueFull,          // too many packets already wait for this next hop
    NotOurMac,             // Ethernet frame for another station
    UnsupportedEthertype,  // neither IPv4 nor ARP, nor IPv6 when it is configured (VLAN tags, ...)
    SendFailed,            // the link refused the frame on output
    InternalError,         // an exception in the frame loop: counted, never fatal
    PortMappingOutside,    // a port mapping request (PCP, NAT-PMP) from outside: served to the LAN only
    MappingLimit,          // the inside host already holds as many mappings as it may (RFC 6888 REQ-4)
    NoState,               // IPv6 firewall: inbound to an inside endpoint that has no live state (RFC 6092)
    NotInside,             // IPv6 firewall: outbound from a source outside the inside prefix (RFC 6092 §3.1)
};
inline constexpr DropCode kLastDropCode = DropCode::NotInside;
inline constexpr std::size_t kDropCodeCount = static_cast<std::size_t>(kLastDropCode) + 1;

// "malformed", "fragment", "unsupported-protocol", ... (checked table in drop_reason.cpp).
std::string_view to_string(DropCode code);

struct DropReason {
    DropCode code = DropCode::Malformed;
    std::string text;
};

// Dropped-packet tallies, one slot per code.
struct DropCounters {
    std::array<std::uint64_t, kDropCodeCount> by_code{};

    void add(DropCode code) { ++by_code[static_cast<std::size_t>(code)]; }
    std::uint64_t operator[](DropCode code) const { return by_code[static_cast<std::size_t>(code)]; }
    std::uint64_t total() const;
    DropCounters& operator+=(const DropCounters& other);
};

}  // namespace natlab::nat
