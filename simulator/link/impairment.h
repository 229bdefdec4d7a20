// One direction of an impaired link: loss, delay, jitter and a rate limit.
//
// Theory of operation
// -------------------
// The lab's kernel has no netem qdisc, so link impairments are a user-space
// stage (link-emu, link_emu.h) that moves every frame between two interfaces.
// This file is its pure core: a frame's size and arrival time go in, and out
// comes either the time to deliver it or a drop with its reason. Nothing
// here reads a clock; the shell passes the time, tests pass a fake one.
//
// A frame offered to a direction meets, in order:
//
//   down     - while the link is down every frame is dropped (`down`);
//   loss     - a Bernoulli draw with the configured percentage (`lost`),
//              from this direction's own seeded generator, so a run with the
//              same seed and the same traffic loses the same frames;
//   rate     - a token bucket in bytes, filled at the rate and holding two
//              milliseconds of traffic (one full-size frame at least). A frame
//              that finds too few tokens borrows them: the bucket goes into
//              debt and the frame leaves when the debt is paid off, so frames
//              leave in order, spaced by their size at the rate, like on a
//              serialising link. A frame that finds the link already booked
//              for more than kMaxRateBacklog by the frames ahead of it is
//              dropped instead (`queue_full`), as a tbf with that latency
//              would;
//   delay    - the configured delay plus a uniform jitter in [-jitter, +jitter]
//              (never below zero). Jitter never reorders: a frame is never
//              delivered before the one offered before it;
//   queue    - the frame waits in a FIFO delay line until its time; at most
//              kMaxQueuedFrames frames and kMaxQueuedBytes bytes wait at
//              once, beyond that the frame is dropped (`queue_full`).
//
// `set` changes apply to frames offered afterwards; frames already waiting
// keep their delivery time. Going down drops the waiting frames too (counted
// as `down`): a pulled cable loses what was on the wire.
//
// Each direction of link-emu is one Impairment with its own queue, bucket and
// generator; they share nothing.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <random>
#include <string>
#include <string_view>

#include "simulator/wire/ethernet.h"
#include "src/net/clock.h"

namespace natlab::nat {

using Nanoseconds = std::chrono::nanoseconds;

struct LinkImpairment {
    Nanoseconds delay{0};
    Nanoseconds jitter{0};
    double loss_percent = 0;      // 0..100
    std::uint64_t rate_bits = 0;  // bits per second; 0: unlimited
    auto operator<=>(const LinkImpairment&) const = default;
};

// A `set` command or flag: only the named fields change.
struct ImpairmentChange {
    std::optional<Nanoseconds> delay, jitter;
    std::optional<double> loss_percent;
    std::optional<std::uint64_t> rate_bits;
    void apply_to(LinkImpairment& settings) const;
};

// Value syntax shared by the command line and the stdin commands.
// Millis: "50ms", "1.5s", "250us", "0". Percentage: "20", "0.5", "20%".
// Rate: "10mbit", "1.5gbit", "64kbit", "100000" (bits per second).
std::optional<Nanoseconds> parse_duration(std::string_view text);
std::optional<double> parse_percent(std::string_view text);
std::optional<std::uint64_t> parse_rate(std::string_view text);

struct ImpairmentCounters {
    std::uint64_t forwarded = 0;  // delivered (handed to the shell to send)
    std::uint64_t lost = 0;
    std::uint64_t down = 0;
    std::uint64_t queue_full = 0;
};

enum class Fate { Queued, Lost, Down, QueueFull };
std::string_view to_string(Fate fate);

class Impairment {
public:
    static constexpr std::size_t kMaxQueuedFrames = 10000;
    static constexpr std::size_t kMaxQueuedBytes = 64u << 20;
    static constexpr Nanoseconds kBurstTime = std::chrono::milliseconds{2};
    static constexpr double kMinBurst = 1514;  // bytes: one full-size Ethernet frame
    static constexpr Nanoseconds kMaxRateBacklog = std::chrono::milliseconds{100};

    Impairment(const LinkImpairment& settings, std::uint64_t seed);

    void configure(const LinkImpairment& settings, TimePoint now);
    const LinkImpairment& settings() const { return settings_; }
    void set_down(bool down);
    bool down() const { return down_; }

    // Offers a frame arriving at `now`; when it is Queued, it waits for next_due().
    Fate offer(Frame frame, TimePoint now);
    // When the first waiting frame is due; nullopt when none waits.
    std::optional<TimePoint> next_due() const;
    // The first waiting frame if it is due at `now` (counted as forwarded).
    std::optional<Frame> take_due(TimePoint now);

    std::size_t queued() const { return queue_.size(); }
    const ImpairmentCounters& counters() const { return counters_; }

private:
    struct Waiting {
        TimePoint due;
        Frame frame;
    };

    bool drawn_lost();
    std::optional<TimePoint> leave_bucket(std::size_t bytes, TimePoint now);
    TimePoint delivery_time(TimePoint departure);
    Fate count(Fate fate);

    LinkImpairment settings_;
    bool down_ = false;
    std::mt19937_64 random_;
    double burst() const;
    double bytes_per_second() const { return static_cast<double>(settings_.rate_bits) / 8; }

    double tokens_ = kMinBurst;  // bytes; negative while in debt
    TimePoint refilled_{};
    TimePoint last_due_{};
    std::deque<Waiting> queue_;
    std::size_t queued_bytes_ = 0;
    ImpairmentCounters counters_;
};

}  // namespace natlab::nat
