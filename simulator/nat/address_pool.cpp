#include "simulator/nat/address_pool.h"

#include <algorithm>
#include <cassert>

namespace natlab::nat {
namespace {

// UDP and TCP ports come from the configured range; ICMP identifiers from all
// 65536 values (there are no well-known identifiers to stay clear of).
std::array<PortAllocator, kProtocolCount> allocators(PortAllocation policy, PortRange range,
                                                     std::uint64_t seed, bool parity = false) {
    return {PortAllocator{policy, range, seed, parity}, PortAllocator{policy, range, seed + 1, parity},
            PortAllocator{policy, PortRange{0, 65535}, seed + 2, parity}};
}

}  // namespace

AddressPool::AddressPool(std::vector<Ipv4> addresses, AddressPooling pooling, PortAllocation policy,
                         PortRange range, std::uint64_t seed)
    : addresses_(std::move(addresses)), pooling_(pooling), range_(range) {
    assert(!addresses_.empty() && "a NAT needs an external address");
    externals_.reserve(addresses_.size());
    for (std::size_t i = 0; i < addresses_.size(); ++i)
        externals_.push_back({allocators(policy, range, seed + 3 * i), 0, {}});
}

AddressPool::AddressPool(std::vector<Ipv4> addresses, const NatConfig& c, std::uint64_t seed)
    : addresses_(std::move(addresses)), pooling_(c.pooling), range_(c.ports) {
    assert(!addresses_.empty() && "a NAT needs an external address");
    externals_.reserve(addresses_.size());
    for (std::size_t i = 0; i < addresses_.size(); ++i) {
        externals_.push_back({allocators(c.port_allocation, c.ports, seed + 3 * i, c.port_parity), 0, {}});
        if (c.port_block_size == 0) continue;
        for (auto p : {Protocol::Udp, Protocol::Tcp})
            externals_.back().blocks[static_cast<std::size_t>(p)].emplace(c.ports, c.port_block_size,
                                                                          c.port_blocks_per_host);
    }
}

std::optional<Endpoint> AddressPool::allocate(Protocol protocol, Endpoint inside, DropReason& why) {
    return pooling_ == AddressPooling::Paired ? allocate_paired(protocol, inside, why)
                                              : allocate_arbitrary(protocol, inside, why);
}

std::optional<Endpoint> AddressPool::allocate_paired(Protocol protocol, Endpoint inside, DropReason& why) {
    auto [it, added] = pairs_.try_emplace(inside.addr.value, Pairing{least_paired(), 0});
    Pairing& pair = it->second;
    auto port = take_port(pair.index, protocol, inside, why);
    if (!port) {
        if (why.code != DropCode::PortsExhausted)
            why = exhausted(protocol, addresses_.size() == 1
                                          ? std::string{}
                                          : "on " + addresses_[pair.index].to_string() + " (paired with " +
                                                inside.addr.to_string() + ")");
        if (added) pairs_.erase(it);
        return std::nullopt;
    }
    if (added) ++externals_[pair.index].hosts;
    ++pair.mappings;
    return Endpoint{addresses_[pair.index], *port};
}

std::optional<Endpoint> AddressPool::allocate_arbitrary(Protocol protocol, Endpoint inside, DropReason& why) {
    for (std::size_t tried = 0; tried < addresses_.size(); ++tried) {
        std::size_t index = next_;
        next_ = (next_ + 1) % addresses_.size();
        if (auto port = take_port(index, protocol, inside, why)) return Endpoint{addresses_[index], *port};
    }
    if (why.code != DropCode::PortsExhausted || addresses_.size() > 1)
        why = exhausted(protocol, addresses_.size() == 1 ? "" : "on any external address");
    return std::nullopt;
}

std::optional<Endpoint> AddressPool::claim(Protocol protocol, Endpoint inside, std::uint16_t port) {
    if (pooling_ == AddressPooling::Arbitrary) {
        for (std::size_t index = 0; index < addresses_.size(); ++index)
            if (ports(index, protocol).claim(port)) return Endpoint{addresses_[index], port};
        return std::nullopt;
    }
    auto [it, added] = pairs_.try_emplace(inside.addr.value, Pairing{least_paired(), 0});
    if (!ports(it->second.index, protocol).claim(port)) {
        if (added) pairs_.erase(it);
        return std::nullopt;
    }
    if (added) ++externals_[it->second.index].hosts;
    ++it->second.mappings;
    return Endpoint{addresses_[it->second.index], port};
}

void AddressPool::release(Protocol protocol, Endpoint external, Ipv4 inside) {
    auto index = index_of(external.addr);
    assert(index && "releasing an endpoint of an address the pool does not own");
    auto& blocks = externals_[*index].blocks[static_cast<std::size_t>(protocol)];
    if (blocks)
        blocks->release(external.port, ports(*index, protocol));
    else
        ports(*index, protocol).release(external.port);
    if (pooling_ != AddressPooling::Paired) return;
    auto it = pairs_.find(inside.value);
    assert(it != pairs_.end() && it->second.index == *index && "releasing a mapping of an unpaired host");
    if (--it->second.mappings > 0) return;
    --externals_[*index].hosts;
    pairs_.erase(it);
}

bool AddressPool::owns(Ipv4 address) const {
    return index_of(address).has_value();
}

std::optional<Ipv4> AddressPool::paired_with(Ipv4 inside) const {
    auto it = pairs_.find(inside.value);
    if (it == pairs_.end()) return std::nullopt;
    return addresses_[it->second.index];
}

std::size_t AddressPool::least_paired() const {
    auto it = std::min_element(externals_.begin(), externals_.end(),
                               [](const External& a, const External& b) { return a.hosts < b.hosts; });
    return static_cast<std::size_t>(it - externals_.begin());
}

std::optional<std::size_t> AddressPool::index_of(Ipv4 address) const {
    auto it = std::find(addresses_.begin(), addresses_.end(), address);
    if (it == addresses_.end()) return std::nullopt;
    return static_cast<std::size_t>(it - addresses_.begin());
}

PortAllocator& AddressPool::ports(std::size_t index, Protocol protocol) {
    return externals_[index].ports[static_cast<std::size_t>(protocol)];
}

// A free port of the address for `inside`: from its blocks when the NAT has them.
std::optional<std::uint16_t> AddressPool::take_port(std::size_t index, Protocol protocol, Endpoint inside,
                                                    DropReason& why) {
    auto& blocks = externals_[index].blocks[static_cast<std::size_t>(protocol)];
    if (blocks) return blocks->allocate(inside.addr, inside.port, ports(index, protocol), why);
    return ports(index, protocol).allocate(inside.port);
}

std::uint64_t AddressPool::blocks_reserved() const {
    std::uint64_t n = 0;
    for (auto& e : externals_)
        for (auto& b : e.blocks)
            if (b) n += b->reserved();
    return n;
}

std::uint64_t AddressPool::blocks_released() const {
    std::uint64_t n = 0;
    for (auto& e : externals_)
        for (auto& b : e.blocks)
            if (b) n += b->released();
    return n;
}

std::size_t AddressPool::blocks_of(Protocol protocol, Ipv4 inside) const {
    std::size_t n = 0;
    for (auto& e : externals_)
        if (auto& b = e.blocks[static_cast<std::size_t>(protocol)]) n += b->blocks_of(inside);
    return n;
}

DropReason AddressPool::exhausted(Protocol protocol, const std::string& where) const {
    std::string text = "ports exhausted: no free external " + std::string{to_string(protocol)} + " port ";
    if (!where.empty()) text += where + " ";
    return {DropCode::PortsExhausted,
            text + "in " + (protocol == Protocol::Icmp ? "0-65535" : range_.to_string())};
}

}  // namespace natlab::nat
