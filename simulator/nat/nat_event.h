// What the NAT reports as it works: mapping changes and drops.
//
// The NAT core hands each event to an EventSink as it happens; the I/O shell
// writes them as JSON lines (event_log.cpp), tests record them in a vector.
//
//  - mapping-created: an outbound packet found no mapping and got one. The
//    remote is the destination of that first packet. Every mapping event
//    names its protocol (udp, tcp or icmp).
//  - mapping-refreshed: an existing mapping carried an outbound packet to a
//    remote it had no live permission for, which opens the filter for that
//    remote (the endpoint-independent reuse that hole punching relies on).
//    Refreshes by repeated traffic to known remotes only move the timer;
//    they are counted, not reported, so the log grows with state changes
//    and not with traffic.
//  - mapping-expired: the mapping was idle for the timeout; its port is free.
//    The remote is the one that created it.
//  - drop: a packet went no further, with the direction it came from, its
//    flow when the headers could be read, and the reason.
//  - flushed: every mapping was forgotten at once (nat-emu on SIGUSR2, as a
//    NAT that reboots or whose table is cleared), with how many of each
//    protocol. The mappings are not reported one by one.
//  - state6-created / state6-opened / state6-expired: the IPv6 firewall
//    (RFC 6092) opened state for an inside endpoint, opened its filter for
//    one more remote (what a v4 mapping-refreshed is), or let the state go.
//    IPv6 drops are `drop` events whose flow is an IPv6 one.
//  - port-mapping-*: a port mapping protocol's request and the life of the
//    mapping it granted (port_mapping.h).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>
#include <variant>

#include "simulator/nat/port_mapping.h"
#include "simulator/wire/drop_reason.h"
#include "simulator/wire/ipv6_packet.h"
#include "simulator/wire/packet.h"
#include "src/net/clock.h"
#include "src/net/endpoint.h"

namespace natlab::nat {

// Which link a packet arrived on: outbound came from the inside link.
enum class Direction : std::uint8_t { Outbound, Inbound };
std::string_view to_string(Direction d);  // "outbound", "inbound"

enum class MappingChange : std::uint8_t { Created, Refreshed, Expired };
std::string_view to_string(MappingChange c);  // "mapping-created", ...

struct MappingEvent {
    MappingChange change = MappingChange::Created;
    TimePoint at;
    Endpoint inside;
    Endpoint outside;
    Endpoint remote;
    Protocol protocol = Protocol::Udp;
    std::optional<Endpoint6> inside6{};  // NAT64: the IPv6 host that `inside` (a 240/4 key) stands for
};

struct DropEvent {
    TimePoint at;
    Direction direction = Direction::Outbound;
    std::optional<Flow> flow;  // absent when the headers could not be read
    DropReason reason;
    std::optional<Flow6> flow6{};  // an IPv6 packet's flow, when it was one
};

enum class StateChange6 : std::uint8_t { Created, Opened, Expired };
std::string_view to_string(StateChange6 c);  // "state6-created", ...

// The IPv6 firewall's state of one inside endpoint (simulator/v6/firewall6.h).
struct StateEvent6 {
    StateChange6 change = StateChange6::Created;
    TimePoint at;
    Protocol protocol = Protocol::Udp;
    Endpoint6 inside;
    std::optional<Endpoint6> remote;  // the remote it opened for (not on expiry)
};

struct FlushEvent {
    TimePoint at;
    std::size_t udp = 0;
    std::size_t tcp = 0;
    std::size_t icmp = 0;
    std::size_t total() const { return udp + tcp + icmp; }
};

using NatEvent = std::variant<MappingEvent, DropEvent, FlushEvent, PortMapEvent, StateEvent6>;
using EventSink = std::function<void(const NatEvent&)>;

}  // namespace natlab::nat
