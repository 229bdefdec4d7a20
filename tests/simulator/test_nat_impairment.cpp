// The impaired link's core (simulator/impairment.cpp) on a fake clock: value
// syntax, delay, jitter without reordering, loss and its seed, the token
// bucket, down/up and the queue limits.

#include <gtest/gtest.h>

#include "simulator/link/impairment.h"
#include "tests/simulator/test_nat_support.h"

namespace natlab::nat::testing {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;

Frame frame_of(std::size_t bytes) {
    return Frame{std::vector<std::byte>(bytes, std::byte{0x5a}), {}};
}

LinkImpairment impairment(std::string_view delay, std::string_view jitter, double loss,
                          std::string_view rate) {
    return {*parse_duration(delay), *parse_duration(jitter), loss, *parse_rate(rate)};
}

// Offers `count` frames of `bytes`, one every `gap`, and drains the queue
// at each frame's due time; returns each delivered frame's one-way delay.
std::vector<Nanoseconds> run(Impairment& link, int count, std::size_t bytes, Nanoseconds gap) {
    std::vector<TimePoint> sent;
    std::vector<Nanoseconds> delays;
    for (int i = 0; i < count; ++i) {
        TimePoint at = t(0) + gap * i;
        if (link.offer(frame_of(bytes), at) == Fate::Queued) sent.push_back(at);
    }
    for (std::size_t i = 0; i < sent.size(); ++i) {
        TimePoint due = *link.next_due();
        EXPECT_TRUE(link.take_due(due));
        delays.push_back(due - sent[i]);
    }
    return delays;
}

struct DurationCase {
    const char* text;
    std::optional<Nanoseconds> want;
};

TEST(Impairment, DurationSyntax) {
    const DurationCase cases[] = {
        {"50ms", milliseconds{50}},   {"1.5s", milliseconds{1500}}, {"0", Nanoseconds{0}},
        {"250us", microseconds{250}}, {"0ms", Nanoseconds{0}},      {"50", std::nullopt},
        {"-5ms", std::nullopt},       {"5 ms", std::nullopt},       {"ms", std::nullopt},
        {"", std::nullopt},           {"2h", std::nullopt},
    };
    for (const auto& c : cases) EXPECT_EQ(parse_duration(c.text), c.want) << c.text;
}

struct PercentCase {
    const char* text;
    std::optional<double> want;
};

TEST(Impairment, PercentSyntax) {
    const PercentCase cases[] = {
        {"20", 20.0},         {"0.5", 0.5},        {"20%", 20.0},
        {"100", 100.0},       {"0", 0.0},          {"100.1", std::nullopt},
        {"-1", std::nullopt}, {"x", std::nullopt}, {"20%%", std::nullopt},
    };
    for (const auto& c : cases) EXPECT_EQ(parse_percent(c.text), c.want) << c.text;
}

struct RateCase {
    const char* text;
    std::optional<std::uint64_t> want;
};

TEST(Impairment, RateSyntax) {
    const RateCase cases[] = {
        {"10mbit", 10'000'000},
        {"1.5gbit", 1'500'000'000},
        {"64kbit", 64'000},
        {"100000", 100'000},
        {"0", 0},
        {"800bit", 800},
        {"10mb", std::nullopt},
        {"fast", std::nullopt},
        {"-1mbit", std::nullopt},
    };
    for (const auto& c : cases) EXPECT_EQ(parse_rate(c.text), c.want) << c.text;
}

TEST(Impairment, NoImpairmentDeliversAtOnceInOrder) {
    Impairment link({}, 1);
    ASSERT_EQ(link.offer(frame_of(100), t(1)), Fate::Queued);
    ASSERT_EQ(link.offer(frame_of(200), t(1)), Fate::Queued);
    EXPECT_EQ(link.next_due(), t(1));
    EXPECT_EQ(link.take_due(t(1))->bytes.size(), 100u);
    EXPECT_EQ(link.take_due(t(1))->bytes.size(), 200u);
    EXPECT_FALSE(link.take_due(t(1)));
    EXPECT_FALSE(link.next_due());
    EXPECT_EQ(link.counters().forwarded, 2u);
}

TEST(Impairment, DelayHoldsEachFrameExactly) {
    Impairment link(impairment("50ms", "0", 0, "0"), 1);
    ASSERT_EQ(link.offer(frame_of(100), t(1)), Fate::Queued);
    EXPECT_EQ(link.next_due(), t(1.05));
    EXPECT_FALSE(link.take_due(t(1.049)));
    EXPECT_TRUE(link.take_due(t(1.05)));
}

TEST(Impairment, JitterStaysInItsBandAndNeverReorders) {
    Impairment link(impairment("50ms", "10ms", 0, "0"), 7);
    auto delays = run(link, 2000, 100, milliseconds{1});
    ASSERT_EQ(delays.size(), 2000u);
    Nanoseconds shortest = delays[0], longest = delays[0];
    for (auto d : delays) {
        shortest = std::min(shortest, d);
        longest = std::max(longest, d);
    }
    // Frames 1 ms apart with +-10 ms of jitter: a frame that drew a short delay
    // waits for the one before it, so delays stay in [40, 60] ms and the
    // queue (checked by run(): next_due is always the oldest) stays FIFO.
    EXPECT_GE(shortest, milliseconds{40});
    EXPECT_LE(longest, milliseconds{60});
    EXPECT_GT(longest - shortest, milliseconds{15});  // the jitter is really there
}

TEST(Impairment, LossFollowsThePercentageAndTheSeed) {
    auto lost_frames = [](std::uint64_t seed) {
        Impairment link(impairment("0", "0", 20, "0"), seed);
        std::vector<int> lost;
        for (int i = 0; i < 10000; ++i)
            if (link.offer(frame_of(60), t(0)) == Fate::Lost) lost.push_back(i);
        EXPECT_EQ(link.counters().lost, lost.size());
        EXPECT_EQ(link.queued(), 10000 - lost.size());
        return lost;
    };
    auto first = lost_frames(42);
    EXPECT_NEAR(static_cast<double>(first.size()), 2000, 150);  // 20% of 10000, within ~4 sigma
    EXPECT_EQ(lost_frames(42), first);                          // same seed, same frames lost
    EXPECT_NE(lost_frames(43), first);
}

struct RateSpacingCase {
    const char* rate;
    std::size_t bytes;
    Nanoseconds want_spacing;  // between deliveries once the burst is spent
};

TEST(Impairment, RateSpacesFramesBySizeOverRate) {
    const RateSpacingCase cases[] = {
        {"10mbit", 1250, milliseconds{1}},     // 10 000 bits at 10 Mbit/s
        {"1mbit", 125, milliseconds{1}},       // 1 000 bits at 1 Mbit/s
        {"100mbit", 1500, microseconds{120}},  // 12 000 bits at 100 Mbit/s
    };
    for (const auto& c : cases) {
        Impairment link(impairment("0", "0", 0, c.rate), 1);
        auto delays = run(link, 40, c.bytes, Nanoseconds{0});  // one burst of 40 frames
        ASSERT_EQ(delays.size(), 40u) << c.rate;
        auto spacing = delays[39] - delays[38];
        EXPECT_NEAR(spacing.count(), c.want_spacing.count(), 1000) << c.rate;
    }
}

TEST(Impairment, RateKeepsTheLongRunAverage) {
    Impairment link(impairment("0", "0", 0, "10mbit"), 1);
    // 1000-byte frames offered every 0.4 ms (20 Mbit/s): half fit, the
    // backlog is capped at 100 ms and the rest are queue_full.
    auto delays = run(link, 5000, 1000, microseconds{400});
    double seconds = std::chrono::duration<double>(microseconds{400} * 5000 + delays.back()).count();
    double mbit = static_cast<double>(delays.size()) * 8000 / seconds / 1e6;
    EXPECT_NEAR(mbit, 10, 0.5);
    EXPECT_GT(link.counters().queue_full, 2000u);
    EXPECT_LE(delays.back(), milliseconds{101});
}

TEST(Impairment, AnIdleBucketAllowsOnlyItsBurst) {
    Impairment link(impairment("0", "0", 0, "10mbit"), 1);
    // After a long pause the bucket holds 2 ms at 10 Mbit/s = 2500 bytes:
    // two 1250-byte frames leave at once, the third waits 1 ms.
    ASSERT_EQ(link.offer(frame_of(1250), t(10)), Fate::Queued);
    ASSERT_EQ(link.offer(frame_of(1250), t(10)), Fate::Queued);
    ASSERT_EQ(link.offer(frame_of(1250), t(10)), Fate::Queued);
    EXPECT_TRUE(link.take_due(t(10)));
    EXPECT_TRUE(link.take_due(t(10)));
    EXPECT_FALSE(link.take_due(t(10.0009)));
    EXPECT_TRUE(link.take_due(t(10.001)));
}

TEST(Impairment, DownDropsEverythingIncludingWhatWaits) {
    Impairment link(impairment("50ms", "0", 0, "0"), 1);
    ASSERT_EQ(link.offer(frame_of(100), t(0)), Fate::Queued);
    ASSERT_EQ(link.offer(frame_of(100), t(0)), Fate::Queued);
    link.set_down(true);
    EXPECT_EQ(link.offer(frame_of(100), t(0.01)), Fate::Down);
    EXPECT_FALSE(link.next_due());
    EXPECT_EQ(link.counters().down, 3u);
    link.set_down(false);
    EXPECT_EQ(link.offer(frame_of(100), t(1)), Fate::Queued);
    EXPECT_EQ(link.next_due(), t(1.05));
}

TEST(Impairment, SetAppliesToLaterFramesWithoutReordering) {
    Impairment link(impairment("100ms", "0", 0, "0"), 1);
    ASSERT_EQ(link.offer(frame_of(100), t(0)), Fate::Queued);  // due 0.1
    link.configure(impairment("10ms", "0", 0, "0"), t(0.01));
    ASSERT_EQ(link.offer(frame_of(100), t(0.01)), Fate::Queued);  // 0.02, held behind the first
    ASSERT_EQ(link.offer(frame_of(100), t(0.2)), Fate::Queued);   // 0.21
    EXPECT_EQ(*link.next_due(), t(0.1));
    link.take_due(t(0.1));
    EXPECT_EQ(*link.next_due(), t(0.1));
    link.take_due(t(0.1));
    EXPECT_EQ(*link.next_due(), t(0.21));
}

TEST(Impairment, TheQueueIsBounded) {
    Impairment link(impairment("1s", "0", 0, "0"), 1);
    for (std::size_t i = 0; i < Impairment::kMaxQueuedFrames; ++i)
        ASSERT_EQ(link.offer(frame_of(60), t(0)), Fate::Queued);
    EXPECT_EQ(link.offer(frame_of(60), t(0)), Fate::QueueFull);
    EXPECT_EQ(link.counters().queue_full, 1u);

    Impairment big(impairment("1s", "0", 0, "0"), 1);
    std::size_t fit = Impairment::kMaxQueuedBytes / 65536;
    for (std::size_t i = 0; i < fit; ++i) ASSERT_EQ(big.offer(frame_of(65536), t(0)), Fate::Queued);
    EXPECT_EQ(big.offer(frame_of(65536), t(0)), Fate::QueueFull);
}

}  // namespace
}  // namespace natlab::nat::testing
