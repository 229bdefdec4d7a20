// The NAT stage: one packet in, the translated packet out, or a drop.
//
// Theory of operation
// -------------------
// `Nat::handle(packet, from, now)` is the whole NAT. The packet is a view into
// the caller's buffer and is rewritten in place; nullopt means "dropped", and
// the reason is both reported to the EventSink and kept in `last_drop()`.
//
// Every forwarded packet first loses one TTL; a packet that arrives with TTL
// 1 or 0 is dropped ("ttl expired"), as a router would.
//
// Outbound (from the inside link):
//   1. Destination is the NAT's own external address: hairpin, see below.
//   2. Find the mapping for (source, destination) under the mapping
//      behaviour (§4.1). None live: allocate an external port (§4.2) and
//      create one. No free port: drop "ports exhausted".
//   3. Record the destination in the mapping's filter state (§5) and refresh
//      the mapping (§4.3).
//   4. Rewrite the source to the mapping's external endpoint.
// Inbound (from the outside link):
//   1. Destination must be the external address, else "not our address".
//   2. The destination port names the mapping; none live: "no mapping".
//   3. The filter (§5) must admit the source, else "filtered (...)".
//   4. With refresh-on-inbound, refresh the mapping (§4.3).
//   5. Rewrite the destination to the mapping's inside endpoint.
// Hairpin (§6), an outbound packet to the external address:
//   off: dropped, "hairpinning is off";
//   on: translated as outbound (so the receiver sees the sender's external
//   endpoint, as §6 requires), then admitted as if it had arrived inbound
//   (same mapping lookup and filtering), and rewritten to the receiver's
//   inside endpoint. The caller routes it back out of the inside link.
//
// Expiry: a mapping idle for the timeout is dead at once for lookups; `expire`
// (called periodically by the shell) removes dead mappings, frees their
// ports, reports them, and prunes stale filter permissions.
//
// The NAT knows nothing of Ethernet, ARP, routing or sockets, and never reads
// a clock.
#pragma once

#include <cstdint>
#include <optional>

#include "behaviour.h"
#include "clock.h"
#include "drop_reason.h"
#include "nat_event.h"
#include "nat_table.h"
#include "packet.h"
#include "port_allocator.h"

namespace natlab::nat {

struct NatCounters {
    std::uint64_t translated_out = 0;
    std::uint64_t translated_in = 0;
    std::uint64_t hairpinned = 0;
    std::uint64_t mappings_created = 0;
    std::uint64_t mappings_expired = 0;
    std::uint64_t refreshes = 0;  // timer refreshes of existing mappings, any cause
    DropCounters dropped;
};

class Nat {
public:
    Nat(NatConfig config, Ipv4 external_address, std::uint64_t seed, EventSink sink = {});

    std::optional<Ipv4Packet> handle(Ipv4Packet packet, Direction from, TimePoint now);
    void expire(TimePoint now);

    const DropReason& last_drop() const { return last_drop_; }
    const NatCounters& counters() const { return counters_; }
    std::size_t mappings_live() const { return table_.size(); }
    const Mapping* mapping_at(std::uint16_t external_port) const {
        return table_.find_inbound(external_port);
    }
    const NatConfig& config() const { return config_; }
    Ipv4 external_address() const { return external_; }

private:
    std::optional<Ipv4Packet> outbound(Ipv4Packet packet, TimePoint now);
    std::optional<Ipv4Packet> inbound(Ipv4Packet packet, TimePoint now);
    std::optional<Ipv4Packet> hairpin(Ipv4Packet packet, TimePoint now);

    Mapping* mapping_for_outbound(Flow flow, TimePoint now);
    Mapping* create_mapping(Flow flow, TimePoint now);
    void note_outbound(Mapping& mapping, Endpoint remote, TimePoint now);
    Mapping* admit_inbound(Flow flow, TimePoint now, DropReason& why);
    Mapping* mapping_addressed(Endpoint destination, TimePoint now, DropReason& why);
    void refresh_inbound(Mapping& mapping, Endpoint remote, TimePoint now);
    Mapping* live_mapping(std::uint16_t external_port, TimePoint now);
    void retire(const Mapping& mapping, TimePoint now);

    std::nullopt_t drop(Direction from, Flow flow, DropReason why, TimePoint now);
    void report(MappingChange change, const Mapping& mapping, Endpoint remote, TimePoint now);

    NatConfig config_;
    Ipv4 external_;
    NatTable table_;
    PortAllocator ports_;
    EventSink sink_;
    NatCounters counters_;
    DropReason last_drop_;
};

}  // namespace natlab::nat
