// One frame's path through the emulator, from link to link, without sockets.
//
// Theory of operation
// -------------------
// The emulator is a router with two links. The shell (emulator.cpp) reads
// frames from the links and hands each to `receive(side, frame, info, now)`;
// the frames to transmit collect in one TxBatch per link, which the shell
// writes out and clears. In between, everything is here and pure: the
// fuzzer (simulator/fuzz) and the tests drive it with byte vectors.
//
//   Ethernet  - for our MAC (ARP may also be broadcast), else counted and ignored;
//               VLAN-tagged, non-IPv4 and truncated frames likewise;
//   IPv6      - when configured, every EtherType 0x86dd frame goes to the
//               IPv6 branch (datapath6.h: neighbour discovery, echo, the
//               route / firewall / nptv6 modes); otherwise it is ignored;
//   ARP       - arp.cpp answers for our addresses on that link (the LAN
//               address inside, every external address outside) and learns
//               neighbours;
//   IPv4      - packet.cpp checks it; offload metadata must point at the
//               transport checksum (ICMP is finished here, it is small);
//               nat.cpp translates it, or drops it, or answers it;
//   routing   - route.cpp picks the egress link and next hop, arp.cpp
//               resolves the next hop's MAC (or queues the frame until it
//               can), and the frame, rewritten in place with our MAC as
//               source, joins that link's transmit batch with its offload
//               metadata, so the kernel finishes checksums and segmentation
//               on the way out;
//   generated - ICMP errors and local services' answers the NAT originated
//               are framed and routed the same way; multicast announcements
//               (224.0.0.1) go out of the inside link without ARP.
//   NAT64     - with IPv6 mode nat64, the IPv6 branch hands over IPv4
//               datagrams from inside hosts' 240/4 keys (simulator/v6/nat64.h);
//               they go through the NAT like any inside host's and out as
//               above. A packet the NAT translated (or hairpinned, or
//               originated) to a 240/4 key goes back to the IPv6 branch;
//               that one address check is all the IPv4 path pays.
//   LAN service - when one is attached (`attach`, portmap/lan_service.h:
//               the UPnP IGD), an inside packet it wants goes to it instead
//               of the NAT, and so do frames to the multicast groups it names
//               (RFC 1112 §6.4 maps a group to 01:00:5e plus its low 23
//               bits); its answers are routed onto the LAN like the NAT's
//               own. Multicast frames it does not want are ignored as before.
//
// Translated frames are sent from where they were received: a TxBatch may
// point into the caller's receive buffers, so it must be written out before
// those are reused. Frames the datapath builds itself are owned by the batch.
//
// Drops of IPv4 packets are reported to the EventSink (the event log);
// Ethernet-level noise (other stations' frames, IPv6 when it is off, VLANs) is only counted.
// `tick` (every second or so) sweeps expired mappings and drives ARP retries.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "simulator/nat/nat.h"
#include "simulator/portmap/lan_service.h"
#include "simulator/router/arp.h"
#include "simulator/router/datapath6.h"
#include "simulator/router/route.h"
#include "simulator/router/tx_batch.h"
#include "simulator/wire/ethernet.h"
#include "simulator/wire/trace.h"

namespace natlab::nat {

struct LinkCounters {
    std::uint64_t frames_in = 0;
    std::uint64_t frames_out = 0;
    std::uint64_t link_errors = 0;
    ArpCounters arp;
};

// Everything counted by one run: the NAT's own counters and the datapath's.
struct CountersSnapshot {
    NatCounters nat;
    std::size_t mappings_live = 0;
    LinkCounters inside;
    LinkCounters outside;
    DropCounters shell_dropped;  // Ethernet, ARP, routing and output drops (IPv6's among them)
    Ipv6Counters ipv6{};         // zero when IPv6 is off
};

// What the link says about a received frame besides its bytes.
struct RxInfo {
    FrameMeta meta;
    bool truncated = false;
    bool vlan_tagged = false;  // the kernel stripped a VLAN tag into metadata
};

struct DatapathConfig {
    std::string name;  // for traces
    Routes routes;
    Ipv4 inside_address;
    std::vector<Ipv4> outside_addresses;  // the first is the primary
    MacAddress inside_mac;
    MacAddress outside_mac;
    NatConfig nat;
    bool trace = false;
    Ipv6Config ipv6{};  // off by default: IPv6 frames are ignored
};

class Datapath {
public:
    Datapath(const DatapathConfig& config, std::uint64_t seed, EventSink sink);
    Datapath(const Datapath&) = delete;  // the IPv6 branch points at our transmit batches
    Datapath& operator=(const Datapath&) = delete;

    void receive(Side side, std::span<std::byte> frame, const RxInfo& info, TimePoint now);
    // Before receive()ing a batch: warms the NAT table's memory for every
    // IPv4 frame of it (Nat::prefetch). Changes nothing but speed.
    void prefetch(Side side, std::span<const std::span<std::byte>> frames) const;
    void tick(TimePoint now);
    // Forgets every NAT mapping (nat.h); returns how many there were.
    std::size_t flush(TimePoint now) { return nat_.flush(now); }
    // Serves `service` on the inside link from now on (nullptr: none). It must outlive the datapath's use.
    void attach(portmap::LanService* service);
    TxBatch& outgoing(Side side) { return port(side).tx; }
    // The shell wrote `accepted` of the batch's frames and the kernel refused the rest.
    void sent(Side side, std::size_t accepted);
    void link_error(Side side) { ++port(side).counters.link_errors; }
    void count_drop(DropCode code) { shell_dropped_.add(code); }

    CountersSnapshot counters() const;
    const Nat& nat() const { return nat_; }
    Nat& nat() { return nat_; }
    // A datagram from the inside address's UDP `port` (the port mapping
    // announcements); a multicast destination goes out of the inside link
    // to its group's MAC (RFC 1112 §6.4), anything else is routed.
    void originate(std::uint16_t port, Endpoint to, std::vector<std::byte> payload, TimePoint now);
    const Trace& trace() const { return trace_; }

private:
    struct Port {
        Port(Side side, std::vector<Ipv4> addresses, MacAddress mac)
            : side(side), mac(mac), arp(std::move(addresses), mac) {}
        Side side;
        MacAddress mac;
        Arp arp;
        TxBatch tx;
        LinkCounters counters;
    };

    Port& port(Side side) { return side == Side::Inside ? inside_ : outside_; }
    void on_arp(Port& in, const EthernetHeader& ethernet, std::span<const std::byte> payload, TimePoint now);
    void on_ipv4(Port& in, std::span<std::byte> frame, FrameMeta meta, TimePoint now);
    bool accept_offload(Ipv4Packet& packet, FrameMeta& meta, DropReason& why) const;
    void translate(Port& in, Ipv4Packet packet, std::span<std::byte> frame, FrameMeta meta, TimePoint now);
    void forward(const Ipv4Packet& packet, std::span<std::byte> frame, FrameMeta meta, Direction from,
                 TimePoint now);
    void send_generated(TimePoint now);
    void send_multicast(const std::vector<std::byte>& datagram, Ipv4 group);
    bool lan_multicast(const Port& in, const EthernetHeader& ethernet) const;
    bool serve_lan(const Port& in, const Ipv4Packet& packet, TimePoint now);
    void on_lan_multicast(Port& in, std::span<std::byte> frame, TimePoint now);
    void send_lan_output(TimePoint now);
    std::optional<MacAddress> resolve(Port& out, Ipv4 next_hop, std::span<std::byte> frame, TimePoint now,
                                      ArpOutput& output);
    void transmit(Port& out, Ipv4 next_hop, std::span<std::byte> frame, FrameMeta meta, TimePoint now);
    void transmit(Port& out, Ipv4 next_hop, Frame frame, TimePoint now);
    void apply(Port& port, ArpOutput& output, TimePoint now);
    EventSink nat_sink();
    void relay(const NatEvent& event) const;
    void nat64_outbound(std::vector<std::byte> datagram, TimePoint now);
    void nat64_inbound(const Ipv4Packet& packet, Direction from, TimePoint now);
    void generated_to_nat64(std::vector<std::byte>& datagram, TimePoint now);

    void ignore(Port& in, DropCode code);
    void drop(Direction from, std::optional<Flow> flow, DropReason why, TimePoint now);

    Trace trace_;
    Routes routes_;
    EventSink sink_;
    Port inside_;
    Port outside_;
    Nat nat_;
    portmap::LanService* lan_service_ = nullptr;
    std::vector<MacAddress> lan_groups_;
    DropCounters shell_dropped_;
    std::unique_ptr<Datapath6> v6_;  // when IPv6 is configured
};

}  // namespace natlab::nat
