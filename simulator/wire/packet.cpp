#include "simulator/wire/packet.h"

#include <array>

#include "simulator/wire/bytes.h"
#include "simulator/wire/checksum.h"
#include "src/net/enum_names.h"

namespace natlab::nat {
namespace {

// IPv4 header fields (RFC 791 §3.1), byte offsets.
constexpr std::size_t kVersionIhl = 0;
constexpr std::size_t kTotalLength = 2;
constexpr std::size_t kFlagsFragment = 6;
constexpr std::size_t kTtl = 8;
constexpr std::size_t kProtocol = 9;
constexpr std::size_t kHeaderChecksum = 10;
constexpr std::size_t kSourceAddress = 12;
constexpr std::size_t kDestinationAddress = 16;
constexpr std::uint16_t kMoreFragments = 0x2000;
constexpr std::uint16_t kFragmentOffsetMask = 0x1fff;

// Transport fields, offsets from the start of the transport header.
constexpr std::size_t kSourcePort = 0;       // UDP, TCP
constexpr std::size_t kDestinationPort = 2;  // UDP, TCP
constexpr std::size_t kUdpLength = 4;
constexpr std::size_t kUdpHeader = 8;
constexpr std::size_t kTcpDataOffset = 12;
constexpr std::size_t kTcpFlags = 13;
constexpr std::size_t kTcpHeader = 20;
constexpr std::size_t kIcmpType = 0;
constexpr std::size_t kIcmpCode = 1;
constexpr std::size_t kIcmpIdentifier = 4;  // echo request and reply (RFC 792)
constexpr std::size_t kIcmpHeader = 8;
constexpr std::uint8_t kIcmpEchoReplyType = 0;
constexpr std::uint8_t kIcmpEchoRequestType = 8;

constexpr std::array kProtocolNames{
    EnumName<Protocol>{Protocol::Udp, "udp"},
    EnumName<Protocol>{Protocol::Tcp, "tcp"},
    EnumName<Protocol>{Protocol::Icmp, "icmp"},
};
static_assert(names_in_order(kProtocolNames, Protocol::Icmp));
static_assert(kProtocolNames.size() == kProtocolCount);

enum class End : std::uint8_t { Source, Destination };

std::optional<Protocol> protocol_of(std::uint8_t number) {
    switch (number) {
        case kIpProtocolUdp:
            return Protocol::Udp;
        case kIpProtocolTcp:
            return Protocol::Tcp;
        case kIpProtocolIcmp:
            return Protocol::Icmp;
    }
    return std::nullopt;
}

// Where the port of one end lives in the transport header, if that end has one.
std::optional<std::size_t> port_offset(Protocol p, std::span<const std::byte> transport, End end) {
    if (p != Protocol::Icmp) return end == End::Source ? kSourcePort : kDestinationPort;
    auto type = load8(transport, kIcmpType);
    if (type == kIcmpEchoRequestType && end == End::Source) return kIcmpIdentifier;
    if (type == kIcmpEchoReplyType && end == End::Destination) return kIcmpIdentifier;
    return std::nullopt;
}

// One datagram's header and transport bytes, for the rewrites both views share.
struct Datagram {
    std::span<std::byte> header;
    std::span<std::byte> transport;
    Protocol protocol;
    bool partial;
};

Datagram parts_of(std::span<std::byte> bytes, std::size_t header_size, std::size_t transport_size,
                  Protocol protocol, bool partial) {
    return {bytes.first(header_size), bytes.subspan(header_size, transport_size), protocol, partial};
}

Endpoint endpoint_of(const Datagram& d, End end) {
    Ipv4 addr{load32(d.header, end == End::Source ? kSourceAddress : kDestinationAddress)};
    auto at = port_offset(d.protocol, d.transport, end);
    return {addr, at ? load16(d.transport, *at) : std::uint16_t{0}};
}

Flow flow_of(const Datagram& d) {
    return {endpoint_of(d, End::Source), endpoint_of(d, End::Destination), d.protocol};
}

// The transport checksum after the address `old_addr` -> `to.addr` and (when
// `port_changed`) the port `old_port` -> `to.port`. A checksum that was not
// quoted in full, or a UDP "no checksum", is left alone.
void patch_transport_checksum(const Datagram& d, std::uint32_t old_addr, std::uint16_t old_port, Endpoint to,
                              bool port_changed) {
    auto at = transport_checksum_offset(d.protocol);
    if (d.transport.size() < at + 2) return;
    std::uint16_t sum = load16(d.transport, at);
    bool pseudo = d.protocol != Protocol::Icmp;  // ICMP sums the message alone
    if (d.partial) {
        if (pseudo) store16(d.transport, at, partial_adjust32(sum, old_addr, to.addr.value));
        return;
    }
    if (d.protocol == Protocol::Udp && sum == 0) return;  // RFC 768: none computed, none must survive
    if (pseudo) sum = checksum_adjust32(sum, old_addr, to.addr.value);
    if (port_changed) sum = checksum_adjust(sum, old_port, to.port);
    if (d.protocol == Protocol::Udp && sum == 0) sum = 0xffff;
    store16(d.transport, at, sum);
}

void rewrite(const Datagram& d, End end, Endpoint to, bool with_port) {
    auto address_at = end == End::Source ? kSourceAddress : kDestinationAddress;
    std::uint32_t old_addr = load32(d.header, address_at);
    store32(d.header, address_at, to.addr.value);
    store16(d.header, kHeaderChecksum,
            checksum_adjust32(load16(d.header, kHeaderChecksum), old_addr, to.addr.value));
    auto port_at = with_port ? port_offset(d.protocol, d.transport, end) : std::nullopt;
    std::uint16_t old_port = port_at ? load16(d.transport, *port_at) : 0;
    if (port_at) store16(d.transport, *port_at, to.port);
    patch_transport_checksum(d, old_addr, old_port, to, port_at.has_value());
}

constexpr std::string_view kMalformed = "malformed: ";

std::optional<DropReason> malformed(std::string text) {
    return DropReason{DropCode::Malformed, std::string{kMalformed} + std::move(text)};
}

// Version and header length; on success `header_size` is set.
std::optional<DropReason> check_header(std::span<const std::byte> b, std::size_t& header_size) {
    if (b.size() < kIpv4HeaderSize)
        return malformed("only " + std::to_string(b.size()) + " bytes, less than an IPv4 header");
    if (auto version = load8(b, kVersionIhl) >> 4; version != 4)
        return malformed("IP version " + std::to_string(version) + ", not 4");
    header_size = std::size_t{load8(b, kVersionIhl) & 0x0fu} * 4;
    if (header_size < kIpv4HeaderSize)
        return malformed("header length " + std::to_string(header_size) + " bytes, less than 20");
    if (header_size > b.size())
        return malformed("header length " + std::to_string(header_size) + " bytes but " +
                         std::to_string(b.size()) + " received");
    return std::nullopt;
}

// Total length and header checksum; on success `total` is set.
std::optional<DropReason> check_total(std::span<const std::byte> b, std::size_t header_size,
                                      std::size_t& total) {
    total = load16(b, kTotalLength);
    if (total < header_size)
        return malformed("total length " + std::to_string(total) + " is less than the header");
    if (total > b.size())
        return malformed("total length " + std::to_string(total) + " but " + std::to_string(b.size()) +
                         " bytes received");
    if (internet_checksum(b.first(header_size)) != 0) return malformed("bad IPv4 header checksum");
    return std::nullopt;
}

bool is_fragment(std::span<const std::byte> b) {
    auto flags = load16(b, kFlagsFragment);
    return (flags & kMoreFragments) || (flags & kFragmentOffsetMask);
}

std::optional<DropReason> check_protocol(std::span<const std::byte> b, std::optional<Protocol>& protocol) {
    protocol = protocol_of(load8(b, kProtocol));
    if (protocol) return std::nullopt;
    return DropReason{
        DropCode::UnsupportedProtocol,
        "unsupported protocol: IP protocol " + std::to_string(load8(b, kProtocol)) + " is not translated"};
}

// The transport header's own checks; on success `size` is the view's length.
std::optional<DropReason> check_transport(std::span<const std::byte> t, Protocol p, std::size_t& size) {
    size = t.size();
    switch (p) {
        case Protocol::Udp:
            if (t.size() < kUdpHeader) return malformed("no room for a UDP header");
            size = load16(t, kUdpLength);
            if (size < kUdpHeader || size > t.size())
                return malformed("UDP length " + std::to_string(size) + " but IP payload " +
                                 std::to_string(t.size()));
            return std::nullopt;
        case Protocol::Tcp: {
            if (t.size() < kTcpHeader) return malformed("no room for a TCP header");
            std::size_t offset = std::size_t{load8(t, kTcpDataOffset)} / 16 * 4;
            if (offset < kTcpHeader || offset > t.size())
                return malformed("TCP data offset " + std::to_string(offset) + " bytes in a segment of " +
                                 std::to_string(t.size()));
            return std::nullopt;
        }
        case Protocol::Icmp:
            if (t.size() < kIcmpHeader) return malformed("no room for an ICMP header");
            return std::nullopt;
    }
    return std::nullopt;
}

std::string icmp_end(Endpoint e) {
    return e.port == 0 ? e.addr.to_string() : e.addr.to_string() + " id " + std::to_string(e.port);
}

}  // namespace

std::string_view to_string(Protocol p) {
    return name_of(kProtocolNames, p);
}

std::size_t transport_checksum_offset(Protocol p) {
    switch (p) {
        case Protocol::Udp:
            return 6;
        case Protocol::Tcp:
            return 16;
        case Protocol::Icmp:
            return 2;
    }
    return 2;
}

std::uint8_t ip_protocol_number(Protocol p) {
    switch (p) {
        case Protocol::Udp:
            return kIpProtocolUdp;
        case Protocol::Tcp:
            return kIpProtocolTcp;
        case Protocol::Icmp:
            return kIpProtocolIcmp;
    }
    return 0;
}

std::string Flow::to_string() const {
    switch (protocol) {
        case Protocol::Udp:
            return source.to_string() + " -> " + destination.to_string();
        case Protocol::Tcp:
            return "tcp " + source.to_string() + " -> " + destination.to_string();
        case Protocol::Icmp:
            return "icmp " + icmp_end(source) + " -> " + icmp_end(destination);
    }
    return {};
}

std::optional<Ipv4Packet> Ipv4Packet::parse(std::span<std::byte> bytes, DropReason& why) {
    std::size_t header_size = 0, total = 0, transport_size = 0;
    std::optional<Protocol> protocol;
    auto problem = check_header(bytes, header_size);
    if (!problem) problem = check_total(bytes, header_size, total);
    if (!problem && is_fragment(bytes))
        problem = DropReason{DropCode::Fragment, "fragment: IPv4 fragments are not reassembled"};
    if (!problem) problem = check_protocol(bytes, protocol);
    if (!problem)
        problem = check_transport(bytes.subspan(header_size, total - header_size), *protocol, transport_size);
    if (problem) {
        why = std::move(*problem);
        return std::nullopt;
    }
    return Ipv4Packet{bytes.first(total), header_size, transport_size, *protocol};
}

Endpoint Ipv4Packet::source() const {
    return endpoint_of(parts_of(bytes_, header_size_, transport_size_, protocol_, partial_), End::Source);
}

Endpoint Ipv4Packet::destination() const {
    return endpoint_of(parts_of(bytes_, header_size_, transport_size_, protocol_, partial_),
                       End::Destination);
}

std::uint8_t Ipv4Packet::ttl() const {
    return load8(bytes_, kTtl);
}

std::uint16_t Ipv4Packet::header_checksum() const {
    return load16(bytes_, kHeaderChecksum);
}

std::uint16_t Ipv4Packet::transport_checksum() const {
    return load16(transport(), transport_checksum_offset(protocol_));
}

std::uint8_t Ipv4Packet::tcp_flags() const {
    return protocol_ == Protocol::Tcp ? load8(transport(), kTcpFlags) : 0;
}

std::uint8_t Ipv4Packet::icmp_type() const {
    return load8(transport(), kIcmpType);
}

std::uint8_t Ipv4Packet::icmp_code() const {
    return load8(transport(), kIcmpCode);
}

void Ipv4Packet::set_source(Endpoint to) {
    rewrite(parts_of(bytes_, header_size_, transport_size_, protocol_, partial_), End::Source, to, true);
}

void Ipv4Packet::set_destination(Endpoint to) {
    rewrite(parts_of(bytes_, header_size_, transport_size_, protocol_, partial_), End::Destination, to, true);
}

void Ipv4Packet::set_source_address(Ipv4 to) {
    rewrite(parts_of(bytes_, header_size_, transport_size_, protocol_, partial_), End::Source, {to, 0},
            false);
}

void Ipv4Packet::set_destination_address(Ipv4 to) {
    rewrite(parts_of(bytes_, header_size_, transport_size_, protocol_, partial_), End::Destination, {to, 0},
            false);
}

void Ipv4Packet::decrement_ttl() {
    set_ttl(static_cast<std::uint8_t>(ttl() - 1));
}

void Ipv4Packet::set_ttl(std::uint8_t ttl) {
    // TTL shares a 16-bit checksum word with the protocol field.
    std::uint16_t old_word = load16(bytes_, kTtl);
    store8(bytes_, kTtl, ttl);
    store16(bytes_, kHeaderChecksum, checksum_adjust(header_checksum(), old_word, load16(bytes_, kTtl)));
}

void Ipv4Packet::finish_transport_checksum() {
    auto segment = transport();
    Ipv4 s = source().addr, d = destination().addr;
    std::uint16_t sum = protocol_ == Protocol::Udp   ? udp_checksum(s, d, segment)
                        : protocol_ == Protocol::Tcp ? tcp_checksum(s, d, segment)
                                                     : icmp_checksum(segment);
    store16(transport_bytes(), transport_checksum_offset(protocol_), sum);
    partial_ = false;
}

std::optional<QuotedPacket> QuotedPacket::parse(std::span<std::byte> quote, DropReason& why) {
    std::size_t header_size = 0;
    if (auto problem = check_header(quote, header_size)) {
        why = {DropCode::Malformed, "malformed: quoted packet: " + problem->text.substr(kMalformed.size())};
        return std::nullopt;
    }
    if (internet_checksum(quote.first(header_size)) != 0) {  // RFC 5508 REQ-3a
        why = {DropCode::Malformed, "malformed: quoted packet: bad IPv4 header checksum"};
        return std::nullopt;
    }
    std::size_t total = load16(quote, kTotalLength);
    std::size_t quoted = std::min(quote.size(), std::max(total, header_size)) - header_size;
    if (quoted < 8) {
        why = {DropCode::Malformed, "malformed: quoted packet has " + std::to_string(quoted) +
                                        " bytes after its header, RFC 792 promises 8"};
        return std::nullopt;
    }
    auto protocol = protocol_of(load8(quote, kProtocol));
    if (!protocol || (load16(quote, kFlagsFragment) & kFragmentOffsetMask)) {
        why = {DropCode::IcmpErrorUnmatched, "icmp error unmatched: the quoted packet (IP protocol " +
                                                 std::to_string(load8(quote, kProtocol)) +
                                                 ") is not one the NAT translates"};
        return std::nullopt;
    }
    return QuotedPacket{quote.first(header_size), quote.subspan(header_size, quoted), *protocol};
}

Flow QuotedPacket::flow() const {
    return flow_of({header_, transport_, protocol_, false});
}

void QuotedPacket::set_source(Endpoint to) {
    rewrite({header_, transport_, protocol_, false}, End::Source, to, true);
}

void QuotedPacket::set_destination(Endpoint to) {
    rewrite({header_, transport_, protocol_, false}, End::Destination, to, true);
}

}  // namespace natlab::nat
