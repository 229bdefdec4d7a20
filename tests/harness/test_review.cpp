// The ladder: sightings of packets on links become journeys with
// translations and drops.
#include <gtest/gtest.h>

#include "harness/cli/run.h"
#include "harness/report/review.h"

using namespace natlab;
using namespace natlab::harness;

namespace {

Sighting seen(double t, const char* node, const char* segment, const char* src, const char* dst,
              std::uint16_t id, std::uint64_t payload = 7) {
    Sighting s;
    s.t = t, s.node = node, s.segment = segment;
    s.frame.src = src, s.frame.dst = dst, s.frame.protocol = "udp", s.frame.ip_id = id;
    s.frame.payload_hash = payload, s.frame.length = 48, s.frame.what = "STUN Probe request";
    return s;
}

const std::vector<std::string> kNats = {"home-a", "home-b"};

}  // namespace

// alice -> server through home-a: seen on four links, one journey, two hops.
TEST(Review, TranslatedPacketIsOneJourney) {
    std::vector<Sighting> s = {
        seen(1.0003, "server", "internet", "198.18.1.1:4000", "198.18.0.2:3478", 1),
        seen(1.0000, "alice", "home-a-lan", "10.0.1.2:4000", "198.18.0.2:3478", 1),
        seen(1.0001, "home-a", "home-a-lan", "10.0.1.2:4000", "198.18.0.2:3478", 1),
        seen(1.0002, "home-a", "internet", "198.18.1.1:4000", "198.18.0.2:3478", 1),
    };
    auto j = build_journeys(s, kNats, {});
    ASSERT_EQ(j.size(), 1u);
    ASSERT_EQ(j[0].hops.size(), 2u);
    EXPECT_EQ(j[0].hops[0].sender, "alice");
    EXPECT_EQ(j[0].hops[0].receivers, std::vector<std::string>{"home-a"});
    EXPECT_EQ(j[0].hops[1].sender, "home-a");
    EXPECT_EQ(j[0].hops[1].src, "198.18.1.1:4000");
    EXPECT_EQ(j[0].hops[1].receivers, std::vector<std::string>{"server"});
    EXPECT_TRUE(j[0].delivered);
    EXPECT_TRUE(j[0].dropped_at.empty());
}

// bob's probe reaches home-a and goes no further: dropped, with the log's reason.
TEST(Review, SwallowedPacketIsADropWithItsReason) {
    std::vector<Sighting> s = {
        seen(2.0, "home-b", "internet", "198.18.1.2:5000", "198.18.1.1:4000", 9),
        seen(2.0001, "home-a", "internet", "198.18.1.2:5000", "198.18.1.1:4000", 9),
    };
    DropEvents drops = {{"home-a",
                         {{"198.18.1.9:1 -> 198.18.1.1:4000", "an older one (filtered)"},
                          {"198.18.1.2:5000 -> 198.18.1.1:4000", "filtered: no mapping has sent there"}}}};
    auto j = build_journeys(s, kNats, drops);
    ASSERT_EQ(j.size(), 1u);
    EXPECT_FALSE(j[0].delivered);
    EXPECT_EQ(j[0].dropped_at, "home-a");
    EXPECT_EQ(j[0].drop_reason, "filtered: no mapping has sent there");
}

// An outbound drop is logged after translation: matched by destination.
TEST(Review, OutboundDropMatchedByDestination) {
    std::vector<Sighting> s = {seen(3.0, "alice", "home-a-lan", "10.0.1.2:4000", "10.0.2.2:5000", 4),
                               seen(3.0001, "home-a", "home-a-lan", "10.0.1.2:4000", "10.0.2.2:5000", 4)};
    DropEvents drops = {
        {"home-a", {{"198.18.1.1:4000 -> 10.0.2.2:5000", "no route to 10.0.2.2 (no-route)"}}}};
    auto j = build_journeys(s, kNats, drops);
    ASSERT_EQ(j.size(), 1u);
    EXPECT_EQ(j[0].drop_reason, "no route to 10.0.2.2 (no-route)");
}

// Two packets with different identification are two journeys, in time order.
TEST(Review, DistinctPacketsStayDistinct) {
    std::vector<Sighting> s = {seen(5.0, "alice", "home-a-lan", "10.0.1.2:4000", "198.18.0.2:3478", 2),
                               seen(4.0, "alice", "home-a-lan", "10.0.1.2:4000", "198.18.0.2:3478", 1)};
    auto j = build_journeys(s, kNats, {});
    ASSERT_EQ(j.size(), 2u);
    EXPECT_LT(j[0].t, j[1].t);
    EXPECT_FALSE(j[0].delivered);
    EXPECT_TRUE(j[0].dropped_at.empty());  // nobody received it: not a NAT's drop
    auto text = render_ladder_text(j, {});
    EXPECT_NE(text.find("not received by anyone on home-a-lan"), std::string::npos) << text;
}

TEST(RunHelpers, FilterIsGlobOrSubstring) {
    EXPECT_TRUE(label_matches("nat_types/pr-sym", "sym"));
    EXPECT_TRUE(label_matches("nat_types/pr-sym", "nat_types/*-sym"));
    EXPECT_FALSE(label_matches("nat_types/pr-sym", "nat_types/sym-*"));
    EXPECT_FALSE(label_matches("two_nats", "three"));
}

TEST(RunHelpers, DistributionNearestRank) {
    auto d = distribution({400, 100, 300, 200, 1000, 500, 600, 700, 800, 900});
    EXPECT_EQ(d.count, 10u);
    EXPECT_EQ(d.p50, 500);
    EXPECT_EQ(d.p90, 900);
    EXPECT_EQ(d.max, 1000);
    EXPECT_EQ(distribution({}).count, 0u);
}

// Same identity, but the second packet starts at another host: two journeys.
TEST(Review, IdenticalPayloadFromAnotherSenderIsAnotherPacket) {
    std::vector<Sighting> s = {
        seen(6.0, "alice", "home-a-lan", "10.0.1.2:4000", "198.18.1.2:5000", 3),
        seen(6.0001, "home-a", "home-a-lan", "10.0.1.2:4000", "198.18.1.2:5000", 3),
        seen(6.0002, "home-a", "internet", "198.18.1.1:4000", "198.18.1.2:5000", 3),
        seen(6.0003, "home-b", "internet", "198.18.1.1:4000", "198.18.1.2:5000", 3),
        seen(6.0100, "bob", "home-b-lan", "10.0.2.2:5000", "198.18.1.1:4000", 3),
    };
    auto j = build_journeys(s, kNats, {{"home-b", {{"198.18.1.1:4000 -> 198.18.1.2:5000", "filtered"}}}});
    ASSERT_EQ(j.size(), 2u);
    EXPECT_EQ(j[0].dropped_at, "home-b");
    EXPECT_EQ(j[1].hops.front().sender, "bob");
}
