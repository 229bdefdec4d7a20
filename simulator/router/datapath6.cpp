#include "simulator/router/datapath6.h"

#include <algorithm>

#include "simulator/wire/bytes.h"

namespace natlab::nat {
namespace {

constexpr std::size_t kEth = kEthernetHeaderSize;
constexpr std::uint8_t kRouterSolicitation = 133;

Direction arrived_from(Side side) {
    return side == Side::Inside ? Direction::Outbound : Direction::Inbound;
}

Direction leaving_by(Side side) {
    return side == Side::Outside ? Direction::Outbound : Direction::Inbound;
}

Ipv6 all_routers() {
    return *Ipv6::parse("ff02::2");
}

std::optional<Flow6> flow_of(std::vector<std::byte>& frame) {
    if (frame.size() < kEth) return std::nullopt;
    DropReason ignored;
    auto packet = Ipv6Packet::parse(std::span{frame}.subspan(kEth), ignored);
    return packet ? std::optional{packet->flow()} : std::nullopt;
}

Icmp6Kind kind_of(const Ipv6Packet& packet) {
    return packet.protocol() == Protocol::Icmp ? icmp6_kind(packet.icmp_type()) : Icmp6Kind::other;
}

DropCode code_of(v6::Refusal r) {
    switch (r) {
        case v6::Refusal::not_inside:
            return DropCode::NotInside;
        case v6::Refusal::no_state:
            return DropCode::NoState;
        case v6::Refusal::filtered:
            return DropCode::Filtered;
        case v6::Refusal::icmp_unmatched:
            return DropCode::IcmpErrorUnmatched;
        case v6::Refusal::icmp_unsupported:
            return DropCode::UnsupportedIcmp;
    }
    return DropCode::Filtered;
}

std::optional<v6::Nptv6> nptv6_for(const Ipv6Config& c) {
    if (c.mode != Ipv6Mode::Nptv6 || !c.nptv6_prefix) return std::nullopt;
    std::string why;
    return v6::Nptv6::make(c.inside.prefix, *c.nptv6_prefix, why);
}

}  // namespace

Datapath6::Datapath6(const Ipv6Config& config, MacAddress inside_mac, TxBatch& inside_tx,
                     MacAddress outside_mac, TxBatch& outside_tx, EventSink sink, const Trace& trace)
    : config_(config),
      routes_(config.routes6()),
      sink_(std::move(sink)),
      trace_(trace),
      inside_(Side::Inside, config.inside.address, inside_mac, inside_tx),
      outside_(Side::Outside, config.outside.address, outside_mac, outside_tx),
      nptv6_(nptv6_for(config)),
      error_tokens_(config.errors_per_second) {
    if (config.mode == Ipv6Mode::Firewall) firewall_.emplace(config.firewall, config.inside.prefix);
    if (config.mode == Ipv6Mode::Nat64) nat64_.emplace(config.nat64_prefix, config.inside.prefix);
}

void Datapath6::receive(Side side, std::span<std::byte> frame, const EthernetHeader& ethernet, FrameMeta meta,
                        TimePoint now) {
    Port& in = port(side);
    ++in.frames_in;
    if (side == Side::Outside && !config_.outside_link) return ignore(DropCode::UnsupportedEthertype);
    bool unicast = ethernet.destination == in.mac;
    if (!unicast && !listens(in, ethernet.destination)) return ignore(DropCode::NotOurMac);
    DropReason why;
    auto packet = Ipv6Packet::parse(frame.subspan(kEth), why);
    if (!packet) return drop(arrived_from(side), std::nullopt, std::move(why), now);
    trace_([&] {
        return std::string{to_string(side)} + " rx6 " + packet->flow().to_string() + " hop limit " +
               std::to_string(packet->hop_limit());
    });
    if (is_multicast(packet->destination_address())) return on_multicast(in, ethernet, *packet, now);
    if (!unicast) return ignore(DropCode::NotOurMac);
    if (owns(packet->destination_address())) return on_local(in, ethernet, *packet, meta, now);
    forward(in, *packet, frame, meta, now);
}

bool Datapath6::listens(const Port& in, const MacAddress& destination) const {
    return in.nd.listens(destination) ||
           (answers_solicitations(in) && destination == v6::multicast_mac(all_routers()));
}

bool Datapath6::answers_solicitations(const Port& in) const {
    return in.side == Side::Inside && config_.router_advertisements.has_value();
}

// Neighbour discovery to our groups, Router Solicitations to all-routers; nothing else.
void Datapath6::on_multicast(Port& in, const EthernetHeader& ethernet, const Ipv6Packet& packet,
                             TimePoint now) {
    const Ipv6 group = packet.destination_address();
    bool routers = answers_solicitations(in) && group == all_routers();
    if (!in.nd.listens(group) && !routers) return ignore(DropCode::NotOurAddress);
    if (packet.protocol() != Protocol::Icmp) return ignore(DropCode::UnsupportedProtocol);
    auto type = packet.icmp_type();
    if (type == v6::kNeighborSolicitation || type == v6::kNeighborAdvertisement)
        return on_neighbour_discovery(in, ethernet, packet, now);
    if (type == kRouterSolicitation && answers_solicitations(in)) return send_router_advertisement(now);
    ignore(DropCode::UnsupportedIcmp);
}

void Datapath6::on_local(Port& in, const EthernetHeader& ethernet, const Ipv6Packet& packet, FrameMeta meta,
                         TimePoint now) {
    Direction from = arrived_from(in.side);
    if (packet.protocol() != Protocol::Icmp)
        return drop(from, packet.flow(),
                    {DropCode::UnsupportedProtocol,
                     "unsupported protocol: " + packet.destination_address().to_string() +
                         " is the router itself, which answers only echo and neighbour discovery"},
                    now);
    auto type = packet.icmp_type();
    if (type == v6::kNeighborSolicitation || type == v6::kNeighborAdvertisement)
        return on_neighbour_discovery(in, ethernet, packet, now);
    if (type == kRouterSolicitation && answers_solicitations(in)) return send_router_advertisement(now);
    if (type != kIcmpv6EchoRequest)
        return drop(from, packet.flow(),
                    {DropCode::UnsupportedIcmp,
                     "unsupported icmpv6: type " + std::to_string(type) + " to the router itself"},
                    now);
    if (!meta.checksum_partial && !packet.checksum_ok())
        return drop(from, packet.flow(), {DropCode::Malformed, "malformed ipv6: bad ICMPv6 checksum"}, now);
    answer_echo(in, packet, now);
}

void Datapath6::on_neighbour_discovery(Port& in, const EthernetHeader& ethernet, const Ipv6Packet& packet,
                                       TimePoint now) {
    std::string why;
    ArpOutput output;
    if (packet.icmp_type() == v6::kNeighborSolicitation) {
        if (auto s = v6::parse_solicitation(packet, why)) in.nd.solicited(*s, ethernet.source, now, output);
    } else if (auto a = v6::parse_advertisement(packet, why)) {
        in.nd.advertised(*a, now, output);
    }
    if (!why.empty())
        drop(arrived_from(in.side), packet.flow(),
             {DropCode::Malformed, "malformed neighbour discovery: " + why}, now);
    apply(in, output, now);
}

// RFC 4443 section 4.2: the reply carries the request's identifier, sequence and data.
void Datapath6::answer_echo(Port& in, const Ipv6Packet& request, TimePoint now) {
    std::vector<std::byte> reply(request.bytes().begin(), request.bytes().end());
    Ipv6 from = request.destination_address(), to = request.source_address();
    store_ipv6(reply, 8, from);
    store_ipv6(reply, 24, to);
    store8(reply, 7, 64);
    auto icmp = std::span{reply}.subspan(kIpv6HeaderSize);
    store8(icmp, 0, kIcmpv6EchoReply);
    store16(icmp, 2, transport_checksum6(from, to, Protocol::Icmp, icmp));
    ++counters_.echo_replies_sent;
    route_generated(in, std::move(reply), now);
}

void Datapath6::forward(Port& in, Ipv6Packet packet, std::span<std::byte> frame, FrameMeta meta,
                        TimePoint now) {
    Direction from = arrived_from(in.side);
    Flow6 flow = packet.flow();
    if (is_link_local(flow.source.addr) || is_link_local(flow.destination.addr))
        return drop(from, flow,
                    {DropCode::NotOurAddress,
                     "not forwarded: link-local traffic stays on its link (RFC 4291 §2.5.6)"},
                    now);
    if (!admitted(from, packet, now)) return;
    if (packet.hop_limit() <= 1) {
        send_error(in, packet, kIcmpv6TimeExceeded, now);
        return drop(
            from, flow,
            {DropCode::TtlExpired, "hop limit exceeded: arrived with " + std::to_string(packet.hop_limit())},
            now);
    }
    if (nat64_ && from == Direction::Outbound && nat64_->translates(flow.destination.addr))
        return nat64_outbound(packet, meta, now);
    DropReason why;
    auto destination = destination_after(from, packet, why);
    if (!destination) return drop(from, flow, std::move(why), now);
    auto hop = next_hop(routes_, *destination);
    if (hop && hop->side == Side::Outside && !config_.outside_link) hop.reset();
    if (!hop) {
        send_error(in, packet, kIcmpv6DestinationUnreachable, now);
        return drop(from, flow, no_route(*destination), now);
    }
    if (hop->side == in.side)
        return drop(from, flow,
                    {DropCode::NotOurAddress,
                     "not ours: " + destination->to_string() + " is on the link it came from"},
                    now);
    if (!rewrite_source(from, packet, why)) return drop(from, flow, std::move(why), now);
    if (*destination != flow.destination.addr) packet.set_destination_address_neutral(*destination);
    rewrite_quoted(from, packet);
    packet.decrement_hop_limit();
    ++(from == Direction::Outbound ? counters_.forwarded_outbound : counters_.forwarded_inbound);
    transmit(port(hop->side), hop->address, frame.first(kEth + packet.bytes().size()), meta, now);
}

// RFC 6146 section 3.5, through SIIT: the packet goes on as IPv4, from its host's key.
void Datapath6::nat64_outbound(const Ipv6Packet& packet, FrameMeta meta, TimePoint now) {
    DropReason why;
    auto datagram = nat64_->outbound(packet, meta.checksum_partial, why);
    if (!datagram) return drop(Direction::Outbound, packet.flow(), std::move(why), now);
    ++counters_.nat64_outbound;
    trace_([&] { return "nat64 out " + packet.flow().to_string(); });
    if (to_ipv4_) to_ipv4_(std::move(*datagram), now);
}

void Datapath6::nat64_inbound(const Ipv4Packet& packet, Direction from, TimePoint now) {
    DropReason why;
    auto translated = nat64_ ? nat64_->inbound(packet, why) : std::nullopt;
    if (!translated) {
        dropped_.add(why.code);
        if (sink_) sink_(DropEvent{now, from, packet.flow(), std::move(why)});
        return;
    }
    ++counters_.nat64_inbound;
    trace_([&] { return "nat64 in " + packet.flow().to_string(); });
    route_generated(inside_, std::move(*translated), now);
}

// The firewall's verdict (RFC 6092), the drop when it refuses, the state event when it opens.
bool Datapath6::admitted(Direction from, const Ipv6Packet& packet, TimePoint now) {
    if (!firewall_) return true;
    Flow6 flow = packet.flow();
    auto kind = kind_of(packet);
    std::optional<v6::Refused> refused;
    v6::Opened opened = v6::Opened::nothing;
    if (from == Direction::Outbound && kind != Icmp6Kind::error)
        refused = firewall_->outbound(flow, now, &opened);
    else if (from == Direction::Inbound && kind == Icmp6Kind::error)
        refused = inbound_error(packet, now);
    else if (from == Direction::Inbound)
        refused = firewall_->inbound(flow, now, kind);
    if (refused)
        drop(from, flow, {code_of(refused->why), std::move(refused->text)}, now);
    else
        log_opened(opened, flow, now);
    return !refused;
}

// RFC 4890 section 4.3.1: an error passes when the packet it quotes left through the firewall.
std::optional<v6::Refused> Datapath6::inbound_error(const Ipv6Packet& packet, TimePoint now) const {
    auto quoted = quoted_flow6(packet.transport());
    if (!quoted)
        return v6::Refused{v6::Refusal::icmp_unmatched,
                           "icmpv6 error unmatched: it quotes too little of a packet"};
    return firewall_->inbound_error(*quoted, now);
}

void Datapath6::log_opened(v6::Opened opened, const Flow6& flow, TimePoint now) {
    if (opened == v6::Opened::nothing) return;
    if (opened == v6::Opened::state) ++counters_.states_created;
    auto change = opened == v6::Opened::state ? StateChange6::Created : StateChange6::Opened;
    if (sink_) sink_(StateEvent6{change, now, flow.protocol, flow.source, flow.destination});
}

// NPTv6 inbound (RFC 6296 section 3.2): a destination in the external prefix goes back to the inside one.
std::optional<Ipv6> Datapath6::destination_after(Direction from, const Ipv6Packet& packet,
                                                 DropReason& why) const {
    Ipv6 destination = packet.destination_address();
    if (!nptv6_ || from != Direction::Inbound || !nptv6_->outside().contains(destination)) return destination;
    auto inside = nptv6_->inbound(destination);
    if (!inside)
        why = {DropCode::NotOurAddress, "not translatable: " + destination.to_string() +
                                            " has an all-ones interface identifier (RFC 6296 §3.5)"};
    return inside;
}

// NPTv6 outbound: a source in the inside prefix leaves in the external one, checksum-neutral.
bool Datapath6::rewrite_source(Direction from, Ipv6Packet& packet, DropReason& why) const {
    Ipv6 source = packet.source_address();
    if (!nptv6_ || from != Direction::Outbound || !nptv6_->inside().contains(source)) return true;
    auto outside = nptv6_->outbound(source);
    if (!outside) {
        why = {DropCode::NotOurAddress, "not translatable: " + source.to_string() +
                                            " has an all-ones interface identifier (RFC 6296 §3.5)"};
        return false;
    }
    packet.set_source_address_neutral(*outside);
    return true;
}

// NPTv6 and ICMPv6 errors: the packet an error quotes crossed the translator
// the other way, so its address goes back too (an inbound error quotes our
// external source, an outbound one the inside destination), or its sender
// would not know the packet for its own. Neutral like the header's rewrite;
// an address that cannot be translated stays as it is.
void Datapath6::rewrite_quoted(Direction from, Ipv6Packet& packet) const {
    bool inbound = from == Direction::Inbound;
    auto quoted = nptv6_ ? packet.quoted_address(inbound) : std::nullopt;
    if (!quoted || !(inbound ? nptv6_->outside() : nptv6_->inside()).contains(*quoted)) return;
    auto translated = inbound ? nptv6_->inbound(*quoted) : nptv6_->outbound(*quoted);
    if (translated) packet.set_quoted_address_neutral(inbound, *translated);
}

void Datapath6::send_error(Port& in, const Ipv6Packet& about, std::uint8_t type, TimePoint now) {
    if (!may_send_error(about, now)) return;
    ++counters_.errors_sent;
    route_generated(in, build_icmp6_error(in.nd.global(), type, 0, about.bytes()), now);
}

// RFC 4443 section 2.4 (e) and (f).
bool Datapath6::may_send_error(const Ipv6Packet& about, TimePoint now) {
    Ipv6 source = about.source_address();
    if (kind_of(about) == Icmp6Kind::error || source == Ipv6{} || is_multicast(source) ||
        is_multicast(about.destination_address()))
        return false;
    if (now - error_refill_ >= std::chrono::seconds{1}) {
        error_tokens_ = config_.errors_per_second;
        error_refill_ = now;
    }
    if (error_tokens_ < 1) {
        ++counters_.errors_suppressed;
        return false;
    }
    error_tokens_ -= 1;
    return true;
}

// RFC 4861 section 6.2: the LAN's /64, from our link-local address, to all-nodes.
void Datapath6::send_router_advertisement(TimePoint) {
    auto packet =
        v6::build_router_advertisement({inside_.nd.link_local(), inside_.mac, config_.inside.prefix});
    ++counters_.router_advertisements_sent;
    emit(inside_, frame_ipv6(packet, v6::multicast_mac(v6::all_nodes()), inside_.mac));
}

// A packet the router originated: on the link it answers when its destination is link-local, else routed.
void Datapath6::route_generated(Port& in, std::vector<std::byte> packet, TimePoint now) {
    Ipv6 to = load_ipv6(packet, 24);
    auto hop = is_link_local(to) ? std::optional{NextHop6{in.side, to}} : next_hop(routes_, to);
    if (!hop) return drop(leaving_by(in.side), std::nullopt, no_route(to), now);
    transmit(port(hop->side), hop->address, frame_ipv6(packet, {}, port(hop->side).mac), now);
}

void Datapath6::transmit(Port& out, const Ipv6& next_hop, std::span<std::byte> frame, FrameMeta meta,
                         TimePoint now) {
    ArpOutput output;
    auto mac = out.nd.lookup(next_hop, now, output);
    write_ethernet(frame, {mac.value_or(MacAddress{}), out.mac, kEtherTypeIpv6});
    if (mac) {
        out.tx.add(std::span<const std::byte>{frame}, meta);
        ++out.frames_out;
    } else {
        out.nd.enqueue(next_hop, Frame{{frame.begin(), frame.end()}, meta}, now, output);
    }
    apply(out, output, now);
}

void Datapath6::transmit(Port& out, const Ipv6& next_hop, Frame frame, TimePoint now) {
    ArpOutput output;
    auto mac = out.nd.lookup(next_hop, now, output);
    write_ethernet(frame.bytes, {mac.value_or(MacAddress{}), out.mac, kEtherTypeIpv6});
    if (mac)
        emit(out, std::move(frame));
    else
        out.nd.enqueue(next_hop, std::move(frame), now, output);
    apply(out, output, now);
}

void Datapath6::apply(Port& port, ArpOutput& output, TimePoint now) {
    for (auto& frame : output.send) emit(port, std::move(frame));
    for (auto& dropped : output.dropped)
        drop(leaving_by(port.side), flow_of(dropped.frame), std::move(dropped.reason), now);
}

void Datapath6::emit(Port& out, Frame frame) {
    ++out.frames_out;
    out.tx.add(std::move(frame));
}

void Datapath6::tick(TimePoint now) {
    std::vector<v6::ExpiredState> gone;
    if (firewall_) firewall_->expire(now, &gone);
    for (const auto& state : gone) {
        ++counters_.states_expired;
        if (sink_) sink_(StateEvent6{StateChange6::Expired, now, state.protocol, state.inside, std::nullopt});
    }
    for (Port* p : {&inside_, &outside_}) {
        ArpOutput output;
        p->nd.tick(now, output);
        apply(*p, output, now);
    }
    if (!config_.router_advertisements || (next_advertisement_ && now < *next_advertisement_)) return;
    send_router_advertisement(now);
    next_advertisement_ = now + *config_.router_advertisements;
}

Ipv6Counters Datapath6::counters() const {
    Ipv6Counters c = counters_;
    c.frames_in_inside = inside_.frames_in;
    c.frames_in_outside = outside_.frames_in;
    c.frames_out_inside = inside_.frames_out;
    c.frames_out_outside = outside_.frames_out;
    c.states_live = firewall_ ? firewall_->states() : 0;
    c.nat64_hosts = nat64_ ? nat64_->hosts().size() : 0;
    c.inside_nd = inside_.nd.counters();
    c.outside_nd = outside_.nd.counters();
    return c;
}

void Datapath6::ignore(DropCode code) {
    dropped_.add(code);
}

void Datapath6::drop(Direction from, std::optional<Flow6> flow, DropReason why, TimePoint now) {
    dropped_.add(why.code);
    trace_([&] { return "drop6 " + (flow ? flow->to_string() + ": " : std::string{}) + why.text; });
    if (sink_) sink_(DropEvent{now, from, std::nullopt, std::move(why), flow});
}

}  // namespace natlab::nat
