#include "simulator/nat/nat.h"

#include <string>

#include "simulator/wire/icmp.h"

namespace natlab::nat {
namespace {

bool is_echo_request(const Ipv4Packet& p) {
    return p.protocol() == Protocol::Icmp && icmp_kind(p.icmp_type()) == IcmpKind::EchoRequest;
}

DropReason to_the_nat(Ipv4 address) {
    return {DropCode::NotOurAddress,
            "not our address: " + address.to_string() + " is the NAT itself, which answers only pings"};
}

DropReason unsupported_icmp(const Ipv4Packet& p) {
    if (icmp_kind(p.icmp_type()) == IcmpKind::EchoReply)
        return {DropCode::UnsupportedIcmp,
                "unsupported icmp: an echo reply from inside answers no request "
                "the NAT let in"};
    return {DropCode::UnsupportedIcmp, "unsupported icmp: type " + std::to_string(p.icmp_type()) + " code " +
                                           std::to_string(p.icmp_code()) + " is not translated"};
}

DropReason tcp_not_syn(Flow flow) {
    return {DropCode::TcpNotSyn,
            "tcp not syn: " + flow.to_string() + " has no mapping, and only a SYN may create one"};
}

}  // namespace

Nat::Nat(NatConfig config, NatAddresses addresses, std::uint64_t seed, EventSink sink)
    : config_(config),
      addresses_(std::move(addresses)),
      table_(config.mapping, Timeouts::of(config)),
      pool_(addresses_.external, config, seed),
      sink_(std::move(sink)) {}

std::optional<Ipv4Packet> Nat::handle(Ipv4Packet packet, Direction from, TimePoint now) {
    if (!services_.empty() && to_service_from_outside(packet, from))
        return drop(
            from, packet.flow(),
            {DropCode::PortMappingOutside,
             "port mapping outside: " + packet.destination().to_string() + " is served on the LAN side only"},
            now);
    if (addressed_to_us(packet, from)) return answer(packet, from, now);
    if (packet.ttl() <= 1) return ttl_expired(packet, from, now);
    packet.decrement_ttl();
    if (from == Direction::Inbound) return inbound(packet, now);
    if (pool_.owns(packet.destination().addr)) return hairpin(packet, now);
    return outbound(packet, now);
}

// Inbound packets (and hairpinned ones, whose second lookup is inbound) are
// found by their destination, outbound ones by their source and remote.
void Nat::prefetch(const Flow& flow, Direction from, Prefetch step) const {
    if (from == Direction::Inbound)
        table_.prefetch_inbound(flow.protocol, flow.destination, step);
    else
        table_.prefetch_outbound(flow.protocol, flow.source, flow.destination, step);
}

void Nat::expire(TimePoint now) {
    for (const auto& mapping : table_.sweep(now)) retire(mapping, now);
}

std::size_t Nat::flush(TimePoint now) {
    FlushEvent event{now};
    for (const auto& mapping : table_.clear()) {
        pool_.release(mapping.protocol, mapping.outside, mapping.inside.addr);
        count_host_mapping(mapping.inside.addr, -1);
        if (mapping.granted()) forget_grant(mapping);
        switch (mapping.protocol) {
            case Protocol::Udp:
                ++event.udp;
                break;
            case Protocol::Tcp:
                ++event.tcp;
                break;
            case Protocol::Icmp:
                ++event.icmp;
                break;
        }
    }
    counters_.mappings_flushed += event.total();
    if (sink_) sink_(event);
    return event.total();
}

// Echo requests to any of our addresses, and anything from inside to our LAN address.
bool Nat::addressed_to_us(const Ipv4Packet& packet, Direction from) const {
    Ipv4 to = packet.destination().addr;
    if (from == Direction::Outbound && to == addresses_.inside) return true;
    return is_echo_request(packet) && pool_.owns(to);
}

std::optional<Ipv4Packet> Nat::answer(Ipv4Packet packet, Direction from, TimePoint now) {
    if (from == Direction::Outbound && packet.protocol() == Protocol::Udp &&
        serves(packet.destination().port))
        return serve_local(packet, now);
    if (!is_echo_request(packet))
        return drop(from, packet.flow(), to_the_nat(packet.destination().addr), now);
    answer_echo(packet);
    ++counters_.echo_replies_sent;
    return packet;
}

std::optional<Ipv4Packet> Nat::ttl_expired(Ipv4Packet packet, Direction from, TimePoint now) {
    send_error(packet, kIcmpTimeExceeded, kIcmpTtlExceededInTransit, router_address(packet, from));
    return drop(from, packet.flow(), {DropCode::TtlExpired, "ttl expired"}, now);
}

std::optional<Ipv4Packet> Nat::outbound(Ipv4Packet packet, TimePoint now) {
    const Flow original = packet.flow();
    DropReason why;
    if (!translate_out(packet, now, why)) return refuse(packet, original, std::move(why), now);
    ++counters_.translated_out;
    return packet;
}

std::optional<Ipv4Packet> Nat::inbound(Ipv4Packet packet, TimePoint now) {
    const Flow original = packet.flow();
    DropReason why;
    if (!translate_in(packet, now, why)) return drop(Direction::Inbound, original, std::move(why), now);
    ++counters_.translated_in;
    return packet;
}

// RFC 4787 §6: the looped-back packet must carry the sender's external
// endpoint as its source, and is then treated like any inbound packet.
std::optional<Ipv4Packet> Nat::hairpin(Ipv4Packet packet, TimePoint now) {
    const Flow original = packet.flow();
    if (!config_.hairpin)
        return drop(Direction::Outbound, original, {DropCode::HairpinOff, "hairpinning is off"}, now);
    DropReason why;
    if (!translate_out(packet, now, why) || !translate_in(packet, now, why))
        return refuse(packet, original, std::move(why), now);
    ++counters_.hairpinned;
    return packet;
}

// An outbound packet that goes no further. RFC 5508 REQ-8: when the reason is
// a lack of ports, the sender hears it as "administratively prohibited".
std::nullopt_t Nat::refuse(const Ipv4Packet& packet, Flow original, DropReason why, TimePoint now) {
    if (why.code == DropCode::PortsExhausted || why.code == DropCode::MappingLimit)
        send_error(packet, kIcmpDestinationUnreachable, kIcmpAdministrativelyProhibited,
                   router_address(packet, Direction::Outbound));
    return drop(Direction::Outbound, original, std::move(why), now);
}

Nat::Role Nat::role_of(const Ipv4Packet& packet, Direction from) {
    if (packet.protocol() != Protocol::Icmp) return Role::Session;
    switch (icmp_kind(packet.icmp_type())) {
        case IcmpKind::Error:
            return Role::Error;
        case IcmpKind::EchoRequest:
            return Role::Session;  // inbound: not to us (that was answered), so "not our address"
        case IcmpKind::EchoReply:
            return from == Direction::Inbound ? Role::Session : Role::Unsupported;
        case IcmpKind::Other:
            return Role::Unsupported;
    }
    return Role::Unsupported;
}

bool Nat::translate_out(Ipv4Packet& packet, TimePoint now, DropReason& why) {
    switch (role_of(packet, Direction::Outbound)) {
        case Role::Session:
            return session_out(packet, now, why);
        case Role::Error:
            return error_out(packet, now, why);
        case Role::Unsupported:
            break;
    }
    why = unsupported_icmp(packet);
    return false;
}

bool Nat::translate_in(Ipv4Packet& packet, TimePoint now, DropReason& why) {
    switch (role_of(packet, Direction::Inbound)) {
        case Role::Session:
            return session_in(packet, now, why);
        case Role::Error:
            return error_in(packet, now, why);
        case Role::Unsupported:
            break;
    }
    why = unsupported_icmp(packet);
    return false;
}

bool Nat::session_out(Ipv4Packet& packet, TimePoint now, DropReason& why) {
    Mapping* mapping = mapping_for_outbound(packet.flow(), packet.tcp_flags(), now, why);
    if (!mapping) return false;
    packet.set_source(mapping->outside);
    return true;
}

bool Nat::session_in(Ipv4Packet& packet, TimePoint now, DropReason& why) {
    const Flow flow = packet.flow();
    Mapping* mapping = admit_inbound(flow, now, why);
    if (!mapping) return false;
    note_inbound(*mapping, flow.source, packet.tcp_flags(), now);
    packet.set_destination(mapping->inside);
    return true;
}

// The live mapping for this flow, created if needed; nullptr (with `why`)
// when none may be made.
Mapping* Nat::mapping_for_outbound(Flow flow, std::uint8_t tcp_flags, TimePoint now, DropReason& why) {
    Mapping* mapping = grants_live_ ? grant_of(flow.protocol, flow.source, now) : nullptr;
    if (!mapping)
        mapping = live_or_retire(table_.find_outbound(flow.protocol, flow.source, flow.destination), now);
    if (!mapping) return create_mapping(flow, tcp_flags, now, why);
    note_outbound(*mapping, flow.destination, tcp_flags, now);
    return mapping;
}

Mapping* Nat::create_mapping(Flow flow, std::uint8_t tcp_flags, TimePoint now, DropReason& why) {
    if (flow.protocol == Protocol::Tcp && !(tcp_flags & kTcpSyn)) {
        why = tcp_not_syn(flow);
        return nullptr;
    }
    if (over_limit(flow.source.addr, why)) return nullptr;
    auto external = pool_.allocate(flow.protocol, flow.source, why);
    if (!external) return nullptr;
    count_host_mapping(flow.source.addr, +1);
    Mapping& mapping = table_.insert({flow.source, *external, flow.destination, now, {}, flow.protocol});
    mapping.sent_to.record(flow.destination, now, table_.timeout(mapping));
    ++counters_.mappings_created;
    report(MappingChange::Created, mapping, flow.destination, now);
    return &mapping;
}

// §4.3: outbound traffic refreshes (TCP: unless its state says otherwise).
// §5: the destination may now answer.
void Nat::note_outbound(Mapping& mapping, Endpoint remote, std::uint8_t tcp_flags, TimePoint now) {
    bool refresh = true;
    if (mapping.protocol == Protocol::Tcp) {
        auto step = tcp_step(mapping.tcp, Direction::Outbound, tcp_flags);
        mapping.tcp = step.next;
        refresh = step.refresh;
    }
    if (refresh && !mapping.granted()) {
        mapping.last_used = now;
        ++counters_.refreshes;
    }
    if (mapping.sent_to.record(remote, now, table_.timeout(mapping)))
        report(MappingChange::Refreshed, mapping, remote, now);
}

// The mapping an inbound packet (or the second half of a hairpin) may use,
// after the filter (§5) has admitted its source.
Mapping* Nat::admit_inbound(Flow flow, TimePoint now, DropReason& why) {
    Mapping* mapping = mapping_addressed(flow.protocol, flow.destination, now, why);
    if (!mapping) return mapping;
    if (mapping->granted()) return admit_granted(*mapping, flow.source, why);  // RFC 6887 §11, §13.3
    auto refused =
        filter_inbound(config_.filtering, mapping->sent_to, flow.source, now, table_.timeout(*mapping));
    if (refused) {
        why = std::move(*refused);
        return nullptr;
    }
    return mapping;
}

Mapping* Nat::mapping_addressed(Protocol protocol, Endpoint destination, TimePoint now, DropReason& why) {
    if (!pool_.owns(destination.addr)) {
        std::string ours = addresses_.external.size() == 1 ? addresses_.external[0].to_string()
                                                           : "one of our external addresses";
        why = {DropCode::NotOurAddress,
               "not our address: " + destination.addr.to_string() + " is not " + ours};
        return nullptr;
    }
    Mapping* mapping = live_or_retire(table_.find_inbound(protocol, destination), now);
    if (!mapping) {
        std::string what = protocol == Protocol::Udp ? "" : std::string{to_string(protocol)} + " ";
        why = {DropCode::NoMapping, "no mapping for " + what + destination.to_string()};
    }
    return mapping;
}

// TCP follows its state machine both ways; UDP and ICMP refresh on inbound
// traffic only when configured to (§4.3).
void Nat::note_inbound(Mapping& mapping, Endpoint remote, std::uint8_t tcp_flags, TimePoint now) {
    if (mapping.protocol == Protocol::Tcp) {
        auto step = tcp_step(mapping.tcp, Direction::Inbound, tcp_flags);
        mapping.tcp = step.next;
        if (step.refresh) refresh_inbound(mapping, remote, now);
        return;
    }
    mapping.answered = true;  // from now on the mapping timeout, not the before-inbound one
    if (config_.refresh_on_inbound) refresh_inbound(mapping, remote, now);
}

// An inbound refresh also keeps the sender's permission alive.
void Nat::refresh_inbound(Mapping& mapping, Endpoint remote, TimePoint now) {
    if (!mapping.granted()) mapping.last_used = now;
    mapping.sent_to.renew(remote, now);
    ++counters_.refreshes;
}

Mapping* Nat::live_or_retire(Mapping* mapping, TimePoint now) {
    if (!mapping || table_.live(*mapping, now)) return mapping;
    retire(table_.remove(*mapping), now);
    return nullptr;
}

void Nat::retire(const Mapping& mapping, TimePoint now) {
    pool_.release(mapping.protocol, mapping.outside, mapping.inside.addr);
    count_host_mapping(mapping.inside.addr, -1);
    ++counters_.mappings_expired;
    report(MappingChange::Expired, mapping, mapping.first_remote, now);
    if (!mapping.granted()) return;
    forget_grant(mapping);
    ++counters_.grants_expired;
    report_grant(PortMapChange::Expired, mapping, now);
}

// RFC 6888 REQ-4: a subscriber holds at most so many mappings.
bool Nat::over_limit(Ipv4 inside, DropReason& why) const {
    if (config_.mappings_per_host == 0) return false;
    auto it = mappings_by_host_.find(inside.value);
    if (it == mappings_by_host_.end() || it->second < config_.mappings_per_host) return false;
    why = {DropCode::MappingLimit, "mapping limit: " + inside.to_string() + " already holds " +
                                       std::to_string(it->second) + " mappings, the most it may"};
    return true;
}

// Mappings made by traffic, per inside host; kept only when there is a limit
// (a grant that dies without having been counted leaves a count at 0).
void Nat::count_host_mapping(Ipv4 inside, int delta) {
    if (config_.mappings_per_host == 0) return;
    auto it = mappings_by_host_.try_emplace(inside.value, 0).first;
    if (delta < 0 && it->second > 0) --it->second;
    if (delta > 0) ++it->second;
    if (it->second == 0) mappings_by_host_.erase(it);
}

NatCounters Nat::counters() const {
    NatCounters c = counters_;
    c.port_blocks_reserved = pool_.blocks_reserved();
    c.port_blocks_released = pool_.blocks_released();
    return c;
}

std::nullopt_t Nat::drop(Direction from, Flow flow, DropReason why, TimePoint now) {
    counters_.dropped.add(why.code);
    last_drop_ = std::move(why);
    if (sink_) sink_(DropEvent{now, from, flow, last_drop_});
    return std::nullopt;
}

void Nat::report(MappingChange change, const Mapping& mapping, Endpoint remote, TimePoint now) {
    if (sink_) sink_(MappingEvent{change, now, mapping.inside, mapping.outside, remote, mapping.protocol});
}

}  // namespace natlab::nat
