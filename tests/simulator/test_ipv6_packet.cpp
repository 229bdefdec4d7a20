// IPv6 packets (simulator/wire/ipv6_packet.h): checksums against values
// worked out independently, rewrites that keep them right, NPTv6 on a real
// packet needing no checksum change, and the packets refused.
#include <gtest/gtest.h>

#include "simulator/v6/nptv6.h"
#include "simulator/wire/bytes.h"
#include "simulator/wire/ipv6_packet.h"
#include "tests/simulator/test_nat_support.h"

namespace natlab::nat {
namespace {

Ipv6 a(const char* text) {
    return *Ipv6::parse(text);
}
using nat::testing::text_bytes;

const Endpoint6 kHost{a("2001:2:0:1::2"), 40000};
const Endpoint6 kServer{a("2001:2::2"), 3478};

Ipv6Packet parsed(std::vector<std::byte>& bytes) {
    DropReason why;
    auto p = Ipv6Packet::parse(bytes, why);
    EXPECT_TRUE(p) << why.text;
    return *p;
}

// Checksums computed by hand (Python's struct and ipaddress) for these packets.
TEST(Ipv6Packet, ChecksumsMatchIndependentValues) {
    auto udp = build_udp6(kHost, kServer, text_bytes("hello"));
    EXPECT_EQ(load16(udp, 40 + 6), 0xd220);
    auto echo = build_echo6(kHost.addr, kServer.addr, kIcmpv6EchoRequest, 77, text_bytes("ping"));
    EXPECT_EQ(load16(echo, 40 + 2), 0x608f) << "ICMPv6 sums the pseudo-header too (RFC 4443 section 2.3)";
    EXPECT_TRUE(parsed(udp).checksum_ok());
    EXPECT_TRUE(parsed(echo).checksum_ok());
}

TEST(Ipv6Packet, FlowsAndEchoIdentifiers) {
    auto udp = build_udp6(kHost, kServer, text_bytes("x"));
    auto p = parsed(udp);
    EXPECT_EQ(p.flow().to_string(), "udp [2001:2:0:1::2]:40000 -> [2001:2::2]:3478");
    EXPECT_EQ(p.hop_limit(), 64);
    auto request = build_echo6(kHost.addr, kServer.addr, kIcmpv6EchoRequest, 77, {});
    EXPECT_EQ(parsed(request).flow().to_string(), "icmpv6 [2001:2:0:1::2]:77 -> [2001:2::2]:0");
    auto reply = build_echo6(kServer.addr, kHost.addr, kIcmpv6EchoReply, 77, {});
    EXPECT_EQ(parsed(reply).flow().to_string(), "icmpv6 [2001:2::2]:0 -> [2001:2:0:1::2]:77");
}

TEST(Ipv6Packet, RewritesKeepTheChecksumRight) {
    auto udp = build_udp6(kHost, kServer, text_bytes("hello, world"));
    auto p = parsed(udp);
    p.set_source_address(a("2001:2:ffff::99"));
    p.set_source_port(5000);
    p.set_destination_address(a("2001:2::3"));
    p.set_destination_port(9);
    EXPECT_TRUE(p.checksum_ok());
    EXPECT_EQ(p.flow().to_string(), "udp [2001:2:ffff::99]:5000 -> [2001:2::3]:9");
    p.decrement_hop_limit();
    EXPECT_EQ(p.hop_limit(), 63);
    EXPECT_TRUE(p.checksum_ok()) << "the hop limit is not in the pseudo-header";
    auto echo = build_echo6(kHost.addr, kServer.addr, kIcmpv6EchoRequest, 77, text_bytes("ping"));
    auto e = parsed(echo);
    e.set_source_port(4242);
    e.set_destination_address(a("2001:2::7"));
    EXPECT_TRUE(e.checksum_ok());
    EXPECT_EQ(e.source().port, 4242);
}

// RFC 6296's point, on the wire: the translated packet's checksum is still
// right although nothing patched it; a non-neutral rewrite breaks it.
TEST(Ipv6Packet, Nptv6NeedsNoChecksumChange) {
    std::string why;
    auto npt =
        *v6::Nptv6::make(*Ipv6Prefix::parse("fd00:1:0:1::/64"), *Ipv6Prefix::parse("2001:2:0:10::/64"), why);
    for (const char* inside : {"fd00:1:0:1::2", "fd00:1:0:1:aaaa:bbbb:cccc:dddd", "fd00:1:0:1:ffff::1"}) {
        SCOPED_TRACE(inside);
        auto udp = build_udp6({a(inside), 40000}, kServer, text_bytes("hello"));
        auto p = parsed(udp);
        p.set_source_address_neutral(*npt.outbound(a(inside)));
        EXPECT_TRUE(npt.outside().contains(p.source_address()));
        EXPECT_TRUE(p.checksum_ok());
        auto echo =
            build_echo6(kServer.addr, *npt.outbound(a(inside)), kIcmpv6EchoReply, 5, text_bytes("ping"));
        auto e = parsed(echo);
        e.set_destination_address_neutral(*npt.inbound(e.destination_address()));
        EXPECT_EQ(e.destination_address(), a(inside));
        EXPECT_TRUE(e.checksum_ok());
    }
    auto udp = build_udp6(kHost, kServer, text_bytes("hello"));
    auto p = parsed(udp);
    p.set_source_address_neutral(a("2001:2:0:1::3"));
    EXPECT_FALSE(p.checksum_ok()) << "an ordinary rewrite is not neutral";
}

TEST(Ipv6Packet, RefusedTable) {
    struct Case {
        const char* what;
        std::function<void(std::vector<std::byte>&)> spoil;
        DropCode code;
        const char* text;
    };
    const std::vector<Case> cases{
        {"short", [](auto& b) { b.resize(39); }, DropCode::Malformed,
         "malformed ipv6: a header needs 40 bytes, 39 came"},
        {"version 4", [](auto& b) { store8(b, 0, 0x45); }, DropCode::Malformed, "malformed ipv6: version 4"},
        {"payload past the frame", [](auto& b) { store16(b, 4, 100); }, DropCode::Malformed,
         "malformed ipv6: payload length 100 past the frame"},
        {"fragment header", [](auto& b) { store8(b, 6, 44); }, DropCode::Fragment,
         "fragment: an IPv6 fragment header"},
        {"hop-by-hop options", [](auto& b) { store8(b, 6, 0); }, DropCode::UnsupportedProtocol,
         "unsupported protocol: next header 0"},
        {"UDP checksum 0", [](auto& b) { store16(b, 46, 0); }, DropCode::Malformed,
         "malformed ipv6: a UDP checksum of 0"},
        {"UDP length too long", [](auto& b) { store16(b, 44, 200); }, DropCode::Malformed,
         "malformed ipv6: UDP length 200 out of range"},
        {"ICMPv6 echo cut short",
         [](auto& b) {
             store8(b, 6, kIpProtocolIcmpv6);
             store8(b, 40, kIcmpv6EchoRequest);
             store16(b, 4, 6);
         },
         DropCode::Malformed, "malformed ipv6: an ICMPv6 echo needs 8 bytes"},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.what);
        auto bytes = build_udp6(kHost, kServer, text_bytes("hello"));
        c.spoil(bytes);
        DropReason why;
        EXPECT_FALSE(Ipv6Packet::parse(bytes, why));
        EXPECT_EQ(why.code, c.code);
        EXPECT_EQ(why.text.rfind(c.text, 0), 0u) << why.text;
    }
}

TEST(Ipv6Packet, EthernetPaddingStaysOutside) {
    auto bytes = build_udp6(kHost, kServer, text_bytes("hi"));
    auto size = bytes.size();
    bytes.resize(size + 10);
    EXPECT_EQ(parsed(bytes).bytes().size(), size);
}

}  // namespace
}  // namespace natlab::nat
