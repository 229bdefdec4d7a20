// NPTv6 (simulator/v6/nptv6.h): RFC 6296's own example, checksum
// neutrality and round trips over many addresses, the /64 case, refusals.
#include <gtest/gtest.h>

#include <random>

#include "simulator/v6/nptv6.h"

namespace natlab::v6 {
namespace {

Ipv6 a(const char* text) {
    return *Ipv6::parse(text);
}
Ipv6Prefix p(const char* text) {
    return *Ipv6Prefix::parse(text);
}

Nptv6 npt(const char* inside, const char* outside) {
    std::string why;
    auto n = Nptv6::make(p(inside), p(outside), why);
    EXPECT_TRUE(n) << why;
    return *n;
}

// RFC 6296 section 3.6: FD01:0203:0405::/48 behind 2001:0DB8:0001::/48;
// FD01:0203:0405:0001::1234 leaves as 2001:0DB8:0001:D550::1234.
TEST(Nptv6, TheRfcExample) {
    auto n = npt("fd01:203:405::/48", "2001:db8:1::/48");
    EXPECT_EQ(n.outbound(a("fd01:203:405:1::1234")), a("2001:db8:1:d550::1234"));
    EXPECT_EQ(n.inbound(a("2001:db8:1:d550::1234")), a("fd01:203:405:1::1234"));
}

TEST(Nptv6, NeutralAndReversibleForEveryAddressTried) {
    struct Pair {
        const char* inside;
        const char* outside;
    };
    const Pair pairs[] = {{"fd00:1::/48", "2001:2:0::/48"},
                          {"fd00:1:0:1::/64", "2001:2:0:10::/64"},
                          {"fd12:3456:789a::/48", "2001:2:ffff::/48"},
                          {"fd00:1:2:30::/60", "2001:2:0:40::/60"},
                          {"fc00::/7", "2000::/7"}};
    std::mt19937_64 random(6296);
    for (const auto& pair : pairs) {
        SCOPED_TRACE(pair.inside);
        auto n = npt(pair.inside, pair.outside);
        for (int i = 0; i < 2000; ++i) {
            Ipv6 inside = n.inside().base;
            for (int g = 0; g < 8; ++g) inside.set_group(g, static_cast<std::uint16_t>(random()));
            for (int bit = 0; bit < n.inside().length; ++bit) {  // keep the prefix's bits
                auto mask = static_cast<std::uint8_t>(0x80 >> (bit % 8));
                inside.bytes[bit / 8] = static_cast<std::uint8_t>((inside.bytes[bit / 8] & ~mask) |
                                                                  (n.inside().base.bytes[bit / 8] & mask));
            }
            auto outside = n.outbound(inside);
            ASSERT_TRUE(outside) << inside.to_string();
            EXPECT_TRUE(n.outside().contains(*outside));
            // 0 and 0xffff are one value in one's complement.
            EXPECT_EQ(address_sum(*outside) % 0xffff, address_sum(inside) % 0xffff) << inside.to_string();
            EXPECT_EQ(n.inbound(*outside), inside) << inside.to_string() << " -> " << outside->to_string();
        }
    }
}

TEST(Nptv6, LongPrefixesAdjustTheFirstInterfaceWordThatIsNotAllOnes) {
    auto n = npt("fd00:1:0:1::/64", "2001:2:0:10::/64");
    auto plain = *n.outbound(a("fd00:1:0:1:aaaa:bbbb:cccc:dddd"));
    EXPECT_NE(plain.group(4), 0xaaaa);
    EXPECT_EQ(plain.group(5), 0xbbbb);
    auto skipped = *n.outbound(a("fd00:1:0:1:ffff:bbbb:cccc:dddd"));
    EXPECT_EQ(skipped.group(4), 0xffff);
    EXPECT_NE(skipped.group(5), 0xbbbb);
    EXPECT_FALSE(n.outbound(a("fd00:1:0:1:ffff:ffff:ffff:ffff"))) << "no word can take the adjustment";
}

TEST(Nptv6, OnlyItsOwnPrefixes) {
    auto n = npt("fd00:1::/48", "2001:2::/48");
    EXPECT_FALSE(n.outbound(a("fd00:2::1")));
    EXPECT_FALSE(n.inbound(a("2001:3::1")));
    EXPECT_FALSE(n.inbound(a("fd00:1::1"))) << "inbound takes outside addresses only";
}

TEST(Nptv6, RefusedPairs) {
    struct Case {
        const char* inside;
        const char* outside;
        const char* why;
    };
    const Case cases[] = {
        {"fd00:1::/48", "2001:2:0:1::/64", "the inside and outside prefixes must have one length"},
        {"fd00:1:0:1:1::/80", "2001:2:0:1:1::/80", "an NPTv6 prefix must be /1 to /64, not /80"},
        {"2001:2::/48", "2001:2::/48",
         "the inside prefix 2001:2::/48 overlaps the outside prefix 2001:2::/48"},
    };
    for (const auto& c : cases) {
        std::string why;
        EXPECT_FALSE(Nptv6::make(p(c.inside), p(c.outside), why));
        EXPECT_EQ(why.rfind(c.why, 0), 0u) << why;
    }
}

}  // namespace
}  // namespace natlab::v6
