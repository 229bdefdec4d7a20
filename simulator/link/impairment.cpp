#include "simulator/link/impairment.h"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace natlab::nat {
namespace {

// A decimal number at the start of `text`; `rest` gets what follows it.
std::optional<double> leading_number(std::string_view text, std::string_view& rest) {
    double value = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc{} || end == text.data() || !std::isfinite(value) || value < 0) return std::nullopt;
    rest = text.substr(static_cast<std::size_t>(end - text.data()));
    return value;
}

struct Unit {
    std::string_view suffix;
    double scale;
};

// `text` as a number followed by one of `units` (an empty suffix allowed if listed).
std::optional<double> scaled(std::string_view text, std::initializer_list<Unit> units) {
    std::string_view rest;
    auto value = leading_number(text, rest);
    if (!value) return std::nullopt;
    for (const Unit& unit : units)
        if (rest == unit.suffix) return *value * unit.scale;
    return std::nullopt;
}

}  // namespace

void ImpairmentChange::apply_to(LinkImpairment& settings) const {
    if (delay) settings.delay = *delay;
    if (jitter) settings.jitter = *jitter;
    if (loss_percent) settings.loss_percent = *loss_percent;
    if (rate_bits) settings.rate_bits = *rate_bits;
}

// A bare number is accepted only as 0: "50" could mean seconds or milliseconds.
std::optional<Nanoseconds> parse_duration(std::string_view text) {
    if (text == "0") return Nanoseconds{0};
    auto ns = scaled(text, {{"ns", 1}, {"us", 1e3}, {"ms", 1e6}, {"s", 1e9}});
    if (!ns || *ns > 3600e9) return std::nullopt;
    return Nanoseconds{static_cast<std::int64_t>(std::llround(*ns))};
}

std::optional<double> parse_percent(std::string_view text) {
    auto percent = scaled(text, {{"", 1}, {"%", 1}});
    if (!percent || *percent > 100) return std::nullopt;
    return percent;
}

std::optional<std::uint64_t> parse_rate(std::string_view text) {
    auto bits = scaled(text, {{"", 1}, {"bit", 1}, {"kbit", 1e3}, {"mbit", 1e6}, {"gbit", 1e9}});
    if (!bits || *bits > 1e12 || (*bits > 0 && *bits < 1)) return std::nullopt;
    return static_cast<std::uint64_t>(std::llround(*bits));
}

std::string_view to_string(Fate fate) {
    switch (fate) {
        case Fate::Queued:
            return "queued";
        case Fate::Lost:
            return "lost";
        case Fate::Down:
            return "down";
        case Fate::QueueFull:
            return "queue_full";
    }
    return "?";
}

Impairment::Impairment(const LinkImpairment& settings, std::uint64_t seed)
    : settings_(settings), random_(seed) {
    tokens_ = burst();
}

void Impairment::configure(const LinkImpairment& settings, TimePoint now) {
    leave_bucket(0, now);  // settle the bucket at the old rate first
    settings_ = settings;
    tokens_ = std::min(tokens_, burst());
}

void Impairment::set_down(bool down) {
    down_ = down;
    if (!down_) return;
    counters_.down += queue_.size();
    queue_.clear();
    queued_bytes_ = 0;
}

Fate Impairment::offer(Frame frame, TimePoint now) {
    if (down_) return count(Fate::Down);
    if (drawn_lost()) return count(Fate::Lost);
    std::size_t bytes = frame.bytes.size();
    if (queue_.size() >= kMaxQueuedFrames || queued_bytes_ + bytes > kMaxQueuedBytes)
        return count(Fate::QueueFull);
    auto departure = leave_bucket(bytes, now);
    if (!departure) return count(Fate::QueueFull);
    TimePoint due = delivery_time(*departure);
    queued_bytes_ += bytes;
    queue_.push_back({due, std::move(frame)});
    return Fate::Queued;
}

std::optional<TimePoint> Impairment::next_due() const {
    if (queue_.empty()) return std::nullopt;
    return queue_.front().due;
}

std::optional<Frame> Impairment::take_due(TimePoint now) {
    if (queue_.empty() || queue_.front().due > now) return std::nullopt;
    Frame frame = std::move(queue_.front().frame);
    queue_.pop_front();
    queued_bytes_ -= frame.bytes.size();
    ++counters_.forwarded;
    return frame;
}

bool Impairment::drawn_lost() {
    if (settings_.loss_percent <= 0) return false;
    return std::uniform_real_distribution<double>{0, 100}(random_) < settings_.loss_percent;
}

double Impairment::burst() const {
    return std::max(kMinBurst, bytes_per_second() * std::chrono::duration<double>(kBurstTime).count());
}

// Refills the bucket up to `now`, then takes `bytes` from it: the time the
// frame's last bit leaves, or nullopt if the frames ahead of it already
// hold the link for longer than kMaxRateBacklog (and then nothing is taken).
// Unlimited rate: the frame leaves at once.
std::optional<TimePoint> Impairment::leave_bucket(std::size_t bytes, TimePoint now) {
    if (settings_.rate_bits == 0) {
        refilled_ = now;
        return now;
    }
    double elapsed = std::chrono::duration<double>(std::max(now - refilled_, TimePoint::duration{0})).count();
    tokens_ = std::min(burst(), tokens_ + elapsed * bytes_per_second());
    refilled_ = std::max(refilled_, now);
    auto backlog = std::chrono::duration<double>(std::max(-tokens_, 0.0) / bytes_per_second());
    if (backlog > kMaxRateBacklog) return std::nullopt;
    double debt = static_cast<double>(bytes) - tokens_;
    auto wait = std::chrono::duration<double>(std::max(debt, 0.0) / bytes_per_second());
    tokens_ -= static_cast<double>(bytes);
    return now + std::chrono::duration_cast<Nanoseconds>(wait);
}

// Delay plus jitter, never before the frame offered before (no reordering).
TimePoint Impairment::delivery_time(TimePoint departure) {
    Nanoseconds delay = settings_.delay;
    if (settings_.jitter.count() > 0) {
        std::int64_t j = settings_.jitter.count();
        delay += Nanoseconds{std::uniform_int_distribution<std::int64_t>{-j, j}(random_)};
    }
    TimePoint due = departure + std::max(delay, Nanoseconds{0});
    last_due_ = std::max(last_due_, due);
    return last_due_;
}

Fate Impairment::count(Fate fate) {
    switch (fate) {
        case Fate::Lost:
            ++counters_.lost;
            break;
        case Fate::Down:
            ++counters_.down;
            break;
        case Fate::QueueFull:
            ++counters_.queue_full;
            break;
        case Fate::Queued:
            break;
    }
    return fate;
}

}  // namespace natlab::nat
