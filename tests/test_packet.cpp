// Wire tests for simulator/packet.cpp and checksum.cpp: byte vectors with a
// comment per field, malformed-input tables, and rewrites checked by
// recomputing every checksum from scratch.

#include <gtest/gtest.h>

#include <functional>
#include <random>

#include "bytes.h"
#include "checksum.h"
#include "packet.h"
#include "test_nat_support.h"

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
    if (p.udp_checksum_field() != 0) {
        EXPECT_EQ(udp_checksum(p.source().addr, p.destination().addr, p.udp_segment()),
                  p.udp_checksum_field())
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
    EXPECT_EQ(p->payload().size(), 2u);
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
        {"TCP", [](auto& b) { store8(b, 9, 6); }, true, DropCode::NotUdp, "IP protocol 6"},
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
    EXPECT_EQ(p->payload().size(), 1u);
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
            EXPECT_EQ(p.udp_checksum_field(), 0) << "UDP checksum 0 must stay 0";
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
        ASSERT_EQ(udp_checksum(p.source().addr, p.destination().addr, p.udp_segment()),
                  p.udp_checksum_field());
    }
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
    p.finish_udp_checksum();
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
