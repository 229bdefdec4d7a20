// Egress link and next hop (simulator/route.cpp).

#include <gtest/gtest.h>

#include "simulator/router/route.h"
#include "tests/simulator/test_nat_support.h"

namespace natlab::nat::testing {
namespace {

struct RouteCase {
    const char* destination;
    bool with_gateway;
    std::optional<NextHop> want;
};

TEST(Route, Table) {
    const Routes base{*Cidr::parse("10.0.1.0/24"), *Cidr::parse("198.18.0.0/15"), std::nullopt};
    const RouteCase cases[] = {
        {"10.0.1.2", false, NextHop{Side::Inside, ip("10.0.1.2")}},       // hairpin lands here
        {"198.18.0.2", false, NextHop{Side::Outside, ip("198.18.0.2")}},  // on-link outside
        {"198.19.255.1", false, NextHop{Side::Outside, ip("198.19.255.1")}},
        {"203.0.113.5", false, std::nullopt},                             // no gateway: no route
        {"203.0.113.5", true, NextHop{Side::Outside, ip("198.18.0.1")}},  // via the gateway
        {"10.0.2.2", true, NextHop{Side::Outside, ip("198.18.0.1")}},     // another LAN is not ours
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.destination);
        Routes routes = base;
        if (c.with_gateway) routes.gateway = ip("198.18.0.1");
        EXPECT_EQ(next_hop(routes, ip(c.destination)), c.want);
    }
    EXPECT_EQ(no_route(ip("203.0.113.5")).text, "no route to 203.0.113.5");
}

}  // namespace
}  // namespace natlab::nat::testing
