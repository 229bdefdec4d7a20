// Neighbor Discovery (simulator/v6/ndp.h): addresses it derives, messages
// it writes and reads back, one checksum worked out independently, and the
// messages RFC 4861 says to ignore.
#include <gtest/gtest.h>

#include "simulator/v6/ndp.h"
#include "simulator/wire/bytes.h"

namespace natlab::v6 {
namespace {

Ipv6 a6(const char* text) {
    return *Ipv6::parse(text);
}
const nat::MacAddress kRouterMac{{0x02, 0x00, 0x0a, 0x00, 0x01, 0x01}};
const nat::MacAddress kHostMac{{0x02, 0x00, 0x0a, 0x00, 0x01, 0x02}};
const Ipv6 kRouter = a6("2001:2:0:1::1");
const Ipv6 kHost = a6("2001:2:0:1::2");

nat::Ipv6Packet parsed(std::vector<std::byte>& bytes) {
    nat::DropReason why;
    auto p = nat::Ipv6Packet::parse(bytes, why);
    EXPECT_TRUE(p) << why.text;
    return *p;
}

TEST(Ndp, DerivedAddresses) {
    EXPECT_EQ(solicited_node(kHost), a6("ff02::1:ff00:2"));
    EXPECT_EQ(solicited_node(a6("2001:2::ab:cdef")), a6("ff02::1:ffab:cdef"));
    EXPECT_EQ(multicast_mac(a6("ff02::1:ff00:2")).to_string(), "33:33:ff:00:00:02");
    EXPECT_EQ(multicast_mac(all_nodes()).to_string(), "33:33:00:00:00:01");
    EXPECT_EQ(link_local(kRouterMac), a6("fe80::aff:fe00:101")) << "modified EUI-64: the U/L bit flipped";
}

// Checksum by hand (Python) for the router's solicitation of kHost.
TEST(Ndp, SolicitationBytes) {
    auto ns = build_solicitation(kHost, kRouter, kRouterMac);
    ASSERT_EQ(ns.size(), 40u + 32u);
    EXPECT_EQ(nat::load8(ns, 7), 255);
    EXPECT_EQ(nat::load16(ns, 40 + 2), 0x2c91);
    auto p = parsed(ns);
    EXPECT_EQ(p.destination_address(), a6("ff02::1:ff00:2"));
    std::string why;
    auto s = parse_solicitation(p, why);
    ASSERT_TRUE(s) << why;
    EXPECT_EQ(s->target, kHost);
    EXPECT_EQ(s->source_mac, kRouterMac);
}

TEST(Ndp, AdvertisementAnswersTheSolicitor) {
    auto ns = build_solicitation(kRouter, kHost, kHostMac);
    std::string why;
    auto s = parse_solicitation(parsed(ns), why);
    ASSERT_TRUE(s) << why;
    auto na = build_advertisement(*s, kRouter, kRouterMac);
    auto p = parsed(na);
    EXPECT_EQ(p.destination_address(), kHost);
    EXPECT_TRUE(p.checksum_ok());
    auto a = parse_advertisement(p, why);
    ASSERT_TRUE(a) << why;
    EXPECT_EQ(a->target, kRouter);
    EXPECT_EQ(a->target_mac, kRouterMac);
    EXPECT_TRUE(a->router);
    EXPECT_TRUE(a->solicited);
    EXPECT_TRUE(a->override_);
    // Duplicate address detection: from ::, answered to all nodes, not "solicited".
    auto dad = parse_solicitation(parsed(ns), why);
    dad->source = Ipv6{};
    dad->source_mac.reset();
    auto dad_na = build_advertisement(*dad, kRouter, kRouterMac);
    auto d = parsed(dad_na);
    EXPECT_EQ(d.destination_address(), all_nodes());
    EXPECT_FALSE(parse_advertisement(d, why)->solicited);
}

TEST(Ndp, IgnoredTable) {
    struct Case {
        const char* what;
        std::function<void(std::vector<std::byte>&)> spoil;
        bool recompute;  // fix the checksum after spoiling
        const char* why;
    };
    auto checksum = [](std::vector<std::byte>& b) {
        auto m = std::span{b}.subspan(40);
        nat::store16(m, 2,
                     nat::transport_checksum6(parsed(b).source_address(), parsed(b).destination_address(),
                                              nat::Protocol::Icmp, m));
    };
    const std::vector<Case> cases{
        {"through a router", [](auto& b) { nat::store8(b, 7, 64); }, false, "hop limit 64, not 255"},
        {"code 1", [](auto& b) { nat::store8(b, 41, 1); }, true, "ICMP code 1, not 0"},
        {"bad checksum", [](auto& b) { nat::store8(b, 60, 0x99); }, false, "bad checksum"},
        {"multicast target", [](auto& b) { nat::store8(b, 48, 0xff); }, true, "the target ff"},
        {"option of length 0", [](auto& b) { nat::store8(b, 40 + 25, 0); }, true, "an option of length 0"},
        {"from :: with a link-layer option",
         [](auto& b) {
             for (int i = 8; i < 24; ++i) nat::store8(b, i, 0);
         },
         true, "a solicitation from :: with a source link-layer address"},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.what);
        auto ns = build_solicitation(kRouter, kHost, kHostMac);
        c.spoil(ns);
        if (c.recompute) checksum(ns);
        std::string why;
        EXPECT_FALSE(parse_solicitation(parsed(ns), why));
        EXPECT_EQ(why.rfind(c.why, 0), 0u) << why;
    }
}

TEST(Ndp, RouterAdvertisementCarriesTheLanPrefix) {
    RouterAdvertisementSpec spec{link_local(kRouterMac), kRouterMac, *Ipv6Prefix::parse("2001:2:0:1::/64")};
    auto ra = build_router_advertisement(spec);
    auto p = parsed(ra);
    EXPECT_TRUE(p.checksum_ok());
    EXPECT_EQ(p.hop_limit(), 255);
    EXPECT_EQ(p.destination_address(), all_nodes());
    auto m = p.transport();
    EXPECT_EQ(nat::load8(m, 0), kRouterAdvertisement);
    EXPECT_EQ(nat::load16(m, 6), 1800) << "router lifetime";
    EXPECT_EQ(nat::load8(m, 16), 3) << "prefix information";
    EXPECT_EQ(nat::load8(m, 18), 64);
    EXPECT_EQ(nat::load8(m, 19), 0xc0) << "on-link and autonomous";
    EXPECT_EQ(nat::load32(m, 20), 86400u);
    Ipv6 prefix;
    for (int i = 0; i < 16; ++i) prefix.bytes[i] = nat::load8(m, 32 + i);
    EXPECT_EQ(prefix, a6("2001:2:0:1::"));
    EXPECT_EQ(nat::load8(m, 48), 1) << "source link-layer address";
}

}  // namespace
}  // namespace natlab::v6
