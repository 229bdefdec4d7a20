#include "simulator/router/datapath.h"

#include <algorithm>
#include <array>

#include "simulator/wire/bytes.h"

namespace natlab::nat {
namespace {

constexpr std::size_t kDestinationAddress = 16;  // in the IPv4 header

Direction arrived_from(Side side) {
    return side == Side::Inside ? Direction::Outbound : Direction::Inbound;
}

// The direction a frame leaving by `side` was travelling (for drops after routing).
Direction leaving_by(Side side) {
    return side == Side::Outside ? Direction::Outbound : Direction::Inbound;
}

std::optional<Flow> flow_of(std::vector<std::byte>& frame) {
    if (frame.size() < kEthernetHeaderSize) return std::nullopt;
    DropReason ignored;
    auto packet = Ipv4Packet::parse(std::span{frame}.subspan(kEthernetHeaderSize), ignored);
    return packet ? std::optional{packet->flow()} : std::nullopt;
}

// An IPv4 datagram in a new frame, Ethernet header still blank.
Frame framed(const std::vector<std::byte>& datagram) {
    Frame frame{std::vector<std::byte>(kEthernetHeaderSize + datagram.size()), {}};
    std::copy(datagram.begin(), datagram.end(), frame.bytes.begin() + kEthernetHeaderSize);
    return frame;
}

// RFC 1112 §6.4: an IPv4 group's Ethernet address is 01:00:5e and the group's low 23 bits.
MacAddress group_mac(Ipv4 group) {
    auto v = group.value;
    return {{0x01, 0x00, 0x5e, static_cast<std::uint8_t>((v >> 16) & 0x7f), static_cast<std::uint8_t>(v >> 8),
             static_cast<std::uint8_t>(v)}};
}

}  // namespace

void Datapath::prefetch(Side side, std::span<const std::span<std::byte>> frames) const {
    constexpr std::size_t kMax = 64;
    std::array<Flow, kMax> flows;
    std::size_t n = 0;
    DropReason why;
    for (auto frame : frames.first(std::min(frames.size(), kMax))) {
        auto ethernet = parse_ethernet(frame);
        if (!ethernet || ethernet->ethertype != kEtherTypeIpv4) continue;
        auto packet = Ipv4Packet::parse(frame.subspan(kEthernetHeaderSize), why);
        if (packet) flows[n++] = packet->flow();
    }
    Direction from = side == Side::Inside ? Direction::Outbound : Direction::Inbound;
    for (std::size_t i = 0; i < n; ++i) nat_.prefetch(flows[i], from, Nat::Prefetch::Index);
    for (std::size_t i = 0; i < n; ++i) nat_.prefetch(flows[i], from, Nat::Prefetch::Record);
}

Datapath::Datapath(const DatapathConfig& config, std::uint64_t seed, EventSink sink)
    : trace_(config.name, config.trace),
      routes_(config.routes),
      sink_(std::move(sink)),
      inside_(Side::Inside, {config.inside_address}, config.inside_mac),
      outside_(Side::Outside, config.outside_addresses, config.outside_mac),
      nat_(config.nat, {config.outside_addresses, config.inside_address}, seed,
           config.ipv6.mode == Ipv6Mode::Nat64 ? nat_sink() : sink_) {
    if (!config.ipv6.enabled()) return;
    v6_ = std::make_unique<Datapath6>(config.ipv6, config.inside_mac, inside_.tx, config.outside_mac,
                                      outside_.tx, sink_, trace_);
    if (config.ipv6.mode == Ipv6Mode::Nat64)
        v6_->on_nat64([this](std::vector<std::byte> datagram, TimePoint now) {
            nat64_outbound(std::move(datagram), now);
        });
}

// With NAT64, the NAT's events pass here: a mapping of a 240/4 key also names its IPv6 host.
EventSink Datapath::nat_sink() {
    return [this](const NatEvent& event) { relay(event); };
}

void Datapath::relay(const NatEvent& event) const {
    if (!sink_) return;
    auto* mapping = std::get_if<MappingEvent>(&event);
    if (!mapping || !v6_ || !v6_->nat64() || !v6::is_nat64_key(mapping->inside.addr)) return sink_(event);
    MappingEvent named = *mapping;
    named.inside6 = v6_->nat64()->inside6(mapping->inside);
    sink_(named);
}

// An inside IPv6 host's packet as IPv4 from its key: through the NAT, then routed.
void Datapath::nat64_outbound(std::vector<std::byte> datagram, TimePoint now) {
    Frame frame = framed(datagram);
    DropReason why;
    auto packet = Ipv4Packet::parse(std::span{frame.bytes}.subspan(kEthernetHeaderSize), why);
    if (!packet) return drop(Direction::Outbound, std::nullopt, std::move(why), now);
    auto out = nat_.handle(*packet, Direction::Outbound, now);
    send_generated(now);
    if (!out) return;
    if (v6::is_nat64_key(out->destination().addr)) return nat64_inbound(*out, Direction::Outbound, now);
    auto hop = next_hop(routes_, out->destination().addr);
    if (!hop) return drop(Direction::Outbound, out->flow(), no_route(out->destination().addr), now);
    transmit(port(hop->side), hop->address, std::move(frame), now);
}

void Datapath::nat64_inbound(const Ipv4Packet& packet, Direction from, TimePoint now) {
    if (!v6_) return drop(from, packet.flow(), no_route(packet.destination().addr), now);
    v6_->nat64_inbound(packet, from, now);
}

void Datapath::receive(Side side, std::span<std::byte> frame, const RxInfo& info, TimePoint now) {
    Port& in = port(side);
    ++in.counters.frames_in;
    auto ethernet = parse_ethernet(frame);
    if (!ethernet || info.truncated) return ignore(in, DropCode::Malformed);
    if (info.vlan_tagged) return ignore(in, DropCode::UnsupportedEthertype);
    if (ethernet->ethertype == kEtherTypeArp)
        return on_arp(in, *ethernet, frame.subspan(kEthernetHeaderSize), now);
    if (ethernet->ethertype == kEtherTypeIpv6 && v6_)
        return v6_->receive(side, frame, *ethernet, info.meta, now);
    if (ethernet->destination != in.mac && !lan_multicast(in, *ethernet))
        return ignore(in, DropCode::NotOurMac);
    if (ethernet->ethertype != kEtherTypeIpv4) return ignore(in, DropCode::UnsupportedEthertype);
    if (ethernet->destination != in.mac) return on_lan_multicast(in, frame, now);
    on_ipv4(in, frame, info.meta, now);
}

void Datapath::attach(portmap::LanService* service) {
    lan_service_ = service;
    lan_groups_.clear();
    if (service)
        for (auto group : service->groups()) lan_groups_.push_back(group_mac(group));
}

void Datapath::tick(TimePoint now) {
    nat_.expire(now);
    if (v6_) v6_->tick(now);
    if (lan_service_) {
        lan_service_->tick(now);
        send_lan_output(now);
    }
    for (Port* p : {&inside_, &outside_}) {
        ArpOutput output;
        p->arp.tick(now, output);
        apply(*p, output, now);
    }
}

void Datapath::sent(Side side, std::size_t accepted) {
    Port& p = port(side);
    p.counters.frames_out += accepted;
    for (std::size_t i = accepted; i < p.tx.entries().size(); ++i) shell_dropped_.add(DropCode::SendFailed);
    p.tx.clear();
}

CountersSnapshot Datapath::counters() const {
    CountersSnapshot snapshot{nat_.counters(), nat_.mappings_live(), inside_.counters, outside_.counters,
                              shell_dropped_};
    snapshot.inside.arp = inside_.arp.counters();
    snapshot.outside.arp = outside_.arp.counters();
    if (!v6_) return snapshot;
    snapshot.ipv6 = v6_->counters();
    snapshot.shell_dropped += v6_->dropped();
    return snapshot;
}

void Datapath::on_arp(Port& in, const EthernetHeader& ethernet, std::span<const std::byte> payload,
                      TimePoint now) {
    if (ethernet.destination != in.mac && ethernet.destination != MacAddress::broadcast())
        return ignore(in, DropCode::NotOurMac);
    auto message = parse_arp(payload);
    if (!message) return ignore(in, DropCode::Malformed);
    trace_([&] {
        return std::string{to_string(in.side)} + " arp " +
               (message->op == ArpOp::Request ? "request" : "reply") + " from " +
               message->sender_ip.to_string() + " (" + message->sender_mac.to_string() + ") for " +
               message->target_ip.to_string();
    });
    ArpOutput output;
    in.arp.handle(*message, now, output);
    apply(in, output, now);
}

void Datapath::on_ipv4(Port& in, std::span<std::byte> frame, FrameMeta meta, TimePoint now) {
    DropReason why;
    auto packet = Ipv4Packet::parse(frame.subspan(kEthernetHeaderSize), why);
    if (!packet) return drop(arrived_from(in.side), std::nullopt, std::move(why), now);
    if (!accept_offload(*packet, meta, why))
        return drop(arrived_from(in.side), packet->flow(), std::move(why), now);
    trace_([&] {
        return std::string{to_string(in.side)} + " rx " + packet->flow().to_string() + " ttl " +
               std::to_string(packet->ttl()) + (meta.gso_type ? " gso " + std::to_string(meta.gso_size) : "");
    });
    if (serve_lan(in, *packet, now)) return;
    translate(in, *packet, frame, meta, now);
}

bool Datapath::lan_multicast(const Port& in, const EthernetHeader& ethernet) const {
    return in.side == Side::Inside &&
           std::ranges::find(lan_groups_, ethernet.destination) != lan_groups_.end();
}

// A frame to one of the LAN service's groups: its, or nobody's.
void Datapath::on_lan_multicast(Port& in, std::span<std::byte> frame, TimePoint now) {
    DropReason why;
    auto packet = Ipv4Packet::parse(frame.subspan(kEthernetHeaderSize), why);
    if (!packet || !serve_lan(in, *packet, now)) ignore(in, DropCode::NotOurMac);
}

bool Datapath::serve_lan(const Port& in, const Ipv4Packet& packet, TimePoint now) {
    if (!lan_service_ || in.side != Side::Inside || !lan_service_->wants(packet)) return false;
    trace_([&] { return "lan service " + packet.flow().to_string(); });
    lan_service_->receive(packet, now);
    send_lan_output(now);
    return true;
}

// The LAN service's answers: framed and routed like the NAT's own packets.
void Datapath::send_lan_output(TimePoint now) {
    for (auto& datagram : lan_service_->take_output()) {
        Ipv4 to{load32(datagram, kDestinationAddress)};
        auto hop = next_hop(routes_, to);
        if (!hop) {
            drop(Direction::Inbound, std::nullopt, no_route(to), now);
            continue;
        }
        transmit(port(hop->side), hop->address, framed(datagram), now);
    }
}

// A frame whose sender left its checksum to offload must say where that
// checksum is, and it must be the transport checksum: the NAT patches only
// the pseudo-header part of it (checksum.h). ICMP is finished here instead.
bool Datapath::accept_offload(Ipv4Packet& packet, FrameMeta& meta, DropReason& why) const {
    if (!meta.checksum_partial) return true;
    std::size_t start = kEthernetHeaderSize + packet.header_size();
    std::size_t offset = transport_checksum_offset(packet.protocol());
    if (meta.checksum_start != start || meta.checksum_offset != offset) {
        why = {DropCode::Malformed, "malformed: checksum offload points at byte " +
                                        std::to_string(meta.checksum_start + meta.checksum_offset) +
                                        ", not at the transport checksum (byte " +
                                        std::to_string(start + offset) + ")"};
        return false;
    }
    if (packet.protocol() != Protocol::Icmp) {
        packet.set_checksum_partial(true);
        return true;
    }
    packet.finish_transport_checksum();
    meta.checksum_partial = false;
    return true;
}

void Datapath::translate(Port& in, Ipv4Packet packet, std::span<std::byte> frame, FrameMeta meta,
                         TimePoint now) {
    Direction from = arrived_from(in.side);
    std::optional<Flow> before;
    if (trace_.on()) before = packet.flow();
    auto out = nat_.handle(packet, from, now);
    send_generated(now);
    if (!out) return;  // the NAT has reported the drop
    if (v6::is_nat64_key(out->destination().addr)) [[unlikely]]
        return nat64_inbound(*out, from, now);
    trace_([&] {
        return "nat " + std::string{to_string(from)} + " " + before->to_string() + " => " +
               out->flow().to_string();
    });
    forward(*out, frame.first(kEthernetHeaderSize + out->bytes().size()), meta, from, now);
}

void Datapath::forward(const Ipv4Packet& packet, std::span<std::byte> frame, FrameMeta meta, Direction from,
                       TimePoint now) {
    auto hop = next_hop(routes_, packet.destination().addr);
    if (!hop) return drop(from, packet.flow(), no_route(packet.destination().addr), now);
    transmit(port(hop->side), hop->address, frame, meta, now);
}

void Datapath::originate(std::uint16_t port, Endpoint to, std::vector<std::byte> payload, TimePoint now) {
    nat_.originate(port, to, std::move(payload));
    send_generated(now);
}

// What the NAT originated: framed and routed like the rest.
void Datapath::send_generated(TimePoint now) {
    for (auto& datagram : nat_.take_generated()) {
        Ipv4 to{load32(datagram, kDestinationAddress)};
        if ((to.value >> 28) == 0xe) {
            send_multicast(datagram, to);
            continue;
        }
        if (v6::is_nat64_key(to)) {
            generated_to_nat64(datagram, now);
            continue;
        }
        auto hop = next_hop(routes_, to);
        if (!hop) {
            drop(Direction::Outbound, std::nullopt, no_route(to), now);
            continue;
        }
        trace_([&] { return "sent generated datagram to " + to.to_string(); });
        transmit(port(hop->side), hop->address, framed(datagram), now);
    }
}

// An error the NAT sent to an IPv6 host's key: the IPv6 branch translates it, or refuses it.
void Datapath::generated_to_nat64(std::vector<std::byte>& datagram, TimePoint now) {
    DropReason why;
    auto packet = Ipv4Packet::parse(datagram, why);
    if (!packet) return drop(Direction::Inbound, std::nullopt, std::move(why), now);
    nat64_inbound(*packet, Direction::Inbound, now);
}

// RFC 1112 §6.4: 01:00:5e and the group's low 23 bits.
void Datapath::send_multicast(const std::vector<std::byte>& datagram, Ipv4 group) {
    Frame frame = framed(datagram);
    MacAddress mac = group_mac(group);
    write_ethernet(frame.bytes, {mac, inside_.mac, kEtherTypeIpv4});
    trace_([&] { return "inside tx multicast to " + group.to_string(); });
    inside_.tx.add(std::move(frame));
}

// The next hop's MAC if known (the frame's Ethernet header is written either way).
std::optional<MacAddress> Datapath::resolve(Port& out, Ipv4 next_hop, std::span<std::byte> frame,
                                            TimePoint now, ArpOutput& output) {
    auto mac = out.arp.lookup(next_hop, now, output);
    write_ethernet(frame, {mac.value_or(MacAddress{}), out.mac, kEtherTypeIpv4});
    trace_([&] {
        return std::string{to_string(out.side)} + " tx to " + next_hop.to_string() +
               (mac ? " at " + mac->to_string() : std::string{" (waiting for ARP)"});
    });
    return mac;
}

void Datapath::transmit(Port& out, Ipv4 next_hop, std::span<std::byte> frame, FrameMeta meta, TimePoint now) {
    ArpOutput output;
    if (resolve(out, next_hop, frame, now, output))
        out.tx.add(std::span<const std::byte>{frame}, meta);
    else
        out.arp.enqueue(next_hop, Frame{{frame.begin(), frame.end()}, meta}, now, output);
    apply(out, output, now);
}

void Datapath::transmit(Port& out, Ipv4 next_hop, Frame frame, TimePoint now) {
    ArpOutput output;
    if (resolve(out, next_hop, frame.bytes, now, output))
        out.tx.add(std::move(frame));
    else
        out.arp.enqueue(next_hop, std::move(frame), now, output);
    apply(out, output, now);
}

void Datapath::apply(Port& port, ArpOutput& output, TimePoint now) {
    for (auto& frame : output.send) port.tx.add(std::move(frame));
    for (auto& dropped : output.dropped)
        drop(leaving_by(port.side), flow_of(dropped.frame), std::move(dropped.reason), now);
}

void Datapath::ignore(Port& in, DropCode code) {
    shell_dropped_.add(code);
    trace_(
        [&] { return std::string{to_string(in.side)} + " ignored frame: " + std::string{to_string(code)}; });
}

void Datapath::drop(Direction from, std::optional<Flow> flow, DropReason why, TimePoint now) {
    shell_dropped_.add(why.code);
    if (sink_) sink_(DropEvent{now, from, flow, std::move(why)});
}

}  // namespace natlab::nat
