#include "simulator/nat/port_blocks.h"

#include <algorithm>
#include <cassert>
#include <string>

namespace natlab::nat {

PortBlocks::PortBlocks(PortRange range, std::uint16_t size, std::uint16_t per_host)
    : range_(range),
      size_(size),
      per_host_(per_host),
      blocks_(range.size() / std::max<std::size_t>(size, 1)) {
    assert(size >= 1 && size <= range.size() && per_host >= 1 && "a port block needs a size and a count");
}

std::optional<std::uint16_t> PortBlocks::allocate(Ipv4 host, std::uint16_t wanted, PortAllocator& ports,
                                                  DropReason& why) {
    if (auto port = from_held(host, wanted, ports)) return port;
    if (auto block = reserve(host, ports)) {
        if (auto port = take(*block, wanted, ports)) return port;
        disown(*block);  // every port of it was claimed outside blocks
        --reserved_;
    }
    why = refusal(host);
    return std::nullopt;
}

std::optional<std::uint16_t> PortBlocks::from_held(Ipv4 host, std::uint16_t wanted, PortAllocator& ports) {
    auto it = held_.find(host.value);
    if (it == held_.end()) return std::nullopt;
    for (std::size_t block : it->second)
        if (auto port = take(block, wanted, ports)) return port;
    return std::nullopt;
}

// A new block for `host`, if it may hold one more and one is unowned.
std::optional<std::size_t> PortBlocks::reserve(Ipv4 host, PortAllocator& ports) {
    if (blocks_of(host) >= per_host_ || blocks_.empty()) return std::nullopt;
    std::size_t start = ports.policy() == PortAllocation::Random ? ports.draw(blocks_.size()) : 0;
    auto block = first_unowned(start);
    if (!block) return std::nullopt;
    blocks_[*block] = {host.value, 0, true};
    held_[host.value].push_back(*block);
    ++reserved_;
    return block;
}

std::optional<std::size_t> PortBlocks::first_unowned(std::size_t start) const {
    for (std::size_t tried = 0; tried < blocks_.size(); ++tried) {
        std::size_t i = (start + tried) % blocks_.size();
        if (!blocks_[i].owned) return i;
    }
    return std::nullopt;
}

std::optional<std::uint16_t> PortBlocks::take(std::size_t block, std::uint16_t wanted, PortAllocator& ports) {
    auto port = ports.allocate_in(span(block), wanted);
    if (!port) return std::nullopt;
    ++blocks_[block].used;
    counted_[*port] = true;
    return port;
}

void PortBlocks::release(std::uint16_t port, PortAllocator& ports) {
    ports.release(port);
    if (!counted_[port]) return;
    counted_[port] = false;
    std::size_t i = (port - range_.first) / size_;
    Block& block = blocks_[i];
    assert(block.owned && block.used > 0 && "releasing a port of a block that holds none");
    if (--block.used > 0) return;
    disown(i);
    ++released_;
}

void PortBlocks::disown(std::size_t i) {
    auto& held = held_[blocks_[i].owner];
    held.erase(std::find(held.begin(), held.end(), i));
    if (held.empty()) held_.erase(blocks_[i].owner);
    blocks_[i] = Block{};
}

std::size_t PortBlocks::blocks_of(Ipv4 host) const {
    auto it = held_.find(host.value);
    return it == held_.end() ? 0 : it->second.size();
}

std::optional<PortRange> PortBlocks::block_of(std::uint16_t port) const {
    if (!range_.contains(port)) return std::nullopt;
    std::size_t i = (port - range_.first) / size_;
    if (i >= blocks_.size()) return std::nullopt;
    return span(i);
}

PortRange PortBlocks::span(std::size_t block) const {
    auto first = static_cast<std::uint16_t>(range_.first + block * size_);
    return {first, static_cast<std::uint16_t>(first + size_ - 1)};
}

DropReason PortBlocks::refusal(Ipv4 host) const {
    std::string blocks = std::to_string(size_) + "-port block";
    std::size_t held = blocks_of(host);
    if (held >= per_host_)
        return {DropCode::PortsExhausted, "ports exhausted: " + host.to_string() + " holds " +
                                              std::to_string(held) + " " + blocks + (held == 1 ? "" : "s") +
                                              " (the most it may), every port in use"};
    return {DropCode::PortsExhausted,
            "ports exhausted: no free " + blocks + " left in " + range_.to_string()};
}

}  // namespace natlab::nat
