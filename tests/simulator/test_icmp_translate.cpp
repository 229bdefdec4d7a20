// ICMP error translation for NAT64 (simulator/v6/icmp_translate.h): RFC
// 7915 section 4.2's and 5.2's tables one row per type and code, the quoted
// packet translated as siit.h would translate it whole, truncated quotes,
// refusals, and the MTU rules of Packet Too Big / Fragmentation Needed.
//
// The scene: an IPv6-only host 2001:2:0:1::2 port 40001 behind a NAT64
// whose IPv4 address is 198.18.1.1; its flow to the IPv4 server 198.18.0.2
// (64:ff9b::c612:2) goes out from port 50000. Errors about that flow come
// from the router 198.18.0.1 (64:ff9b::c612:1); errors about the server's
// packets to the host come from the host.
#include <gtest/gtest.h>

#include <algorithm>

#include "simulator/v6/icmp_translate.h"
#include "simulator/v6/siit.h"
#include "simulator/wire/builder.h"
#include "simulator/wire/bytes.h"
#include "simulator/wire/checksum.h"
#include "simulator/wire/icmp.h"
#include "tests/simulator/test_nat_support.h"

namespace natlab::v6 {
namespace {

using nat::DropCode;
using nat::DropReason;
using nat::Protocol;
using nat::testing::text_bytes;
using Bytes = std::vector<std::byte>;

const Ipv4 kPublic = *Ipv4::parse("198.18.1.1");
const Ipv4 kServer4 = *Ipv4::parse("198.18.0.2");
const Ipv4 kRouter4 = *Ipv4::parse("198.18.0.1");
const Ipv6 kHost6 = *Ipv6::parse("2001:2:0:1::2");
const Ipv6 kServer6 = *embed(kNat64WellKnown, kServer4);
const Ipv6 kRouter6 = *embed(kNat64WellKnown, kRouter4);
constexpr std::uint16_t kInsidePort = 40001, kPublicPort = 50000, kServerPort = 3478;

// What the quoted packet becomes, each way.
const QuotedAddresses6 kQuoted6{{kHost6, kInsidePort}, {kServer6, kServerPort}};
const QuotedAddresses4 kQuoted4{{kServer4, kServerPort}, {kPublic, kPublicPort}};

// The NAT's outgoing UDP datagram (what an ICMPv4 error quotes).
Bytes udp_out4(std::size_t payload = 20) {
    return nat::build_udp_datagram(
        {{{kPublic, kPublicPort}, {kServer4, kServerPort}, Protocol::Udp}, Bytes(payload, std::byte{7}), 61});
}

// The server's datagram as the NAT delivered it to the host (what an ICMPv6 error quotes).
Bytes udp_in6(std::size_t payload = 20) {
    return nat::build_udp6({kServer6, kServerPort}, {kHost6, kInsidePort}, Bytes(payload, std::byte{7}), 61);
}

// An ICMPv4 error of `type`/`code` with bytes 4-7 `rest`, quoting `original` (cut to `quoted` bytes).
Bytes error4(std::uint8_t type, std::uint8_t code, std::uint32_t rest, const Bytes& original,
             std::size_t quoted = 1500) {
    std::size_t n = std::min(quoted, original.size());
    auto bytes = nat::build_ipv4(nat::kIpProtocolIcmp, kRouter4, kPublic, 250, 8 + n);
    auto message = std::span{bytes}.subspan(nat::kIpv4HeaderSize);
    nat::store8(message, 0, type);
    nat::store8(message, 1, code);
    nat::store32(message, 4, rest);
    std::copy_n(original.begin(), n, message.begin() + 8);
    nat::store16(message, 2, nat::icmp_checksum(message));
    return bytes;
}

// An ICMPv6 error from the host about `original`, cut to `quoted` bytes.
Bytes error6(std::uint8_t type, std::uint8_t code, std::uint32_t rest, const Bytes& original,
             std::size_t quoted = 1500) {
    std::size_t n = std::min(quoted, original.size());
    auto bytes = nat::build_ipv6(Protocol::Icmp, kHost6, kServer6, 64, 8 + n);
    auto message = std::span{bytes}.subspan(nat::kIpv6HeaderSize);
    nat::store8(message, 0, type);
    nat::store8(message, 1, code);
    nat::store32(message, 4, rest);
    std::copy_n(original.begin(), n, message.begin() + 8);
    nat::store16(message, 2, nat::transport_checksum6(kHost6, kServer6, Protocol::Icmp, message));
    return bytes;
}

std::optional<Bytes> to6(Bytes bytes, DropReason& why, NextHopMtus mtus = {}) {
    auto p = nat::Ipv4Packet::parse(bytes, why);
    if (!p) return std::nullopt;
    return icmp_error_to_ipv6(*p, kRouter6, kHost6, kQuoted6, why, mtus);
}

std::optional<Bytes> to4(Bytes bytes, DropReason& why, NextHopMtus mtus = {}) {
    auto p = nat::Ipv6Packet::parse(bytes, why);
    if (!p) return std::nullopt;
    return icmp_error_to_ipv4(*p, kPublic, kServer4, kQuoted4, why, mtus);
}

// The original packet translated whole by siit.h with the quote's
// addresses and ports: what a translated quote must be a prefix of.
Bytes expected_quote6(Bytes original4, bool echo_reply = false) {
    DropReason why;
    auto p4 = nat::Ipv4Packet::parse(original4, why);
    auto v6 = to_ipv6(*p4, kHost6, kServer6, why);
    auto p6 = nat::Ipv6Packet::parse(*v6, why);
    if (echo_reply)
        p6->set_destination_port(kInsidePort);
    else
        p6->set_source_port(kInsidePort);
    return *v6;
}

Bytes expected_quote4(Bytes original6) {
    DropReason why;
    auto p6 = nat::Ipv6Packet::parse(original6, why);
    auto v4 = to_ipv4(*p6, kServer4, kPublic, why);
    auto p4 = nat::Ipv4Packet::parse(*v4, why);
    p4->set_destination({kPublic, kPublicPort});
    return *v4;
}

bool is_prefix(std::span<const std::byte> part, const Bytes& whole) {
    return part.size() <= whole.size() && std::equal(part.begin(), part.end(), whole.begin());
}

// ---- RFC 7915 section 4.2: ICMPv4 -> ICMPv6 ------------------------------

struct Row4to6 {
    std::uint8_t type, code;
    std::uint32_t rest;  // bytes 4-7 of the ICMPv4 error
    bool translated;
    std::uint8_t want_type, want_code;
    std::uint32_t want_rest;
};

TEST(IcmpTranslate, Rfc7915Section42Table) {
    const Row4to6 rows[] = {
        {3, 0, 0, true, 1, 0, 0},             // net unreachable -> no route
        {3, 1, 0, true, 1, 0, 0},             // host unreachable -> no route
        {3, 2, 0, true, 4, 1, 6},             // protocol unreachable -> parameter problem, next header
        {3, 3, 0, true, 1, 4, 0},             // port unreachable -> port unreachable
        {3, 4, 1400, true, 2, 0, 1420},       // fragmentation needed -> packet too big, MTU + 20
        {3, 5, 0, true, 1, 0, 0},             // source route failed -> no route
        {3, 6, 0, true, 1, 0, 0},             // destination network unknown
        {3, 7, 0, true, 1, 0, 0},             // destination host unknown
        {3, 8, 0, true, 1, 0, 0},             // source host isolated
        {3, 9, 0, true, 1, 1, 0},             // network administratively prohibited
        {3, 10, 0, true, 1, 1, 0},            // host administratively prohibited
        {3, 11, 0, true, 1, 0, 0},            // network unreachable for TOS
        {3, 12, 0, true, 1, 0, 0},            // host unreachable for TOS
        {3, 13, 0, true, 1, 1, 0},            // communication administratively prohibited
        {3, 14, 0, false, 0, 0, 0},           // host precedence violation: dropped
        {3, 15, 0, true, 1, 1, 0},            // precedence cutoff -> administratively prohibited
        {3, 16, 0, false, 0, 0, 0},           // no such code: dropped
        {11, 0, 0, true, 3, 0, 0},            // TTL exceeded -> hop limit exceeded
        {11, 1, 0, true, 3, 1, 0},            // reassembly time exceeded, code kept
        {12, 0, 0x09000000, true, 4, 0, 6},   // pointer at protocol -> next header
        {12, 0, 0x08000000, true, 4, 0, 7},   // TTL -> hop limit
        {12, 0, 0x02000000, true, 4, 0, 4},   // total length -> payload length
        {12, 0, 0x0d000000, true, 4, 0, 8},   // inside the source address -> source address
        {12, 0, 0x13000000, true, 4, 0, 24},  // inside the destination address
        {12, 2, 0x01000000, true, 4, 0, 1},   // bad length, TOS -> traffic class
        {12, 0, 0x04000000, false, 0, 0, 0},  // identification: no IPv6 field, dropped
        {12, 0, 0x0a000000, false, 0, 0, 0},  // header checksum: dropped
        {12, 0, 0x14000000, false, 0, 0, 0},  // past the header: dropped
        {12, 1, 0, false, 0, 0, 0},           // missing a required option: dropped
        {4, 0, 0, false, 0, 0, 0},            // source quench: dropped
        {5, 0, 0, false, 0, 0, 0},            // redirect: dropped
        {8, 0, 0, false, 0, 0, 0},            // echo request: a query, not for this module
        {13, 0, 0, false, 0, 0, 0},           // timestamp: dropped
    };
    for (const auto& row : rows) {
        SCOPED_TRACE(std::to_string(row.type) + "/" + std::to_string(row.code));
        DropReason why;
        auto out = to6(error4(row.type, row.code, row.rest, udp_out4()), why);
        if (!row.translated) {
            EXPECT_FALSE(out);
            EXPECT_EQ(why.code, DropCode::UnsupportedIcmp) << why.text;
            continue;
        }
        ASSERT_TRUE(out) << why.text;
        auto p = nat::Ipv6Packet::parse(*out, why);
        ASSERT_TRUE(p) << why.text;
        EXPECT_TRUE(p->checksum_ok());
        EXPECT_EQ(p->source_address(), kRouter6);
        EXPECT_EQ(p->destination_address(), kHost6);
        EXPECT_EQ(p->hop_limit(), 250) << "copied: the caller decrements";
        auto message = p->transport();
        EXPECT_EQ(nat::load8(message, 0), row.want_type);
        EXPECT_EQ(nat::load8(message, 1), row.want_code);
        EXPECT_EQ(nat::load32(message, 4), row.want_rest);
        EXPECT_TRUE(is_prefix(message.subspan(8), expected_quote6(udp_out4())));
    }
}

// ---- RFC 7915 section 5.2: ICMPv6 -> ICMPv4 ------------------------------

struct Row6to4 {
    std::uint8_t type, code;
    std::uint32_t rest;  // bytes 4-7 of the ICMPv6 error
    bool translated;
    std::uint8_t want_type, want_code;
    std::uint32_t want_rest;
};

TEST(IcmpTranslate, Rfc7915Section52Table) {
    const Row6to4 rows[] = {
        {1, 0, 0, true, 3, 1, 0},            // no route -> host unreachable
        {1, 1, 0, true, 3, 10, 0},           // administratively prohibited -> host prohibited
        {1, 2, 0, true, 3, 1, 0},            // beyond scope -> host unreachable
        {1, 3, 0, true, 3, 1, 0},            // address unreachable -> host unreachable
        {1, 4, 0, true, 3, 3, 0},            // port unreachable -> port unreachable
        {1, 5, 0, false, 0, 0, 0},           // failed policy: dropped
        {1, 6, 0, false, 0, 0, 0},           // reject route: dropped
        {2, 0, 1400, true, 3, 4, 1380},      // packet too big -> fragmentation needed, MTU - 20
        {3, 0, 0, true, 11, 0, 0},           // hop limit exceeded -> TTL exceeded
        {3, 1, 0, true, 11, 1, 0},           // reassembly time exceeded, code kept
        {4, 0, 6, true, 12, 0, 9u << 24},    // next header -> protocol
        {4, 0, 7, true, 12, 0, 8u << 24},    // hop limit -> TTL
        {4, 0, 4, true, 12, 0, 2u << 24},    // payload length -> total length
        {4, 0, 0, true, 12, 0, 0},           // version
        {4, 0, 1, true, 12, 0, 1u << 24},    // traffic class
        {4, 0, 15, true, 12, 0, 12u << 24},  // inside the source address
        {4, 0, 39, true, 12, 0, 16u << 24},  // the destination address's last byte
        {4, 0, 2, false, 0, 0, 0},           // flow label: dropped
        {4, 0, 40, false, 0, 0, 0},          // past the header: dropped
        {4, 1, 0, true, 3, 2, 0},            // unrecognised next header -> protocol unreachable
        {4, 2, 0, false, 0, 0, 0},           // unrecognised option: dropped
        {5, 0, 0, false, 0, 0, 0},           // no such error type: dropped
        {128, 0, 0, false, 0, 0, 0},         // echo request: a query, not for this module
        {135, 0, 0, false, 0, 0, 0},         // neighbour solicitation: dropped
    };
    for (const auto& row : rows) {
        SCOPED_TRACE(std::to_string(row.type) + "/" + std::to_string(row.code));
        DropReason why;
        auto out = to4(error6(row.type, row.code, row.rest, udp_in6()), why);
        if (!row.translated) {
            EXPECT_FALSE(out);
            EXPECT_EQ(why.code, DropCode::UnsupportedIcmp) << why.text;
            continue;
        }
        ASSERT_TRUE(out) << why.text;
        auto p = nat::Ipv4Packet::parse(*out, why);
        ASSERT_TRUE(p) << why.text;
        EXPECT_EQ(nat::internet_checksum(p->transport()), 0) << "ICMPv4 sums the message alone";
        EXPECT_EQ(p->source().addr, kPublic);
        EXPECT_EQ(p->destination().addr, kServer4);
        auto message = p->transport();
        EXPECT_EQ(nat::load8(message, 0), row.want_type);
        EXPECT_EQ(nat::load8(message, 1), row.want_code);
        EXPECT_EQ(nat::load32(message, 4), row.want_rest);
        EXPECT_TRUE(is_prefix(message.subspan(8), expected_quote4(udp_in6())));
    }
}

// ---- The quoted packet ---------------------------------------------------

Bytes tcp_out4() {
    nat::TcpSegmentSpec tcp;
    tcp.flow = {{kPublic, kPublicPort}, {kServer4, kServerPort}, Protocol::Tcp};
    tcp.payload = text_bytes("GET / HTTP/1.0");
    return nat::build_tcp_segment(tcp);
}

Bytes echo_out4() {
    return nat::build_icmp_echo({kPublic, kServer4, kPublicPort, 9, true, text_bytes("ping"), 61});
}

TEST(IcmpTranslate, QuotedUdpTcpEchoTowardsIpv6) {
    const std::pair<const char*, Bytes> cases[] = {
        {"udp", udp_out4()}, {"tcp", tcp_out4()}, {"echo request", echo_out4()}};
    for (const auto& [name, original] : cases) {
        SCOPED_TRACE(name);
        DropReason why;
        auto out = to6(error4(11, 0, 0, original), why);
        ASSERT_TRUE(out) << why.text;
        auto quote = std::span<const std::byte>{*out}.subspan(48);
        auto expected = expected_quote6(original);
        EXPECT_EQ(quote.size(), expected.size()) << "the whole packet was quoted";
        EXPECT_TRUE(is_prefix(quote, expected)) << "header, ports and checksum as siit.h translates it";
        auto inner = nat::Ipv6Packet::parse(std::span{*out}.subspan(48), why);
        ASSERT_TRUE(inner) << why.text;
        EXPECT_TRUE(inner->checksum_ok());
    }
}

TEST(IcmpTranslate, QuotedUdpTcpEchoTowardsIpv4) {
    nat::TcpSegmentSpec tcp;
    tcp.flow = {{kServer4, kServerPort}, {kPublic, kPublicPort}, Protocol::Tcp};
    DropReason why;
    auto tcp4 = nat::build_tcp_segment(tcp);
    auto tcp4_view = nat::Ipv4Packet::parse(tcp4, why);
    auto tcp6 = *to_ipv6(*tcp4_view, kServer6, kHost6, why);
    nat::Ipv6Packet::parse(tcp6, why)->set_destination_port(kInsidePort);
    auto reply6 = nat::build_echo6(kServer6, kHost6, nat::kIcmpv6EchoReply, kInsidePort, text_bytes("pong"));
    const std::pair<const char*, Bytes> cases[] = {{"udp", udp_in6()}, {"tcp", tcp6}, {"echo reply", reply6}};
    for (const auto& [name, original] : cases) {
        SCOPED_TRACE(name);
        auto out = to4(error6(1, 4, 0, original), why);
        ASSERT_TRUE(out) << why.text;
        auto quote = std::span<const std::byte>{*out}.subspan(28);
        auto expected = expected_quote4(original);
        EXPECT_EQ(quote.size(), expected.size());
        EXPECT_TRUE(is_prefix(quote, expected));
    }
}

TEST(IcmpTranslate, QuotedEchoReplyKeepsItsIdentifierOnTheDestinationSide) {
    auto reply4 = nat::build_icmp_echo({kServer4, kPublic, kPublicPort, 9, false, text_bytes("pong"), 61});
    DropReason why;
    auto view = nat::Ipv4Packet::parse(reply4, why);
    auto v6 = *to_ipv6(*view, kServer6, kHost6, why);
    nat::Ipv6Packet::parse(v6, why)->set_destination_port(kInsidePort);
    auto error = error4(3, 1, 0, reply4);
    auto p = nat::Ipv4Packet::parse(error, why);
    auto out = icmp_error_to_ipv6(*p, kRouter6, kHost6, {{kServer6, 0}, {kHost6, kInsidePort}}, why);
    ASSERT_TRUE(out) << why.text;
    EXPECT_TRUE(is_prefix(std::span<const std::byte>{*out}.subspan(48), v6));
}

// ---- Truncated quotes ----------------------------------------------------

TEST(IcmpTranslate, TruncatedQuotesAreTranslatedAsFarAsTheyGo) {
    struct Case {
        const char* name;
        Bytes original;
        std::size_t quoted;  // bytes of the original in the error
        bool checksum_reached;
    };
    const Case cases[] = {
        {"udp, header and 8 bytes", udp_out4(100), 28, true},
        {"tcp, ports only", tcp_out4(), 28, false},
        {"tcp, checksum reached", tcp_out4(), 38, true},
        {"echo, 8 bytes", echo_out4(), 28, true},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        DropReason why;
        auto out = to6(error4(3, 3, 0, c.original, c.quoted), why);
        ASSERT_TRUE(out) << why.text;
        auto p = nat::Ipv6Packet::parse(*out, why);
        ASSERT_TRUE(p) << why.text;
        EXPECT_TRUE(p->checksum_ok());
        auto quote = p->transport().subspan(8);
        EXPECT_EQ(quote.size(), 40 + c.quoted - 20);
        auto expected = expected_quote6(c.original);
        EXPECT_EQ(nat::load16(quote, 4), c.original.size() - 20) << "the original's payload length";
        if (c.checksum_reached)
            EXPECT_TRUE(is_prefix(quote, expected)) << "checksum patched as if whole";
        else
            EXPECT_TRUE(is_prefix(quote.first(48), expected)) << "header and ports";
    }
}

TEST(IcmpTranslate, TruncatedQuoteTowardsIpv4) {
    DropReason why;
    auto original = udp_in6(300);
    auto out = to4(error6(3, 0, 0, original, 48), why);
    ASSERT_TRUE(out) << why.text;
    auto p = nat::Ipv4Packet::parse(*out, why);
    ASSERT_TRUE(p) << why.text;
    EXPECT_EQ(p->bytes().size(), 20 + 8 + 20 + 8u);
    auto quote = p->transport().subspan(8);
    EXPECT_EQ(nat::load16(quote, 2), 20 + 308) << "total length of the original";
    EXPECT_TRUE(is_prefix(quote, expected_quote4(original)));
}

TEST(IcmpTranslate, SizesAreCapped) {
    DropReason why;
    auto big = to6(error4(3, 3, 0, udp_out4(1400)), why);
    ASSERT_TRUE(big) << why.text;
    EXPECT_EQ(big->size(), nat::kIpv6MinimumMtu) << "towards IPv6: the minimum MTU";
    EXPECT_TRUE(nat::Ipv6Packet::parse(*big, why)->checksum_ok());
    auto big4 = to4(error6(1, 4, 0, udp_in6(1200)), why);
    ASSERT_TRUE(big4) << why.text;
    EXPECT_EQ(big4->size(), nat::kIcmpErrorMaxSize) << "towards IPv4: 576 bytes";
    EXPECT_EQ(nat::internet_checksum(nat::Ipv4Packet::parse(*big4, why)->transport()), 0);
}

// ---- Refusals ------------------------------------------------------------

TEST(IcmpTranslate, Refusals) {
    auto inner_error4 = nat::build_icmp_error(kRouter4, 11, 0, udp_out4());
    auto inner_error6 = nat::build_icmp6_error(kHost6, 1, 4, udp_in6());
    auto fragment = udp_out4();
    nat::store16(fragment, 6, 0x2000);  // MF
    nat::store16(fragment, 10, 0);
    nat::store16(fragment, 10, nat::internet_checksum(std::span{fragment}.first(20)));
    auto bad_checksum = error4(3, 3, 0, udp_out4());
    nat::store8(bad_checksum, 30, 0x55);
    auto bad_checksum6 = error6(1, 4, 0, udp_in6());
    nat::store8(bad_checksum6, 50, 0x55);
    DropReason why;
    EXPECT_FALSE(to6(error4(3, 3, 0, inner_error4), why));
    EXPECT_EQ(why.code, DropCode::UnsupportedIcmp);
    EXPECT_EQ(why.text,
              "unsupported icmp: an ICMP error quoting an ICMP error is not translated (RFC 7915 sections "
              "4.3, 5.3)");
    EXPECT_FALSE(to4(error6(1, 4, 0, inner_error6), why));
    EXPECT_EQ(why.code, DropCode::UnsupportedIcmp);
    EXPECT_FALSE(to6(error4(3, 3, 0, fragment), why));
    EXPECT_EQ(why.code, DropCode::Fragment);
    EXPECT_FALSE(to6(error4(3, 3, 0, udp_out4(), 27), why)) << "7 bytes of transport";
    EXPECT_EQ(why.code, DropCode::Malformed);
    EXPECT_FALSE(to4(error6(1, 4, 0, udp_in6(), 47), why));
    EXPECT_EQ(why.code, DropCode::Malformed);
    EXPECT_FALSE(to6(bad_checksum, why));
    EXPECT_EQ(why.text, "malformed: icmp error: bad ICMP checksum");
    EXPECT_FALSE(to4(bad_checksum6, why));
    EXPECT_EQ(why.text, "malformed: icmp error: bad ICMPv6 checksum");
}

// ---- Packet Too Big and Fragmentation Needed -----------------------------

TEST(IcmpTranslate, FragmentationNeededToPacketTooBig) {
    struct Case {
        std::uint32_t advertised;
        std::size_t original_payload;  // sets the quoted total length (payload + 28)
        NextHopMtus mtus;
        std::uint32_t want;
    };
    const Case cases[] = {
        {1400, 20, {}, 1420},            // MTU + 20
        {1000, 20, {}, 1280},            // never below the IPv6 minimum
        {1492, 20, {}, 1500},            // capped by the IPv6 next hop
        {1492, 20, {1400, 9000}, 1420},  // capped by the IPv4 next hop + 20
        {0, 1472, {9000, 9000}, 1512},   // no MTU: plateau 1492 below total length 1500, + 20
        {0, 8972, {9000, 9000}, 8186},   // plateau 8166 below 9000
        {0, 1372, {9000, 9000}, 1280},   // no plateau >= 1280 below 1400: the minimum
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(std::to_string(c.advertised) + " / " + std::to_string(c.original_payload));
        DropReason why;
        auto out = to6(error4(3, 4, c.advertised, udp_out4(c.original_payload), 28), why, c.mtus);
        ASSERT_TRUE(out) << why.text;
        auto p = nat::Ipv6Packet::parse(*out, why);
        EXPECT_TRUE(p->checksum_ok());
        EXPECT_EQ(p->icmp_type(), 2);
        EXPECT_EQ(nat::load32(p->transport(), 4), c.want);
    }
}

TEST(IcmpTranslate, PacketTooBigToFragmentationNeeded) {
    struct Case {
        std::uint32_t advertised;
        NextHopMtus mtus;
        std::uint32_t want;
    };
    const Case cases[] = {
        {1400, {}, 1380},                 // MTU - 20
        {1280, {}, 1260},                 // the IPv6 minimum is 1260 in IPv4
        {1400, {1200, 1500}, 1200},       // capped by the IPv4 next hop
        {9000, {9000, 1500}, 1480},       // capped by the IPv6 next hop - 20
        {100000, {70000, 70000}, 65535},  // 16 bits in ICMPv4
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.advertised);
        DropReason why;
        auto out = to4(error6(2, 0, c.advertised, udp_in6()), why, c.mtus);
        ASSERT_TRUE(out) << why.text;
        auto p = nat::Ipv4Packet::parse(*out, why);
        EXPECT_EQ(p->icmp_type(), 3);
        EXPECT_EQ(p->icmp_code(), 4);
        EXPECT_EQ(nat::load32(p->transport(), 4), c.want) << "unused 16 bits, then the MTU";
        EXPECT_EQ(nat::internet_checksum(p->transport()), 0);
    }
}

// ---- Reading the quote first, for the mapping look-up --------------------

TEST(IcmpTranslate, QuotedFlowForTheLookUp) {
    DropReason why;
    auto e4 = error4(3, 3, 0, udp_out4());
    auto p4 = nat::Ipv4Packet::parse(e4, why);
    auto flow4 = quoted_flow(*p4, why);
    ASSERT_TRUE(flow4) << why.text;
    EXPECT_EQ(flow4->to_string(), "198.18.1.1:50000 -> 198.18.0.2:3478");
    auto echo = error4(11, 0, 0, echo_out4());
    auto pe = nat::Ipv4Packet::parse(echo, why);
    EXPECT_EQ(quoted_flow(*pe, why)->to_string(), "icmp 198.18.1.1 id 50000 -> 198.18.0.2");
    auto e6 = error6(1, 4, 0, udp_in6());
    auto p6 = nat::Ipv6Packet::parse(e6, why);
    auto flow6 = quoted_flow(*p6, why);
    ASSERT_TRUE(flow6) << why.text;
    EXPECT_EQ(flow6->to_string(), "udp [64:ff9b::c612:2]:3478 -> [2001:2:0:1::2]:40001");
    auto e4bad = error4(3, 3, 0, nat::build_icmp_error(kRouter4, 3, 3, udp_out4()));
    auto pbad = nat::Ipv4Packet::parse(e4bad, why);
    EXPECT_FALSE(quoted_flow(*pbad, why));
    EXPECT_EQ(why.code, DropCode::UnsupportedIcmp);
    EXPECT_TRUE(is_icmp_error(*p4));
    EXPECT_TRUE(is_icmp_error(*p6));
}

// An RFC 4884 extension after the quote is left out of the translation.
TEST(IcmpTranslate, Rfc4884ExtensionIsRemoved) {
    auto original = udp_out4(100);
    Bytes padded(original.begin(), original.begin() + 128);  // 128 bytes: 32 words
    Bytes with_extension = padded;
    for (int i = 0; i < 8; ++i) with_extension.push_back(std::byte{0x20});
    DropReason why;
    auto out = to6(error4(11, 0, 32u << 16, with_extension), why);  // length attribute in byte 5
    ASSERT_TRUE(out) << why.text;
    auto p = nat::Ipv6Packet::parse(*out, why);
    EXPECT_TRUE(p->checksum_ok());
    EXPECT_EQ(nat::load32(p->transport(), 4), 0u) << "length attribute cleared";
    EXPECT_EQ(p->transport().size(), 8 + 40 + 108u) << "the quote, without the extension";
}

}  // namespace
}  // namespace natlab::v6
