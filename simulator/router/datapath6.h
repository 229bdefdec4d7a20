// The IPv6 branch of one frame's path (EtherType 0x86dd), without sockets.
//
// Theory of operation
// -------------------
// When nat-emu has an IPv6 mode (route6.h), datapath.cpp hands every IPv6
// frame to `Datapath6::receive`; IPv4 frames never come here, so the IPv4
// path pays one EtherType comparison for it. Without a mode, IPv6 frames
// stay what they were: counted and ignored (unsupported-ethertype).
//
//   Ethernet   - our MAC, or a multicast group we listen on (33:33 and the
//                solicited-node groups of our addresses, all-nodes);
//                anything else is another station's: counted, ignored;
//   IPv6       - ipv6_packet.h checks it; a packet it refuses is a drop;
//   ours       - to our addresses on either link (global and link-local):
//                Neighbor Solicitations are answered and Advertisements
//                learnt (neighbours6.h), echo requests answered with echo
//                replies (RFC 4443 section 4.2), Router Solicitations
//                answered with an advertisement when they are on; the rest
//                is dropped. Multicast packets other than neighbour
//                discovery are ignored, never forwarded;
//   forwarding - link-local traffic is not forwarded (RFC 4291 section
//                2.5.6). The mode decides first: `firewall` asks Firewall6
//                (RFC 6092; ICMPv6 errors from outside pass when the packet
//                they quote left through it, as RFC 4890 section 4.3.1
//                recommends); `nptv6` maps the inbound destination from the
//                external prefix to the inside one. Then the hop limit: a
//                packet that arrives with 1 or 0 cannot be forwarded and its
//                source gets a Time Exceeded (RFC 4443 section 3.3); then the
//                route (route6.h): none is a Destination Unreachable, code 0
//                (section 3.1). Then `nptv6` rewrites the outbound source,
//                the hop limit goes down by one, and the frame leaves by its
//                link with our MAC as source, its next hop's MAC resolved by
//                neighbour discovery (queued until then);
//   nat64      - with mode `nat64`, an outbound packet to the NAT64 prefix
//                leaves the IPv6 path after the hop limit check: Nat64
//                (simulator/v6/nat64.h) makes it IPv4 from its host's 240/4
//                key and hands it to the IPv4 path (`on_nat64`), whose NAT
//                maps it like any IPv4 host's. The IPv4 path gives back what
//                its NAT translated to a key (`nat64_inbound`): made IPv6
//                again, it goes to its host on the LAN. Without --outside6
//                the outside link carries no IPv6: its IPv6 frames are
//                ignored and only the LAN and NAT64 are reachable;
//   errors     - ICMPv6 errors we originate come from our address on the
//                link the packet arrived by; none about an ICMPv6 error, a
//                multicast packet or an unspecified source (section 2.4 (e)),
//                and at most `errors_per_second` of them (section 2.4 (f):
//                a token bucket of that size, refilled every second).
//
// Every drop of an IPv6 packet is a DropEvent with its Flow6 (the event
// log's "drop" line); the firewall's state changes are StateEvent6s.
// `tick` expires firewall state, drives neighbour retries and sends
// periodic router advertisements.
#pragma once

#include <functional>
#include <optional>
#include <span>
#include <vector>

#include "simulator/nat/nat_event.h"
#include "simulator/router/neighbours6.h"
#include "simulator/router/route6.h"
#include "simulator/router/tx_batch.h"
#include "simulator/v6/firewall6.h"
#include "simulator/v6/nat64.h"
#include "simulator/v6/nptv6.h"
#include "simulator/wire/trace.h"

namespace natlab::nat {

struct Ipv6Config {
    Ipv6Mode mode = Ipv6Mode::Off;
    InterfaceAddress6 inside;   // our address on the LAN; its /64 is the LAN's prefix
    InterfaceAddress6 outside;  // our address on the internet segment; its /64 is on-link there
    bool outside_link = true;   // false: IPv6 only inside (nat64 without --outside6)
    std::vector<Route6> routes;
    std::optional<Ipv6> gateway;
    v6::FirewallConfig firewall;
    std::optional<Ipv6Prefix> nptv6_prefix;         // NPTv6's external prefix
    Ipv6Prefix nat64_prefix = v6::kNat64WellKnown;  // nat64: where IPv4 addresses are embedded
    std::optional<Millis> router_advertisements;    // the interval, when they are on
    unsigned errors_per_second = 100;

    bool enabled() const { return mode != Ipv6Mode::Off; }
    Routes6 routes6() const { return {inside.prefix, outside.prefix, routes, gateway}; }
};

struct Ipv6Counters {
    std::uint64_t frames_in_inside = 0, frames_in_outside = 0;
    std::uint64_t frames_out_inside = 0, frames_out_outside = 0;
    std::uint64_t forwarded_outbound = 0, forwarded_inbound = 0;
    std::uint64_t echo_replies_sent = 0, errors_sent = 0, errors_suppressed = 0;
    std::uint64_t router_advertisements_sent = 0;
    std::uint64_t states_created = 0, states_expired = 0;
    std::size_t states_live = 0;
    std::uint64_t nat64_outbound = 0, nat64_inbound = 0;  // packets translated to IPv4, to IPv6
    std::size_t nat64_hosts = 0;                          // inside hosts holding a 240/4 key
    NeighbourCounters inside_nd, outside_nd;
};

class Datapath6 {
public:
    // Precondition: config.enabled(); with nptv6, config.nptv6_prefix is set and pairs with the inside
    // prefix.
    Datapath6(const Ipv6Config& config, MacAddress inside_mac, TxBatch& inside_tx, MacAddress outside_mac,
              TxBatch& outside_tx, EventSink sink, const Trace& trace);

    void receive(Side side, std::span<std::byte> frame, const EthernetHeader& ethernet, FrameMeta meta,
                 TimePoint now);
    void tick(TimePoint now);
    // nat64: where IPv4 datagrams made from IPv6 packets go (the IPv4 NAT).
    using Ipv4Out = std::function<void(std::vector<std::byte> datagram, TimePoint now)>;
    void on_nat64(Ipv4Out out) { to_ipv4_ = std::move(out); }
    // nat64: an IPv4 packet the NAT translated to a host's key, on its way to that host.
    void nat64_inbound(const Ipv4Packet& packet, Direction from, TimePoint now);
    const v6::Nat64* nat64() const { return nat64_ ? &*nat64_ : nullptr; }

    Ipv6Counters counters() const;
    const DropCounters& dropped() const { return dropped_; }
    const std::optional<v6::Firewall6>& firewall() const { return firewall_; }

private:
    struct Port {
        Port(Side side, Ipv6 global, MacAddress mac, TxBatch& tx)
            : side(side), mac(mac), nd(global, mac), tx(tx) {}
        Side side;
        MacAddress mac;
        Neighbours6 nd;
        TxBatch& tx;
        std::uint64_t frames_in = 0, frames_out = 0;
    };

    Port& port(Side side) { return side == Side::Inside ? inside_ : outside_; }
    bool owns(const Ipv6& address) const {
        return inside_.nd.owns(address) || (config_.outside_link && outside_.nd.owns(address));
    }
    bool listens(const Port& in, const MacAddress& destination) const;
    bool answers_solicitations(const Port& in) const;
    std::optional<v6::Refused> inbound_error(const Ipv6Packet& packet, TimePoint now) const;
    void on_multicast(Port& in, const EthernetHeader& ethernet, const Ipv6Packet& packet, TimePoint now);
    void on_local(Port& in, const EthernetHeader& ethernet, const Ipv6Packet& packet, FrameMeta meta,
                  TimePoint now);
    void on_neighbour_discovery(Port& in, const EthernetHeader& ethernet, const Ipv6Packet& packet,
                                TimePoint now);
    void answer_echo(Port& in, const Ipv6Packet& request, TimePoint now);
    void forward(Port& in, Ipv6Packet packet, std::span<std::byte> frame, FrameMeta meta, TimePoint now);
    void nat64_outbound(const Ipv6Packet& packet, FrameMeta meta, TimePoint now);
    bool admitted(Direction from, const Ipv6Packet& packet, TimePoint now);
    void log_opened(v6::Opened opened, const Flow6& flow, TimePoint now);
    std::optional<Ipv6> destination_after(Direction from, const Ipv6Packet& packet, DropReason& why) const;
    bool rewrite_source(Direction from, Ipv6Packet& packet, DropReason& why) const;
    void rewrite_quoted(Direction from, Ipv6Packet& packet) const;
    void send_error(Port& in, const Ipv6Packet& about, std::uint8_t type, TimePoint now);
    bool may_send_error(const Ipv6Packet& about, TimePoint now);
    void send_router_advertisement(TimePoint now);
    void route_generated(Port& in, std::vector<std::byte> packet, TimePoint now);
    void transmit(Port& out, const Ipv6& next_hop, std::span<std::byte> frame, FrameMeta meta, TimePoint now);
    void transmit(Port& out, const Ipv6& next_hop, Frame frame, TimePoint now);
    void apply(Port& port, ArpOutput& output, TimePoint now);
    void emit(Port& out, Frame frame);
    void ignore(DropCode code);
    void drop(Direction from, std::optional<Flow6> flow, DropReason why, TimePoint now);

    Ipv6Config config_;
    Routes6 routes_;
    EventSink sink_;
    const Trace& trace_;
    Port inside_;
    Port outside_;
    std::optional<v6::Firewall6> firewall_;
    std::optional<v6::Nptv6> nptv6_;
    std::optional<v6::Nat64> nat64_;
    Ipv4Out to_ipv4_;
    Ipv6Counters counters_;
    DropCounters dropped_;
    double error_tokens_;
    TimePoint error_refill_{};
    std::optional<TimePoint> next_advertisement_;
};

}  // namespace natlab::nat
