// IPv6 addresses, routes and options. See ipv6_plan.h.
#include "harness/plan/ipv6_plan.h"

#include <algorithm>
#include <map>
#include <set>

#include "harness/plan/ipv6_keys.h"
#include "simulator/v6/siit.h"

namespace natlab::harness {
namespace {

// The low 64 bits of an address: its interface identifier under a /64.
std::uint64_t id_of(const Ipv6& address) {
    std::uint64_t id = 0;
    for (std::size_t i = 8; i < 16; ++i) id = (id << 8) | address.bytes[i];
    return id;
}

Ipv6 with_id(const Ipv6Prefix& prefix, std::uint64_t id) {
    Ipv6 address = prefix.base;
    for (std::size_t i = 0; i < 8; ++i) address.bytes[15 - i] = static_cast<std::uint8_t>(id >> (8 * i));
    return address;
}

// 2001:2:0:k::/64 or fd00:0:0:k::/64.
Ipv6Prefix numbered(const Ipv6Prefix& block, std::size_t k) {
    Ipv6Prefix prefix{block.base, 64};
    prefix.base.bytes[6] = static_cast<std::uint8_t>(k >> 8);
    prefix.base.bytes[7] = static_cast<std::uint8_t>(k);
    return prefix;
}

// One LAN with IPv6: its on-link prefix, the prefix the internet routes
// to it (the same but under NPTv6; none for NAT64 on an IPv4-only
// internet), and its
// NAT's two addresses (no outside one on an IPv4-only internet).
struct Lan6 {
    const NatSpec* nat = nullptr;
    Ipv6Prefix inside;
    Ipv6Prefix outside;
    Ipv6 gateway;  // the NAT's inside address, ::1
    std::optional<Ipv6> outside_address;
    bool routed = true;  // the internet routes `outside` to the NAT
};

class Planner6 {
public:
    Planner6(const Scenario& s, Topology& topo) : s_(s), topo_(topo) {}

    // On an IPv4-only internet only NAT64 LANs have IPv6 (ipv6_keys.h).
    void plan() {
        bool internet6 = has_ipv6(s_.stack);
        if (internet6) segment("internet").subnet6 = kInternet6;
        for (std::size_t i = 0; i < s_.nats.size(); ++i)
            if (has_ipv6(s_.nats[i].ipv6.stack)) open_lan(s_.nats[i], i + 1);
        reserve_explicit();
        for (auto& lan : lans_) {
            if (internet6) lan.outside_address = take_mirrored("internet", *node(lan.nat->name).address);
            lan.routed = internet6;
        }
        for (auto& host : s_.hosts)
            if (has_ipv6(stack_behind(s_, host.behind))) plan_host(host);
        for (auto& lan : lans_) plan_nat(lan);
    }

private:
    Segment& segment(const std::string& name) {
        return *std::find_if(topo_.segments.begin(), topo_.segments.end(),
                             [&](auto& seg) { return seg.name == name; });
    }
    NodePlan& node(const std::string& name) {
        return *std::find_if(topo_.nodes.begin(), topo_.nodes.end(), [&](auto& n) { return n.name == name; });
    }
    Link& link_of(const std::string& node_name, const std::string& ifname) {
        return *std::find_if(topo_.links.begin(), topo_.links.end(),
                             [&](auto& l) { return l.node == node_name && l.node_ifname == ifname; });
    }
    static std::string segment_of(const std::string& behind) {
        return behind == "internet" ? behind : behind + "-lan";
    }

    void open_lan(const NatSpec& nat, std::size_t k) {
        bool npt = nat.ipv6.ula();
        Lan6 lan{&nat, {}, numbered(kInternet6Block, k), {}, {}};
        lan.inside = nat.ipv6.lan6 ? *nat.ipv6.lan6
                     : npt         ? numbered(Ipv6Prefix{kUla.base, 64}, k)
                                   : lan.outside;
        if (!npt) lan.outside = lan.inside;
        for (auto& other : lans_)
            if (other.outside.overlaps(lan.outside) || other.inside.overlaps(lan.inside))
                throw ScenarioError(nat.ipv6.lan6 ? nat.ipv6.lan6_where : nat.where,
                                    "the IPv6 LAN " + lan.inside.to_string() + " of NAT '" + nat.name +
                                        "' overlaps " + other.inside.to_string() + " of NAT '" +
                                        other.nat->name + "'" +
                                        (npt ? " (outside " + lan.outside.to_string() + ")" : ""));
        lan.gateway = with_id(lan.inside, 1);
        auto name = nat.name + "-lan";
        segment(name).subnet6 = lan.inside;
        used_[name].insert(1);
        lans_.push_back(lan);
    }

    const Ipv6Prefix& prefix_of(const std::string& seg) { return *segment(seg).subnet6; }

    void reserve_explicit() {
        for (auto& host : s_.hosts) {
            if (!host.address6) continue;
            auto seg = segment_of(host.behind);
            auto& prefix = prefix_of(seg);
            auto what = "bad address " + host.address6->to_string() + " for host '" + host.name + "': ";
            if (!prefix.contains(*host.address6))
                throw ScenarioError(host.address6_where, what + "not in " + prefix.to_string());
            auto id = id_of(*host.address6);
            if (id == 0) throw ScenarioError(host.address6_where, what + "the subnet-router anycast address");
            if (!used_[seg].insert(id).second)
                throw ScenarioError(host.address6_where, "address " + host.address6->to_string() +
                                                             " for host '" + host.name +
                                                             "' is already taken");
        }
    }

    // The address whose identifier is `v4`'s offset in its segment, or the
    // next free one when a file's own address has it.
    Ipv6 take_mirrored(const std::string& seg, Ipv4 v4) {
        auto base = seg == "internet" ? kInternet.base : segment(seg).subnet.base;
        std::uint64_t id = v4.value - base.value;
        while (!used_[seg].insert(id).second) ++id;
        return with_id(prefix_of(seg), id);
    }

    void plan_host(const HostSpec& host) {
        auto seg = segment_of(host.behind);
        auto& n = node(host.name);
        auto& link = link_of(host.name, "eth0");
        auto address = host.address6 ? *host.address6 : take_mirrored(seg, link.addresses.front().ip);
        link.addresses6 = {{address, 64}};
        n.ipv6 = true;
        n.address6 = address;
        if (seg == "internet") {
            for (auto& lan : lans_)
                if (lan.routed) n.routes6.push_back({lan.outside, *lan.outside_address});
            return;
        }
        auto& lan =
            *std::find_if(lans_.begin(), lans_.end(), [&](auto& l) { return l.nat->name == host.behind; });
        n.gateway6 = lan.gateway;
        if (lan.nat->ipv6.stack == Stack::ipv6) {
            link.addresses.clear();
            link.answers.clear();
            n.address.reset();
            n.gateway.reset();
        }
        if (lan.nat->ipv6.ipv4_blackhole) n.gateway = blackhole(*lan.nat, seg);
    }

    // An address of the LAN that nothing has: the IPv4 default route's
    // next hop that never answers.
    Ipv4 blackhole(const NatSpec& nat, const std::string& seg) {
        auto& subnet = segment(seg).subnet;
        auto last = *subnet.host(~subnet.mask() - 1);
        for (auto& link : topo_.links)
            for (auto& a : link.addresses)
                if (link.segment == seg && a.ip == last)
                    throw ScenarioError(nat.ipv6.blackhole_where, "ipv4_blackhole of NAT '" + nat.name +
                                                                      "' routes to " + last.to_string() +
                                                                      ", which must stay free, but host '" +
                                                                      link.node + "' has it");
        return last;
    }

    std::vector<Route6> routes_except(const Lan6& own) const {
        std::vector<Route6> routes;
        for (auto& lan : lans_)
            if (&lan != &own && lan.routed) routes.push_back({lan.outside, *lan.outside_address});
        return routes;
    }

    // nat-emu's IPv6 options: the mode, both addresses (NAT64 on an
    // IPv4-only internet has no outside one), and the mode's own prefix.
    void plan_nat(const Lan6& lan) {
        auto& n = node(lan.nat->name);
        n.address6 = lan.outside_address;
        if (n.kernel_nat) return plan_kernel_nat(lan, n);
        auto mode = lan.nat->ipv6.mode_name();
        n.argv6 = {"--ipv6", mode, "--inside6", Address6{lan.gateway, 64}.to_string()};
        if (lan.outside_address)
            n.argv6.insert(n.argv6.end(), {"--outside6", Address6{*lan.outside_address, 64}.to_string()});
        if (mode == "nptv6") n.argv6.insert(n.argv6.end(), {"--nptv6-prefix", lan.outside.to_string()});
        if (mode == "nat64")
            n.argv6.insert(n.argv6.end(), {"--nat64-prefix", nat64_prefix_of(*lan.nat).to_string()});
        if (lan.nat->ipv6.filtering)
            n.argv6.insert(n.argv6.end(), {"--ipv6-filtering", *lan.nat->ipv6.filtering});
        for (auto& route : routes_except(lan))
            n.argv6.insert(n.argv6.end(), {"--route6", route.to.to_string() + "," + route.via.to_string()});
        n.argv.insert(n.argv.end(), n.argv6.begin(), n.argv6.end());
    }

    void plan_kernel_nat(const Lan6& lan, NodePlan& n) {
        n.ipv6 = true;
        link_of(n.name, "out0").addresses6 = {{*lan.outside_address, 64}};
        link_of(n.name, "in0").addresses6 = {{lan.gateway, 64}};
        n.routes6 = routes_except(lan);
        n.ruleset += linux_ipv6_ruleset(n.name, lan.nat->ipv6.mode_name());
    }

    const Scenario& s_;
    Topology& topo_;
    std::vector<Lan6> lans_;
    std::map<std::string, std::set<std::uint64_t>> used_;  // interface identifiers, by segment
};

}  // namespace

Ipv6Prefix nat64_prefix_of(const NatSpec& nat) {
    return nat.ipv6.nat64_prefix.value_or(v6::kNat64WellKnown);
}

void plan_ipv6(const Scenario& s, Topology& topo) {
    Planner6(s, topo).plan();
}

std::string linux_ipv6_ruleset(const std::string& nat, const std::string& mode) {
    if (mode == "route")
        return "# nat-lab: NAT '" + nat +
               "', IPv6 routed as it comes (ipv6: route)\n"
               "table ip6 natlab6 {\n"
               "    chain forward {\n"
               "        type filter hook forward priority filter; policy accept;\n"
               "    }\n"
               "}\n";
    return "# nat-lab: NAT '" + nat +
           "', IPv6 simple security (RFC 6092): out freely, in only as a reply\n"
           "table ip6 natlab6 {\n"
           "    chain forward {\n"
           "        type filter hook forward priority filter; policy drop;\n"
           "        iifname \"in0\" oifname \"out0\" accept\n"
           "        iifname \"out0\" oifname \"in0\" ct state established,related accept\n"
           "        iifname \"out0\" oifname \"in0\" icmpv6 type echo-request accept\n"
           "    }\n"
           "}\n";
}

}  // namespace natlab::harness
