// ARP for one link (RFC 826): answering for our address, resolving neighbours.
//
// Theory of operation
// -------------------
// The kernel in the NAT's namespace has no IPv4 address on either link, so it
// answers no ARP; the emulator does it, one `Arp` per link, owning one address.
//
// Answering: a request whose target is one of our addresses (a link may own
// several: the NAT's external addresses) gets a reply from our MAC. Our own
// requests use the first address as sender.
// Learning follows RFC 826's merge rule: a sender already in the cache is
// updated by any ARP packet it sends; a sender not in the cache is added only
// when the packet was aimed at us (or we are waiting to reach it). Probes
// with sender 0.0.0.0 teach nothing.
//
// Resolving: `lookup` gives the MAC for a next hop if the cache has one. An
// entry older than `reachable` is still used (so traffic never stalls), but
// triggers a fresh request, at most one per `retry` interval. On a miss the
// caller `enqueue`s the whole frame: the first queued frame sends a
// broadcast request, later ones wait (up to `queue_limit` per neighbour, then
// dropped "arp queue full"). A reply releases the queue: the frames get the
// neighbour's MAC as destination and come out in `ArpOutput::send`, in order.
// `tick` re-sends a request every `retry`; after `attempts` unanswered
// requests the queue is dropped ("neighbour unreachable").
//
// Nothing here touches a socket or a clock: frames to send come back in an
// ArpOutput, time comes in as an argument.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <unordered_map>
#include <vector>

#include "simulator/nat/behaviour.h"
#include "simulator/wire/drop_reason.h"
#include "simulator/wire/ethernet.h"
#include "src/net/clock.h"
#include "src/net/endpoint.h"

namespace natlab::nat {

// What a neighbour cache keeps: a neighbour's MAC and when it was last
// confirmed and asked for, and the frames waiting for a next hop still
// unresolved. ARP's (here) and IPv6 neighbour discovery's (neighbours6.h).
struct NeighbourEntry {
    MacAddress mac;
    TimePoint confirmed;
    TimePoint last_request;
};
struct PendingFrames {
    std::vector<Frame> frames;
    TimePoint last_request;
    int requests = 0;
};

enum class ArpOp : std::uint16_t { Request = 1, Reply = 2 };

struct ArpMessage {
    ArpOp op = ArpOp::Request;
    MacAddress sender_mac;
    Ipv4 sender_ip;
    MacAddress target_mac;
    Ipv4 target_ip;
};

// The ARP payload of an Ethernet frame (after the 14-byte header). Only
// Ethernet/IPv4 ARP is accepted.
std::optional<ArpMessage> parse_arp(std::span<const std::byte> payload);
// A complete Ethernet frame (padded to 60 bytes) carrying `message`.
Frame build_arp_frame(const ArpMessage& message, MacAddress ethernet_destination);

struct ArpTimers {
    Millis reachable = std::chrono::seconds{30};
    Millis retry = std::chrono::seconds{1};
    int attempts = 3;
    std::size_t queue_limit = 32;
};

struct DroppedFrame {
    std::vector<std::byte> frame;
    DropReason reason;
};

// What one ARP call asks the caller to do: frames to transmit on this link,
// and queued frames that were given up on.
struct ArpOutput {
    std::vector<Frame> send;
    std::vector<DroppedFrame> dropped;
};

struct ArpCounters {
    std::uint64_t requests_sent = 0;
    std::uint64_t replies_sent = 0;
    std::uint64_t ignored = 0;  // well-formed ARP that needed nothing from us
};

class Arp {
public:
    Arp(Ipv4 own_ip, MacAddress own_mac, ArpTimers timers = {});
    // Precondition: `own_ips` is not empty; the first is the one our requests use.
    Arp(std::vector<Ipv4> own_ips, MacAddress own_mac, ArpTimers timers = {});

    void handle(const ArpMessage& message, TimePoint now, ArpOutput& out);
    std::optional<MacAddress> lookup(Ipv4 next_hop, TimePoint now, ArpOutput& out);
    void enqueue(Ipv4 next_hop, Frame frame, TimePoint now, ArpOutput& out);
    void tick(TimePoint now, ArpOutput& out);

    Ipv4 address() const { return own_ips_.front(); }
    bool owns(Ipv4 ip) const;
    MacAddress mac() const { return own_mac_; }
    const ArpCounters& counters() const { return counters_; }
    std::size_t waiting() const;  // frames queued for resolution

private:
    using Neighbour = NeighbourEntry;
    using Pending = PendingFrames;

    bool should_learn(const ArpMessage& message) const;
    void learn(Ipv4 ip, MacAddress mac, TimePoint now, ArpOutput& out);
    void reply(const ArpMessage& request, ArpOutput& out);
    void request(Ipv4 ip, ArpOutput& out);
    void retry_or_give_up(Ipv4 ip, Pending& pending, TimePoint now, ArpOutput& out);

    std::vector<Ipv4> own_ips_;
    MacAddress own_mac_;
    ArpTimers timers_;
    ArpCounters counters_;
    std::unordered_map<std::uint32_t, Neighbour> cache_;
    std::unordered_map<std::uint32_t, Pending> pending_;
};

}  // namespace natlab::nat
