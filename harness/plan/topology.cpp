// Topology planning: addresses, links, capture names. See topology.h.
#include "harness/plan/topology.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <sstream>

#include "harness/plan/dns_plan.h"
#include "harness/plan/host_files.h"
#include "harness/plan/ipv6_plan.h"
#include "harness/plan/programs.h"

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

std::string ms_text(Millis d) {
    return std::to_string(d.count()) + "ms";
}

std::string percent_text(double pct) {
    std::ostringstream out;
    out << pct;
    return out.str();
}

// (key, value) pairs of the impairments given, in link-emu's spelling.
std::vector<std::pair<std::string, std::string>> impairment_words(const LinkImpairment& link) {
    std::vector<std::pair<std::string, std::string>> words;
    if (link.delay) words.emplace_back("delay", ms_text(*link.delay));
    if (link.jitter) words.emplace_back("jitter", ms_text(*link.jitter));
    if (link.loss) words.emplace_back("loss", percent_text(*link.loss));
    if (link.rate) words.emplace_back("rate", std::to_string(*link.rate));
    return words;
}

}  // namespace

std::vector<std::string> impairment_flags(const LinkImpairment& link) {
    std::vector<std::string> flags;
    for (auto& [key, value] : impairment_words(link)) flags.insert(flags.end(), {"--" + key, value});
    return flags;
}

std::string impairment_command(const LinkImpairment& link) {
    std::string command = "set";
    for (auto& [key, value] : impairment_words(link))
        command.append(" ").append(key).append("=").append(value);
    return command;
}

namespace {

// Where a LAN may lie: RFC 1918 space, and RFC 6598 shared address space
// for carrier-grade NATs.
const Cidr kLanSpaces[] = {
    {Ipv4{10u << 24}, 8},
    {Ipv4{(192u << 24) | (168u << 16)}, 16},
    {Ipv4{(100u << 24) | (64u << 16)}, 10},
};

bool overlaps(const Cidr& a, const Cidr& b) {
    return a.contains(b.base) || b.contains(a.base);
}

// Addresses handed out on one segment: explicit ones are checked, open ones
// are taken in order from `next`, skipping what is already used.
class AddressPool {
public:
    explicit AddressPool(Cidr subnet) : subnet_(subnet) {}

    void reserve(Ipv4 ip, const Location& where, const std::string& what) {
        if (!subnet_.contains(ip))
            throw ScenarioError(
                where, "bad address " + ip.to_string() + " for " + what + ": not in " + subnet_.to_string());
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
// NAT public addresses from 198.18.1.1, so a capture tells them apart at a
// glance. A nested NAT's outside address is on a LAN: from .2, like a host.
constexpr std::uint32_t kHostOffset = 2;
constexpr std::uint32_t kNatOffset = 257;
// The largest segment shown to work: 1,000 NAT pairs and their server on
// the internet (docs/scenarios.md, "How big a lab can be").
constexpr std::size_t kMaxSegmentLinks = 2001;

std::string lan_name(const std::string& nat) {
    return nat + "-lan";
}

// The segment a node's outward link is on.
std::string segment_of(const std::string& behind) {
    return behind == "internet" ? behind : lan_name(behind);
}

Cidr lan_of(const NatSpec& nat, std::size_t index) {
    if (nat.lan) return *nat.lan;
    return Cidr{Ipv4{(10u << 24) | (static_cast<std::uint32_t>(index + 1) << 8)}, 24};
}

void check_lan(const NatSpec& nat, const Cidr& lan) {
    bool inside = std::any_of(std::begin(kLanSpaces), std::end(kLanSpaces), [&](const Cidr& space) {
        return space.contains(lan.base) && lan.prefix >= space.prefix;
    });
    if (!inside)
        throw ScenarioError(nat.lan_where, "lan " + lan.to_string() + " of NAT '" + nat.name +
                                               "' must lie in 10.0.0.0/8, 192.168.0.0/16 or 100.64.0.0/10");
    if (lan.prefix > 29)
        throw ScenarioError(nat.lan_where, "lan " + lan.to_string() + " of NAT '" + nat.name +
                                               "' is too small (at most /29)");
}

// nat-emu's --port-mapping-* flags; defaults are left to nat-emu (policy.h).
void add_port_mapping_argv(const PortMappingSpec& p, std::vector<std::string>& argv) {
    std::string list;
    for (const auto& word : p.protocols) list += (list.empty() ? "" : ",") + word;
    argv.insert(argv.end(), {"--port-mapping", list, "--port-mapping-refuse", p.refuse ? "on" : "off",
                             "--port-mapping-third-party", p.third_party ? "on" : "off"});
    if (p.min_lifetime || p.max_lifetime) {
        auto lo = p.min_lifetime.value_or(std::chrono::seconds{120}).count() / 1000;
        auto hi = p.max_lifetime.value_or(std::chrono::seconds{86400}).count() / 1000;
        argv.insert(argv.end(),
                    {"--port-mapping-lifetime", std::to_string(lo) + "-" + std::to_string(std::max(lo, hi))});
    }
    if (p.per_host) argv.insert(argv.end(), {"--port-mapping-per-host", std::to_string(*p.per_host)});
    if (p.honour_port) argv.insert(argv.end(), {"--port-mapping-honour-port", *p.honour_port ? "on" : "off"});
    if (p.upnp_igd) argv.insert(argv.end(), {"--upnp-igd", std::to_string(*p.upnp_igd)});
    if (p.upnp_permanent_only)
        argv.insert(argv.end(), {"--upnp-permanent-only", *p.upnp_permanent_only ? "on" : "off"});
}

// Before-inbound timeout, parity, port blocks and the limit per host.
void add_port_argv(const NatSpec& nat, std::vector<std::string>& argv) {
    auto number = [&](const char* flag, const std::optional<int>& v) {
        if (v) argv.insert(argv.end(), {flag, std::to_string(*v)});
    };
    if (nat.mapping_timeout_before_inbound)
        argv.insert(argv.end(), {"--mapping-timeout-before-inbound",
                                 std::to_string(nat.mapping_timeout_before_inbound->count() / 1000.0)});
    if (nat.port_parity) argv.insert(argv.end(), {"--port-parity", *nat.port_parity ? "on" : "off"});
    number("--port-block-size", nat.port_block_size);
    number("--port-blocks-per-host", nat.port_blocks_per_host);
    number("--mappings-per-host", nat.mappings_per_host);
}

// A change step's keys over the NAT's own (its `type` is empty unless the
// step names one): a new type drops nothing else
// the file set (an explicit mapping stays an override of the new type).
void overlay_behaviour(const NatSpec& change, NatSpec& nat) {
    if (!change.type.empty()) nat.type = change.type;
    auto put = [](auto& to, const auto& from) {
        if (from) to = from;
    };
    put(nat.mapping, change.mapping);
    put(nat.filtering, change.filtering);
    put(nat.port_allocation, change.port_allocation);
    put(nat.mapping_timeout, change.mapping_timeout);
    put(nat.port_range, change.port_range);
    put(nat.refresh_on_inbound, change.refresh_on_inbound);
    put(nat.pooling, change.pooling);
    put(nat.mapping_timeout_before_inbound, change.mapping_timeout_before_inbound);
    put(nat.port_parity, change.port_parity);
    put(nat.port_block_size, change.port_block_size);
    put(nat.port_blocks_per_host, change.port_blocks_per_host);
    put(nat.mappings_per_host, change.mappings_per_host);
    put(nat.hairpin, change.hairpin);
    put(nat.port_mapping, change.port_mapping);
}

// "type symmetric, hairpin on": what a change step changes, for the report.
std::string change_words(const NatSpec& c) {
    std::vector<std::string> words;
    if (!c.type.empty()) words.push_back("type " + c.type);
    auto word = [&](const char* key, const std::optional<std::string>& v) {
        if (v) words.push_back(std::string(key) + " " + *v);
    };
    word("mapping", c.mapping);
    word("filtering", c.filtering);
    word("port_allocation", c.port_allocation);
    word("port_range", c.port_range);
    if (c.hairpin) words.push_back(std::string("hairpin ") + (*c.hairpin ? "on" : "off"));
    if (c.mapping_timeout)
        words.push_back("mapping_timeout " + std::to_string(c.mapping_timeout->count()) + "ms");
    std::string out;
    for (auto& w : words) out += (out.empty() ? "" : ", ") + w;
    return out.empty() ? "behaviour" : out;
}

std::vector<std::string> nat_argv(const NatSpec& nat, Address inside, const std::vector<Address>& outside,
                                  std::optional<Ipv4> gateway) {
    std::vector<std::string> argv = {"nat-emu",          "--name",           nat.name,    "--inside", "in0",
                                     "--inside-address", inside.to_string(), "--outside", "out0"};
    for (auto& address : outside) argv.insert(argv.end(), {"--outside-address", address.to_string()});
    if (gateway) argv.insert(argv.end(), {"--outside-gateway", gateway->to_string()});
    argv.insert(argv.end(), {"--type", nat.type});
    if (nat.hairpin) argv.insert(argv.end(), {"--hairpin", *nat.hairpin ? "on" : "off"});
    auto add = [&](const char* flag, const std::optional<std::string>& v) {
        if (v) argv.insert(argv.end(), {flag, *v});
    };
    add("--mapping", nat.mapping);
    add("--filtering", nat.filtering);
    add("--port-allocation", nat.port_allocation);
    add("--port-range", nat.port_range);
    add("--pooling", nat.pooling);
    if (nat.refresh_on_inbound)
        argv.insert(argv.end(), {"--refresh-on-inbound", *nat.refresh_on_inbound ? "on" : "off"});
    if (nat.mapping_timeout)
        argv.insert(argv.end(), {"--mapping-timeout", std::to_string(nat.mapping_timeout->count() / 1000.0)});
    add_port_argv(nat, argv);
    if (nat.port_mapping) add_port_mapping_argv(*nat.port_mapping, argv);
    return argv;
}

// One segment while planning: its subnet, its addresses, and the NAT
// address that is the gateway of everything on it (none on the internet).
struct SegmentPlan {
    Cidr subnet;
    AddressPool pool;
    std::optional<Ipv4> gateway;
};

class Planner {
public:
    explicit Planner(const Scenario& s) : s_(s) {}

    Topology plan() {
        topo_.capture = s_.capture;
        topo_.scenario_dir = s_.dir.empty() ? scenario_dir_of(s_.file) : s_.dir;
        topo_.segments.push_back({"internet", "br0", kInternet});
        segments_.emplace("internet", SegmentPlan{kInternet, AddressPool(kInternet), std::nullopt});
        auto order = outer_first();
        for (std::size_t i = 0; i < s_.nats.size(); ++i) open_lan(s_.nats[i], i);
        for (auto* nat : order) check_nesting(*nat);
        reserve_explicit();
        for (auto* nat : order) plan_nat(*nat);
        for (auto& host : s_.hosts) plan_host(host);
        plan_ipv6(s_, topo_);
        expand_commands();
        mark_waited();
        plan_stages();
        plan_timeline();
        check_segment_sizes();
        return topo_;
    }

private:
    // The NATs a NAT is behind, innermost first; throws on a loop or a
    // dangling name (the loader reports these too, for files).
    std::vector<const NatSpec*> outer_nats(const NatSpec& nat) const {
        std::vector<const NatSpec*> chain;
        for (auto* at = &nat; at->behind != "internet";) {
            auto* outer = s_.find_nat(at->behind);
            if (!outer)
                throw ScenarioError(at->behind_where, "NAT '" + at->name + "' is behind '" + at->behind +
                                                          "', which is neither 'internet' nor a NAT");
            if (outer == &nat || chain.size() >= s_.nats.size())
                throw ScenarioError(nat.behind_where,
                                    "NAT '" + nat.name + "' is behind itself through a cycle");
            chain.push_back(outer);
            at = outer;
        }
        return chain;
    }

    // Outer NATs first: by depth, then in file order.
    std::vector<const NatSpec*> outer_first() const {
        std::vector<std::pair<std::size_t, const NatSpec*>> ranked;
        for (auto& nat : s_.nats) ranked.emplace_back(outer_nats(nat).size(), &nat);
        std::stable_sort(ranked.begin(), ranked.end(), [](auto& a, auto& b) { return a.first < b.first; });
        std::vector<const NatSpec*> order;
        order.reserve(ranked.size());
        for (auto& [depth, nat] : ranked) order.push_back(nat);
        return order;
    }

    void open_lan(const NatSpec& nat, std::size_t index) {
        auto lan = lan_of(nat, index);
        check_lan(nat, lan);
        auto gateway = *lan.host(1);
        auto& seg =
            segments_.emplace(lan_name(nat.name), SegmentPlan{lan, AddressPool(lan), gateway}).first->second;
        seg.pool.reserve(gateway, nat.lan_where, "NAT '" + nat.name + "' (gateway)");
        topo_.segments.push_back({lan_name(nat.name), "br" + std::to_string(index + 1), lan});
    }

    // Behind a LAN that contains our own, the NAT could not tell inside from outside.
    void check_nesting(const NatSpec& nat) const {
        auto& lan = segments_.at(lan_name(nat.name)).subnet;
        for (auto* outer : outer_nats(nat)) {
            auto& other = segments_.at(lan_name(outer->name)).subnet;
            if (overlaps(lan, other))
                throw ScenarioError(nat.lan_where, "lan " + lan.to_string() + " of NAT '" + nat.name +
                                                       "' overlaps lan " + other.to_string() + " of NAT '" +
                                                       outer->name + "', which it is behind");
        }
    }

    // Explicit addresses first, so an open one never takes an address the file names later.
    void reserve_explicit() {
        for (auto& nat : s_.nats)
            for (auto ip : nat.addresses)
                segments_.at(segment_of(nat.behind))
                    .pool.reserve(ip, nat.address_where, "NAT '" + nat.name + "'");
        for (auto& host : s_.hosts)
            for (auto ip : host.addresses)
                segments_.at(segment_of(host.behind))
                    .pool.reserve(ip, host.address_where, "host '" + host.name + "'");
        for (auto& step : s_.timeline) {
            if (step.kind == StepKind::Reboot && step.address)
                segments_.at(segment_of(s_.find_nat(step.target)->behind))
                    .pool.reserve(*step.address, step.address_where,
                                  "the reboot of NAT '" + step.target + "'");
            if (step.kind == StepKind::Move && step.address)
                segments_.at(segment_of(step.to))
                    .pool.reserve(*step.address, step.address_where,
                                  "the move of host '" + step.target + "'");
        }
    }

    // The NAT's outside addresses: the file's, or the next free one of the
    // segment it is behind (from 198.18.1.1 on the internet, .2 on a LAN).
    std::vector<Address> outside_addresses(const NatSpec& nat, SegmentPlan& outer) {
        std::vector<Address> outside;
        for (auto ip : nat.addresses) outside.push_back({ip, outer.subnet.prefix});
        if (!outside.empty()) return outside;
        auto offset = outer.gateway ? kHostOffset : kNatOffset;
        return {{outer.pool.take(offset, nat.where, "NAT '" + nat.name + "'"), outer.subnet.prefix}};
    }

    void plan_nat(const NatSpec& nat) {
        auto outer_segment = segment_of(nat.behind);
        auto& outer = segments_.at(outer_segment);
        auto outside = outside_addresses(nat, outer);
        auto& lan = segments_.at(lan_name(nat.name));
        Address inside{*lan.gateway, lan.subnet.prefix};
        NodePlan node;
        node.name = nat.name;
        node.is_nat = true;
        node.kernel_nat = nat.is_linux();
        node.address = outside.front().ip;
        if (node.kernel_nat) {
            node.gateway = outer.gateway;
            node.route_ifname = "out0";
            node.setup_argv = {"nft", "-f"};
            node.ruleset = linux_nat_ruleset(nat.name);
        } else {
            node.argv = nat_argv(nat, inside, outside, outer.gateway);
            emulated_[nat.name] = {nat, inside, outside, outer.gateway, outer_segment};
        }
        topo_.nodes.push_back(node);
        // The kernel's NAT owns its addresses; nat-emu's links carry none.
        std::vector<Address> none;
        add_link(outer_segment, nat.name, "out0", node.kernel_nat ? outside : none);
        if (!node.kernel_nat)
            for (auto& a : outside) topo_.links.back().answers.push_back(a.ip);
        add_link(lan_name(nat.name), nat.name, "in0", node.kernel_nat ? std::vector<Address>{inside} : none);
        if (!node.kernel_nat) topo_.links.back().answers.push_back(inside.ip);
    }

    void plan_host(const HostSpec& host) {
        auto segment = segment_of(host.behind);
        auto& seg = segments_.at(segment);
        std::vector<Address> addresses;
        for (auto ip : host.addresses) addresses.push_back({ip, seg.subnet.prefix});
        if (addresses.empty()) {
            auto ip = seg.pool.take(kHostOffset, host.where, "host '" + host.name + "'");
            addresses.push_back({ip, seg.subnet.prefix});
        }
        NodePlan node;
        node.name = host.name;
        node.gateway = seg.gateway;
        node.argv = host.run;
        node.delay = host.delay;
        node.env = host.env;
        node.after = host.after;
        node.address = addresses.front().ip;
        node.programs = plan_programs(host);
        topo_.nodes.push_back(node);
        add_link(segment, host.name, "eth0", addresses);
    }

    // The largest segment the lab has been shown to run (docs/scenarios.md,
    // "How big a lab can be"): 300 pairs of NATs and their server. Past it
    // (499 pairs tried) clients registered but were not introduced, for a
    // reason not found yet, so the first node past it is refused, pointing
    // at its entry.
    void check_segment_sizes() const {
        std::map<std::string, std::size_t> size;
        for (auto& link : topo_.links) {
            if (++size[link.segment] <= kMaxSegmentLinks) continue;
            auto* host = s_.find_host(link.node);
            auto where = host ? host->where : s_.find_nat(link.node)->where;
            throw ScenarioError(where, "segment '" + link.segment + "' would have more than " +
                                           std::to_string(kMaxSegmentLinks) + " links: '" + link.node +
                                           "' is one too many (the lab's limit per segment)");
        }
    }

    void add_link(const std::string& segment, const std::string& node, const std::string& ifname,
                  std::vector<Address> addresses) {
        auto index = topo_.links.size() + 1;
        std::vector<Ipv4> answers;
        for (auto& a : addresses) answers.push_back(a.ip);
        topo_.links.push_back({segment, node, ifname, "s" + std::to_string(index), std::move(addresses),
                               segment + "." + node + ".pcap", std::nullopt, std::move(answers)});
    }

    // ${alice} becomes that host's first address, ${home} that NAT's (host_files.h).
    void expand_commands() {
        for (auto& node : topo_.nodes) {
            if (node.is_nat) continue;
            for (auto& word : node.argv)
                word = substitute_refs(
                    word, [&](const std::string& ref) { return plan_value(topo_, node.name, ref); });
            for (auto& program : node.programs)
                for (auto& word : program.argv)
                    word = substitute_refs(
                        word, [&](const std::string& ref) { return plan_value(topo_, node.name, ref); });
        }
    }

    // A node's link the scenario means by its name: a host's only link, a
    // NAT's outside link.
    int outward_link(const std::string& node) const {
        for (std::size_t i = 0; i < topo_.links.size(); ++i) {
            auto& link = topo_.links[i];
            if (link.node == node && link.node_ifname != "in0") return static_cast<int>(i);
        }
        return -1;
    }

    const std::optional<LinkImpairment>& impairment_of(const std::string& node) const {
        if (auto* host = s_.find_host(node)) return host->link;
        return s_.find_nat(node)->link;
    }

    // Every link with impairments or named by a link step gets link-emu.
    void plan_stages() {
        std::set<std::string> staged;
        for (auto& host : s_.hosts)
            if (host.link) staged.insert(host.name);
        for (auto& nat : s_.nats)
            if (nat.link) staged.insert(nat.name);
        for (auto& step : s_.timeline)
            if (step.kind == StepKind::LinkDown || step.kind == StepKind::LinkUp ||
                step.kind == StepKind::LinkSet)
                staged.insert(step.target);
        for (auto& node : staged) add_stage(outward_link(node), impairment_of(node));
    }

    void add_stage(int index, const std::optional<LinkImpairment>& impairment) {
        auto& link = topo_.links[index];
        auto n = std::to_string(index + 1);
        LinkStage stage{"l" + n,
                        "b" + n,
                        {"link-emu", "--a", link.switch_ifname, "--b", "l" + n},
                        link.node + ".link.log",
                        link.node + ".link.jsonl"};
        if (impairment) {
            auto flags = impairment_flags(*impairment);
            stage.argv.insert(stage.argv.end(), flags.begin(), flags.end());
        }
        // A fixed seed per link: a run's losses are the same every time.
        stage.argv.insert(stage.argv.end(), {"--seed", n});
        link.stage = std::move(stage);
    }

    void plan_timeline() {
        for (auto& step : s_.timeline) {
            PlannedStep planned{step.at,     step.kind, step.target, -1, {}, describe(step),
                                step.signal, {},        {},          {}, {}, {}};
            if (step.kind == StepKind::LinkDown || step.kind == StepKind::LinkUp ||
                step.kind == StepKind::LinkSet)
                planned.link = outward_link(step.target);
            if (step.kind == StepKind::LinkSet) {
                planned.command = impairment_command(step.set);
                planned.description = "link " + step.target + " " + planned.command;
            }
            if (step.kind == StepKind::Reboot) plan_reboot(step, planned);
            if (step.kind == StepKind::Change) plan_change(step, planned);
            if (step.kind == StepKind::Move) plan_move(step, planned);
            topo_.timeline.push_back(std::move(planned));
        }
    }

    // A new first outside address: the step's (reserved with the explicit
    // ones), else the next free one of the NAT's outside segment, taken
    // after every host's, so no address is planned twice.
    void plan_reboot(const TimelineStep& step, PlannedStep& planned) {
        auto& nat = emulated_.at(step.target);
        auto& outer = segments_.at(nat.outer_segment);
        auto offset = outer.gateway ? kHostOffset : kNatOffset;
        Ipv4 ip = step.address
                      ? *step.address
                      : outer.pool.take(offset, step.where, "the reboot of NAT '" + step.target + "'");
        nat.outside.front().ip = ip;
        topo_.links[static_cast<std::size_t>(outward_link(step.target))].answers.push_back(ip);
        planned.argv = nat_argv(nat.spec, nat.inside, nat.outside, nat.gateway);
        with_ipv6(step.target, planned.argv);
        planned.description += " (new address " + ip.to_string() + ")";
    }

    // The host's link port goes to the other segment's bridge; its address
    // is the step's or the next free one there (after every host's).
    void plan_move(const TimelineStep& step, PlannedStep& planned) {
        auto segment = segment_of(step.to);
        auto& to = segments_.at(segment);
        Ipv4 ip = step.address
                      ? *step.address
                      : to.pool.take(kHostOffset, step.where, "the move of host '" + step.target + "'");
        planned.link = outward_link(step.target);
        auto& link = topo_.links[static_cast<std::size_t>(planned.link)];
        planned.old_addresses = link.addresses;
        planned.new_address = Address{ip, to.subnet.prefix};
        planned.gateway = to.gateway;
        for (auto& seg : topo_.segments)
            if (seg.name == segment) planned.bridge = seg.bridge;
        planned.description += " (address " + ip.to_string() + ")";
    }

    // A NAT's IPv6 options go on every command line it is given.
    void with_ipv6(const std::string& nat, std::vector<std::string>& argv) const {
        auto& v6 = topo_.find_node(nat)->argv6;
        argv.insert(argv.end(), v6.begin(), v6.end());
    }

    // The keys the step names replace the NAT's; the others stay.
    void plan_change(const TimelineStep& step, PlannedStep& planned) {
        auto& nat = emulated_.at(step.target);
        overlay_behaviour(step.change, nat.spec);
        planned.argv = nat_argv(nat.spec, nat.inside, nat.outside, nat.gateway);
        with_ipv6(step.target, planned.argv);
        planned.description += " (" + change_words(step.change) + ")";
    }

    // Hosts named by an expectation are waited for; with none named, all are.
    void mark_waited() {
        std::set<std::string> named;
        for (auto& e : s_.expectations)
            if (e.kind != ExpectKind::Counter)
                named.insert(e.hosts.begin(), e.hosts.end());  // counters name NATs
        for (auto& node : topo_.nodes)
            if (!node.is_nat && !node.argv.empty()) node.waited = named.empty() || named.count(node.name);
        for (auto& node : topo_.nodes)
            for (auto& program : node.programs)
                program.waited = !program.daemon && (named.empty() || named.count(program.name));
    }

    // A host's `programs:`, their references resolved to full names.
    std::vector<ProgramPlan> plan_programs(const HostSpec& host) const {
        std::vector<ProgramPlan> programs;
        for (auto& spec : host.programs) {
            ProgramPlan p;
            p.name = spec.name;
            p.argv = spec.run;
            p.run_where = spec.run_where;
            for (auto& kv : host.env)
                if (std::none_of(spec.env.begin(), spec.env.end(),
                                 [&](auto& own) { return own.first == kv.first; }))
                    p.env.push_back(kv);
            p.env.insert(p.env.end(), spec.env.begin(), spec.env.end());
            p.delay = spec.delay;
            p.start_on = spec.start_on;
            if (spec.start_on == StartOn::After || spec.start_on == StartOn::Output)
                p.after = resolve_program_ref(s_, host, spec.after);
            p.pattern = spec.pattern;
            p.protocol = spec.protocol;
            p.port = spec.port;
            p.daemon = spec.daemon;
            p.log_file = spec.name + ".log";
            programs.push_back(std::move(p));
        }
        return programs;
    }

    // An emulated NAT as the timeline has left it so far: what its next
    // command line is made of (reboot and change steps, in time order).
    struct EmulatedNat {
        NatSpec spec;
        Address inside;
        std::vector<Address> outside;
        std::optional<Ipv4> gateway;
        std::string outer_segment;
    };

    const Scenario& s_;
    Topology topo_;
    std::map<std::string, SegmentPlan> segments_;  // by segment name
    std::map<std::string, EmulatedNat> emulated_;  // by NAT name
};

}  // namespace

namespace {

// `to` of a reach expectation: a node's address (what ${name} means), or
// an address as written.
void plan_reach(const Scenario& scenario, Topology& topo) {
    for (std::size_t i = 0; i < scenario.expectations.size(); ++i) {
        auto& e = scenario.expectations[i];
        if (e.kind != ExpectKind::Reachable) continue;
        auto [name, family] = split_family(e.nodes[1]);
        auto* node = topo.find_node(name);
        std::optional<Ipv4> to;
        std::optional<Ipv6> to6 = Ipv6::parse(e.nodes[1]);
        if (node && family != "ipv6") to = node->address;
        if (node && (family == "ipv6" || (family.empty() && !node->address))) to6 = node->address6;
        if (!node) to = Ipv4::parse(e.nodes[1]);
        if (!to && !to6) throw ScenarioError(e.via_where, "'" + e.nodes[1] + "' has no address to probe");
        topo.reach.push_back(
            {i, e.nodes[0], to.value_or(Ipv4{}), to6, e.reach_by, e.port, e.at, *e.within, e.negate});
    }
}

}  // namespace

namespace {

Topology plan_all(const Scenario& s) {
    auto topo = Planner(s).plan();
    plan_generated(s, topo);
    plan_reach(s, topo);
    plan_dns(s, topo);
    return topo;
}

}  // namespace

Topology plan_topology(const Scenario& scenario) {
    if (scenario.dns) return plan_all(with_dns_server(scenario));
    return plan_all(scenario);
}

// Linux masquerade (nf_nat): a new flow from inside gets the outside
// address and keeps its source port unless that 5-tuple is taken, so the
// mapping is endpoint-independent (RFC 4787 section 4.1) with port
// preservation (4.2). Inbound packets pass only as replies of a conntrack
// entry, i.e. from the exact remote address and port the flow went to:
// address-and-port-dependent filtering (section 5). Nothing is hairpinned:
// a packet to the NAT's own address is delivered to its (empty) stack.
//
// The input chain matters for hole punching: a peer's probe that arrives
// before our own outbound probe is unsolicited. Accepted into the local
// stack, it would leave a conntrack entry (remote -> our address:port) that
// takes the very tuple our peer's outbound flow needs, and masquerade would
// then pick another source port: the NAT would behave as if symmetric.
// Dropped in the input hook, the entry is never confirmed, as on a home
// router whose firewall drops unsolicited traffic from the WAN.
std::string linux_nat_ruleset(const std::string& nat) {
    return "# nat-lab: NAT '" + nat +
           "', type linux: the kernel's own NAT\n"
           "table ip natlab {\n"
           "    chain postrouting {\n"
           "        type nat hook postrouting priority srcnat; policy accept;\n"
           "        oifname \"out0\" masquerade\n"
           "    }\n"
           "    chain forward {\n"
           "        type filter hook forward priority filter; policy drop;\n"
           "        iifname \"in0\" oifname \"out0\" accept\n"
           "        iifname \"out0\" oifname \"in0\" ct state established,related accept\n"
           "    }\n"
           "    chain input {\n"
           "        type filter hook input priority filter; policy accept;\n"
           "        iifname \"out0\" ct state established,related accept\n"
           "        iifname \"out0\" drop\n"
           "    }\n"
           "}\n";
}

}  // namespace natlab::harness
