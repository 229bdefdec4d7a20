#include "simulator/wire/ipv6_packet.h"

#include <algorithm>
#include <array>

#include "simulator/wire/bytes.h"
#include "simulator/wire/checksum.h"

namespace natlab::nat {
namespace {

constexpr std::size_t kNextHeader = 6;
constexpr std::size_t kHopLimit = 7;
constexpr std::size_t kSource = 8;
constexpr std::size_t kDestination = 24;
constexpr std::uint8_t kFragmentHeader = 44;

DropReason malformed(std::string what) {
    return {DropCode::Malformed, "malformed ipv6: " + what};
}

std::optional<Protocol> protocol_of(std::uint8_t next, DropReason& why) {
    if (next == kIpProtocolUdp) return Protocol::Udp;
    if (next == kIpProtocolTcp) return Protocol::Tcp;
    if (next == kIpProtocolIcmpv6) return Protocol::Icmp;
    if (next == kFragmentHeader)
        why = {DropCode::Fragment, "fragment: an IPv6 fragment header; the emulator does not reassemble"};
    else
        why = {DropCode::UnsupportedProtocol,
               "unsupported protocol: next header " + std::to_string(next) +
                   " (extension headers are not walked; only UDP, TCP and ICMPv6)"};
    return std::nullopt;
}

// The transport's own checks; empty when it is well formed.
std::string transport_problem(Protocol p, std::span<const std::byte> t) {
    if (p == Protocol::Udp) {
        if (t.size() < 8) return "a UDP header needs 8 bytes, " + std::to_string(t.size()) + " left";
        auto length = load16(t, 4);
        if (length < 8 || length > t.size()) return "UDP length " + std::to_string(length) + " out of range";
        if (load16(t, 6) == 0)
            return "a UDP checksum of 0 (RFC 8200 section 8.1: it is not optional over IPv6)";
        return "";
    }
    if (p == Protocol::Tcp) {
        if (t.size() < 20) return "a TCP header needs 20 bytes, " + std::to_string(t.size()) + " left";
        std::size_t offset = (load8(t, 12) >> 4) * 4u;
        if (offset < 20 || offset > t.size())
            return "TCP data offset " + std::to_string(offset) + " out of range";
        return "";
    }
    if (t.size() < 4) return "an ICMPv6 header needs 4 bytes";
    auto kind = icmp6_kind(load8(t, 0));
    if ((kind == Icmp6Kind::echo_request || kind == Icmp6Kind::echo_reply) && t.size() < 8)
        return "an ICMPv6 echo needs 8 bytes";
    return "";
}

std::uint32_t pseudo_header_sum6(const Ipv6& source, const Ipv6& destination, std::uint8_t next,
                                 std::size_t length) {
    std::array<std::byte, 40> header{};
    store_ipv6(header, 0, source);
    store_ipv6(header, 16, destination);
    store32(header, 32, static_cast<std::uint32_t>(length));
    store8(header, 39, next);
    return checksum_add(header);
}

std::size_t checksum_offset6(Protocol p) {
    return p == Protocol::Icmp ? 2 : transport_checksum_offset(p);
}

}  // namespace

Icmp6Kind icmp6_kind(std::uint8_t type) {
    if (type >= 1 && type <= 4) return Icmp6Kind::error;
    if (type == kIcmpv6EchoRequest) return Icmp6Kind::echo_request;
    if (type == kIcmpv6EchoReply) return Icmp6Kind::echo_reply;
    return Icmp6Kind::other;
}

std::string Flow6::to_string() const {
    std::string name = protocol == Protocol::Icmp ? "icmpv6" : std::string{nat::to_string(protocol)};
    return name + " " + source.to_string() + " -> " + destination.to_string();
}

std::uint8_t ipv6_next_header(Protocol p) {
    return p == Protocol::Icmp ? kIpProtocolIcmpv6 : ip_protocol_number(p);
}

std::optional<Ipv6Packet> Ipv6Packet::parse(std::span<std::byte> bytes, DropReason& why) {
    if (bytes.size() < kIpv6HeaderSize) {
        why = malformed("a header needs 40 bytes, " + std::to_string(bytes.size()) + " came");
        return std::nullopt;
    }
    if (load8(bytes, 0) >> 4 != 6) {
        why = malformed("version " + std::to_string(load8(bytes, 0) >> 4));
        return std::nullopt;
    }
    std::size_t payload = load16(bytes, 4);
    if (kIpv6HeaderSize + payload > bytes.size()) {
        why = malformed("payload length " + std::to_string(payload) + " past the frame");
        return std::nullopt;
    }
    auto protocol = protocol_of(load8(bytes, kNextHeader), why);
    if (!protocol) return std::nullopt;
    auto view = bytes.first(kIpv6HeaderSize + payload);
    if (auto problem = transport_problem(*protocol, view.subspan(kIpv6HeaderSize)); !problem.empty()) {
        why = malformed(problem);
        return std::nullopt;
    }
    return Ipv6Packet(view, *protocol);
}

Ipv6 Ipv6Packet::source_address() const {
    return load_ipv6(bytes_, kSource);
}
Ipv6 Ipv6Packet::destination_address() const {
    return load_ipv6(bytes_, kDestination);
}
std::uint8_t Ipv6Packet::hop_limit() const {
    return load8(bytes_, kHopLimit);
}
std::uint8_t Ipv6Packet::icmp_type() const {
    return load8(transport(), 0);
}

// Where a side's port is, or 0 when that side has none.
std::size_t Ipv6Packet::port_at(bool source) const {
    if (protocol_ != Protocol::Icmp) return kIpv6HeaderSize + (source ? 0 : 2);
    auto kind = icmp6_kind(icmp_type());
    bool has = source ? kind == Icmp6Kind::echo_request : kind == Icmp6Kind::echo_reply;
    return has ? kIpv6HeaderSize + 4 : 0;
}

Endpoint6 Ipv6Packet::source() const {
    auto at = port_at(true);
    return {source_address(), at ? load16(bytes_, at) : std::uint16_t{0}};
}

Endpoint6 Ipv6Packet::destination() const {
    auto at = port_at(false);
    return {destination_address(), at ? load16(bytes_, at) : std::uint16_t{0}};
}

std::size_t Ipv6Packet::checksum_at() const {
    return kIpv6HeaderSize + checksum_offset6(protocol_);
}

bool Ipv6Packet::checksum_ok() const {
    return load16(bytes_, checksum_at()) ==
           transport_checksum6(source_address(), destination_address(), protocol_, transport());
}

void Ipv6Packet::set_address(std::size_t at, const Ipv6& to, bool patch) {
    std::uint16_t sum = load16(bytes_, checksum_at());
    for (int i = 0; i < 8; ++i) {
        auto old_word = load16(bytes_, at + 2 * i);
        if (patch) sum = checksum_adjust(sum, old_word, to.group(i));
        store16(bytes_, at + 2 * i, to.group(i));
    }
    if (protocol_ == Protocol::Udp && sum == 0) sum = 0xffff;
    store16(bytes_, checksum_at(), sum);
}

void Ipv6Packet::set_source_address(const Ipv6& to) {
    set_address(kSource, to, true);
}
void Ipv6Packet::set_destination_address(const Ipv6& to) {
    set_address(kDestination, to, true);
}
void Ipv6Packet::set_source_address_neutral(const Ipv6& to) {
    set_address(kSource, to, false);
}
void Ipv6Packet::set_destination_address_neutral(const Ipv6& to) {
    set_address(kDestination, to, false);
}

std::optional<Ipv6> Ipv6Packet::quoted_address(bool source) const {
    constexpr std::size_t quoted = kIpv6HeaderSize + 8;
    if (protocol_ != Protocol::Icmp || icmp6_kind(icmp_type()) != Icmp6Kind::error) return std::nullopt;
    if (bytes_.size() < quoted + kIpv6HeaderSize) return std::nullopt;
    return load_ipv6(bytes_, quoted + (source ? kSource : kDestination));
}

void Ipv6Packet::set_quoted_address_neutral(bool source, const Ipv6& to) {
    store_ipv6(bytes_, kIpv6HeaderSize + 8 + (source ? kSource : kDestination), to);
}

void Ipv6Packet::set_port(bool source, std::uint16_t to) {
    auto at = port_at(source);
    if (!at) return;
    std::uint16_t sum = checksum_adjust(load16(bytes_, checksum_at()), load16(bytes_, at), to);
    if (protocol_ == Protocol::Udp && sum == 0) sum = 0xffff;
    store16(bytes_, at, to);
    store16(bytes_, checksum_at(), sum);
}

void Ipv6Packet::set_source_port(std::uint16_t to) {
    set_port(true, to);
}
void Ipv6Packet::set_destination_port(std::uint16_t to) {
    set_port(false, to);
}
void Ipv6Packet::decrement_hop_limit() {
    store8(bytes_, kHopLimit, static_cast<std::uint8_t>(hop_limit() - 1));
}

std::uint16_t transport_checksum6(const Ipv6& source, const Ipv6& destination, Protocol protocol,
                                  std::span<const std::byte> segment) {
    std::uint32_t sum = pseudo_header_sum6(source, destination, ipv6_next_header(protocol), segment.size());
    std::size_t field = checksum_offset6(protocol);
    sum = checksum_add(segment.first(field), sum);
    sum = checksum_add(segment.subspan(field + 2), sum);
    std::uint16_t result = checksum_finish(sum);
    return protocol == Protocol::Udp && result == 0 ? 0xffff : result;
}

Ipv6 load_ipv6(std::span<const std::byte> bytes, std::size_t at) {
    Ipv6 a;
    for (std::size_t i = 0; i < 16; ++i) a.bytes[i] = load8(bytes, at + i);
    return a;
}

void store_ipv6(std::span<std::byte> bytes, std::size_t at, const Ipv6& address) {
    for (std::size_t i = 0; i < 16; ++i) store8(bytes, at + i, address.bytes[i]);
}

std::vector<std::byte> build_ipv6(Protocol protocol, const Ipv6& source, const Ipv6& destination,
                                  std::uint8_t hop_limit, std::size_t payload_size,
                                  std::uint8_t traffic_class) {
    std::vector<std::byte> p(kIpv6HeaderSize + payload_size);
    store32(p, 0, 0x60000000u | std::uint32_t{traffic_class} << 20);
    store16(p, 4, static_cast<std::uint16_t>(payload_size));
    store8(p, kNextHeader, ipv6_next_header(protocol));
    store8(p, kHopLimit, hop_limit);
    store_ipv6(p, kSource, source);
    store_ipv6(p, kDestination, destination);
    return p;
}

namespace {

void finish(std::vector<std::byte>& p, const Ipv6& source, const Ipv6& destination, Protocol protocol) {
    std::span<std::byte> t = std::span{p}.subspan(kIpv6HeaderSize);
    store16(t, checksum_offset6(protocol), transport_checksum6(source, destination, protocol, t));
}

}  // namespace

std::vector<std::byte> build_udp6(Endpoint6 source, Endpoint6 destination, std::span<const std::byte> payload,
                                  std::uint8_t hop_limit) {
    auto p = build_ipv6(Protocol::Udp, source.addr, destination.addr, hop_limit, 8 + payload.size());
    std::span<std::byte> t = std::span{p}.subspan(kIpv6HeaderSize);
    store16(t, 0, source.port);
    store16(t, 2, destination.port);
    store16(t, 4, static_cast<std::uint16_t>(8 + payload.size()));
    std::copy(payload.begin(), payload.end(), t.begin() + 8);
    finish(p, source.addr, destination.addr, Protocol::Udp);
    return p;
}

std::vector<std::byte> build_echo6(const Ipv6& source, const Ipv6& destination, std::uint8_t type,
                                   std::uint16_t identifier, std::span<const std::byte> payload,
                                   std::uint8_t hop_limit) {
    auto p = build_ipv6(Protocol::Icmp, source, destination, hop_limit, 8 + payload.size());
    std::span<std::byte> t = std::span{p}.subspan(kIpv6HeaderSize);
    store8(t, 0, type);
    store16(t, 4, identifier);
    store16(t, 6, 1);
    std::copy(payload.begin(), payload.end(), t.begin() + 8);
    finish(p, source, destination, Protocol::Icmp);
    return p;
}

std::vector<std::byte> build_icmp6_error(const Ipv6& from, std::uint8_t type, std::uint8_t code,
                                         std::span<const std::byte> about) {
    std::size_t quoted = std::min(about.size(), kIpv6MinimumMtu - kIpv6HeaderSize - 8);
    Ipv6 to = load_ipv6(about, kSource);
    auto p = build_ipv6(Protocol::Icmp, from, to, 64, 8 + quoted);
    std::span<std::byte> t = std::span{p}.subspan(kIpv6HeaderSize);
    store8(t, 0, type);
    store8(t, 1, code);
    std::copy_n(about.begin(), quoted, t.begin() + 8);
    finish(p, from, to, Protocol::Icmp);
    return p;
}

// RFC 4443 section 3: the invoking packet starts 8 bytes into the message.
std::optional<Flow6> quoted_flow6(std::span<const std::byte> message) {
    if (message.size() < 8 + kIpv6HeaderSize + 8) return std::nullopt;
    auto q = message.subspan(8);
    Protocol protocol;
    switch (load8(q, kNextHeader)) {
        case kIpProtocolUdp:
            protocol = Protocol::Udp;
            break;
        case kIpProtocolTcp:
            protocol = Protocol::Tcp;
            break;
        case kIpProtocolIcmpv6:
            protocol = Protocol::Icmp;
            break;
        default:
            return std::nullopt;
    }
    auto t = q.subspan(kIpv6HeaderSize);
    Endpoint6 source{load_ipv6(q, kSource), 0}, destination{load_ipv6(q, kDestination), 0};
    if (protocol != Protocol::Icmp) {
        source.port = load16(t, 0);
        destination.port = load16(t, 2);
    } else if (icmp6_kind(load8(t, 0)) == Icmp6Kind::echo_request) {
        source.port = load16(t, 4);
    } else if (icmp6_kind(load8(t, 0)) == Icmp6Kind::echo_reply) {
        destination.port = load16(t, 4);
    }
    return Flow6{source, destination, protocol};
}

}  // namespace natlab::nat
