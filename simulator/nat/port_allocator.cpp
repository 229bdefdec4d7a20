#include "simulator/nat/port_allocator.h"

#include <cassert>

namespace natlab::nat {

PortAllocator::PortAllocator(PortAllocation policy, PortRange range, std::uint64_t seed)
    : policy_(policy), range_(range), cursor_(range.first), rng_(seed) {
    assert(range_.first <= range_.last);
}

std::optional<std::uint16_t> PortAllocator::allocate(std::uint16_t wanted) {
    if (count_ == range_.size()) return std::nullopt;
    switch (policy_) {
        case PortAllocation::Preserve:
            if (range_.contains(wanted) && !in_use(wanted)) return take(wanted);
            return next_sequential();
        case PortAllocation::Sequential:
            return next_sequential();
        case PortAllocation::Random:
            return next_random();
    }
    return std::nullopt;
}

void PortAllocator::release(std::uint16_t port) {
    assert(in_use(port) && "release of a port that is not allocated");
    used_[port] = false;
    --count_;
}

std::optional<std::uint16_t> PortAllocator::first_free_from(std::uint16_t start) const {
    std::uint16_t port = start;
    for (std::size_t tried = 0; tried < range_.size(); ++tried, port = after(port))
        if (!in_use(port)) return port;
    return std::nullopt;
}

std::optional<std::uint16_t> PortAllocator::next_sequential() {
    auto port = first_free_from(cursor_);
    if (!port) return std::nullopt;
    cursor_ = after(*port);
    return take(*port);
}

std::optional<std::uint16_t> PortAllocator::next_random() {
    std::uniform_int_distribution<unsigned> pick{range_.first, range_.last};
    auto port = first_free_from(static_cast<std::uint16_t>(pick(rng_)));
    if (!port) return std::nullopt;
    return take(*port);
}

std::uint16_t PortAllocator::after(std::uint16_t port) const {
    return port == range_.last ? range_.first : static_cast<std::uint16_t>(port + 1);
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
