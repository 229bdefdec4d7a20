// The birthday punch's plan. See birthday.h.
#include "src/peer/birthday.h"

#include <algorithm>
#include <cassert>
#include <charconv>
#include <numeric>

namespace natlab {
namespace {

std::optional<std::uint64_t> number(std::string_view text) {
    std::uint64_t v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc{} || end != text.data() + text.size() || text.empty()) return std::nullopt;
    return v;
}

// A uniform draw in [0, n) from the session's random source.
std::size_t draw(RandomSource& random, std::size_t n) {
    std::uint64_t v = 0;
    random(std::as_writable_bytes(std::span{&v, 1}));
    return static_cast<std::size_t>(v % n);
}

}  // namespace

std::optional<BirthdayConfig> parse_birthday(const std::string& text, std::string& why) {
    auto comma = text.find(',');
    why =
        "--birthday: expected N,M with 1 <= N <= 1024 sockets and 0 <= M <= 65535 probes, got '" + text + "'";
    if (comma == std::string::npos) return std::nullopt;
    auto n = number(std::string_view(text).substr(0, comma)).value_or(0);
    auto m = number(std::string_view(text).substr(comma + 1)).value_or(BirthdayConfig::kMaxProbes + 1);
    if (n < 1 || n > BirthdayConfig::kMaxSockets || m > BirthdayConfig::kMaxProbes) return std::nullopt;
    BirthdayConfig c;
    c.sockets = static_cast<std::size_t>(n);
    c.probes = static_cast<std::size_t>(m);
    why.clear();
    return c;
}

bool parse_birthday_ports(const std::string& text, BirthdayConfig& c, std::string& why) {
    auto dash = text.find('-');
    std::uint64_t lo = 0, hi = 0;
    if (dash != std::string::npos) {
        lo = number(std::string_view(text).substr(0, dash)).value_or(0);
        hi = number(std::string_view(text).substr(dash + 1)).value_or(0);
    }
    if (lo < 1 || lo > hi || hi > 65535) {
        why = "--birthday-ports: expected LO-HI with 1 <= LO <= HI <= 65535, got '" + text + "'";
        return false;
    }
    c.low = static_cast<std::uint16_t>(lo);
    c.high = static_cast<std::uint16_t>(hi);
    return true;
}

// The spray's M ports: the first M of a shuffle of the range (partial
// Fisher-Yates), so no port is guessed twice. M larger than the range is
// cut to the range.
BirthdayPlan::BirthdayPlan(const BirthdayConfig& config, Endpoint partner_public, RandomSource& random,
                           TimePoint start)
    : config_(config),
      partner_(partner_public),
      start_(start),
      openers_(config.sockets - 1),
      guessed_(65536) {
    assert(config.sockets >= 1 && config.low <= config.high);
    std::vector<std::uint16_t> range(std::size_t{config.high} - config.low + 1);
    std::iota(range.begin(), range.end(), config.low);
    std::size_t m = std::min(config.probes, range.size());
    for (std::size_t i = 0; i < m; ++i) std::swap(range[i], range[i + draw(random, range.size() - i)]);
    ports_.assign(range.begin(), range.begin() + static_cast<std::ptrdiff_t>(m));
    for (std::uint16_t p : ports_) guessed_[p] = true;
}

// Probes allowed by `now`: the openers at `rate` from the start, then the
// spray at `rate` from the later of spray_delay and the openers' end, so
// the two never overlap and the rate is never exceeded.
std::size_t BirthdayPlan::allowed(TimePoint now) const {
    using us = std::chrono::microseconds;
    auto tokens = [&](TimePoint from) {
        if (now < from) return std::size_t{0};
        auto elapsed = std::chrono::duration_cast<us>(now - from).count();
        return static_cast<std::size_t>(elapsed * config_.rate / 1'000'000) + 1;
    };
    auto openers_end = start_ + us(openers_ * 1'000'000 / config_.rate);
    TimePoint spray_start = std::max(start_ + config_.spray_delay, openers_end);
    return std::min(tokens(start_), openers_) + std::min(tokens(spray_start), ports_.size());
}

BirthdayProbe BirthdayPlan::probe(std::size_t index) const {
    if (index < openers_) return {index + 1, partner_, false};
    std::size_t j = index - openers_;
    return {j % config_.sockets, {partner_.addr, ports_[j]}, true};
}

std::vector<BirthdayProbe> BirthdayPlan::due(TimePoint now) {
    std::vector<BirthdayProbe> out;
    for (std::size_t limit = allowed(now); next_ < limit; ++next_) out.push_back(probe(next_));
    return out;
}

bool BirthdayPlan::guessed(Endpoint remote) const {
    return remote.addr == partner_.addr && guessed_[remote.port];
}

}  // namespace natlab
