// Topology planning: addresses, links, capture names. See topology.h.
#include "topology.h"

#include <algorithm>
#include <map>
#include <regex>
#include <set>

namespace natlab::harness {

const NodePlan* Topology::find_node(const std::string& name) const {
    auto it = std::find_if(nodes.begin(), nodes.end(), [&](auto& n) { return n.name == name; });
    return it == nodes.end() ? nullptr : &*it;
}

std::vector<const Link*> Topology::links_of(const std::string& node) const {
    std::vector<const Link*> out;
    for (auto& link : links)
        if (link.node == node) out.push_back(&link);
    return out;
}

namespace {

const Cidr kPrivate10{Ipv4{10u << 24}, 8};
const Cidr kPrivate192{Ipv4{(192u << 24) | (168u << 16)}, 16};

// Addresses handed out on one segment: explicit ones are checked, open ones
// are taken in order from `next`, skipping what is already used.
class AddressPool {
public:
    explicit AddressPool(Cidr subnet) : subnet_(subnet) {}

    void reserve(Ipv4 ip, const Location& where, const std::string& what) {
        if (!subnet_.contains(ip))
            throw ScenarioError(where, "bad address " + ip.to_string() + " for " + what + ": not in " +
                                           subnet_.to_string());
        auto offset = ip.value - subnet_.base.value;
        auto last = subnet_.mask() == ~0u ? 0 : ~subnet_.mask();
        if (offset == 0 || offset == last)
            throw ScenarioError(where, "bad address " + ip.to_string() + " for " + what +
                                           ": network or broadcast address of " + subnet_.to_string());
        if (!used_.insert(ip.value).second)
            throw ScenarioError(where, "address " + ip.to_string() + " for " + what + " is already taken");
    }
    // The first free address at or after offset `from` in the subnet.
    Ipv4 take(std::uint32_t from, const Location& where, const std::string& what) {
        for (auto n = from; n < ~subnet_.mask(); ++n)
            if (used_.insert(subnet_.base.value + n).second) return Ipv4{subnet_.base.value + n};
        throw ScenarioError(where, "no free address left in " + subnet_.to_string() + " for " + what);
    }

private:
    Cidr subnet_;
    std::set<std::uint32_t> used_;
};

// Open addresses: hosts from .2 of their segment (198.18.0.2, 10.0.1.2, ...),
// NAT public addresses from 198.18.1.1, so a capture tells them apart at a glance.
constexpr std::uint32_t kHostOffset = 2;
constexpr std::uint32_t kNatOffset = 257;

std::string lan_name(const std::string& nat) { return nat + "-lan"; }

Cidr lan_of(const NatSpec& nat, std::size_t index) {
    if (nat.lan) return *nat.lan;
    return Cidr{Ipv4{(10u << 24) | (static_cast<std::uint32_t>(index + 1) << 8)}, 24};
}

void check_lan(const NatSpec& nat, const Cidr& lan) {
    bool inside = (kPrivate10.contains(lan.base) && lan.prefix >= 8) ||
                  (kPrivate192.contains(lan.base) && lan.prefix >= 16);
    if (!inside)
        throw ScenarioError(nat.where, "lan " + lan.to_string() + " of NAT '" + nat.name +
                                           "' must lie in 10.0.0.0/8 or 192.168.0.0/16");
    if (lan.prefix > 29)
        throw ScenarioError(nat.where, "lan " + lan.to_string() + " of NAT '" + nat.name +
                                           "' is too small (at most /29)");
}

std::vector<std::string> nat_argv(const NatSpec& nat, Address inside, Address outside) {
    std::vector<std::string> argv = {"nat-emu", "--name", nat.name, "--inside", "in0", "--inside-address",
                                     inside.to_string(), "--outside", "out0", "--outside-address",
                                     outside.to_string(), "--type", nat.type,
                                     "--hairpin", nat.hairpin ? "on" : "off"};
    auto add = [&](const char* flag, const std::optional<std::string>& v) {
        if (v) argv.insert(argv.end(), {flag, *v});
    };
    add("--mapping", nat.mapping);
    add("--filtering", nat.filtering);
    add("--port-allocation", nat.port_allocation);
    if (nat.mapping_timeout)
        argv.insert(argv.end(), {"--mapping-timeout", std::to_string(nat.mapping_timeout->count() / 1000.0)});
    return argv;
}

class Planner {
public:
    explicit Planner(const Scenario& s) : s_(s), internet_(kInternet) {}

    Topology plan() {
        topo_.segments.push_back({"internet", "br0", kInternet});
        reserve_explicit_internet();
        for (std::size_t i = 0; i < s_.nats.size(); ++i) plan_nat(s_.nats[i], i);
        for (auto& host : s_.hosts) plan_host(host);
        expand_commands();
        mark_waited();
        return topo_;
    }

private:
    void reserve_explicit_internet() {
        for (auto& nat : s_.nats)
            if (nat.address) internet_.reserve(*nat.address, nat.where, "NAT '" + nat.name + "'");
        for (auto& host : s_.hosts)
            if (host.behind == "internet")
                for (auto ip : host.addresses)
                    internet_.reserve(ip, host.address_where, "host '" + host.name + "'");
    }

    void plan_nat(const NatSpec& nat, std::size_t index) {
        auto lan = lan_of(nat, index);
        check_lan(nat, lan);
        auto& pool = lans_.emplace(nat.name, AddressPool(lan)).first->second;
        Address inside{*lan.host(1), lan.prefix};
        pool.reserve(inside.ip, nat.where, "NAT '" + nat.name + "' (gateway)");
        Address outside{nat.address ? *nat.address : internet_.take(kNatOffset, nat.where, "NAT '" + nat.name + "'"),
                        kInternet.prefix};
        topo_.segments.push_back({lan_name(nat.name), "br" + std::to_string(index + 1), lan});
        topo_.nodes.push_back({nat.name, true, std::nullopt, nat_argv(nat, inside, outside), Duration{0}, false});
        add_link("internet", nat.name, "out0", {});
        add_link(lan_name(nat.name), nat.name, "in0", {});
        gateways_[nat.name] = inside.ip;
    }

    void plan_host(const HostSpec& host) {
        bool internet = host.behind == "internet";
        auto& pool = internet ? internet_ : lans_.at(host.behind);
        auto segment = internet ? std::string("internet") : lan_name(host.behind);
        int prefix = internet ? kInternet.prefix : lan_prefix(host.behind);
        std::vector<Address> addresses;
        for (auto ip : host.addresses) {
            if (!internet) pool.reserve(ip, host.address_where, "host '" + host.name + "'");
            addresses.push_back({ip, prefix});
        }
        if (addresses.empty()) addresses.push_back({pool.take(kHostOffset, host.where, "host '" + host.name + "'"), prefix});
        std::optional<Ipv4> gateway;
        if (!internet) gateway = gateways_.at(host.behind);
        topo_.nodes.push_back({host.name, false, gateway, host.run, host.delay, false});
        add_link(segment, host.name, "eth0", addresses);
    }

    int lan_prefix(const std::string& nat) const {
        for (auto& seg : topo_.segments)
            if (seg.name == lan_name(nat)) return seg.subnet.prefix;
        return 24;
    }

    void add_link(const std::string& segment, const std::string& node, const std::string& ifname,
                  std::vector<Address> addresses) {
        auto index = topo_.links.size() + 1;
        topo_.links.push_back({segment, node, ifname, "s" + std::to_string(index), std::move(addresses),
                               segment + "." + node + ".pcap"});
    }

    // ${host} becomes that host's first address.
    void expand_commands() {
        static const std::regex re(R"(\$\{([^}]*)\})");
        for (auto& node : topo_.nodes) {
            if (node.is_nat) continue;
            for (auto& word : node.argv) {
                std::string out;
                auto last = word.cbegin();
                for (std::sregex_iterator it(word.begin(), word.end(), re), end; it != end; ++it) {
                    out.append(last, (*it)[0].first);
                    out += first_address((*it)[1].str());
                    last = (*it)[0].second;
                }
                out.append(last, word.cend());
                word = out;
            }
        }
    }

    std::string first_address(const std::string& host) const {
        for (auto& link : topo_.links)
            if (link.node == host && !link.addresses.empty()) return link.addresses.front().ip.to_string();
        return {};
    }

    // Processes named by an expectation are waited for; with none named, all are.
    void mark_waited() {
        std::set<std::string> named;
        for (auto& e : s_.expectations) named.insert(e.hosts.begin(), e.hosts.end());
        for (auto& node : topo_.nodes)
            if (!node.is_nat && !node.argv.empty()) node.waited = named.empty() || named.count(node.name);
    }

    const Scenario& s_;
    Topology topo_;
    AddressPool internet_;
    std::map<std::string, AddressPool> lans_;
    std::map<std::string, Ipv4> gateways_;
};

}  // namespace

Topology plan_topology(const Scenario& scenario) { return Planner(scenario).plan(); }

}  // namespace natlab::harness
