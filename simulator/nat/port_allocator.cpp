#include "simulator/nat/port_allocator.h"

#include <cassert>

namespace natlab::nat {

PortAllocator::PortAllocator(PortAllocation policy, PortRange range, std::uint64_t seed, bool parity)
    : policy_(policy), range_(range), parity_(parity), cursor_(range.first), rng_(seed) {
    assert(range_.first <= range_.last);
}

std::optional<std::uint16_t> PortAllocator::allocate(std::uint16_t wanted) {
    if (count_ == range_.size()) return std::nullopt;
    switch (policy_) {
        case PortAllocation::Preserve:
            if (range_.contains(wanted) && !in_use(wanted)) return take(wanted);
            return next_sequential(wanted);
        case PortAllocation::Sequential:
            return next_sequential(wanted);
        case PortAllocation::Random:
            return next_random(range_, wanted);
    }
    return std::nullopt;
}

std::optional<std::uint16_t> PortAllocator::allocate_in(PortRange part, std::uint16_t wanted) {
    assert(range_.contains(part.first) && range_.contains(part.last) && "a part outside the range");
    if (policy_ == PortAllocation::Random) return next_random(part, wanted);
    if (policy_ == PortAllocation::Preserve && part.contains(wanted) && !in_use(wanted)) return take(wanted);
    auto port = first_free_from(part.first, part, wanted);
    if (!port) return std::nullopt;
    return take(*port);
}

void PortAllocator::release(std::uint16_t port) {
    assert(in_use(port) && "release of a port that is not allocated");
    used_[port] = false;
    --count_;
}

std::size_t PortAllocator::draw(std::size_t n) {
    assert(n > 0);
    return std::uniform_int_distribution<std::size_t>{0, n - 1}(rng_);
}

// Free, and of the wanted port's parity when parity is kept.
bool PortAllocator::fits(std::uint16_t port, std::uint16_t wanted) const {
    return !in_use(port) && (!parity_ || (port & 1) == (wanted & 1));
}

std::optional<std::uint16_t> PortAllocator::first_free_from(std::uint16_t start, PortRange part,
                                                            std::uint16_t wanted) const {
    std::uint16_t port = start;
    for (std::size_t tried = 0; tried < part.size(); ++tried, port = after(port, part))
        if (fits(port, wanted)) return port;
    return std::nullopt;
}

std::optional<std::uint16_t> PortAllocator::next_sequential(std::uint16_t wanted) {
    auto port = first_free_from(cursor_, range_, wanted);
    if (!port) return std::nullopt;
    cursor_ = after(*port, range_);
    return take(*port);
}

std::optional<std::uint16_t> PortAllocator::next_random(PortRange part, std::uint16_t wanted) {
    std::uniform_int_distribution<unsigned> pick{part.first, part.last};
    auto port = first_free_from(static_cast<std::uint16_t>(pick(rng_)), part, wanted);
    if (!port) return std::nullopt;
    return take(*port);
}

std::uint16_t PortAllocator::after(std::uint16_t port, PortRange part) {
    return port == part.last ? part.first : static_cast<std::uint16_t>(port + 1);
}

bool PortAllocator::claim(std::uint16_t port) {
    if (!range_.contains(port) || in_use(port)) return false;
    take(port);
    return true;
}

std::uint16_t PortAllocator::take(std::uint16_t port) {
    used_[port] = true;
    ++count_;
    return port;
}

}  // namespace natlab::nat
