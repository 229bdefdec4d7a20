// IPv4/UDP datagrams as the NAT sees them: a checked, mutable view.
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
//   - the protocol must be UDP, the UDP length at least 8 and at most the IP
//     payload (a shorter UDP length is accepted, as Linux does; the view
//     of the UDP segment then ends at the UDP length).
// The UDP checksum is not verified: a NAT forwards what it is given and the
// incremental update below preserves a wrong checksum as wrong.
//
// The view does not own its bytes. The I/O shell parses a frame in its receive
// buffer, the NAT rewrites the addresses there, and the same bytes go out:
// no copy on the forwarding path. Each rewrite patches the IPv4 header
// checksum and the UDP checksum incrementally (RFC 1624); a UDP checksum of
// 0 means "none was computed" (RFC 768) and stays 0.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "drop_reason.h"
#include "endpoint.h"

namespace natlab::nat {

inline constexpr std::uint8_t kIpProtocolUdp = 17;

// Source and destination of a UDP datagram, printed "a:p -> b:q".
struct Flow {
    Endpoint source;
    Endpoint destination;

    std::string to_string() const;
    auto operator<=>(const Flow&) const = default;
};

class Ipv4Packet {
public:
    // A view over a valid IPv4/UDP datagram in `bytes`; nullopt and `why` otherwise.
    static std::optional<Ipv4Packet> parse(std::span<std::byte> bytes, DropReason& why);

    Endpoint source() const;
    Endpoint destination() const;
    Flow flow() const { return {source(), destination()}; }
    std::uint8_t ttl() const;
    std::uint16_t header_checksum() const;
    std::uint16_t udp_checksum_field() const;

    std::span<const std::byte> bytes() const { return bytes_; }  // the whole datagram
    std::span<const std::byte> header() const { return bytes_.first(header_size_); }
    std::span<const std::byte> udp_segment() const { return bytes_.subspan(header_size_, udp_size_); }
    std::span<const std::byte> payload() const { return udp_segment().subspan(8); }

    // Rewrites, keeping both checksums correct.
    void set_source(Endpoint to);
    void set_destination(Endpoint to);
    void decrement_ttl();  // precondition: ttl() > 0
    // Computes the UDP checksum from scratch. For datagrams whose sender left
    // it unfinished (checksum offload on veth, see link.h).
    void finish_udp_checksum();

private:
    Ipv4Packet(std::span<std::byte> bytes, std::size_t header_size, std::size_t udp_size)
        : bytes_(bytes), header_size_(header_size), udp_size_(udp_size) {}
    void rewrite(std::size_t address_at, std::size_t port_at, Endpoint to);
    void patch_udp_checksum(std::uint32_t old_address, std::uint16_t old_port, Endpoint to);

    std::span<std::byte> bytes_;
    std::size_t header_size_;
    std::size_t udp_size_;
};

// A well-formed datagram with both checksums filled in (or a UDP checksum of
// 0 when `udp_checksum` is false). For tests and traffic generators.
struct UdpDatagramSpec {
    Flow flow;
    std::vector<std::byte> payload;
    std::uint8_t ttl = 64;
    bool udp_checksum = true;
};
std::vector<std::byte> build_udp_datagram(const UdpDatagramSpec& spec);

}  // namespace natlab::nat
