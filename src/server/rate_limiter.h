// Per-key token buckets: how the rendezvous server keeps one source (or one
// client) from taking more than its share.
//
// A bucket holds up to `burst` tokens and refills at `rate` tokens per
// second; an event costing c tokens passes if the bucket holds c, and takes
// them. Requests cost 1, relayed datagrams cost their size in bytes. Pure:
// the time comes in as an argument, so tests step a fake clock.
//
// Lifecycle of a bucket: born full on a key's first event (and charged for
// it), refilled lazily on the key's next event, forgotten by prune() once it
// would be full again (a full bucket and no bucket mean the same thing).
// The table is bounded by `capacity`: when it is full and pruning frees
// nothing, a new key passes untracked (fail open: an attacker spraying
// sources gets no more than with no limiter, and known clients keep
// their buckets). Such passes are counted.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <unordered_map>

#include "src/net/clock.h"

namespace natlab {

struct TokenBucket {
    double tokens = 0;
    TimePoint last{};

    // Refills for the time since `last`, then takes `cost` if there is that much.
    bool take(double cost, double rate, double burst, TimePoint now) {
        double elapsed = std::chrono::duration<double>(now - last).count();
        if (elapsed > 0) tokens = std::min(burst, tokens + elapsed * rate);
        last = std::max(last, now);
        if (tokens < cost) return false;
        tokens -= cost;
        return true;
    }
    bool full(double rate, double burst, TimePoint now) const {
        return tokens + std::chrono::duration<double>(now - last).count() * rate >= burst;
    }
};

template <class Key, class Hash = std::hash<Key>>
class RateLimiter {
public:
    // rate <= 0: no limit (every event passes, nothing is stored).
    RateLimiter(double rate, double burst, std::size_t capacity)
        : rate_(rate), burst_(burst), capacity_(capacity) {}

    bool limited() const { return rate_ > 0; }

    bool allow(const Key& key, TimePoint now, double cost = 1) {
        if (!limited()) return true;
        auto it = buckets_.find(key);
        if (it == buckets_.end()) {
            if (buckets_.size() >= capacity_) prune(now);
            if (buckets_.size() >= capacity_) return ++untracked_, true;
            it = buckets_.emplace(key, TokenBucket{burst_, now}).first;
        }
        return it->second.take(cost, rate_, burst_, now);
    }

    void prune(TimePoint now) {
        std::erase_if(buckets_, [&](const auto& entry) { return entry.second.full(rate_, burst_, now); });
    }

    std::size_t size() const { return buckets_.size(); }
    std::uint64_t untracked() const { return untracked_; }

private:
    double rate_;
    double burst_;
    std::size_t capacity_;
    std::unordered_map<Key, TokenBucket, Hash> buckets_;
    std::uint64_t untracked_ = 0;
};

}  // namespace natlab
