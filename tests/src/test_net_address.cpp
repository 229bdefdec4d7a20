// IpEndpoint: an endpoint of either family. Parsing and text (RFC 5952
// section 6 brackets), order, IPv4-mapped addresses (RFC 4291 section
// 2.5.5.2) turned back into IPv4, and the hash agreeing with equality.
#include <gtest/gtest.h>

#include <unordered_set>

#include "src/net/address.h"

namespace natlab {
namespace {

IpEndpoint ep(std::string_view text) {
    auto e = IpEndpoint::parse(text);
    EXPECT_TRUE(e) << text;
    return e.value_or(IpEndpoint{});
}

TEST(NetAddress, ParseAndText) {
    struct Row {
        const char* text;
        std::optional<Family> family;  // nullopt: refused
        const char* canonical;
    };
    const Row rows[] = {
        {"198.18.0.2:3478", Family::ipv4, "198.18.0.2:3478"},
        {"[2001:2::2]:3478", Family::ipv6, "[2001:2::2]:3478"},
        {"[2001:0002:0:0::0002]:5", Family::ipv6, "[2001:2::2]:5"},  // RFC 5952 form
        {"[::ffff:198.18.0.2]:1", Family::ipv6, "[::ffff:c612:2]:1"},
        {"[::]:0", Family::ipv6, "[::]:0"},
        {"2001:2::2:3478", std::nullopt, ""},  // IPv6 without brackets
        {"[198.18.0.2]:1", std::nullopt, ""},
        {"198.18.0.2", std::nullopt, ""},
        {"[2001:2::2]", std::nullopt, ""},
        {"", std::nullopt, ""},
    };
    for (const auto& r : rows) {
        auto e = IpEndpoint::parse(r.text);
        ASSERT_EQ(e.has_value(), r.family.has_value()) << r.text;
        if (!e) continue;
        EXPECT_EQ(e->family(), *r.family) << r.text;
        EXPECT_EQ(e->to_string(), r.canonical) << r.text;
    }
}

TEST(NetAddress, Accessors) {
    IpEndpoint v4 = Endpoint{Ipv4{0xC6120002}, 3478};
    EXPECT_EQ(v4, ep("198.18.0.2:3478"));  // an Endpoint converts implicitly
    EXPECT_TRUE(v4.v4() && !v4.v6());
    EXPECT_EQ(v4.port(), 3478);
    EXPECT_EQ(v4.with_port(9), ep("198.18.0.2:9"));
    IpEndpoint v6 = ep("[2001:2::5]:4000");
    EXPECT_TRUE(v6.v6() && !v6.v4());
    EXPECT_EQ(v6.with_port(1), ep("[2001:2::5]:1"));
    EXPECT_TRUE(v6.same_address(ep("[2001:2::5]:1")));
    EXPECT_FALSE(v6.same_address(ep("198.18.0.2:4000")));
    EXPECT_TRUE(ep("0.0.0.0:5").unspecified());
    EXPECT_TRUE(ep("[::]:5").unspecified());
    EXPECT_FALSE(v6.unspecified());
    EXPECT_EQ(to_string(Family::ipv4), "ipv4");
    EXPECT_EQ(to_string(Family::ipv6), "ipv6");
}

TEST(NetAddress, UnmappedIsTheIpv4Endpoint) {
    struct Row {
        const char* in;
        const char* want;
    };
    const Row rows[] = {
        {"[::ffff:198.18.0.2]:40000", "198.18.0.2:40000"},  // a dual-stack socket's IPv4 peer
        {"[::ffff:10.0.1.2]:1", "10.0.1.2:1"},
        {"[2001:2::2]:1", "[2001:2::2]:1"},              // a true IPv6 address stays
        {"[64:ff9b::c612:2]:1", "[64:ff9b::c612:2]:1"},  // NAT64 (RFC 6052) is not mapped
        {"[::198.18.0.2]:1", "[::c612:2]:1"},            // nor is the old IPv4-compatible form
        {"198.18.0.2:7", "198.18.0.2:7"},
    };
    for (const auto& r : rows) EXPECT_EQ(ep(r.in).unmapped().to_string(), r.want) << r.in;
    EXPECT_EQ(mapped_ipv6(Ipv4{0xC6120002}).to_string(), "::ffff:c612:2");
    EXPECT_TRUE(ipv4_mapped(mapped_ipv6(Ipv4{1})));
}

TEST(NetAddress, OrderAndHash) {
    // Every IPv4 endpoint before every IPv6 one, then address, then port.
    std::vector<IpEndpoint> sorted{ep("10.0.0.1:2"), ep("198.18.0.2:1"), ep("[::1]:9"), ep("[2001:2::1]:1"),
                                   ep("[2001:2::1]:2")};
    EXPECT_TRUE(std::is_sorted(sorted.begin(), sorted.end()));
    std::unordered_set<IpEndpoint, IpEndpointHash> set(sorted.begin(), sorted.end());
    EXPECT_EQ(set.size(), sorted.size());
    EXPECT_TRUE(set.count(ep("[2001:2:0::1]:2")));
    EXPECT_FALSE(set.count(ep("[2001:2::1]:3")));
    std::vector<IpEndpoint> mixed = {ep("[2001:2::1]:1"), ep("10.0.0.1:2")};
    EXPECT_EQ(first_of(mixed, Family::ipv4), ep("10.0.0.1:2"));
    EXPECT_EQ(first_of(mixed, Family::ipv6), ep("[2001:2::1]:1"));
    EXPECT_FALSE(first_of({}, Family::ipv6));
}

}  // namespace
}  // namespace natlab
