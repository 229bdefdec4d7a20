#include "simulator/v6/icmp_translate.h"

#include <algorithm>
#include <array>
#include <string>

#include "simulator/wire/builder.h"
#include "simulator/wire/bytes.h"
#include "simulator/wire/checksum.h"
#include "simulator/wire/icmp.h"

namespace natlab::v6 {
namespace {

using nat::DropCode;
using nat::DropReason;
using nat::kIpv4HeaderSize;
using nat::kIpv6HeaderSize;
using nat::Protocol;

constexpr std::uint8_t kIcmpv6PacketTooBig = 2;
constexpr std::uint8_t kIcmpv6ParameterProblem = 4;
constexpr std::uint8_t kIpv6FragmentHeader = 44;
constexpr std::size_t kErrorHeaderSize = 8;  // type, code, checksum, 4 more bytes: the same in both families
constexpr std::size_t kQuotedMinimum = 8;    // RFC 792: the first 64 bits of the datagram's data

// ---- The outer message: RFC 7915's tables --------------------------------

// The 8-byte header of the translated error (checksum left to the end).
struct ErrorHeader {
    std::uint8_t type = 0;
    std::uint8_t code = 0;
    std::uint32_t rest = 0;  // bytes 4-7: zero, an MTU or a pointer
};

constexpr std::int8_t kDrop = -1;
constexpr std::int8_t kToParameterProblem = -2;
constexpr std::int8_t kToPacketTooBig = -3;

// Section 4.2, ICMPv4 Destination Unreachable (type 3): the ICMPv6
// Destination Unreachable (type 1) code for each code, or another type.
constexpr std::array<std::int8_t, 16> kUnreachable4to6{
    0,                    // 0 net unreachable            -> 0 no route to destination
    0,                    // 1 host unreachable           -> 0
    kToParameterProblem,  // 2 protocol unreachable       -> parameter problem 1, pointer 6 (next header)
    4,                    // 3 port unreachable           -> 4 port unreachable
    kToPacketTooBig,      // 4 fragmentation needed, DF   -> packet too big, MTU adjusted
    0,                    // 5 source route failed        -> 0
    0,                    // 6 destination network unknown -> 0
    0,                    // 7 destination host unknown   -> 0
    0,                    // 8 source host isolated       -> 0
    1,                    // 9 network administratively prohibited -> 1 administratively prohibited
    1,                    // 10 host administratively prohibited   -> 1
    0,                    // 11 network unreachable for TOS -> 0
    0,                    // 12 host unreachable for TOS  -> 0
    1,                    // 13 communication administratively prohibited -> 1
    kDrop,                // 14 host precedence violation -> dropped
    1,                    // 15 precedence cutoff in effect -> 1
};

// Section 4.2, figure 3: an ICMPv4 Parameter Problem pointer (an offset in
// the IPv4 header) as the offset of the same field in the IPv6 header.
constexpr std::array<std::int8_t, 20> kPointer4to6{
    0,     1,                    // version/IHL -> version/traffic class; TOS -> traffic class/flow label
    4,     4,                    // total length -> payload length
    kDrop, kDrop, kDrop, kDrop,  // identification, flags, fragment offset: no counterpart
    7,     6,                    // TTL -> hop limit; protocol -> next header
    kDrop, kDrop,                // header checksum: none in IPv6
    8,     8,     8,     8,      // source address
    24,    24,    24,    24,     // destination address
};

// Section 5.2, ICMPv6 Destination Unreachable (type 1): the ICMPv4 code
// (type 3) for each code; other codes are dropped.
constexpr std::array<std::uint8_t, 5> kUnreachable6to4{
    1,   // 0 no route to destination -> 1 host unreachable
    10,  // 1 administratively prohibited -> 10 host administratively prohibited
    1,   // 2 beyond scope of source address -> 1
    1,   // 3 address unreachable -> 1
    3,   // 4 port unreachable -> 3 port unreachable
};

// Section 5.2, figure 6: an ICMPv6 Parameter Problem pointer as an IPv4 one.
std::optional<std::uint8_t> pointer_6to4(std::uint32_t at) {
    if (at <= 1) return static_cast<std::uint8_t>(at);  // version/traffic class, traffic class/flow label
    if (at == 4 || at == 5) return 2;                   // payload length -> total length
    if (at == 6) return 9;                              // next header -> protocol
    if (at == 7) return 8;                              // hop limit -> TTL
    if (at >= 8 && at < 24) return 12;                  // source address
    if (at >= 24 && at < 40) return 16;                 // destination address
    return std::nullopt;                                // the flow label (2, 3) and beyond the header
}

// RFC 1191 section 7's plateaus that are not below the IPv6 minimum MTU.
constexpr std::array<std::uint32_t, 7> kPlateaus{65535, 32000, 17914, 8166, 4352, 2002, 1492};

// Section 4.2, code 4: max(1280, min(MTU + 20, IPv6 next hop, IPv4 next hop + 20)),
// with a plateau below the quoted total length when the router sent 0.
std::uint32_t mtu_4to6(std::uint32_t advertised, std::uint32_t quoted_total, NextHopMtus mtus) {
    if (advertised == 0) {
        auto p = std::find_if(kPlateaus.begin(), kPlateaus.end(), [&](auto v) { return v < quoted_total; });
        advertised = p == kPlateaus.end() ? nat::kIpv6MinimumMtu - 20 : *p;  // none: the IPv6 minimum
    }
    std::uint32_t mtu = std::min({advertised + 20, mtus.ipv6, mtus.ipv4 + 20});
    return std::max<std::uint32_t>(mtu, nat::kIpv6MinimumMtu);
}

// Section 5.2, type 2: min(MTU - 20, IPv4 next hop, IPv6 next hop - 20), in 16 bits.
std::uint32_t mtu_6to4(std::uint32_t advertised, NextHopMtus mtus) {
    auto less20 = [](std::uint32_t v) { return v > 20 ? v - 20 : 0; };
    return std::min({less20(advertised), mtus.ipv4, less20(mtus.ipv6), std::uint32_t{0xffff}});
}

DropReason refused(const std::string& what) {
    return {DropCode::UnsupportedIcmp, "unsupported icmp: " + what};
}

DropReason malformed(const std::string& what) {
    return {DropCode::Malformed, "malformed: icmp error: " + what};
}

std::string type_code(const char* family, std::uint8_t type, std::uint8_t code) {
    return std::string{family} + " type " + std::to_string(type) + " code " + std::to_string(code) +
           " is not translated (RFC 7915: silently dropped)";
}

// ---- The packet in error -------------------------------------------------

// The quoted packet, as read from the error.
struct Quote {
    std::span<const std::byte> header;     // its IP header
    std::span<const std::byte> transport;  // what was quoted of its transport, at least 8 bytes
    Protocol protocol = Protocol::Udp;
    std::size_t length = 0;  // its transport's length in the original packet (the pseudo-header's)
};

// What follows the error's 8-byte header. An RFC 4884 length attribute,
// when set, counts the quote in 32-bit (ICMPv4, byte 5) or 64-bit (ICMPv6,
// byte 4) words, and an extension follows: it is left out.
std::span<const std::byte> quote_of(std::span<const std::byte> message, std::size_t length_at,
                                    std::size_t unit) {
    auto quote = message.subspan(kErrorHeaderSize);
    std::size_t length = length_at ? nat::load8(message, length_at) * unit : 0;
    return length && length <= quote.size() ? quote.first(length) : quote;
}

std::optional<Protocol> quoted_protocol(std::uint8_t number, bool v6, DropReason& why) {
    if (number == nat::kIpProtocolUdp) return Protocol::Udp;
    if (number == nat::kIpProtocolTcp) return Protocol::Tcp;
    if (number == (v6 ? nat::kIpProtocolIcmpv6 : nat::kIpProtocolIcmp)) return Protocol::Icmp;
    if (v6 && number == kIpv6FragmentHeader)
        why = {DropCode::Fragment, "fragment: the quoted packet carries a fragment header"};
    else
        why = {DropCode::UnsupportedProtocol, "unsupported protocol: the quoted packet's protocol " +
                                                  std::to_string(number) + " is not translated"};
    return std::nullopt;
}

// Sections 4.3 and 5.3 translate one level only: a quoted echo is
// translated, a quoted error (or any other ICMP) is not.
bool quoted_icmp_ok(std::uint8_t type, bool v6, DropReason& why) {
    bool echo = v6 ? type == nat::kIcmpv6EchoRequest || type == nat::kIcmpv6EchoReply
                   : type == nat::kIcmpEchoRequest || type == nat::kIcmpEchoReply;
    if (echo) return true;
    bool error = v6 ? type < 128 : nat::icmp_kind(type) == nat::IcmpKind::Error;
    why = refused(error ? "an ICMP error quoting an ICMP error is not translated (RFC 7915 sections 4.3, 5.3)"
                        : "a quoted ICMP type " + std::to_string(type) + " is not translated (only echo)");
    return false;
}

std::optional<Quote> finish_quote(Quote q, std::span<const std::byte> rest, bool v6, DropReason& why) {
    q.transport = rest.first(std::min(rest.size(), q.length));
    if (q.transport.size() < kQuotedMinimum) {
        why = malformed("the quoted packet has " + std::to_string(q.transport.size()) +
                        " bytes after its header, 8 are needed");
        return std::nullopt;
    }
    if (q.protocol == Protocol::Icmp && !quoted_icmp_ok(nat::load8(q.transport, 0), v6, why))
        return std::nullopt;
    return q;
}

std::optional<Quote> parse_quote4(std::span<const std::byte> quote, DropReason& why) {
    if (quote.size() < kIpv4HeaderSize || nat::load8(quote, 0) >> 4 != 4) {
        why = malformed("the quote does not start with an IPv4 header");
        return std::nullopt;
    }
    std::size_t ihl = (nat::load8(quote, 0) & 0x0f) * 4u;
    if (ihl < kIpv4HeaderSize || ihl > quote.size()) {
        why = malformed("quoted IHL of " + std::to_string(ihl) + " bytes");
        return std::nullopt;
    }
    if (nat::load16(quote, 6) & 0x3fff) {  // MF or an offset
        why = {DropCode::Fragment, "fragment: the quoted packet is a fragment"};
        return std::nullopt;
    }
    auto protocol = quoted_protocol(nat::load8(quote, 9), false, why);
    if (!protocol) return std::nullopt;
    std::size_t total = nat::load16(quote, 2);
    return finish_quote({quote.first(ihl), {}, *protocol, total > ihl ? total - ihl : 0}, quote.subspan(ihl),
                        false, why);
}

std::optional<Quote> parse_quote6(std::span<const std::byte> quote, DropReason& why) {
    if (quote.size() < kIpv6HeaderSize || nat::load8(quote, 0) >> 4 != 6) {
        why = malformed("the quote does not start with an IPv6 header");
        return std::nullopt;
    }
    auto protocol = quoted_protocol(nat::load8(quote, 6), true, why);
    if (!protocol) return std::nullopt;
    return finish_quote({quote.first(kIpv6HeaderSize), {}, *protocol, nat::load16(quote, 4)},
                        quote.subspan(kIpv6HeaderSize), true, why);
}

std::optional<Quote> read_error4(const nat::Ipv4Packet& error, DropReason& why) {
    if (!is_icmp_error(error)) {
        why = refused("not an ICMP error");
        return std::nullopt;
    }
    auto message = error.transport();
    if (nat::internet_checksum(message) != 0) {
        why = malformed("bad ICMP checksum");
        return std::nullopt;
    }
    return parse_quote4(quote_of(message, 5, 4), why);
}

std::optional<Quote> read_error6(const nat::Ipv6Packet& error, DropReason& why) {
    if (!is_icmp_error(error)) {
        why = refused("not an ICMPv6 error");
        return std::nullopt;
    }
    auto message = error.transport();
    if (message.size() < kErrorHeaderSize || !error.checksum_ok()) {
        why = malformed(message.size() < kErrorHeaderSize ? "an ICMPv6 error needs 8 bytes"
                                                          : "bad ICMPv6 checksum");
        return std::nullopt;
    }
    auto type = nat::load8(message, 0);
    bool has_length = type == nat::kIcmpv6DestinationUnreachable || type == nat::kIcmpv6TimeExceeded;
    return parse_quote6(quote_of(message, has_length ? 4 : 0, 8), why);
}

std::optional<ErrorHeader> header_4to6(std::span<const std::byte> message, const Quote& q, NextHopMtus mtus,
                                       DropReason& why) {
    auto type = nat::load8(message, 0), code = nat::load8(message, 1);
    if (type == nat::kIcmpDestinationUnreachable && code < kUnreachable4to6.size()) {
        auto to = kUnreachable4to6[code];
        if (to >= 0) return ErrorHeader{nat::kIcmpv6DestinationUnreachable, static_cast<std::uint8_t>(to), 0};
        if (to == kToParameterProblem) return ErrorHeader{kIcmpv6ParameterProblem, 1, 6};
        if (to == kToPacketTooBig)
            return ErrorHeader{kIcmpv6PacketTooBig, 0,
                               mtu_4to6(nat::load16(message, 6), nat::load16(q.header, 2), mtus)};
    }
    if (type == nat::kIcmpTimeExceeded) return ErrorHeader{nat::kIcmpv6TimeExceeded, code, 0};
    if (type == nat::kIcmpParameterProblem && (code == 0 || code == 2)) {
        auto at = nat::load8(message, 4);
        if (at < kPointer4to6.size() && kPointer4to6[at] >= 0)
            return ErrorHeader{kIcmpv6ParameterProblem, 0, static_cast<std::uint32_t>(kPointer4to6[at])};
        why = refused("ICMP parameter problem pointer " + std::to_string(at) + " has no IPv6 field");
        return std::nullopt;
    }
    why = refused(type_code("ICMP", type, code));
    return std::nullopt;
}

std::optional<ErrorHeader> header_6to4(std::span<const std::byte> message, NextHopMtus mtus,
                                       DropReason& why) {
    auto type = nat::load8(message, 0), code = nat::load8(message, 1);
    auto rest = nat::load32(message, 4);
    if (type == nat::kIcmpv6DestinationUnreachable && code < kUnreachable6to4.size())
        return ErrorHeader{nat::kIcmpDestinationUnreachable, kUnreachable6to4[code], 0};
    if (type == kIcmpv6PacketTooBig)
        return ErrorHeader{nat::kIcmpDestinationUnreachable, nat::kIcmpFragmentationNeeded,
                           mtu_6to4(rest, mtus)};
    if (type == nat::kIcmpv6TimeExceeded) return ErrorHeader{nat::kIcmpTimeExceeded, code, 0};
    if (type == kIcmpv6ParameterProblem && code == 1)  // unrecognised next header -> protocol unreachable
        return ErrorHeader{nat::kIcmpDestinationUnreachable, 2, 0};
    if (type == kIcmpv6ParameterProblem && code == 0) {
        if (auto at = pointer_6to4(rest))
            return ErrorHeader{nat::kIcmpParameterProblem, 0, std::uint32_t{*at} << 24};
        why = refused("ICMPv6 parameter problem pointer " + std::to_string(rest) + " has no IPv4 field");
        return std::nullopt;
    }
    why = refused(type_code("ICMPv6", type, code));
    return std::nullopt;
}

// ---- Writing -------------------------------------------------------------

struct Hop {
    std::uint8_t ttl = 0;
    std::uint8_t traffic_class = 0;  // the TOS byte for IPv4
};

Hop hop4(std::span<const std::byte> header) {
    return {nat::load8(header, 8), nat::load8(header, 1)};
}

Hop hop6(std::span<const std::byte> header) {
    return {nat::load8(header, 7), static_cast<std::uint8_t>((nat::load16(header, 0) >> 4) & 0xff)};
}

// An IPv4 header as siit.h's to_ipv4 writes one: TOS, DF, identification 0.
void write_ipv4(std::span<std::byte> to, Protocol p, Ipv4 source, Ipv4 destination, Hop hop,
                std::size_t total) {
    auto h = nat::build_ipv4(nat::ip_protocol_number(p), source, destination, hop.ttl, 0);
    nat::store8(h, 1, hop.traffic_class);
    nat::store16(h, 2, static_cast<std::uint16_t>(std::min<std::size_t>(total, 0xffff)));
    nat::store16(h, 6, 0x4000);
    nat::store16(h, 10, 0);
    nat::store16(h, 10, nat::internet_checksum(h));
    std::copy(h.begin(), h.end(), to.begin());
}

void write_ipv6(std::span<std::byte> to, Protocol p, const Ipv6& source, const Ipv6& destination, Hop hop,
                std::size_t payload) {
    auto h = nat::build_ipv6(p, source, destination, hop.ttl, 0, hop.traffic_class);
    nat::store16(h, 4, static_cast<std::uint16_t>(std::min<std::size_t>(payload, 0xffff)));
    std::copy(h.begin(), h.end(), to.begin());
}

void write_error_header(std::span<std::byte> message, const ErrorHeader& header) {
    nat::store8(message, 0, header.type);
    nat::store8(message, 1, header.code);
    nat::store32(message, 4, header.rest);
}

std::uint32_t pseudo_header_sum6(const Ipv6& source, const Ipv6& destination, Protocol p,
                                 std::size_t length) {
    std::array<std::byte, 40> header{};
    nat::store_ipv6(header, 0, source);
    nat::store_ipv6(header, 16, destination);
    nat::store32(header, 32, static_cast<std::uint32_t>(length));
    nat::store8(header, 39, nat::ipv6_next_header(p));
    return nat::checksum_add(header);
}

// The quoted transport's pseudo-header sum (ICMPv4 has none).
std::uint32_t pseudo4(Protocol p, Ipv4 source, Ipv4 destination, std::size_t length) {
    return p == Protocol::Icmp
               ? 0
               : nat::pseudo_header_sum(source, destination, nat::ip_protocol_number(p), length);
}

std::uint16_t fold(std::uint32_t sum) {
    return static_cast<std::uint16_t>(~nat::checksum_finish(sum));
}

struct Ports {
    std::uint16_t source = 0;
    std::uint16_t destination = 0;
};

// As packet.h names flows: UDP and TCP ports; an echo's identifier is the
// request's source port and the reply's destination port.
Ports quoted_ports(const Quote& q, bool v6) {
    auto t = q.transport;
    if (q.protocol != Protocol::Icmp) return {nat::load16(t, 0), nat::load16(t, 2)};
    bool request = nat::load8(t, 0) == (v6 ? nat::kIcmpv6EchoRequest : nat::kIcmpEchoRequest);
    return request ? Ports{nat::load16(t, 4), 0} : Ports{0, nat::load16(t, 4)};
}

// The new ports (or identifier) and, for an echo, the other family's type.
void rewrite_transport(std::span<std::byte> t, Protocol p, Ports ports, bool to_v6) {
    if (p != Protocol::Icmp) {
        nat::store16(t, 0, ports.source);
        nat::store16(t, 2, ports.destination);
        return;
    }
    bool request = nat::load8(t, 0) == (to_v6 ? nat::kIcmpEchoRequest : nat::kIcmpv6EchoRequest);
    std::uint8_t type = to_v6 ? (request ? nat::kIcmpv6EchoRequest : nat::kIcmpv6EchoReply)
                              : (request ? nat::kIcmpEchoRequest : nat::kIcmpEchoReply);
    nat::store8(t, 0, type);
    nat::store16(t, 4, request ? ports.source : ports.destination);
}

// Rewrites the quoted transport `t` and patches its checksum, when the
// quote reaches it, by RFC 1624's rule: the old pseudo-header and first 8
// bytes taken out of the sum, the new ones put in. Every word that changes
// is in those 8 bytes; a UDP checksum of 0 (none) stays 0.
void translate_transport(std::span<std::byte> t, Protocol p, std::uint32_t old_pseudo,
                         std::uint32_t new_pseudo, Ports ports, bool to_v6) {
    std::size_t at = p == Protocol::Icmp ? 2 : nat::transport_checksum_offset(p);
    bool patch = t.size() >= at + 2 && !(p == Protocol::Udp && nat::load16(t, at) == 0);
    std::uint32_t removed = nat::checksum_add(t.first(kQuotedMinimum), old_pseudo);
    rewrite_transport(t, p, ports, to_v6);
    if (!patch) return;
    std::uint32_t added = nat::checksum_add(t.first(kQuotedMinimum), new_pseudo);
    std::uint32_t sum = std::uint32_t{static_cast<std::uint16_t>(~nat::load16(t, at))} +
                        static_cast<std::uint16_t>(~fold(removed)) + fold(added);
    std::uint16_t value = nat::checksum_finish(sum);
    nat::store16(t, at, p == Protocol::Udp && value == 0 ? 0xffff : value);
}

}  // namespace

bool is_icmp_error(const nat::Ipv4Packet& packet) {
    return packet.protocol() == Protocol::Icmp && nat::icmp_kind(packet.icmp_type()) == nat::IcmpKind::Error;
}

bool is_icmp_error(const nat::Ipv6Packet& packet) {
    return packet.protocol() == Protocol::Icmp && packet.icmp_type() < 128;
}

std::optional<nat::Flow> quoted_flow(const nat::Ipv4Packet& error, DropReason& why) {
    auto q = read_error4(error, why);
    if (!q) return std::nullopt;
    auto ports = quoted_ports(*q, false);
    return nat::Flow{{Ipv4{nat::load32(q->header, 12)}, ports.source},
                     {Ipv4{nat::load32(q->header, 16)}, ports.destination},
                     q->protocol};
}

std::optional<nat::Flow6> quoted_flow(const nat::Ipv6Packet& error, DropReason& why) {
    auto q = read_error6(error, why);
    if (!q) return std::nullopt;
    auto ports = quoted_ports(*q, true);
    return nat::Flow6{{nat::load_ipv6(q->header, 8), ports.source},
                      {nat::load_ipv6(q->header, 24), ports.destination},
                      q->protocol};
}

std::optional<std::vector<std::byte>> icmp_error_to_ipv6(const nat::Ipv4Packet& error, const Ipv6& source,
                                                         const Ipv6& destination,
                                                         const QuotedAddresses6& quoted, DropReason& why,
                                                         NextHopMtus mtus) {
    auto q = read_error4(error, why);
    if (!q) return std::nullopt;
    auto header = header_4to6(error.transport(), *q, mtus, why);
    if (!header) return std::nullopt;
    std::size_t kept =
        std::min(q->transport.size(), nat::kIpv6MinimumMtu - 2 * kIpv6HeaderSize - kErrorHeaderSize);
    auto out = nat::build_ipv6(Protocol::Icmp, source, destination, error.ttl(),
                               kErrorHeaderSize + kIpv6HeaderSize + kept, hop4(error.header()).traffic_class);
    auto message = std::span{out}.subspan(kIpv6HeaderSize);
    write_error_header(message, *header);
    const auto& [from, to] = quoted;
    write_ipv6(message.subspan(kErrorHeaderSize), q->protocol, from.addr, to.addr, hop4(q->header),
               q->length);
    auto t = message.subspan(kErrorHeaderSize + kIpv6HeaderSize);
    std::copy_n(q->transport.begin(), kept, t.begin());
    auto old_pseudo =
        pseudo4(q->protocol, Ipv4{nat::load32(q->header, 12)}, Ipv4{nat::load32(q->header, 16)}, q->length);
    translate_transport(t, q->protocol, old_pseudo,
                        pseudo_header_sum6(from.addr, to.addr, q->protocol, q->length), {from.port, to.port},
                        true);
    nat::store16(message, 2, nat::transport_checksum6(source, destination, Protocol::Icmp, message));
    return out;
}

std::optional<std::vector<std::byte>> icmp_error_to_ipv4(const nat::Ipv6Packet& error, Ipv4 source,
                                                         Ipv4 destination, const QuotedAddresses4& quoted,
                                                         DropReason& why, NextHopMtus mtus) {
    auto q = read_error6(error, why);
    if (!q) return std::nullopt;
    auto header = header_6to4(error.transport(), mtus, why);
    if (!header) return std::nullopt;
    std::size_t kept =
        std::min(q->transport.size(), nat::kIcmpErrorMaxSize - 2 * kIpv4HeaderSize - kErrorHeaderSize);
    std::vector<std::byte> out(2 * kIpv4HeaderSize + kErrorHeaderSize + kept);
    write_ipv4(out, Protocol::Icmp, source, destination, hop6(error.bytes()), out.size());
    auto message = std::span{out}.subspan(kIpv4HeaderSize);
    write_error_header(message, *header);
    const auto& [from, to] = quoted;
    write_ipv4(message.subspan(kErrorHeaderSize), q->protocol, from.addr, to.addr, hop6(q->header),
               kIpv4HeaderSize + q->length);
    auto t = message.subspan(kErrorHeaderSize + kIpv4HeaderSize);
    std::copy_n(q->transport.begin(), kept, t.begin());
    auto old_pseudo = pseudo_header_sum6(nat::load_ipv6(q->header, 8), nat::load_ipv6(q->header, 24),
                                         q->protocol, q->length);
    translate_transport(t, q->protocol, old_pseudo, pseudo4(q->protocol, from.addr, to.addr, q->length),
                        {from.port, to.port}, false);
    nat::store16(message, 2, nat::icmp_checksum(message));
    return out;
}

}  // namespace natlab::v6
