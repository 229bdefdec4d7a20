// Wire tests for simulator/packet.cpp and checksum.cpp: byte vectors with a
// comment per field, malformed-input tables, and rewrites checked by
// recomputing every checksum from scratch.

#include <gtest/gtest.h>

#include <functional>
#include <random>

#include "simulator/wire/bytes.h"
#include "simulator/wire/checksum.h"
#include "simulator/wire/packet.h"
#include "tests/simulator/test_nat_support.h"

namespace natlab::nat::testing {
namespace {

std::vector<std::byte> bytes(std::initializer_list<int> values) {
    std::vector<std::byte> out;
    for (int v : values) out.push_back(static_cast<std::byte>(v));
    return out;
}

// 10.0.1.2:4000 -> 198.18.0.2:3478, payload "hi".
const std::vector<std::byte> kWire = bytes({
    0x45, 0x00,              // version 4, IHL 5 words; DSCP/ECN 0
    0x00, 0x1e,              // total length 30
    0x00, 0x00,              // identification
    0x00, 0x00,              // flags 0, fragment offset 0
    0x40, 0x11,              // TTL 64, protocol 17 (UDP)
    0xa9, 0xb9,              // header checksum
    0x0a, 0x00, 0x01, 0x02,  // source 10.0.1.2
    0xc6, 0x12, 0x00, 0x02,  // destination 198.18.0.2
    0x0f, 0xa0,              // UDP source port 4000
    0x0d, 0x96,              // UDP destination port 3478
    0x00, 0x0a,              // UDP length 10
    0xa9, 0x24,              // UDP checksum
    0x68, 0x69,              // payload "hi"
});

void fix_header_checksum(std::vector<std::byte>& b) {
    store16(b, 10, 0);
    std::size_t header = (static_cast<std::size_t>(b[0]) & 0x0f) * 4;
    store16(b, 10, internet_checksum(std::span{b}.first(std::min(header, b.size()))));
}

// Both checksums of a datagram, recomputed from scratch, agree with its fields.
void expect_checksums_valid(Ipv4Packet p) {
    EXPECT_EQ(internet_checksum(p.header()), 0) << "IPv4 header checksum";
    if (p.transport_checksum() != 0) {
        EXPECT_EQ(udp_checksum(p.source().addr, p.destination().addr, p.transport()), p.transport_checksum())
            << "UDP checksum";
    }
}

TEST(Packet, ParsesTheWireVector) {
    auto wire = kWire;
    DropReason why;
    auto p = Ipv4Packet::parse(wire, why);
    ASSERT_TRUE(p) << why.text;
    EXPECT_EQ(p->source(), ep("10.0.1.2:4000"));
    EXPECT_EQ(p->destination(), ep("198.18.0.2:3478"));
    EXPECT_EQ(p->ttl(), 64);
    EXPECT_EQ(p->transport().size() - 8, 2u);
    EXPECT_EQ(p->flow().to_string(), "10.0.1.2:4000 -> 198.18.0.2:3478");
    expect_checksums_valid(*p);
}

TEST(Packet, BuilderMatchesTheWireVector) {
    Datagram d{{ep("10.0.1.2:4000"), ep("198.18.0.2:3478")}, "hi"};
    EXPECT_EQ(d.bytes, kWire);
}

TEST(Packet, EthernetPaddingIsLeftOutsideTheView) {
    auto wire = kWire;
    wire.resize(46, std::byte{0});  // padded to the Ethernet minimum payload
    DropReason why;
    auto p = Ipv4Packet::parse(wire, why);
    ASSERT_TRUE(p) << why.text;
    EXPECT_EQ(p->bytes().size(), kWire.size());
}

struct MalformedCase {
    const char* name;
    std::function<void(std::vector<std::byte>&)> mutate;
    bool fix_checksum;
    DropCode want_code;
    const char* want_text;
};

TEST(Packet, RefusesMalformedDatagrams) {
    const MalformedCase cases[] = {
        {"shorter than a header", [](auto& b) { b.resize(19); }, false, DropCode::Malformed,
         "less than an IPv4 header"},
        {"IPv6", [](auto& b) { store8(b, 0, 0x65); }, true, DropCode::Malformed, "IP version 6, not 4"},
        {"IHL 4", [](auto& b) { store8(b, 0, 0x44); }, false, DropCode::Malformed, "header length 16 bytes"},
        {"IHL past the end", [](auto& b) { store8(b, 0, 0x4f); }, false, DropCode::Malformed,
         "header length 60 bytes but 30"},
        {"total length > buffer", [](auto& b) { store16(b, 2, 31); }, true, DropCode::Malformed,
         "total length 31 but 30"},
        {"total length < header", [](auto& b) { store16(b, 2, 19); }, true, DropCode::Malformed,
         "total length 19 is less than the header"},
        {"bad header checksum", [](auto& b) { store16(b, 10, 0x1234); }, false, DropCode::Malformed,
         "bad IPv4 header checksum"},
        {"more fragments", [](auto& b) { store16(b, 6, 0x2000); }, true, DropCode::Fragment,
         "not reassembled"},
        {"later fragment", [](auto& b) { store16(b, 6, 0x0001); }, true, DropCode::Fragment,
         "not reassembled"},
        {"GRE", [](auto& b) { store8(b, 9, 47); }, true, DropCode::UnsupportedProtocol, "IP protocol 47"},
        {"SCTP", [](auto& b) { store8(b, 9, 132); }, true, DropCode::UnsupportedProtocol, "IP protocol 132"},
        {"TCP shorter than its header", [](auto& b) { store8(b, 9, 6); }, true, DropCode::Malformed,
         "no room for a TCP header"},
        {"ICMP shorter than its header",
         [](auto& b) {
             store8(b, 9, 1);
             b.resize(27);
             store16(b, 2, 27);
         },
         true, DropCode::Malformed, "no room for an ICMP header"},
        {"no room for UDP",
         [](auto& b) {
             b.resize(24);
             store16(b, 2, 24);
         },
         true, DropCode::Malformed, "no room for a UDP header"},
        {"UDP length > payload", [](auto& b) { store16(b, 24, 11); }, false, DropCode::Malformed,
         "UDP length 11 but IP payload 10"},
        {"UDP length < 8", [](auto& b) { store16(b, 24, 7); }, false, DropCode::Malformed, "UDP length 7"},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        auto wire = kWire;
        c.mutate(wire);
        if (c.fix_checksum) fix_header_checksum(wire);
        DropReason why;
        EXPECT_FALSE(Ipv4Packet::parse(wire, why));
        EXPECT_EQ(why.code, c.want_code);
        EXPECT_NE(why.text.find(c.want_text), std::string::npos) << why.text;
    }
}

TEST(Packet, AcceptsUdpLengthShorterThanThePayload) {
    auto wire = kWire;
    store16(wire, 24, 9);  // UDP says 9 bytes; IP carries 10 (as Linux, trust UDP)
    DropReason why;
    auto p = Ipv4Packet::parse(wire, why);
    ASSERT_TRUE(p) << why.text;
    EXPECT_EQ(p->transport().size() - 8, 1u);
}

struct RewriteCase {
    const char* name;
    Flow flow;
    bool udp_checksum;
    std::optional<Endpoint> new_source;
    std::optional<Endpoint> new_destination;
};

TEST(Packet, RewritesKeepBothChecksumsCorrect) {
    const RewriteCase cases[] = {
        {"outbound source", {ep("10.0.1.2:4000"), ep("198.18.0.2:3478")}, true, ep("198.18.1.1:4000"), {}},
        {"outbound new port", {ep("10.0.1.2:4000"), ep("198.18.0.2:3478")}, true, ep("198.18.1.1:1024"), {}},
        {"inbound destination",
         {ep("198.18.0.2:3478"), ep("198.18.1.1:4000")},
         true,
         {},
         ep("10.0.1.2:4000")},
        {"hairpin both",
         {ep("10.0.1.2:4000"), ep("198.18.1.1:4001")},
         true,
         ep("198.18.1.1:4000"),
         ep("10.0.1.3:4001")},
        {"extreme values",
         {ep("0.0.0.1:1"), ep("255.255.255.254:65535")},
         true,
         ep("255.255.255.255:65535"),
         ep("0.0.0.0:0")},
        {"no UDP checksum", {ep("10.0.1.2:4000"), ep("198.18.0.2:3478")}, false, ep("198.18.1.1:4000"), {}},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        Datagram d{c.flow, "payload!", 64, c.udp_checksum};
        auto p = d.view();
        if (c.new_source) p.set_source(*c.new_source);
        if (c.new_destination) p.set_destination(*c.new_destination);
        EXPECT_EQ(p.source(), c.new_source.value_or(c.flow.source));
        EXPECT_EQ(p.destination(), c.new_destination.value_or(c.flow.destination));
        expect_checksums_valid(p);
        if (!c.udp_checksum) {
            EXPECT_EQ(p.transport_checksum(), 0) << "UDP checksum 0 must stay 0";
        }
    }
}

// Property check: random rewrites, each verified from scratch. Enough of them
// that some incremental results land on 0 and must be sent as 0xffff.
TEST(Packet, RandomRewritesMatchFullRecomputation) {
    std::mt19937 rng{42};
    auto any_endpoint = [&] {
        return Endpoint{Ipv4{static_cast<std::uint32_t>(rng())}, static_cast<std::uint16_t>(rng())};
    };
    for (int i = 0; i < 100000; ++i) {
        Datagram d{{any_endpoint(), any_endpoint()}, std::string(rng() % 40, 'x')};
        auto p = d.view();
        p.set_source(any_endpoint());
        p.set_destination(any_endpoint());
        EXPECT_EQ(internet_checksum(p.header()), 0);
        ASSERT_EQ(udp_checksum(p.source().addr, p.destination().addr, p.transport()), p.transport_checksum());
    }
}

// The same for TCP segments and ICMP echoes: every rewrite, checked from scratch.
TEST(Packet, RandomTcpAndIcmpRewritesMatchFullRecomputation) {
    std::mt19937 rng{7};
    auto any_endpoint = [&] {
        return Endpoint{Ipv4{static_cast<std::uint32_t>(rng())}, static_cast<std::uint16_t>(rng())};
    };
    for (int i = 0; i < 20000; ++i) {
        TcpSegmentSpec spec;
        spec.flow = {any_endpoint(), any_endpoint(), Protocol::Tcp};
        spec.seq = static_cast<std::uint32_t>(rng());
        spec.payload.resize(rng() % 40, std::byte{0x5a});
        Datagram tcp{build_tcp_segment(spec)};
        auto p = tcp.view();
        p.set_source(any_endpoint());
        p.set_destination(any_endpoint());
        EXPECT_EQ(internet_checksum(p.header()), 0);
        ASSERT_EQ(tcp_checksum(p.source().addr, p.destination().addr, p.transport()), p.transport_checksum());

        Datagram ping = echo(Ipv4{static_cast<std::uint32_t>(rng())}, Ipv4{static_cast<std::uint32_t>(rng())},
                             static_cast<std::uint16_t>(rng()), rng() % 2 == 0);
        auto q = ping.view();
        q.set_source(any_endpoint());
        q.set_destination(any_endpoint());
        EXPECT_EQ(internet_checksum(q.header()), 0);
        ASSERT_EQ(internet_checksum(q.transport()), 0) << "ICMP checksum after the identifier changed";
    }
}

// Checksum offload: the field holds the pseudo-header sum and the kernel adds
// the segment later. A rewrite patches that partial sum; finishing it then
// must give the true checksum of the rewritten segment.
TEST(Packet, PartialChecksumsStayPartialAndRight) {
    std::mt19937 rng{9};
    auto any_endpoint = [&] {
        return Endpoint{Ipv4{static_cast<std::uint32_t>(rng())}, static_cast<std::uint16_t>(rng())};
    };
    for (int i = 0; i < 20000; ++i) {
        bool tcp = i % 2 == 0;
        Flow flow{any_endpoint(), any_endpoint(), tcp ? Protocol::Tcp : Protocol::Udp};
        TcpSegmentSpec spec;
        spec.flow = flow;
        Datagram d = tcp ? Datagram{build_tcp_segment(spec)} : Datagram{flow, std::string(rng() % 30, 'y')};
        auto p = d.view();
        auto at = transport_checksum_offset(p.protocol());
        auto pseudo = pseudo_header_sum(flow.source.addr, flow.destination.addr,
                                        ip_protocol_number(flow.protocol), p.transport().size());
        store16(p.transport_bytes(), at, static_cast<std::uint16_t>(~checksum_finish(pseudo)));
        p.set_checksum_partial(true);
        p.set_source(any_endpoint());
        p.set_destination(any_endpoint());
        std::uint16_t finished = checksum_finish(checksum_add(p.transport()));  // what the kernel does
        std::uint16_t want = tcp ? tcp_checksum(p.source().addr, p.destination().addr, p.transport())
                                 : udp_checksum(p.source().addr, p.destination().addr, p.transport());
        ASSERT_EQ(finished == 0 && !tcp ? 0xffff : finished, want);
        EXPECT_EQ(internet_checksum(p.header()), 0);
    }
}

TEST(Packet, ParsesTcpAndIcmp) {
    auto syn = tcp_segment(ep("10.0.1.2:5000"), ep("198.18.0.2:80"), kTcpSyn | kTcpAck, "abc");
    auto p = syn.view();
    EXPECT_EQ(p.protocol(), Protocol::Tcp);
    EXPECT_EQ(p.tcp_flags(), kTcpSyn | kTcpAck);
    EXPECT_EQ(p.flow().to_string(), "tcp 10.0.1.2:5000 -> 198.18.0.2:80");
    auto request = echo(ip("10.0.1.2"), ip("198.18.0.2"), 77);
    auto q = request.view();
    EXPECT_EQ(q.protocol(), Protocol::Icmp);
    EXPECT_EQ(q.flow(), (Flow{ep("10.0.1.2:77"), ep("198.18.0.2:0"), Protocol::Icmp}))
        << "an echo request's identifier is its source port";
    auto reply = echo(ip("198.18.0.2"), ip("10.0.1.2"), 77, false);
    EXPECT_EQ(reply.view().flow(), (Flow{ep("198.18.0.2:0"), ep("10.0.1.2:77"), Protocol::Icmp}))
        << "an echo reply's identifier is its destination port";
    auto with_data_offset = [](int words) {
        auto d = tcp_segment(ep("10.0.1.2:5000"), ep("198.18.0.2:80"), kTcpSyn);
        store8(d.bytes, 32, static_cast<std::uint8_t>(words << 4));
        return d.bytes;
    };
    DropReason why;
    auto short_offset = with_data_offset(4);
    EXPECT_FALSE(Ipv4Packet::parse(short_offset, why));
    EXPECT_EQ(why.text, "malformed: TCP data offset 16 bytes in a segment of 20");
    auto long_offset = with_data_offset(6);
    EXPECT_FALSE(Ipv4Packet::parse(long_offset, why));
    EXPECT_EQ(why.text, "malformed: TCP data offset 24 bytes in a segment of 20");
}

TEST(Packet, TtlDecrementKeepsTheHeaderChecksum) {
    Datagram d{{ep("10.0.1.2:4000"), ep("198.18.0.2:3478")}};
    auto p = d.view();
    p.decrement_ttl();
    EXPECT_EQ(p.ttl(), 63);
    expect_checksums_valid(p);
}

TEST(Packet, FinishesAnUnfinishedUdpChecksum) {
    Datagram d{{ep("10.0.1.2:4000"), ep("198.18.0.2:3478")}};
    store16(d.bytes, 26, 0x1234);  // what checksum offload leaves: not the real sum
    auto p = d.view();
    p.finish_transport_checksum();
    expect_checksums_valid(p);
}

TEST(Checksum, Rfc1624IncrementalUpdateMatchesRfc1071) {
    // RFC 1071 §3 example words, then one word changed.
    auto data = bytes({0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7});
    std::uint16_t before = internet_checksum(data);
    EXPECT_EQ(before, static_cast<std::uint16_t>(~0xddf2 & 0xffff));
    store16(data, 2, 0x1234);
    EXPECT_EQ(checksum_adjust(before, 0xf203, 0x1234), internet_checksum(data));
}

}  // namespace
}  // namespace natlab::nat::testing
