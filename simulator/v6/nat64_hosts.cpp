#include "simulator/v6/nat64_hosts.h"

#include <cstring>

namespace natlab::v6 {
namespace {

constexpr std::uint32_t kFirst = 0xf0000001;               // 240.0.0.1
constexpr std::size_t kKeys = (std::size_t{1} << 28) - 2;  // 240.0.0.1 .. 255.255.255.254

}  // namespace

Nat64Hosts::Nat64Hosts(std::size_t capacity) : capacity_(capacity < kKeys ? capacity : kKeys) {}

std::size_t Nat64Hosts::Hash::operator()(const Ipv6& a) const {
    std::uint64_t high = 0, low = 0;
    std::memcpy(&high, a.bytes.data(), 8);
    std::memcpy(&low, a.bytes.data() + 8, 8);
    return std::hash<std::uint64_t>{}(high * 0x9e3779b97f4a7c15ULL ^ low);
}

std::optional<Ipv4> Nat64Hosts::key_for(const Ipv6& host, std::string& why) {
    if (auto found = keys_.find(host); found != keys_.end()) return found->second;
    if (hosts_.size() >= capacity_) {
        why = "nat64 host table full: " + std::to_string(capacity_) + " IPv6 hosts already have an IPv4 key";
        return std::nullopt;
    }
    Ipv4 key{static_cast<std::uint32_t>(kFirst + hosts_.size())};
    hosts_.push_back(host);
    keys_.emplace(host, key);
    return key;
}

std::optional<Ipv6> Nat64Hosts::host_of(Ipv4 key) const {
    if (key.value < kFirst || key.value - kFirst >= hosts_.size()) return std::nullopt;
    return hosts_[key.value - kFirst];
}

std::optional<Ipv4> Nat64Hosts::key_of(const Ipv6& host) const {
    auto found = keys_.find(host);
    if (found == keys_.end()) return std::nullopt;
    return found->second;
}

}  // namespace natlab::v6
