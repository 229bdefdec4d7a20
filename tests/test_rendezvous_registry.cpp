// Registry and pair-session lifecycles, driven by a fake clock.
#include <gtest/gtest.h>

#include "pair_sessions.h"
#include "registry.h"

namespace natlab {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

const TimePoint t0{};
Endpoint ep(std::string_view text) {
    return *Endpoint::parse(text);
}

TEST(RendezvousRegistry, UpsertOutcomes) {
    struct Row {
        const char* name;
        const char* source;
        RegisterOutcome want;
    };
    const Row rows[] = {
        {"alice", "198.18.1.1:40000", RegisterOutcome::added},
        {"alice", "198.18.1.1:40000", RegisterOutcome::refreshed},
        {"alice", "198.18.1.1:40002", RegisterOutcome::moved},  // NAT mapping changed
        {"bob", "198.18.2.1:50000", RegisterOutcome::added},
    };
    Registry registry;
    for (const auto& r : rows)
        EXPECT_EQ(registry.upsert(r.name, ep(r.source), {}, t0), r.want) << r.name << r.source;
    EXPECT_EQ(registry.size(), 2u);
    EXPECT_EQ(registry.find("alice", t0)->public_endpoint, ep("198.18.1.1:40002"));
    EXPECT_FALSE(registry.find_by_endpoint(ep("198.18.1.1:40000"), t0));  // old mapping gone
}

TEST(RendezvousRegistry, NewNameFromSameSocketReplacesOldName) {
    Registry registry;
    registry.upsert("alice", ep("198.18.1.1:40000"), {}, t0);
    registry.upsert("alice2", ep("198.18.1.1:40000"), {}, t0);
    EXPECT_FALSE(registry.find("alice", t0));
    EXPECT_EQ(registry.find_by_endpoint(ep("198.18.1.1:40000"), t0)->name, "alice2");
    EXPECT_EQ(registry.size(), 1u);
}

TEST(RendezvousRegistry, ExpiresAfterThirtySecondsOfSilence) {
    struct Row {
        milliseconds at;
        bool alice_alive;
    };
    Registry registry;
    registry.upsert("alice", ep("198.18.1.1:40000"), {ep("10.0.1.3:40000")}, t0);
    const Row rows[] = {
        {milliseconds(0), true},
        {milliseconds(29'999), true},
        {milliseconds(30'000), false},  // lifetime is exclusive
    };
    for (const auto& r : rows) EXPECT_EQ(registry.find("alice", t0 + r.at) != nullptr, r.alice_alive);
    auto gone = registry.expire(t0 + seconds(30));
    ASSERT_EQ(gone.size(), 1u);
    EXPECT_EQ(gone[0].name, "alice");
    EXPECT_EQ(registry.size(), 0u);
}

TEST(RendezvousRegistry, RefreshAndTouchKeepAlive) {
    Registry registry;
    registry.upsert("alice", ep("198.18.1.1:40000"), {}, t0);
    registry.upsert("alice", ep("198.18.1.1:40000"), {}, t0 + seconds(20));  // refresh
    registry.touch(ep("198.18.1.1:40000"), t0 + seconds(45));                // any request
    EXPECT_TRUE(registry.find("alice", t0 + seconds(74)));
    EXPECT_FALSE(registry.find("alice", t0 + seconds(75)));
    EXPECT_TRUE(registry.expire(t0 + seconds(74)).empty());
}

TEST(RendezvousRegistry, CapacityCountsOnlyLiveEntries) {
    Registry registry(2);
    EXPECT_EQ(registry.upsert("a", ep("198.18.0.1:1"), {}, t0), RegisterOutcome::added);
    EXPECT_EQ(registry.upsert("b", ep("198.18.0.1:2"), {}, t0), RegisterOutcome::added);
    EXPECT_EQ(registry.upsert("c", ep("198.18.0.1:3"), {}, t0), RegisterOutcome::full);
    EXPECT_EQ(registry.upsert("a", ep("198.18.0.1:1"), {}, t0), RegisterOutcome::refreshed);
    EXPECT_EQ(registry.upsert("c", ep("198.18.0.1:3"), {}, t0 + seconds(31)),
              RegisterOutcome::added);  // a and b expired to make room
}

TEST(RendezvousPairSessions, SameSessionFromEitherSideUntilTenSecondsIdle) {
    PairSessions sessions;
    proto::Token token{};
    token[0] = std::byte{0x5a};
    sessions.create("alice", "bob", token, 1, t0);
    auto* again = sessions.find("bob", "alice", t0 + seconds(9));  // reversed order
    ASSERT_TRUE(again);
    EXPECT_EQ(again->controlling, "alice");
    EXPECT_EQ(again->token, token);
    EXPECT_TRUE(sessions.find("alice", "bob", t0 + seconds(18)));  // kept alive by use at 9 s
    EXPECT_FALSE(sessions.find("alice", "bob", t0 + seconds(28)));
    EXPECT_EQ(sessions.size(), 0u);
}

}  // namespace
}  // namespace natlab
