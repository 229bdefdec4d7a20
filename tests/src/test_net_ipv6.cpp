// IPv6 addresses and prefixes (src/net/ipv6.h): RFC 4291 text in, RFC 5952
// text out, prefixes of the lab's IPv6 plan.
#include <gtest/gtest.h>

#include "src/net/ipv6.h"

namespace natlab {
namespace {

TEST(Ipv6Text, ParsesEveryFormAndWritesTheCanonicalOne) {
    struct Case {
        const char* text;
        const char* canonical;  // RFC 5952
    };
    const Case cases[] = {
        {"2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"},  // §4.1 leading zeros, §4.2.1 ::
        {"2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"},               // §4.2.3 the first of equal runs
        {"2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"},            // §4.2.2 one zero group stays
        {"2001:0:0:1:0:0:0:1", "2001:0:0:1::1"},                     // §4.2.3 the longest run
        {"2001:DB8::ABCD", "2001:db8::abcd"},                        // §4.3 lowercase
        {"::", "::"},
        {"::1", "::1"},
        {"1::", "1::"},
        {"2001:2::", "2001:2::"},                    // the lab's internet prefix
        {"64:ff9b::198.18.0.2", "64:ff9b::c612:2"},  // RFC 6052 with an embedded IPv4 address
        {"::ffff:10.0.1.2", "::ffff:a00:102"},
        {"fd00:1:2:3:4:5:6:7", "fd00:1:2:3:4:5:6:7"},
        {"1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0"},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.text);
        auto a = Ipv6::parse(c.text);
        ASSERT_TRUE(a);
        EXPECT_EQ(a->to_string(), c.canonical);
        EXPECT_EQ(Ipv6::parse(a->to_string()), a) << "the canonical text reads back";
    }
}

TEST(Ipv6Text, RefusesWhatIsNotAnAddress) {
    for (const char* bad :
         {"", ":", ":::", "1:2:3:4:5:6:7", "1:2:3:4:5:6:7:8:9", "1::2::3", "12345::", "g::1",
          "1:2:3:4:5:6:7:8::", "::1.2.3", "1.2.3.4::", "::1.2.3.4:5", "[::1]", "fe80::1%eth0",
          "1:2:3:4:5:6:1.2.3.4:5", " ::1", "2001:db8:::1", "2001:db8::1:"}) {
        SCOPED_TRACE(bad);
        EXPECT_FALSE(Ipv6::parse(bad));
    }
    EXPECT_TRUE(Ipv6::parse("1:2:3:4:5:6:1.2.3.4")) << "six groups and a quad are eight";
}

TEST(Endpoint6, BracketsAndAPort) {
    auto e = Endpoint6::parse("[2001:2::5]:4000");
    ASSERT_TRUE(e);
    EXPECT_EQ(e->port, 4000);
    EXPECT_EQ(e->to_string(), "[2001:2::5]:4000");
    EXPECT_EQ(Endpoint6::parse("[2001:0002:0000::0005]:0")->to_string(), "[2001:2::5]:0");
    for (const char* bad : {"2001:2::5:4000", "[2001:2::5]", "[2001:2::5]:", "[2001:2::5]:65536",
                            "[2001:2::5]:04", "[2001:2::5]:x", "[198.18.0.2]:1", "[]:1"}) {
        SCOPED_TRACE(bad);
        EXPECT_FALSE(Endpoint6::parse(bad));
    }
}

TEST(Ipv6Prefix, ParseContainOverlap) {
    auto internet = *Ipv6Prefix::parse("2001:2::/48");
    auto lan = *Ipv6Prefix::parse("2001:2:0:1::/64");
    auto ula = *Ipv6Prefix::parse("fd00:1::/64");
    EXPECT_EQ(internet.to_string(), "2001:2::/48");
    EXPECT_TRUE(internet.contains(*Ipv6::parse("2001:2:0:1::5")));
    EXPECT_FALSE(internet.contains(*Ipv6::parse("2001:3::1")));
    EXPECT_TRUE(internet.overlaps(lan));
    EXPECT_TRUE(lan.overlaps(internet));
    EXPECT_FALSE(lan.overlaps(ula));
    auto odd = *Ipv6Prefix::parse("fc00::/7");  // RFC 4193, the ULA block
    EXPECT_TRUE(odd.contains(*Ipv6::parse("fdff::1")));
    EXPECT_TRUE(odd.contains(*Ipv6::parse("fc00::1")));
    EXPECT_FALSE(odd.contains(*Ipv6::parse("fe00::1")));
    EXPECT_TRUE(Ipv6Prefix::parse("::/0")->contains(*Ipv6::parse("2001:db8::1")));
    for (const char* bad : {"2001:2::1/48", "2001:2::/129", "2001:2::", "2001:2::/", "2001:2::/-1",
                            "2001:2::/048", "2001:2::/4x", "fd00::/7"}) {
        SCOPED_TRACE(bad);
        EXPECT_FALSE(Ipv6Prefix::parse(bad));
    }
}

}  // namespace
}  // namespace natlab
