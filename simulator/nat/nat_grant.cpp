// Grants: mappings a port mapping protocol asked for (nat.h, port_mapping.h),
// and the NAT's local services on its inside address.
#include <algorithm>

#include "simulator/nat/nat.h"
#include "simulator/wire/builder.h"

namespace natlab::nat {
namespace {

constexpr std::size_t kUdpHeaderSize = 8;

}  // namespace

bool GrantFilter::admits(Endpoint remote) const {
    const std::uint32_t mask = bits == 0 ? 0u : bits >= 32 ? ~0u : ~0u << (32 - bits);
    return (remote.addr.value & mask) == (prefix.value & mask) && (port == 0 || port == remote.port);
}

std::optional<GrantAnswer> Nat::grant(const GrantAsk& ask, TimePoint now, DropReason& why) {
    Mapping* mapping = grant_of(ask.protocol, ask.inside, now);
    const bool renewed = mapping != nullptr;
    if (!mapping) mapping = adopt_or_create(ask, now, why);
    if (!mapping) return std::nullopt;
    mark_granted(*mapping, ask, now);
    if (renewed) ++counters_.grants_renewed;
    report_grant(renewed ? PortMapChange::Renewed : PortMapChange::Granted, *mapping, now);
    return GrantAnswer{mapping->outside, renewed};
}

bool Nat::ungrant(Requester by, Protocol protocol, Endpoint inside, TimePoint now) {
    Mapping* mapping = grant_of(protocol, inside, now);
    if (!mapping) return false;
    mapping->grant = static_cast<std::uint8_t>(1 + static_cast<int>(by));
    Mapping removed = table_.remove(*mapping);
    pool_.release(removed.protocol, removed.outside, removed.inside.addr);
    forget_grant(removed);
    ++counters_.grants_deleted;
    report_grant(PortMapChange::Deleted, removed, now);
    return true;
}

const Mapping* Nat::granted(Protocol protocol, Endpoint inside, TimePoint now) const {
    if (!grants_live_) return nullptr;
    const Mapping* m = const_cast<NatTable&>(table_).find_outbound(protocol, inside, Endpoint{});
    return m && m->granted() && table_.live(*m, now) ? m : nullptr;
}

std::size_t Nat::grants_held(Ipv4 inside) const {
    auto it = grants_by_host_.find(inside.value);
    return it == grants_by_host_.end() ? 0 : it->second;
}

// The live grant of (protocol, inside). A grant is keyed on the remote
// 0.0.0.0:0, which no packet has: under endpoint-independent mapping that is
// the host's one mapping (granted or not), under the dependent behaviours
// only a grant has that key.
Mapping* Nat::grant_of(Protocol protocol, Endpoint inside, TimePoint now) {
    if (!grants_live_) return nullptr;
    Mapping* m = live_or_retire(table_.find_outbound(protocol, inside, Endpoint{}), now);
    return m && m->granted() ? m : nullptr;
}

// Under endpoint-independent mapping a host's live mapping made by traffic
// becomes the grant, keeping its external port (RFC 6887 §11.3: an existing
// implicit mapping is reused), unless only another port will do.
Mapping* Nat::adopt_or_create(const GrantAsk& ask, TimePoint now, DropReason& why) {
    Mapping* existing = live_or_retire(table_.find_outbound(ask.protocol, ask.inside, Endpoint{}), now);
    if (existing) {
        if (!ask.exact || ask.port == existing->outside.port) return existing;
        why = {DropCode::PortsExhausted, "cannot provide external port " + std::to_string(ask.port) + ": " +
                                             ask.inside.to_string() + " is mapped to " +
                                             existing->outside.to_string()};
        return nullptr;
    }
    auto external = grant_endpoint(ask, why);
    if (!external) return nullptr;
    Mapping& mapping = table_.insert({ask.inside, *external, Endpoint{}, now, {}, ask.protocol});
    ++counters_.mappings_created;
    report(MappingChange::Created, mapping, Endpoint{}, now);
    return &mapping;
}

// The suggested port when it is free, else (unless only it will do) what the pool picks.
std::optional<Endpoint> Nat::grant_endpoint(const GrantAsk& ask, DropReason& why) {
    if (ask.port != 0)
        if (auto claimed = pool_.claim(ask.protocol, ask.inside, ask.port)) return claimed;
    if (ask.exact) {
        why = {DropCode::PortsExhausted,
               "cannot provide external port " + std::to_string(ask.port) + ": it is taken or out of range"};
        return std::nullopt;
    }
    return pool_.allocate(ask.protocol, ask.inside, why);
}

void Nat::mark_granted(Mapping& mapping, const GrantAsk& ask, TimePoint now) {
    if (!mapping.granted()) {
        ++grants_live_;
        ++grants_by_host_[mapping.inside.addr.value];
        ++counters_.grants;
    }
    mapping.grant = static_cast<std::uint8_t>(1 + static_cast<int>(ask.by));
    mapping.lifetime_s = ask.lifetime_s;
    mapping.last_used = now;
    if (ask.filters.empty())
        grant_filters_.erase({mapping.protocol, mapping.outside.port});
    else
        grant_filters_[{mapping.protocol, mapping.outside.port}] = ask.filters;
}

// A grant is unfiltered (RFC 6887 §11) unless its client gave filters
// (§13.3): then a remote must match one of them.
Mapping* Nat::admit_granted(Mapping& mapping, Endpoint remote, DropReason& why) const {
    auto it = grant_filters_.find({mapping.protocol, mapping.outside.port});
    if (it == grant_filters_.end()) return &mapping;
    for (const GrantFilter& f : it->second)
        if (f.admits(remote)) return &mapping;
    why = {DropCode::Filtered, "filtered: " + remote.to_string() + " matches none of the " +
                                   std::to_string(it->second.size()) + " FILTER(s) of the grant " +
                                   mapping.outside.to_string()};
    return nullptr;
}

void Nat::forget_grant(const Mapping& mapping) {
    grant_filters_.erase({mapping.protocol, mapping.outside.port});
    --grants_live_;
    auto it = grants_by_host_.find(mapping.inside.addr.value);
    if (it != grants_by_host_.end() && --it->second == 0) grants_by_host_.erase(it);
}

void Nat::report_grant(PortMapChange change, const Mapping& mapping, TimePoint now) {
    if (!sink_) return;
    PortMapEvent event{change, now, mapping.granted_by(), mapping.protocol, mapping.inside, mapping.outside};
    event.lifetime = mapping.lifetime_s;
    sink_(event);
}

std::optional<PeerAnswer> Nat::peer(Protocol protocol, Endpoint inside, Endpoint remote, TimePoint now,
                                    DropReason& why) {
    Mapping* mapping = mapping_for_outbound({inside, remote, protocol}, 0, now, why);
    if (!mapping) return std::nullopt;
    auto left = mapping->granted() ? std::chrono::seconds(mapping->lifetime_s) - (now - mapping->last_used)
                                   : table_.timeout(*mapping) - (now - mapping->last_used);
    auto seconds = std::chrono::duration_cast<std::chrono::seconds>(left).count();
    return PeerAnswer{mapping->outside, static_cast<std::uint32_t>(std::max<std::int64_t>(seconds, 0))};
}

// Local services on the inside address.

void Nat::serve(std::uint16_t port, LocalService* service) {
    std::erase_if(services_, [&](const auto& s) { return s.first == port; });
    if (service) services_.emplace_back(port, service);
}

bool Nat::serves(std::uint16_t port) const {
    return std::any_of(services_.begin(), services_.end(), [&](const auto& s) { return s.first == port; });
}

// A datagram to a service's port on one of our external addresses, from outside.
bool Nat::to_service_from_outside(const Ipv4Packet& packet, Direction from) const {
    return from == Direction::Inbound && packet.protocol() == Protocol::Udp &&
           pool_.owns(packet.destination().addr) && serves(packet.destination().port);
}

std::optional<Ipv4Packet> Nat::serve_local(const Ipv4Packet& packet, TimePoint now) {
    const Flow flow = packet.flow();
    auto it = std::find_if(services_.begin(), services_.end(),
                           [&](const auto& s) { return s.first == flow.destination.port; });
    ++counters_.service_requests;
    auto reply = it->second->serve(flow.source, packet.transport().subspan(kUdpHeaderSize), now);
    if (!reply)
        return drop(Direction::Outbound, flow,
                    {DropCode::Malformed, "malformed: the service on port " +
                                              std::to_string(flow.destination.port) + " did not answer"},
                    now);
    originate(flow.destination.port, flow.source, std::move(*reply));
    return std::nullopt;
}

void Nat::originate(std::uint16_t port, Endpoint to, std::vector<std::byte> payload) {
    generated_.push_back(
        build_udp_datagram({{{addresses_.inside, port}, to, Protocol::Udp}, std::move(payload)}));
}

}  // namespace natlab::nat
