// IPv4 datagrams as the NAT sees them: checked, mutable views.
//
// Theory of operation
// -------------------
// `Ipv4Packet::parse` looks at the bytes of one IPv4 datagram (the Ethernet
// payload) and either returns a view over exactly `total length` bytes (any
// Ethernet padding is left outside the view) or says why it refused:
//   - version must be 4, IHL at least 5 and within the buffer, total length
//     at least the header and at most the buffer, header checksum correct;
//   - fragments (MF set or a non-zero offset) are refused: the NAT does not
//     reassemble, so it could not find the ports of a later fragment;
//   - the protocol must be one the NAT translates: UDP (a UDP length of at
//     least 8 and at most the IP payload; a shorter UDP length is accepted,
//     as Linux does, and the view ends there), TCP (a data offset of at
//     least 5 words, within the segment) or ICMP (at least the 8-byte header).
// Transport checksums are not verified: a NAT forwards what it is given and
// the incremental updates below preserve a wrong checksum as wrong. (ICMP
// errors are the exception, checked where they are translated: icmp.h.)
//
// Ports. A Flow names a datagram by protocol and two endpoints. For UDP and
// TCP the endpoints carry the ports. ICMP has no ports; RFC 5508 (REQ-1) lets
// the query identifier play that part, so an echo request carries its
// identifier as the *source* port (the inside host chose it, the NAT maps it)
// and an echo reply carries it as the *destination* port (the NAT looks it
// up); the other side's port is 0. Every other ICMP message has port 0 on
// both sides. `set_source` / `set_destination` write whichever of the
// address and port the datagram has on that side.
//
// The view does not own its bytes. The I/O shell parses a frame in its receive
// buffer, the NAT rewrites the addresses there, and the same bytes go out:
// no copy on the forwarding path. Each rewrite patches the IPv4 header
// checksum and the transport checksum incrementally (RFC 1624). A UDP checksum
// of 0 means "none was computed" (RFC 768) and stays 0. A datagram whose
// sender left the transport checksum to offload (`checksum_partial`, see
// checksum.h) has only its pseudo-header sum patched.
//
// `QuotedPacket` is the same idea for the datagram quoted inside an ICMP
// error: an IPv4 header and at least 8 bytes of what followed it, often not
// the whole datagram, rewritten with the same rules.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "simulator/wire/drop_reason.h"
#include "src/net/endpoint.h"

namespace natlab::nat {

inline constexpr std::uint8_t kIpProtocolIcmp = 1;
inline constexpr std::uint8_t kIpProtocolTcp = 6;
inline constexpr std::uint8_t kIpProtocolUdp = 17;
inline constexpr std::size_t kIpv4HeaderSize = 20;

// The IP protocols the NAT translates, each with its own mappings and ports.
enum class Protocol : std::uint8_t { Udp, Tcp, Icmp };
inline constexpr std::size_t kProtocolCount = 3;
std::string_view to_string(Protocol p);  // "udp", "tcp", "icmp"
std::uint8_t ip_protocol_number(Protocol p);

// Where a protocol keeps its checksum, from the start of its header (UDP 6, TCP 16, ICMP 2).
std::size_t transport_checksum_offset(Protocol p);

// Source and destination of a datagram. Printed "a:p -> b:q" for UDP,
// "tcp a:p -> b:q" for TCP, and for ICMP "icmp a id N -> b" (a request),
// "icmp b -> a id N" (a reply) or "icmp a -> b" (anything else).
struct Flow {
    Endpoint source;
    Endpoint destination;
    Protocol protocol = Protocol::Udp;

    std::string to_string() const;
    auto operator<=>(const Flow&) const = default;
};

// TCP header flags (RFC 9293 §3.1).
inline constexpr std::uint8_t kTcpFin = 0x01;
inline constexpr std::uint8_t kTcpSyn = 0x02;
inline constexpr std::uint8_t kTcpRst = 0x04;
inline constexpr std::uint8_t kTcpPsh = 0x08;
inline constexpr std::uint8_t kTcpAck = 0x10;

class Ipv4Packet {
public:
    // A view over a valid IPv4 UDP, TCP or ICMP datagram in `bytes`; nullopt and `why` otherwise.
    static std::optional<Ipv4Packet> parse(std::span<std::byte> bytes, DropReason& why);

    Protocol protocol() const { return protocol_; }
    Endpoint source() const;
    Endpoint destination() const;
    Flow flow() const { return {source(), destination(), protocol_}; }
    std::uint8_t ttl() const;
    std::uint16_t header_checksum() const;
    std::uint16_t transport_checksum() const;  // the field as it is
    std::uint8_t tcp_flags() const;            // 0 unless TCP
    std::uint8_t icmp_type() const;            // precondition: ICMP
    std::uint8_t icmp_code() const;            // precondition: ICMP

    std::span<const std::byte> bytes() const { return bytes_; }  // the whole datagram
    std::span<const std::byte> header() const { return bytes_.first(header_size_); }
    std::span<const std::byte> transport() const { return bytes_.subspan(header_size_, transport_size_); }
    std::span<std::byte> transport_bytes() { return bytes_.subspan(header_size_, transport_size_); }
    std::size_t header_size() const { return header_size_; }

    // True when the transport checksum field holds only the pseudo-header
    // sum and the link will finish it (checksum offload).
    bool checksum_partial() const { return partial_; }
    void set_checksum_partial(bool partial) { partial_ = partial; }

    // Rewrites, keeping both checksums correct.
    void set_source(Endpoint to);
    void set_destination(Endpoint to);
    void set_source_address(Ipv4 to);
    void set_destination_address(Ipv4 to);
    void decrement_ttl();  // precondition: ttl() > 0
    void set_ttl(std::uint8_t ttl);
    // Computes the transport checksum from scratch and clears checksum_partial.
    void finish_transport_checksum();

private:
    Ipv4Packet(std::span<std::byte> bytes, std::size_t header_size, std::size_t transport_size,
               Protocol protocol)
        : bytes_(bytes), header_size_(header_size), transport_size_(transport_size), protocol_(protocol) {}

    std::span<std::byte> bytes_;
    std::size_t header_size_;
    std::size_t transport_size_;
    Protocol protocol_;
    bool partial_ = false;
};

// The datagram quoted in an ICMP error (RFC 792: its IP header and at least
// the first 8 bytes of its payload). Only UDP, TCP and ICMP quotes are accepted.
class QuotedPacket {
public:
    // `quote` is what follows the 8-byte ICMP error header.
    static std::optional<QuotedPacket> parse(std::span<std::byte> quote, DropReason& why);

    Flow flow() const;
    void set_source(Endpoint to);
    void set_destination(Endpoint to);

private:
    QuotedPacket(std::span<std::byte> header, std::span<std::byte> transport, Protocol protocol)
        : header_(header), transport_(transport), protocol_(protocol) {}

    std::span<std::byte> header_;
    std::span<std::byte> transport_;  // as much of it as was quoted, at least 8 bytes
    Protocol protocol_;
};

}  // namespace natlab::nat
