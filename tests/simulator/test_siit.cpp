// NAT64's building blocks (simulator/v6/siit.h): RFC 6052's own table of
// embedded addresses, and RFC 7915 header translation both ways.
#include <gtest/gtest.h>

#include "simulator/v6/siit.h"
#include "simulator/wire/builder.h"
#include "simulator/wire/bytes.h"
#include "simulator/wire/checksum.h"
#include "simulator/wire/icmp.h"
#include "tests/simulator/test_nat_support.h"

namespace natlab::v6 {
namespace {

using nat::DropReason;
using nat::Protocol;

Ipv6 a6(const char* text) {
    return *Ipv6::parse(text);
}
Ipv4 a4(const char* text) {
    return *Ipv4::parse(text);
}
using nat::testing::text_bytes;

// RFC 6052 section 2.4: 192.0.2.33 under each prefix length.
TEST(Rfc6052, TheRfcTable) {
    const std::pair<const char*, const char*> cases[] = {
        {"2001:db8::/32", "2001:db8:c000:221::"},
        {"2001:db8:100::/40", "2001:db8:1c0:2:21::"},
        {"2001:db8:122::/48", "2001:db8:122:c000:2:2100::"},
        {"2001:db8:122:300::/56", "2001:db8:122:3c0:0:221::"},
        {"2001:db8:122:344::/64", "2001:db8:122:344:c0:2:2100:0"},
        {"2001:db8:122:344::/96", "2001:db8:122:344::192.0.2.33"},
        {"64:ff9b::/96", "64:ff9b::192.0.2.33"},
    };
    for (auto [prefix_text, want] : cases) {
        SCOPED_TRACE(prefix_text);
        auto prefix = *Ipv6Prefix::parse(prefix_text);
        auto embedded = embed(prefix, a4("192.0.2.33"));
        ASSERT_TRUE(embedded);
        EXPECT_EQ(*embedded, a6(want));
        EXPECT_EQ(extract(prefix, *embedded), a4("192.0.2.33"));
    }
    EXPECT_EQ(embed(kNat64WellKnown, a4("198.18.0.2"))->to_string(), "64:ff9b::c612:2");
}

TEST(Rfc6052, Refusals) {
    EXPECT_FALSE(embed(*Ipv6Prefix::parse("2001:db8::/60"), a4("192.0.2.33")))
        << "not one of the six lengths";
    EXPECT_FALSE(extract(kNat64WellKnown, a6("2001:db8::1"))) << "not under the prefix";
    auto p64 = *Ipv6Prefix::parse("2001:db8:122:344::/64");
    EXPECT_FALSE(extract(p64, a6("2001:db8:122:344:ffc0:2:2100:0"))) << "the u octet must be zero";
    EXPECT_FALSE(valid_nat64_prefix(*Ipv6Prefix::parse("2001:db8:0:0:100::/96")))
        << "u octet set in the prefix";
}

const Endpoint6 kHost6{a6("2001:2:0:1::2"), 40000};
const Ipv6 kServer6 = *embed(kNat64WellKnown, *Ipv4::parse("198.18.0.2"));
const Ipv4 kPublic = *Ipv4::parse("198.18.1.1");
const Ipv4 kServer4 = *Ipv4::parse("198.18.0.2");

TEST(Rfc7915, UdpSixToFourAndBack) {
    auto bytes6 = nat::build_udp6(kHost6, {kServer6, 3478}, text_bytes("hello"), 63);
    DropReason why;
    auto p6 = nat::Ipv6Packet::parse(bytes6, why);
    ASSERT_TRUE(p6);
    auto bytes4 = to_ipv4(*p6, kPublic, kServer4, why);
    ASSERT_TRUE(bytes4) << why.text;
    auto p4 = nat::Ipv4Packet::parse(*bytes4, why);
    ASSERT_TRUE(p4) << why.text;
    EXPECT_EQ(p4->flow().to_string(), "198.18.1.1:40000 -> 198.18.0.2:3478");
    EXPECT_EQ(p4->ttl(), 63);
    EXPECT_EQ(nat::load16(*bytes4, 6), 0x4000) << "DF, no fragments";
    EXPECT_EQ(p4->transport_checksum(), nat::udp_checksum(kPublic, kServer4, p4->transport()));
    // The answer comes back and is translated to IPv6 again.
    auto answer4 =
        nat::build_udp_datagram({{{kServer4, 3478}, {kPublic, 40000}, Protocol::Udp}, text_bytes("hi")});
    auto a4p = nat::Ipv4Packet::parse(answer4, why);
    ASSERT_TRUE(a4p);
    auto answer6 = to_ipv6(*a4p, kServer6, kHost6.addr, why);
    ASSERT_TRUE(answer6) << why.text;
    auto a6p = nat::Ipv6Packet::parse(*answer6, why);
    ASSERT_TRUE(a6p) << why.text;
    EXPECT_EQ(a6p->flow().to_string(), "udp [64:ff9b::c612:2]:3478 -> [2001:2:0:1::2]:40000");
    EXPECT_TRUE(a6p->checksum_ok());
}

TEST(Rfc7915, Ipv4WithoutUdpChecksumGetsOne) {
    auto answer4 = nat::build_udp_datagram(
        {{{kServer4, 3478}, {kPublic, 40000}, Protocol::Udp}, text_bytes("hi"), 64, /*udp_checksum=*/false});
    DropReason why;
    auto p4 = nat::Ipv4Packet::parse(answer4, why);
    ASSERT_TRUE(p4);
    EXPECT_EQ(p4->transport_checksum(), 0);
    auto answer6 = to_ipv6(*p4, kServer6, kHost6.addr, why);
    ASSERT_TRUE(answer6);
    auto p6 = nat::Ipv6Packet::parse(*answer6, why);
    ASSERT_TRUE(p6) << why.text << " (IPv6 refuses a UDP checksum of 0)";
    EXPECT_TRUE(p6->checksum_ok());
}

TEST(Rfc7915, EchoBothWays) {
    auto request6 = nat::build_echo6(kHost6.addr, kServer6, nat::kIcmpv6EchoRequest, 77, text_bytes("ping"));
    DropReason why;
    auto p6 = nat::Ipv6Packet::parse(request6, why);
    auto request4 = to_ipv4(*p6, kPublic, kServer4, why);
    ASSERT_TRUE(request4) << why.text;
    auto p4 = nat::Ipv4Packet::parse(*request4, why);
    ASSERT_TRUE(p4) << why.text;
    EXPECT_EQ(p4->icmp_type(), nat::kIcmpEchoRequest);
    EXPECT_EQ(nat::internet_checksum(p4->transport()), 0) << "ICMPv4 sums the message alone";
    EXPECT_EQ(p4->source().port, 77);

    nat::IcmpEchoSpec reply{kServer4, kPublic, 77, 1, false, text_bytes("ping")};
    auto reply4 = nat::build_icmp_echo(reply);
    auto r4 = nat::Ipv4Packet::parse(reply4, why);
    ASSERT_TRUE(r4) << why.text;
    auto reply6 = to_ipv6(*r4, kServer6, kHost6.addr, why);
    ASSERT_TRUE(reply6) << why.text;
    auto r6 = nat::Ipv6Packet::parse(*reply6, why);
    ASSERT_TRUE(r6) << why.text;
    EXPECT_EQ(r6->icmp_type(), nat::kIcmpv6EchoReply);
    EXPECT_TRUE(r6->checksum_ok());
    EXPECT_EQ(r6->destination().port, 77);
}

TEST(Rfc7915, OtherIcmpIsRefused) {
    auto unreachable6 = nat::build_echo6(kHost6.addr, kServer6, 1, 0, text_bytes("quoted packet here"));
    DropReason why;
    auto p6 = nat::Ipv6Packet::parse(unreachable6, why);
    ASSERT_TRUE(p6);
    EXPECT_FALSE(to_ipv4(*p6, kPublic, kServer4, why));
    EXPECT_EQ(why.code, nat::DropCode::UnsupportedIcmp);
    EXPECT_EQ(why.text, "unsupported icmp: ICMPv6 type 1 is not translated (only echo)");
}

}  // namespace
}  // namespace natlab::v6
