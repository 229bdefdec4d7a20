// Mapping refresh and expiry, RFC 4787 §4.3, on the fake clock.

#include <gtest/gtest.h>

#include "tests/simulator/test_nat_support.h"

namespace natlab::nat::testing {
namespace {

NatConfig with_timeout(int seconds, bool refresh_on_inbound = false) {
    NatConfig config = NatConfig::preset(NatType::FullCone);
    config.mapping_timeout = std::chrono::seconds{seconds};
    config.refresh_on_inbound = refresh_on_inbound;
    return config;
}

// One outbound packet at t=0, then outbound keepalives and inbound packets
// at the given times, then an inbound probe at `probe_at`: is the mapping alive?
struct TimeoutCase {
    const char* name;
    std::vector<double> outbound_at;
    std::vector<double> inbound_at;
    double probe_at;
    bool refresh_on_inbound;
    bool want_alive;
};

TEST(NatTimeout, Table) {
    const TimeoutCase cases[] = {
        {"idle shorter than the timeout", {}, {}, 29.9, false, true},
        {"idle exactly the timeout", {}, {}, 30, false, false},
        {"keepalive shorter than the timeout", {20, 40, 60}, {}, 85, false, true},
        {"keepalive longer than the timeout", {40}, {}, 75, false, false},
        {"inbound does not refresh by default", {}, {20}, 35, false, false},
        {"inbound refreshes when configured", {}, {20}, 35, true, true},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        NatUnderTest nut{with_timeout(30, c.refresh_on_inbound)};
        ASSERT_TRUE(nut.out("10.0.1.2:4000", "198.18.0.2:3478", 0));
        for (double at : c.outbound_at) nut.out("10.0.1.2:4000", "198.18.0.2:3478", at);
        for (double at : c.inbound_at) nut.in("198.18.0.2:3478", "198.18.1.1:4000", at);
        auto probe = nut.in("198.18.0.2:3478", "198.18.1.1:4000", c.probe_at);
        EXPECT_EQ(probe.has_value(), c.want_alive) << nut.nat.last_drop().text;
    }
}

TEST(NatTimeout, SweepExpiresReportsAndFreesThePort) {
    NatUnderTest nut{with_timeout(30)};
    nut.out("10.0.1.2:4000", "198.18.0.2:3478", 0);
    nut.nat.expire(t(29));
    EXPECT_EQ(nut.nat.mappings_live(), 1u);
    nut.nat.expire(t(30));
    EXPECT_EQ(nut.nat.mappings_live(), 0u);
    auto expired = nut.mapping_events(MappingChange::Expired);
    ASSERT_EQ(expired.size(), 1u);
    EXPECT_EQ(expired[0].inside, ep("10.0.1.2:4000"));
    EXPECT_EQ(expired[0].outside, ep("198.18.1.1:4000"));
    EXPECT_EQ(expired[0].remote, ep("198.18.0.2:3478"));
    EXPECT_EQ(expired[0].at, t(30));
    // Port 4000 is free again: another host gets it preserved.
    auto again = nut.out("10.0.1.3:4000", "198.18.0.2:3478", 31);
    ASSERT_TRUE(again);
    EXPECT_EQ(again->source, ep("198.18.1.1:4000"));
}

TEST(NatTimeout, AStaleMappingIsReplacedWithoutWaitingForTheSweep) {
    NatUnderTest nut{with_timeout(30)};
    nut.out("10.0.1.2:4000", "198.18.0.2:3478", 0);
    nut.out("10.0.1.2:4000", "198.18.0.2:3478", 100);  // no sweep ran in between
    EXPECT_EQ(nut.mapping_events(MappingChange::Expired).size(), 1u);
    EXPECT_EQ(nut.mapping_events(MappingChange::Created).size(), 2u);
    EXPECT_EQ(nut.nat.mappings_live(), 1u);
    EXPECT_EQ(nut.nat.counters().mappings_expired, 1u);
}

TEST(NatTimeout, APermissionLapsesWhileTheMappingLivesOn) {
    NatConfig config = with_timeout(30);
    config.filtering = FilteringBehaviour::AddressAndPortDependent;
    NatUnderTest nut{config};
    nut.out("10.0.1.2:4000", "198.18.5.5:6000", 0);  // once to the peer
    for (int at = 10; at <= 50; at += 10)
        nut.out("10.0.1.2:4000", "198.18.0.2:3478", at);  // keepalives to the server only
    EXPECT_TRUE(nut.in("198.18.0.2:3478", "198.18.1.1:4000", 55));
    EXPECT_FALSE(nut.in("198.18.5.5:6000", "198.18.1.1:4000", 55));
    EXPECT_EQ(nut.nat.last_drop().code, DropCode::Filtered);
}

}  // namespace
}  // namespace natlab::nat::testing
