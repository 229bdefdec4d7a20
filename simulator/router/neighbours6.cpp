#include "simulator/router/neighbours6.h"

#include <algorithm>
#include <numeric>

#include "simulator/router/route6.h"
#include "simulator/wire/ipv6_packet.h"

namespace natlab::nat {

Frame frame_ipv6(const std::vector<std::byte>& packet, MacAddress to, MacAddress from) {
    Frame frame{std::vector<std::byte>(kEthernetHeaderSize + packet.size()), {}};
    write_ethernet(frame.bytes, {to, from, kEtherTypeIpv6});
    std::copy(packet.begin(), packet.end(), frame.bytes.begin() + kEthernetHeaderSize);
    return frame;
}

Neighbours6::Neighbours6(Ipv6 global, MacAddress mac, ArpTimers timers)
    : global_(global), link_local_(v6::link_local(mac)), mac_(mac), timers_(timers) {}

bool Neighbours6::owns(const Ipv6& address) const {
    return address == global_ || address == link_local_;
}

bool Neighbours6::listens(const MacAddress& d) const {
    return d == v6::multicast_mac(v6::all_nodes()) || d == v6::multicast_mac(v6::solicited_node(global_)) ||
           d == v6::multicast_mac(v6::solicited_node(link_local_));
}

bool Neighbours6::listens(const Ipv6& group) const {
    return group == v6::all_nodes() || group == v6::solicited_node(global_) ||
           group == v6::solicited_node(link_local_);
}

void Neighbours6::solicited(const v6::Solicitation& s, MacAddress frame_source, TimePoint now,
                            ArpOutput& out) {
    if (s.source_mac && !owns(s.source)) learn(s.source, *s.source_mac, now, out);
    if (!owns(s.target)) return;
    bool dad = s.source == Ipv6{};
    MacAddress to = dad ? v6::multicast_mac(v6::all_nodes()) : s.source_mac.value_or(frame_source);
    out.send.push_back(frame_ipv6(v6::build_advertisement(s, s.target, mac_), to, mac_));
    ++counters_.advertisements_sent;
}

void Neighbours6::advertised(const v6::Advertisement& a, TimePoint now, ArpOutput& out) {
    if (!a.target_mac || owns(a.target)) return;
    if (cache_.contains(a.target) || pending_.contains(a.target)) learn(a.target, *a.target_mac, now, out);
}

void Neighbours6::learn(const Ipv6& ip, MacAddress mac, TimePoint now, ArpOutput& out) {
    cache_[ip] = {mac, now, now};
    auto it = pending_.find(ip);
    if (it == pending_.end()) return;
    for (auto& frame : it->second.frames) {
        store_mac(frame.bytes, 0, mac);
        out.send.push_back(std::move(frame));
    }
    pending_.erase(it);
}

// Section 7.2.2: to the target's solicited-node group, from an address of ours of the target's scope.
void Neighbours6::solicit(const Ipv6& target, ArpOutput& out) {
    const Ipv6& from = is_link_local(target) ? link_local_ : global_;
    auto packet = v6::build_solicitation(target, from, mac_);
    out.send.push_back(frame_ipv6(packet, v6::multicast_mac(v6::solicited_node(target)), mac_));
    ++counters_.solicitations_sent;
}

std::optional<MacAddress> Neighbours6::lookup(const Ipv6& next_hop, TimePoint now, ArpOutput& out) {
    auto it = cache_.find(next_hop);
    if (it == cache_.end()) return std::nullopt;
    Neighbour& n = it->second;
    if (now - n.confirmed >= timers_.reachable && now - n.last_request >= timers_.retry) {
        solicit(next_hop, out);
        n.last_request = now;
    }
    return n.mac;
}

void Neighbours6::enqueue(const Ipv6& next_hop, Frame frame, TimePoint now, ArpOutput& out) {
    auto [it, first] = pending_.try_emplace(next_hop);
    Pending& pending = it->second;
    if (pending.frames.size() >= timers_.queue_limit) {
        out.dropped.push_back({std::move(frame.bytes),
                               {DropCode::ArpQueueFull,
                                "neighbour queue full: too many packets wait for " + next_hop.to_string()}});
        return;
    }
    pending.frames.push_back(std::move(frame));
    if (!first) return;
    solicit(next_hop, out);
    pending.last_request = now;
    pending.requests = 1;
}

void Neighbours6::tick(TimePoint now, ArpOutput& out) {
    for (auto it = pending_.begin(); it != pending_.end();) {
        retry_or_give_up(it->first, it->second, now, out);
        it = it->second.frames.empty() ? pending_.erase(it) : std::next(it);
    }
}

void Neighbours6::retry_or_give_up(const Ipv6& ip, Pending& pending, TimePoint now, ArpOutput& out) {
    if (now - pending.last_request < timers_.retry) return;
    if (pending.requests < timers_.attempts) {
        solicit(ip, out);
        pending.last_request = now;
        ++pending.requests;
        return;
    }
    DropReason why{DropCode::NeighbourUnreachable,
                   "neighbour unreachable: no neighbour advertisement from " + ip.to_string()};
    for (auto& frame : pending.frames) out.dropped.push_back({std::move(frame.bytes), why});
    pending.frames.clear();
}

std::size_t Neighbours6::waiting() const {
    return std::accumulate(pending_.begin(), pending_.end(), std::size_t{0},
                           [](std::size_t n, const auto& entry) { return n + entry.second.frames.size(); });
}

}  // namespace natlab::nat
