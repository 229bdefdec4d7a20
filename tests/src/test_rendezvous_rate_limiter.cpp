// Token buckets on a fake clock: refill, burst, per-key independence,
// pruning and the bounded table.
#include <gtest/gtest.h>

#include "src/net/endpoint.h"
#include "src/server/rate_limiter.h"

namespace natlab {
namespace {

using std::chrono::milliseconds;

const TimePoint t0{};

TEST(RendezvousRateLimiter, BucketRefillsAtItsRate) {
    // 10 tokens per second, at most 5.
    RateLimiter<int> limiter(10, 5, 100);
    struct Row {
        milliseconds at;
        double cost;
        bool want;
    };
    const Row rows[] = {
        {milliseconds(0), 1, true},       // born full: 5 -> 4
        {milliseconds(0), 4, true},       // 4 -> 0
        {milliseconds(0), 1, false},      // empty
        {milliseconds(50), 1, false},     // 0.5 token back: not enough
        {milliseconds(100), 1, true},     // 1 token back
        {milliseconds(10'000), 5, true},  // long idle: refilled to the burst, no more
        {milliseconds(10'000), 1, false},
        {milliseconds(9'000), 1, false},  // a clock going backwards gives nothing
    };
    for (const auto& r : rows)
        EXPECT_EQ(limiter.allow(1, t0 + r.at, r.cost), r.want) << r.at.count() << " ms, cost " << r.cost;
}

TEST(RendezvousRateLimiter, KeysAreIndependent) {
    RateLimiter<Endpoint, EndpointHash> limiter(1, 2, 100);
    Endpoint a{Ipv4{0xC6120101}, 1}, b{Ipv4{0xC6120101}, 2};
    EXPECT_TRUE(limiter.allow(a, t0));
    EXPECT_TRUE(limiter.allow(a, t0));
    EXPECT_FALSE(limiter.allow(a, t0));
    EXPECT_TRUE(limiter.allow(b, t0));  // same address, other port: its own bucket
    EXPECT_EQ(limiter.size(), 2u);
}

TEST(RendezvousRateLimiter, PruneForgetsRefilledBuckets) {
    RateLimiter<int> limiter(10, 10, 100);
    limiter.allow(1, t0, 10);  // empty
    limiter.allow(2, t0, 1);   // nearly full
    limiter.prune(t0 + milliseconds(100));
    EXPECT_EQ(limiter.size(), 1u);  // 2 is full again; 1 holds 1 token of 10
    limiter.prune(t0 + milliseconds(1000));
    EXPECT_EQ(limiter.size(), 0u);
}

// A full table lets new keys through untracked (fail open) and counts them;
// known keys keep their limits.
TEST(RendezvousRateLimiter, FullTableFailsOpenForNewKeys) {
    RateLimiter<int> limiter(1, 1, 2);
    EXPECT_TRUE(limiter.allow(1, t0));
    EXPECT_TRUE(limiter.allow(2, t0));
    EXPECT_FALSE(limiter.allow(1, t0));
    EXPECT_TRUE(limiter.allow(3, t0));
    EXPECT_TRUE(limiter.allow(3, t0));
    EXPECT_EQ(limiter.untracked(), 2u);
    EXPECT_EQ(limiter.size(), 2u);
}

TEST(RendezvousRateLimiter, ZeroRateMeansNoLimit) {
    RateLimiter<int> limiter(0, 0, 1);
    for (int i = 0; i < 1000; ++i) EXPECT_TRUE(limiter.allow(i, t0, 1e9));
    EXPECT_EQ(limiter.size(), 0u);
}

}  // namespace
}  // namespace natlab
