// The peer's IPv6 local candidates: which lines of /proc/net/if_inet6 give
// one (scope global, neither tentative nor failed DAD; RFC 4862 section 5.4).
#include <gtest/gtest.h>

#include "src/shell/interfaces.h"

namespace natlab {
namespace {

TEST(ShellInterfaces, GlobalIpv6AddressesOnly) {
    struct Row {
        const char* line;  // address, ifindex, prefix length, scope, flags, name
        bool kept;
    };
    const Row rows[] = {
        {"20010002000000000000000000000002 02 40 00 80       d0", true},   // global, permanent
        {"20010002000000010000000000000005 03 40 00 00     eth0", true},   // global, from SLAAC
        {"fe800000000000000000000000000001 02 40 20 80       d0", false},  // link-local fe80::/10
        {"00000000000000000000000000000001 01 80 10 80       lo", false},  // loopback ::1
        {"20010002000000000000000000000009 02 40 00 40       d0", false},  // tentative (DAD running)
        {"2001000200000000000000000000000a 02 40 00 08       d0", false},  // DAD failed
        {"fd000000000000010000000000000002 04 40 00 80     eth1", true},   // ULA: global scope
        {"20010002000000000000000000000002 05 40 00 80     eth2", false},  // a repeat
    };
    std::string text;
    std::vector<Ipv6> want;
    for (const auto& r : rows) {
        text += std::string(r.line) + "\n";
        if (r.kept) {
            std::string hex = std::string(r.line).substr(0, 32);
            Ipv6 a;
            for (std::size_t i = 0; i < 16; ++i)
                a.bytes[i] = static_cast<std::uint8_t>(std::stoul(hex.substr(2 * i, 2), nullptr, 16));
            want.push_back(a);
        }
    }
    EXPECT_EQ(global_addresses6(text), want);
    EXPECT_TRUE(global_addresses6("").empty());
    EXPECT_TRUE(global_addresses6("garbage\n").empty());
}

TEST(ShellInterfaces, BoundToOneAddressIsThatAddress) {
    auto bound = *IpEndpoint::parse("[2001:2::2]:4000");
    EXPECT_EQ(local_endpoints(bound, true, true), std::vector<IpEndpoint>{bound});
    auto bound4 = *IpEndpoint::parse("198.18.0.2:4000");
    EXPECT_EQ(local_endpoints(bound4, true, false), std::vector<IpEndpoint>{bound4});
}

}  // namespace
}  // namespace natlab
