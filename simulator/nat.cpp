#include "nat.h"

#include <string>

namespace natlab::nat {

Nat::Nat(NatConfig config, Ipv4 external_address, std::uint64_t seed, EventSink sink)
    : config_(config),
      external_(external_address),
      table_(config.mapping, config.mapping_timeout),
      ports_(config.port_allocation, config.ports, seed),
      sink_(std::move(sink)) {}

std::optional<Ipv4Packet> Nat::handle(Ipv4Packet packet, Direction from, TimePoint now) {
    if (packet.ttl() <= 1) return drop(from, packet.flow(), {DropCode::TtlExpired, "ttl expired"}, now);
    packet.decrement_ttl();
    if (from == Direction::Inbound) return inbound(packet, now);
    if (packet.destination().addr == external_) return hairpin(packet, now);
    return outbound(packet, now);
}

void Nat::expire(TimePoint now) {
    for (const auto& mapping : table_.remove_expired(now)) retire(mapping, now);
    table_.for_each([&](Mapping& m) { m.sent_to.prune(now, table_.timeout()); });
}

std::optional<Ipv4Packet> Nat::outbound(Ipv4Packet packet, TimePoint now) {
    Mapping* mapping = mapping_for_outbound(packet.flow(), now);
    if (!mapping) return drop(Direction::Outbound, packet.flow(), last_drop_, now);
    packet.set_source(mapping->outside);
    ++counters_.translated_out;
    return packet;
}

std::optional<Ipv4Packet> Nat::inbound(Ipv4Packet packet, TimePoint now) {
    DropReason why;
    Mapping* mapping = admit_inbound(packet.flow(), now, why);
    if (!mapping) return drop(Direction::Inbound, packet.flow(), std::move(why), now);
    packet.set_destination(mapping->inside);
    ++counters_.translated_in;
    return packet;
}

// RFC 4787 §6: the looped-back packet must carry the sender's external
// endpoint as its source, and is then treated like any inbound packet.
std::optional<Ipv4Packet> Nat::hairpin(Ipv4Packet packet, TimePoint now) {
    const Flow original = packet.flow();
    if (!config_.hairpin)
        return drop(Direction::Outbound, original, {DropCode::HairpinOff, "hairpinning is off"}, now);
    Mapping* sender = mapping_for_outbound(original, now);
    if (!sender) return drop(Direction::Outbound, original, last_drop_, now);
    packet.set_source(sender->outside);
    DropReason why;
    Mapping* receiver = admit_inbound(packet.flow(), now, why);
    if (!receiver) return drop(Direction::Outbound, original, std::move(why), now);
    packet.set_destination(receiver->inside);
    ++counters_.hairpinned;
    return packet;
}

// The live mapping for this flow, created if needed; nullptr (with
// last_drop_ set) only when no external port is free.
Mapping* Nat::mapping_for_outbound(Flow flow, TimePoint now) {
    Mapping* mapping = table_.find_outbound(flow.source, flow.destination);
    if (mapping && !table_.live(*mapping, now)) {
        retire(table_.remove(mapping->outside.port), now);
        mapping = nullptr;
    }
    if (!mapping) return create_mapping(flow, now);
    note_outbound(*mapping, flow.destination, now);
    return mapping;
}

Mapping* Nat::create_mapping(Flow flow, TimePoint now) {
    auto port = ports_.allocate(flow.source.port);
    if (!port) {
        last_drop_ = {DropCode::PortsExhausted,
                      "ports exhausted: no free external port in " + config_.ports.to_string()};
        return nullptr;
    }
    Mapping& mapping = table_.insert({flow.source, {external_, *port}, flow.destination, now, {}});
    mapping.sent_to.record(flow.destination, now, table_.timeout());
    ++counters_.mappings_created;
    report(MappingChange::Created, mapping, flow.destination, now);
    return &mapping;
}

// §4.3: outbound traffic always refreshes. §5: the destination may now answer.
void Nat::note_outbound(Mapping& mapping, Endpoint remote, TimePoint now) {
    mapping.last_used = now;
    ++counters_.refreshes;
    if (mapping.sent_to.record(remote, now, table_.timeout()))
        report(MappingChange::Refreshed, mapping, remote, now);
}

// The mapping an inbound packet (or the second half of a hairpin) may use,
// after the filter (§5) has admitted its source.
Mapping* Nat::admit_inbound(Flow flow, TimePoint now, DropReason& why) {
    Mapping* mapping = mapping_addressed(flow.destination, now, why);
    if (!mapping) return nullptr;
    auto refused = filter_inbound(config_.filtering, mapping->sent_to, flow.source, now, table_.timeout());
    if (refused) {
        why = std::move(*refused);
        return nullptr;
    }
    if (config_.refresh_on_inbound) refresh_inbound(*mapping, flow.source, now);
    return mapping;
}

Mapping* Nat::mapping_addressed(Endpoint destination, TimePoint now, DropReason& why) {
    if (destination.addr != external_) {
        why = {DropCode::NotOurAddress,
               "not our address: " + destination.addr.to_string() + " is not " + external_.to_string()};
        return nullptr;
    }
    Mapping* mapping = live_mapping(destination.port, now);
    if (!mapping) why = {DropCode::NoMapping, "no mapping for " + destination.to_string()};
    return mapping;
}

// §4.3: inbound refresh is optional; when on, it also keeps the sender's permission alive.
void Nat::refresh_inbound(Mapping& mapping, Endpoint remote, TimePoint now) {
    mapping.last_used = now;
    mapping.sent_to.renew(remote, now);
    ++counters_.refreshes;
}

Mapping* Nat::live_mapping(std::uint16_t external_port, TimePoint now) {
    Mapping* mapping = table_.find_inbound(external_port);
    if (mapping && !table_.live(*mapping, now)) {
        retire(table_.remove(external_port), now);
        return nullptr;
    }
    return mapping;
}

void Nat::retire(const Mapping& mapping, TimePoint now) {
    ports_.release(mapping.outside.port);
    ++counters_.mappings_expired;
    report(MappingChange::Expired, mapping, mapping.first_remote, now);
}

std::nullopt_t Nat::drop(Direction from, Flow flow, DropReason why, TimePoint now) {
    counters_.dropped.add(why.code);
    last_drop_ = std::move(why);
    if (sink_) sink_(DropEvent{now, from, flow, last_drop_});
    return std::nullopt;
}

void Nat::report(MappingChange change, const Mapping& mapping, Endpoint remote, TimePoint now) {
    if (sink_) sink_(MappingEvent{change, now, mapping.inside, mapping.outside, remote});
}

}  // namespace natlab::nat
