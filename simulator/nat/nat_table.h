// The NAT's mappings (RFC 4787 §4.1 and §4.3; RFC 5382 for TCP, RFC 5508 for ICMP queries).
//
// Theory of operation
// -------------------
// A mapping binds an inside endpoint to an external endpoint, for one
// protocol (UDP, TCP and ICMP mappings are separate, each protocol with its
// own ports). Its life:
//  - born when an outbound packet finds no live mapping for its key;
//  - refreshed (its `last_used` moves to now) by the packets it carries:
//    outbound ones always, inbound ones if the NAT is configured so, and for
//    TCP as its connection state says (tcp_state.h);
//  - expired once it has been idle for its timeout: from then on it is
//    treated as absent, and the next sweep or lookup removes it and frees its
//    external port.
// The timeout depends on the mapping: for UDP the before-inbound timeout
// until an inbound packet has been admitted through it and the mapping
// timeout after (equal unless configured apart; Linux conntrack's
// "unreplied" and "replied" UDP timers), the ICMP query timeout, or for TCP
// the established or transitory timeout of its state.
// A mapping granted by a port mapping protocol (port_mapping.h) instead
// lives for its granted lifetime from its grant or last renewal; traffic does
// not move that (RFC 6887 §15: the client renews, not the traffic).
//
// The key decides which outbound packets share a mapping (§4.1):
//  - endpoint-independent: protocol and inside endpoint, so one external
//    endpoint serves every remote;
//  - address-dependent: ... + remote address;
//  - address-and-port-dependent: ... + remote address and port.
// Inbound packets find their mapping by protocol and external endpoint;
// that is unambiguous because a port of an external address belongs to at
// most one mapping of a protocol at a time.
//
// Storage. Mappings live in one vector of 64-byte records (one cache line
// each), reused through a free list; two MappingIndex hash indexes (8 bytes a
// slot) point into it. The sweep walks the vector in order. With the
// vector's and the indexes' spare capacity a live mapping costs about 130
// bytes at 100 000 mappings, and never more than about 180 (docs/nat.md has
// the measurement). Pointers returned by the lookups stay valid until the
// next insert.
//
// The table is pure bookkeeping: it does not allocate ports, filter, or emit
// events. nat.cpp does those and keeps the table and the address pool in step.
#pragma once

#include <cstdint>
#include <vector>

#include "simulator/nat/behaviour.h"
#include "simulator/nat/filter.h"
#include "simulator/nat/huge_pages.h"
#include "simulator/nat/mapping_index.h"
#include "simulator/nat/port_mapping.h"
#include "simulator/nat/tcp_state.h"
#include "simulator/wire/packet.h"
#include "src/net/clock.h"
#include "src/net/endpoint.h"

namespace natlab::nat {

// One cache line: a packet's lookup touches one line of the record array.
struct alignas(64) Mapping {
    Endpoint inside;
    Endpoint outside;
    Endpoint first_remote;  // destination of the packet that created it
    TimePoint last_used;
    SentTo sent_to;  // filtering state (§5)
    Protocol protocol = Protocol::Udp;
    TcpState tcp = TcpState::SynSent;  // TCP mappings only
    bool in_use : 1 = false;           // table bookkeeping: the slot holds a mapping
    bool answered : 1 = false;         // UDP: an inbound packet was admitted (RFC 4787 §4.3)
    std::uint8_t grant = 0;            // 0: made by traffic; else 1 + the Requester that asked for it
    std::uint32_t lifetime_s = 0;      // granted: seconds from last_used (the grant or its renewal)

    bool granted() const { return grant != 0; }
    Requester granted_by() const { return static_cast<Requester>(grant - 1); }
};
static_assert(sizeof(Mapping) == 64, "a mapping record is one cache line");

struct Timeouts {
    Millis udp = std::chrono::seconds{120};
    Millis udp_before_inbound = std::chrono::seconds{120};
    Millis icmp = std::chrono::seconds{60};
    Millis tcp_established = std::chrono::minutes{124};
    Millis tcp_transitory = std::chrono::minutes{4};

    static Timeouts of(const NatConfig& config);
};

class NatTable {
public:
    NatTable(MappingBehaviour behaviour, Timeouts timeouts) : behaviour_(behaviour), timeouts_(timeouts) {}

    // The mapping an outbound packet from `inside` to `remote` would use, live or not.
    Mapping* find_outbound(Protocol protocol, Endpoint inside, Endpoint remote);
    // The mapping that owns the external endpoint, live or not.
    Mapping* find_inbound(Protocol protocol, Endpoint external);
    const Mapping* find_inbound(Protocol protocol, Endpoint external) const;

    // Adds a mapping keyed on its protocol, inside endpoint and first remote.
    // Precondition: no mapping has that key or that external endpoint.
    Mapping& insert(Mapping mapping);
    // Removes `mapping` (a reference into the table) and returns it.
    Mapping remove(const Mapping& mapping);
    // Removes every mapping idle for its timeout at `now` and returns them;
    // prunes the dead filter permissions of the others.
    std::vector<Mapping> sweep(TimePoint now);
    // Removes every mapping, live or not, and returns them.
    std::vector<Mapping> clear();

    // Batches (mapping_index.h): first every packet's Index step, then its
    // Record step, then the lookups find their memory in the cache. Only
    // reads: the table does not change.
    enum class Prefetch { Index, Record };
    void prefetch_outbound(Protocol protocol, Endpoint inside, Endpoint remote, Prefetch step) const;
    void prefetch_inbound(Protocol protocol, Endpoint external, Prefetch step) const;

    bool live(const Mapping& mapping, TimePoint now) const {
        return now - mapping.last_used < timeout(mapping);
    }
    Millis timeout(const Mapping& mapping) const;
    std::size_t size() const { return size_; }

    // Heap bytes the table holds now (records, free list, indexes; not filter overflow).
    std::size_t memory_bytes() const;

private:
    std::uint64_t key_hash(Protocol protocol, Endpoint inside, Endpoint remote) const;
    Endpoint key_remote(Endpoint remote) const;
    MappingIndex::Id id_of(const Mapping& mapping) const;
    void prefetch(const MappingIndex& index, std::uint64_t hash, Prefetch step) const;

    MappingBehaviour behaviour_;
    Timeouts timeouts_;
    std::vector<Mapping, HugePageAllocator<Mapping>> slots_;
    std::vector<MappingIndex::Id> free_;
    std::size_t size_ = 0;
    MappingIndex by_key_;
    MappingIndex by_external_;
    mutable std::uint32_t warm_ = 0;  // keeps the prefetch reads (not state)
};

}  // namespace natlab::nat
