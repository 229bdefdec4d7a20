#include "simulator/router/arp.h"

#include <algorithm>
#include <numeric>

#include "simulator/wire/bytes.h"

namespace natlab::nat {
namespace {

// RFC 826 packet layout for Ethernet (htype 1) and IPv4 (ptype 0x0800).
constexpr std::size_t kHardwareType = 0;
constexpr std::size_t kProtocolType = 2;
constexpr std::size_t kHardwareSize = 4;
constexpr std::size_t kProtocolSize = 5;
constexpr std::size_t kOperation = 6;
constexpr std::size_t kSenderMac = 8;
constexpr std::size_t kSenderIp = 14;
constexpr std::size_t kTargetMac = 18;
constexpr std::size_t kTargetIp = 24;
constexpr std::size_t kArpSize = 28;
constexpr std::uint16_t kHardwareEthernet = 1;

bool is_ethernet_ipv4(std::span<const std::byte> p) {
    return load16(p, kHardwareType) == kHardwareEthernet && load16(p, kProtocolType) == kEtherTypeIpv4 &&
           load8(p, kHardwareSize) == 6 && load8(p, kProtocolSize) == 4;
}

void set_destination_mac(Frame& frame, MacAddress mac) {
    store_mac(frame.bytes, 0, mac);
}

}  // namespace

std::optional<ArpMessage> parse_arp(std::span<const std::byte> payload) {
    if (payload.size() < kArpSize || !is_ethernet_ipv4(payload)) return std::nullopt;
    auto op = load16(payload, kOperation);
    if (op != static_cast<std::uint16_t>(ArpOp::Request) && op != static_cast<std::uint16_t>(ArpOp::Reply))
        return std::nullopt;
    return ArpMessage{static_cast<ArpOp>(op), load_mac(payload, kSenderMac), Ipv4{load32(payload, kSenderIp)},
                      load_mac(payload, kTargetMac), Ipv4{load32(payload, kTargetIp)}};
}

Frame build_arp_frame(const ArpMessage& m, MacAddress ethernet_destination) {
    Frame frame{std::vector<std::byte>(kEthernetMinFrame), {}};
    write_ethernet(frame.bytes, {ethernet_destination, m.sender_mac, kEtherTypeArp});
    auto p = std::span{frame.bytes}.subspan(kEthernetHeaderSize);
    store16(p, kHardwareType, kHardwareEthernet);
    store16(p, kProtocolType, kEtherTypeIpv4);
    store8(p, kHardwareSize, 6);
    store8(p, kProtocolSize, 4);
    store16(p, kOperation, static_cast<std::uint16_t>(m.op));
    store_mac(p, kSenderMac, m.sender_mac);
    store32(p, kSenderIp, m.sender_ip.value);
    store_mac(p, kTargetMac, m.target_mac);
    store32(p, kTargetIp, m.target_ip.value);
    return frame;
}

Arp::Arp(Ipv4 own_ip, MacAddress own_mac, ArpTimers timers)
    : Arp(std::vector<Ipv4>{own_ip}, own_mac, timers) {}

Arp::Arp(std::vector<Ipv4> own_ips, MacAddress own_mac, ArpTimers timers)
    : own_ips_(std::move(own_ips)), own_mac_(own_mac), timers_(timers) {}

bool Arp::owns(Ipv4 ip) const {
    return std::find(own_ips_.begin(), own_ips_.end(), ip) != own_ips_.end();
}

void Arp::handle(const ArpMessage& message, TimePoint now, ArpOutput& out) {
    bool for_us = owns(message.target_ip);
    if (should_learn(message)) learn(message.sender_ip, message.sender_mac, now, out);
    if (for_us && message.op == ArpOp::Request)
        reply(message, out);
    else if (!for_us)
        ++counters_.ignored;
}

// RFC 826 merge rule, plus "we asked for it" for replies to our requests.
bool Arp::should_learn(const ArpMessage& m) const {
    if (m.sender_ip == Ipv4{} || owns(m.sender_ip)) return false;
    return owns(m.target_ip) || cache_.contains(m.sender_ip.value) || pending_.contains(m.sender_ip.value);
}

void Arp::learn(Ipv4 ip, MacAddress mac, TimePoint now, ArpOutput& out) {
    cache_[ip.value] = {mac, now, now};
    auto it = pending_.find(ip.value);
    if (it == pending_.end()) return;
    for (auto& frame : it->second.frames) {
        set_destination_mac(frame, mac);
        out.send.push_back(std::move(frame));
    }
    pending_.erase(it);
}

void Arp::reply(const ArpMessage& request, ArpOutput& out) {
    ArpMessage answer{ArpOp::Reply, own_mac_, request.target_ip, request.sender_mac, request.sender_ip};
    out.send.push_back(build_arp_frame(answer, request.sender_mac));
    ++counters_.replies_sent;
}

void Arp::request(Ipv4 ip, ArpOutput& out) {
    ArpMessage ask{ArpOp::Request, own_mac_, address(), MacAddress{}, ip};
    out.send.push_back(build_arp_frame(ask, MacAddress::broadcast()));
    ++counters_.requests_sent;
}

std::optional<MacAddress> Arp::lookup(Ipv4 next_hop, TimePoint now, ArpOutput& out) {
    auto it = cache_.find(next_hop.value);
    if (it == cache_.end()) return std::nullopt;
    Neighbour& n = it->second;
    bool stale = now - n.confirmed >= timers_.reachable;
    if (stale && now - n.last_request >= timers_.retry) {
        request(next_hop, out);
        n.last_request = now;
    }
    return n.mac;
}

void Arp::enqueue(Ipv4 next_hop, Frame frame, TimePoint now, ArpOutput& out) {
    auto [it, first] = pending_.try_emplace(next_hop.value);
    Pending& pending = it->second;
    if (pending.frames.size() >= timers_.queue_limit) {
        out.dropped.push_back(
            {std::move(frame.bytes),
             {DropCode::ArpQueueFull, "arp queue full: too many packets wait for " + next_hop.to_string()}});
        return;
    }
    pending.frames.push_back(std::move(frame));
    if (!first) return;
    request(next_hop, out);
    pending.last_request = now;
    pending.requests = 1;
}

void Arp::tick(TimePoint now, ArpOutput& out) {
    for (auto it = pending_.begin(); it != pending_.end();) {
        retry_or_give_up(Ipv4{it->first}, it->second, now, out);
        it = it->second.frames.empty() ? pending_.erase(it) : std::next(it);
    }
}

// Leaves `pending` empty when it gives up, so that tick() erases it.
void Arp::retry_or_give_up(Ipv4 ip, Pending& pending, TimePoint now, ArpOutput& out) {
    if (now - pending.last_request < timers_.retry) return;
    if (pending.requests < timers_.attempts) {
        request(ip, out);
        pending.last_request = now;
        ++pending.requests;
        return;
    }
    DropReason why{DropCode::NeighbourUnreachable,
                   "neighbour unreachable: no ARP reply from " + ip.to_string()};
    for (auto& frame : pending.frames) out.dropped.push_back({std::move(frame.bytes), why});
    pending.frames.clear();
}

std::size_t Arp::waiting() const {
    return std::accumulate(pending_.begin(), pending_.end(), std::size_t{0},
                           [](std::size_t n, const auto& entry) { return n + entry.second.frames.size(); });
}

}  // namespace natlab::nat
