// NAT64's inside hosts (RFC 6146) as the IPv4 NAT core sees them.
//
// Theory of operation
// -------------------
// A stateful NAT64 here is SIIT (siit.h) in front of the IPv4 NAT core
// (simulator/nat/nat.h), so that every RFC 4787 behaviour of the IPv4 side
// applies to IPv6 hosts unchanged. The core keys its mappings by an IPv4
// inside endpoint, so each inside IPv6 host address gets a synthetic IPv4
// key out of 240.0.0.0/4 (reserved by RFC 1112 section 4, never on the
// wire): the first host 240.0.0.1, the next 240.0.0.2, and so on.
//
// The table is bidirectional (host -> key for outbound packets, key -> host
// for inbound ones) and bounded: at most `capacity` hosts (2^20 by
// default, well inside the 2^28 keys of 240/4). A key lives as long as the
// table: keys are never reused, so a mapping that outlives its host's
// other traffic still names the right host. A host beyond the bound gets
// no key, and its packet is dropped with that reason.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "src/net/endpoint.h"
#include "src/net/ipv6.h"

namespace natlab::v6 {

inline constexpr std::size_t kNat64HostsDefault = std::size_t{1} << 20;

// 240.0.0.0/4: where the keys live.
constexpr bool is_nat64_key(Ipv4 address) {
    return (address.value >> 28) == 0xf;
}

class Nat64Hosts {
public:
    explicit Nat64Hosts(std::size_t capacity = kNat64HostsDefault);

    // The host's key, made on first use; nullopt with `why` when the table is full.
    std::optional<Ipv4> key_for(const Ipv6& host, std::string& why);
    // The host a key stands for; nullopt when it is no key of ours.
    std::optional<Ipv6> host_of(Ipv4 key) const;
    // The host's key when it has one (no key is made).
    std::optional<Ipv4> key_of(const Ipv6& host) const;
    std::size_t size() const { return hosts_.size(); }
    std::size_t capacity() const { return capacity_; }

private:
    struct Hash {
        std::size_t operator()(const Ipv6& a) const;
    };

    std::size_t capacity_;
    std::vector<Ipv6> hosts_;  // by key - kFirst
    std::unordered_map<Ipv6, Ipv4, Hash> keys_;
};

}  // namespace natlab::v6
