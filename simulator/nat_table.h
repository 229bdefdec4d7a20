// The NAT's mappings (RFC 4787 §4.1 and §4.3).
//
// Theory of operation
// -------------------
// A mapping binds an inside endpoint to an external endpoint. Its life:
//  - born when an outbound packet finds no live mapping for its key;
//  - refreshed (its `last_used` moves to now) by every outbound packet it
//    carries, and by inbound ones too when the NAT is configured so (§4.3);
//  - expired once it has been idle for the mapping timeout: from then on it
//    is treated as absent, and the next sweep or lookup removes it and frees
//    its external port.
//
// The key decides which outbound packets share a mapping (§4.1):
//  - endpoint-independent: the inside endpoint alone, so one external
//    endpoint serves every remote;
//  - address-dependent: inside endpoint + remote address;
//  - address-and-port-dependent: inside endpoint + remote address and port.
// Inbound packets find their mapping by external port alone; that is
// unambiguous because the port allocator never gives one port to two mappings.
//
// The table is pure bookkeeping: it does not allocate ports, filter, or emit
// events. nat.cpp does those and keeps the table and the allocator in step.
#pragma once

#include <cstdint>
#include <unordered_map>
#include <vector>

#include "behaviour.h"
#include "clock.h"
#include "endpoint.h"
#include "filter.h"

namespace natlab::nat {

struct Mapping {
    Endpoint inside;
    Endpoint outside;
    Endpoint first_remote;  // destination of the packet that created it
    TimePoint last_used;
    SentTo sent_to;  // filtering state (§5)
};

class NatTable {
public:
    NatTable(MappingBehaviour behaviour, Duration timeout) : behaviour_(behaviour), timeout_(timeout) {}

    // The mapping an outbound packet from `inside` to `remote` would use, live or not.
    Mapping* find_outbound(Endpoint inside, Endpoint remote);
    // The mapping that owns `external_port`, live or not.
    Mapping* find_inbound(std::uint16_t external_port);
    const Mapping* find_inbound(std::uint16_t external_port) const;

    // Adds a mapping keyed on its inside endpoint and first remote.
    // Precondition: no mapping has that key or that external port.
    Mapping& insert(Mapping mapping);
    // Removes the mapping on `external_port` and returns it.
    Mapping remove(std::uint16_t external_port);
    // Removes every mapping idle for the timeout at `now` and returns them.
    std::vector<Mapping> remove_expired(TimePoint now);

    bool live(const Mapping& mapping, TimePoint now) const { return now - mapping.last_used < timeout_; }
    Duration timeout() const { return timeout_; }
    std::size_t size() const { return by_port_.size(); }

    template <class F>
    void for_each(F&& f) {
        for (auto& [port, mapping] : by_port_) f(mapping);
    }

private:
    struct Key {
        Endpoint inside;
        Endpoint remote;  // the part of the remote the behaviour keys on; the rest zero
        bool operator==(const Key&) const = default;
    };
    struct KeyHash {
        std::size_t operator()(const Key& k) const noexcept;
    };
    Key key_for(Endpoint inside, Endpoint remote) const;

    MappingBehaviour behaviour_;
    Duration timeout_;
    std::unordered_map<std::uint16_t, Mapping> by_port_;
    std::unordered_map<Key, std::uint16_t, KeyHash> by_key_;
};

}  // namespace natlab::nat
