// The NAT stage: one packet in, the translated packet out, or a drop.
//
// Theory of operation
// -------------------
// `Nat::handle(packet, from, now)` is the whole NAT. The packet is a view into
// the caller's buffer and is rewritten in place; nullopt means "dropped", and
// the reason is both reported to the EventSink and kept in `last_drop()`.
// Packets the NAT originates itself (ICMP errors) are not returned but
// collected; the caller takes them with `take_generated()` and routes them
// like any other packet.
//
// First, packets for the NAT itself: an echo request to any of its addresses
// is answered in place (the reply goes back where the request came from);
// a UDP datagram from inside to its LAN address on the port of a local service
// (the port mapping protocols, port_mapping.h, when the scenario switches one
// on) is handed to that service and its answer sent back from that port;
// anything else sent from inside to its LAN address is dropped ("not our
// address"). From outside, a datagram to a service's port on an external
// address is dropped ("port-mapping-outside"): the services are the LAN's.
//
// Grants (nat_grant.cpp): `grant` gives an inside endpoint a mapping asked
// for by a port mapping protocol: the live grant it already has (renewed),
// or its live endpoint-independent mapping made by traffic (adopted), or a
// new mapping on the suggested port if it is free, else on a port the pool
// picks. A granted mapping is endpoint-independent and unfiltered whatever
// the NAT's behaviours (RFC 6887 §11): every outbound packet of that inside
// endpoint leaves through it, anyone may send in through it. It lives for
// its lifetime, not its idle timeout, and is reported like every other
// mapping (created, expired) and as a grant (granted, renewed, deleted,
// expired). A grant asked for with filters (PCP's FILTER option, RFC 6887
// §13.3) admits only remotes one of them matches (dropped "filtered"
// otherwise); each grant or renewal replaces the set, and none is "anyone".
//
// Every forwarded packet then loses one TTL; a packet that arrives with TTL
// 1 or 0 is dropped ("ttl expired"), and answered with an ICMP time exceeded
// from the address of the link it came in on (see icmp.h).
//
// What is translated, per protocol (the same three steps for each):
//   UDP and TCP by their ports; ICMP echo requests and replies by their
//   identifier (RFC 5508 REQ-1); ICMP errors by the flow they quote (REQ-4, REQ-5):
//   the outer header follows the quoted packet. Other ICMP: unsupported-icmp.
// Outbound (from the inside link):
//   1. Destination is one of the NAT's external addresses: hairpin, see below.
//   2. Find the mapping for (protocol, source, destination) under the mapping
//      behaviour (§4.1). None live: a TCP segment without SYN is dropped
//      ("tcp not syn"); otherwise an external endpoint comes from the address
//      pool (paired pooling, §4.1, and port assignment, §4.2, in the host's
//      port blocks when the NAT has them) and a mapping is made. No free
//      port: drop "ports exhausted", and tell the sender with an ICMP
//      "administratively prohibited" (RFC 5508 REQ-8). An inside host that
//      already holds `mappings_per_host` mappings made by traffic gets no
//      new one: drop "mapping limit", told the same way (RFC 6888 REQ-4).
//   3. Record the destination in the mapping's filter state (§5) and refresh
//      the mapping (§4.3; for TCP as its state machine says, tcp_state.h).
//   4. Rewrite the source to the mapping's external endpoint.
//   An ICMP error from inside instead looks up the mapping of the flow it
//   quotes, rewrites the quote's destination and the outer source (REQ-5).
// Inbound (from the outside link):
//   1. Destination must be an external address, else "not our address".
//   2. (protocol, destination) names the mapping; none live: "no mapping".
//   3. The filter (§5) must admit the source, else "filtered (...)".
//   4. Refresh: UDP and ICMP with refresh-on-inbound (§4.3); TCP always,
//      as its state machine says. A UDP mapping's first admitted inbound
//      packet also moves it from its before-inbound timeout to its
//      mapping timeout (nat_table.h).
//   5. Rewrite the destination to the mapping's inside endpoint.
//   An ICMP error from outside instead looks up the mapping that sent the
//   quoted packet, which must have sent to the quote's destination; the
//   quote's source and the outer destination go back inside (REQ-4). Errors
//   never refresh a mapping (REQ-6).
// Hairpin (§6), an outbound packet to an external address:
//   off: dropped, "hairpinning is off";
//   on: translated as outbound (so the receiver sees the sender's external
//   endpoint, as §6 requires), then admitted as if it had arrived inbound
//   (same mapping lookup and filtering), and rewritten to the receiver's
//   inside endpoint. The caller routes it back out of the inside link. ICMP
//   errors hairpin the same way (RFC 5508 REQ-7).
//
// Expiry: a mapping idle for its timeout is dead at once for lookups;
// `expire` (called periodically by the shell) removes dead mappings, frees
// their ports, reports them, and prunes stale filter permissions.
//
// Flush: `flush` forgets every mapping of every protocol at once, frees
// their ports and pairings, and reports one "flushed" event with the counts:
// what a NAT that reboots does to the flows through it. The next outbound
// packet of a flow gets a fresh mapping (possibly another port); inbound
// packets meet "no mapping"; a TCP connection's next segment, not being a
// SYN, is dropped ("tcp not syn").
//
// The NAT knows nothing of Ethernet, ARP, routing or sockets, and never reads
// a clock.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <unordered_map>
#include <vector>

#include "simulator/nat/address_pool.h"
#include "simulator/nat/behaviour.h"
#include "simulator/nat/nat_event.h"
#include "simulator/nat/nat_table.h"
#include "simulator/nat/port_mapping.h"
#include "simulator/wire/drop_reason.h"
#include "simulator/wire/packet.h"
#include "src/net/clock.h"

namespace natlab::nat {

struct NatAddresses {
    std::vector<Ipv4> external;  // at least one, no duplicates
    Ipv4 inside;                 // the LAN address; 0.0.0.0: none (no ICMP errors sent inside)
};

struct NatCounters {
    std::uint64_t translated_out = 0;
    std::uint64_t translated_in = 0;
    std::uint64_t hairpinned = 0;
    std::uint64_t mappings_created = 0;
    std::uint64_t mappings_expired = 0;
    std::uint64_t mappings_flushed = 0;
    std::uint64_t refreshes = 0;               // timer refreshes of existing mappings, any cause
    std::uint64_t icmp_errors_translated = 0;  // errors about a mapped flow, either way
    std::uint64_t icmp_errors_sent = 0;        // errors the NAT originated
    std::uint64_t echo_replies_sent = 0;       // pings of the NAT's own addresses answered
    std::uint64_t service_requests = 0;        // datagrams handed to a local service (port mapping)
    std::uint64_t grants = 0;                  // mappings granted by a port mapping protocol
    std::uint64_t grants_renewed = 0;
    std::uint64_t grants_deleted = 0;        // lifetime 0, on request
    std::uint64_t grants_expired = 0;        // lifetime ran out (also counted in mappings_expired)
    std::uint64_t port_blocks_reserved = 0;  // RFC 7422 blocks given to inside hosts
    std::uint64_t port_blocks_released = 0;  // blocks whose last mapping died
    DropCounters dropped;
};

// A port mapping protocol's request, as the NAT core sees it (the policy was
// applied before: simulator/portmap/).
struct GrantAsk {
    Requester by = Requester::Pcp;
    Protocol protocol = Protocol::Udp;  // UDP or TCP
    Endpoint inside{};
    std::uint16_t port = 0;              // suggested external port; 0: any
    bool exact = false;                  // only `port` will do
    std::uint32_t lifetime_s = 0;        // > 0
    std::vector<GrantFilter> filters{};  // empty: anyone may send in
};

struct GrantAnswer {
    Endpoint external{};
    bool renewed = false;
};

struct PeerAnswer {
    Endpoint external{};
    std::uint32_t lifetime_s = 0;  // what is left of the mapping's life
};

class Nat {
public:
    Nat(NatConfig config, NatAddresses addresses, std::uint64_t seed, EventSink sink = {});

    std::optional<Ipv4Packet> handle(Ipv4Packet packet, Direction from, TimePoint now);
    // For a batch: call with step Index for every packet's flow, then with
    // step Record for each, then handle() them. It only warms the CPU cache
    // (nat_table.h); the result of handle() is the same without it.
    using Prefetch = NatTable::Prefetch;
    void prefetch(const Flow& flow, Direction from, Prefetch step) const;
    void expire(TimePoint now);
    // Forgets every mapping; returns how many there were.
    std::size_t flush(TimePoint now);
    // The IPv4 datagrams the NAT originated since the last call.
    std::vector<std::vector<std::byte>> take_generated() { return std::move(generated_); }

    const DropReason& last_drop() const { return last_drop_; }
    NatCounters counters() const;
    std::size_t mappings_live() const { return table_.size(); }
    const Mapping* mapping_at(Endpoint external, Protocol protocol = Protocol::Udp) const {
        return table_.find_inbound(protocol, external);
    }
    const NatConfig& config() const { return config_; }
    const NatAddresses& addresses() const { return addresses_; }
    std::optional<Ipv4> paired_with(Ipv4 inside) const { return pool_.paired_with(inside); }
    std::size_t table_memory_bytes() const { return table_.memory_bytes(); }

    // Port mapping (nat_grant.cpp). nullopt with `why` when refused (ports-exhausted).
    std::optional<GrantAnswer> grant(const GrantAsk& ask, TimePoint now, DropReason& why);
    // Deletes the grant of (protocol, inside); false when there was none.
    bool ungrant(Requester by, Protocol protocol, Endpoint inside, TimePoint now);
    // The live grant of (protocol, inside), if any.
    const Mapping* granted(Protocol protocol, Endpoint inside, TimePoint now) const;
    // How many live grants an inside address holds.
    std::size_t grants_held(Ipv4 inside) const;
    // PCP PEER (RFC 6887 §12.3): the mapping `inside` uses toward `remote`,
    // made or refreshed as an outbound packet would (its grant, if it has
    // one). TCP only joins a session that exists. nullopt with `why`.
    std::optional<PeerAnswer> peer(Protocol protocol, Endpoint inside, Endpoint remote, TimePoint now,
                                   DropReason& why);
    // Serves UDP `port` on the inside address (nullptr: stops). `service` must outlive the NAT.
    void serve(std::uint16_t port, LocalService* service);
    bool serves(std::uint16_t port) const;
    // Sends a datagram from the inside address's `port` (announcements, multicast included).
    void originate(std::uint16_t port, Endpoint to, std::vector<std::byte> payload);

private:
    enum class Role : std::uint8_t { Session, Error, Unsupported };

    // handle()'s branches
    bool addressed_to_us(const Ipv4Packet& packet, Direction from) const;
    std::optional<Ipv4Packet> answer(Ipv4Packet packet, Direction from, TimePoint now);
    std::optional<Ipv4Packet> serve_local(const Ipv4Packet& packet, TimePoint now);
    bool to_service_from_outside(const Ipv4Packet& packet, Direction from) const;
    std::optional<Ipv4Packet> ttl_expired(Ipv4Packet packet, Direction from, TimePoint now);
    std::optional<Ipv4Packet> outbound(Ipv4Packet packet, TimePoint now);
    std::optional<Ipv4Packet> inbound(Ipv4Packet packet, TimePoint now);
    std::optional<Ipv4Packet> hairpin(Ipv4Packet packet, TimePoint now);
    std::nullopt_t refuse(const Ipv4Packet& packet, Flow original, DropReason why, TimePoint now);

    // translation, one direction at a time; false (with `why`) is a refusal
    bool translate_out(Ipv4Packet& packet, TimePoint now, DropReason& why);
    bool translate_in(Ipv4Packet& packet, TimePoint now, DropReason& why);
    bool session_out(Ipv4Packet& packet, TimePoint now, DropReason& why);
    bool session_in(Ipv4Packet& packet, TimePoint now, DropReason& why);
    bool error_out(Ipv4Packet& packet, TimePoint now, DropReason& why);  // nat_icmp.cpp
    bool error_in(Ipv4Packet& packet, TimePoint now, DropReason& why);   // nat_icmp.cpp
    static Role role_of(const Ipv4Packet& packet, Direction from);

    // mappings
    Mapping* mapping_for_outbound(Flow flow, std::uint8_t tcp_flags, TimePoint now, DropReason& why);
    Mapping* create_mapping(Flow flow, std::uint8_t tcp_flags, TimePoint now, DropReason& why);
    void note_outbound(Mapping& mapping, Endpoint remote, std::uint8_t tcp_flags, TimePoint now);
    Mapping* admit_inbound(Flow flow, TimePoint now, DropReason& why);
    Mapping* mapping_addressed(Protocol protocol, Endpoint destination, TimePoint now, DropReason& why);
    void note_inbound(Mapping& mapping, Endpoint remote, std::uint8_t tcp_flags, TimePoint now);
    void refresh_inbound(Mapping& mapping, Endpoint remote, TimePoint now);
    Mapping* live_or_retire(Mapping* mapping, TimePoint now);
    void retire(const Mapping& mapping, TimePoint now);
    bool over_limit(Ipv4 inside, DropReason& why) const;
    void count_host_mapping(Ipv4 inside, int delta);

    // grants (nat_grant.cpp)
    Mapping* grant_of(Protocol protocol, Endpoint inside, TimePoint now);
    Mapping* adopt_or_create(const GrantAsk& ask, TimePoint now, DropReason& why);
    std::optional<Endpoint> grant_endpoint(const GrantAsk& ask, DropReason& why);
    void mark_granted(Mapping& mapping, const GrantAsk& ask, TimePoint now);
    void forget_grant(const Mapping& mapping);
    void report_grant(PortMapChange change, const Mapping& mapping, TimePoint now);
    Mapping* admit_granted(Mapping& mapping, Endpoint remote, DropReason& why) const;

    // ICMP the NAT originates (nat_icmp.cpp)
    void send_error(const Ipv4Packet& about, std::uint8_t type, std::uint8_t code, Ipv4 from);
    Ipv4 router_address(const Ipv4Packet& packet, Direction from) const;

    std::nullopt_t drop(Direction from, Flow flow, DropReason why, TimePoint now);
    void report(MappingChange change, const Mapping& mapping, Endpoint remote, TimePoint now);

    NatConfig config_;
    NatAddresses addresses_;
    NatTable table_;
    AddressPool pool_;
    EventSink sink_;
    NatCounters counters_;
    DropReason last_drop_;
    std::vector<std::vector<std::byte>> generated_;
    std::vector<std::pair<std::uint16_t, LocalService*>> services_;
    std::size_t grants_live_ = 0;  // so that a NAT without grants never looks for one
    std::unordered_map<std::uint32_t, std::size_t> grants_by_host_;
    std::unordered_map<std::uint32_t, std::uint32_t> mappings_by_host_;  // with mappings_per_host only
    // The filters of grants that have some, by (protocol, external port).
    std::map<std::pair<Protocol, std::uint16_t>, std::vector<GrantFilter>> grant_filters_;
};

}  // namespace natlab::nat
