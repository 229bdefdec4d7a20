// IPv6 packets as the lab's IPv6 behaviours see them: checked, mutable
// views, their checksums, and a builder for tests and seeds.
//
// Theory of operation
// -------------------
// `Ipv6Packet::parse` looks at the bytes of one IPv6 packet (the Ethernet
// payload, EtherType 0x86dd) and returns a view over exactly the 40-byte
// header and its `payload length` (Ethernet padding stays outside), or
// says why it refused (RFC 8200):
//   - version 6, a header of 40 bytes, a payload length within the buffer;
//   - the next header must be UDP, TCP or ICMPv6 itself: extension headers
//     are refused (a fragment header as `fragment`, the others as an
//     unsupported protocol), as the emulator does not walk header chains;
//   - UDP: a length of at least 8, at most the payload, and a checksum
//     other than 0 (RFC 8200 section 8.1: UDP over IPv6 must carry one);
//     TCP: a data offset of 5 words or more within the segment; ICMPv6:
//     at least its 4-byte header, 8 for echo.
// Transport checksums are verified by `checksum_ok`, not by `parse`: a
// firewall forwards what it is given.
//
// Endpoints and flows are as for IPv4 (packet.h): UDP and TCP carry their
// ports; ICMPv6 echo carries its identifier as the source port of a
// request and the destination port of a reply (RFC 5508 REQ-1's idea, for
// state per query); other ICMPv6 messages have port 0 on both sides.
//
// Checksums over IPv6 (RFC 8200 section 8.1) cover a pseudo-header of the
// source and destination addresses, the upper-layer length (32 bits) and
// the next header (32 bits); unlike ICMP for IPv4, ICMPv6 includes it too
// (RFC 4443 section 2.3). A rewrite of an address or port patches the
// transport checksum by the difference of the words that changed
// (RFC 1624); an NPTv6 rewrite is checksum-neutral and needs none.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "simulator/wire/drop_reason.h"
#include "simulator/wire/packet.h"
#include "src/net/ipv6.h"

namespace natlab::nat {

inline constexpr std::uint16_t kEtherTypeIpv6 = 0x86dd;
inline constexpr std::size_t kIpv6HeaderSize = 40;
inline constexpr std::uint8_t kIpProtocolIcmpv6 = 58;
inline constexpr std::uint8_t kIcmpv6EchoRequest = 128;
inline constexpr std::uint8_t kIcmpv6EchoReply = 129;
inline constexpr std::uint8_t kIcmpv6DestinationUnreachable = 1;
inline constexpr std::uint8_t kIcmpv6TimeExceeded = 3;
inline constexpr std::size_t kIpv6MinimumMtu = 1280;

enum class Icmp6Kind : std::uint8_t { echo_request, echo_reply, error, other };
// ICMPv6 type (RFC 4443): 1-4 errors, 128/129 echo; anything else `other`.
Icmp6Kind icmp6_kind(std::uint8_t type);

struct Flow6 {
    Endpoint6 source;
    Endpoint6 destination;
    Protocol protocol = Protocol::Udp;

    std::string to_string() const;  // "udp [a]:p -> [b]:q"
    auto operator<=>(const Flow6&) const = default;
};

// The next header's protocol number for a Protocol (ICMP is ICMPv6, 58).
std::uint8_t ipv6_next_header(Protocol p);

class Ipv6Packet {
public:
    static std::optional<Ipv6Packet> parse(std::span<std::byte> bytes, DropReason& why);

    Protocol protocol() const { return protocol_; }
    Ipv6 source_address() const;
    Ipv6 destination_address() const;
    Endpoint6 source() const;
    Endpoint6 destination() const;
    Flow6 flow() const { return {source(), destination(), protocol_}; }
    std::uint8_t hop_limit() const;
    std::uint8_t icmp_type() const;  // precondition: ICMPv6
    std::span<const std::byte> bytes() const { return bytes_; }
    std::span<const std::byte> transport() const { return bytes_.subspan(kIpv6HeaderSize); }

    // The transport checksum is right for the addresses in the header.
    bool checksum_ok() const;

    // Rewrites, patching the transport checksum.
    void set_source_address(const Ipv6& to);
    void set_destination_address(const Ipv6& to);
    void set_source_port(std::uint16_t to);       // UDP, TCP; ICMPv6 echo request: the identifier
    void set_destination_port(std::uint16_t to);  // UDP, TCP; ICMPv6 echo reply: the identifier
    // Writes a new address without touching the checksum: for a rewrite
    // that keeps the address's one's-complement sum (NPTv6, RFC 6296).
    void set_source_address_neutral(const Ipv6& to);
    void set_destination_address_neutral(const Ipv6& to);
    void decrement_hop_limit();  // precondition: hop_limit() > 0

    // An ICMPv6 error's quoted packet (RFC 4443 section 3: the 8-byte error
    // header, then as much of the packet as fits): its source or destination
    // address, nullopt when this is no error or its header is cut short; and
    // its rewrite that keeps the address's one's-complement sum, so neither
    // the error's checksum nor the quoted transport's needs a patch (NPTv6).
    std::optional<Ipv6> quoted_address(bool source) const;
    void set_quoted_address_neutral(bool source, const Ipv6& to);  // precondition: quoted_address(source)

private:
    Ipv6Packet(std::span<std::byte> bytes, Protocol protocol) : bytes_(bytes), protocol_(protocol) {}
    std::size_t checksum_at() const;  // offset of the transport checksum in bytes_
    std::size_t port_at(bool source) const;
    void set_address(std::size_t at, const Ipv6& to, bool patch);
    void set_port(bool source, std::uint16_t to);

    std::span<std::byte> bytes_;
    Protocol protocol_;
};

// An address at `at` in a buffer, in network order, and its store.
Ipv6 load_ipv6(std::span<const std::byte> bytes, std::size_t at);
void store_ipv6(std::span<std::byte> bytes, std::size_t at, const Ipv6& address);

// A 40-byte IPv6 header (version 6, traffic class `traffic_class`, flow
// label 0) followed by `payload_size` zero bytes for the caller to fill.
std::vector<std::byte> build_ipv6(Protocol protocol, const Ipv6& source, const Ipv6& destination,
                                  std::uint8_t hop_limit, std::size_t payload_size,
                                  std::uint8_t traffic_class = 0);

// The transport checksum over the pseudo-header and `segment`, ignoring
// the segment's own checksum field (a UDP result of 0 is sent as 0xffff).
std::uint16_t transport_checksum6(const Ipv6& source, const Ipv6& destination, Protocol protocol,
                                  std::span<const std::byte> segment);

// A whole IPv6 packet: UDP with `payload`, or an ICMPv6 echo request/reply
// (identifier = the echo side's port, sequence 1) with `payload` as data.
std::vector<std::byte> build_udp6(Endpoint6 source, Endpoint6 destination, std::span<const std::byte> payload,
                                  std::uint8_t hop_limit = 64);
std::vector<std::byte> build_echo6(const Ipv6& source, const Ipv6& destination, std::uint8_t type,
                                   std::uint16_t identifier, std::span<const std::byte> payload,
                                   std::uint8_t hop_limit = 64);

// An ICMPv6 error (RFC 4443 section 3: type, code, 4 unused bytes) from
// `from` to the source of `about` (a whole IPv6 packet), quoting as much of
// it as keeps the error within the minimum MTU (section 2.4 (c)).
std::vector<std::byte> build_icmp6_error(const Ipv6& from, std::uint8_t type, std::uint8_t code,
                                         std::span<const std::byte> about);

// The flow of the packet an ICMPv6 error quotes (its header and the first
// 8 bytes of its transport), or nullopt when too little of it is there.
std::optional<Flow6> quoted_flow6(std::span<const std::byte> error_message);

}  // namespace natlab::nat
