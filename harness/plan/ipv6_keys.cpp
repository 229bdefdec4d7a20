// IPv6 scenario keys. See ipv6_keys.h.
#include "harness/plan/ipv6_keys.h"

#include <array>

#include "harness/plan/nat_words.h"
#include "simulator/v6/siit.h"

namespace natlab::harness {
namespace {

constexpr std::array<std::pair<Stack, std::string_view>, 3> kStacks = {
    {{Stack::ipv4, "ipv4"}, {Stack::dual, "dual"}, {Stack::ipv6, "ipv6"}}};

const std::set<std::string> kModes = {"firewall", "route", "nptv6", "nat64"};

std::string lan_of(const NatSpec& nat) {
    return "NAT '" + nat.name + "'";
}

// Keys that only mean something on a LAN with IPv6.
void check_needs_ipv6(const NatSpec& nat) {
    auto& v = nat.ipv6;
    if (has_ipv6(v.stack)) return;
    auto complain = [&](const Location& where, const std::string& key) {
        throw ScenarioError(
            where, "'" + key + "' needs IPv6 on the LAN of " + lan_of(nat) + " (stack: dual or ipv6)");
    };
    if (v.mode && *v.mode == "nat64")
        throw ScenarioError(v.mode_where, "NAT64 without an IPv6 LAN: ipv6: nat64 of " + lan_of(nat) +
                                              " needs stack: ipv6 or dual");
    if (v.mode) complain(v.mode_where, "ipv6");
    if (v.filtering) complain(v.filtering_where, "ipv6_filtering");
    if (v.lan6) complain(v.lan6_where, "lan6");
}

void check_lan6(const NatSpec& nat) {
    auto& v = nat.ipv6;
    if (!v.lan6) return;
    auto text = v.lan6->to_string();
    if (v.lan6->length != 64)
        throw ScenarioError(v.lan6_where, "lan6 " + text + " of " + lan_of(nat) + " must be a /64");
    if (v.ula() && !kUla.contains(v.lan6->base))
        throw ScenarioError(v.lan6_where, "lan6 " + text + " of " + lan_of(nat) +
                                              " must lie in fd00::/8: NPTv6 translates a ULA prefix");
    if (!v.ula() && !kInternet6Block.contains(v.lan6->base))
        throw ScenarioError(v.lan6_where, "lan6 " + text + " of " + lan_of(nat) +
                                              " must lie in 2001:2::/48, the lab's routed IPv6 (ipv6: " +
                                              v.mode_name() + ")");
    if (v.lan6->overlaps(kInternet6))
        throw ScenarioError(v.lan6_where,
                            "lan6 " + text + " of " + lan_of(nat) + " is the internet's own 2001:2::/64");
}

// RFC 6146 NAT64 needs an IPv6 LAN, and only it takes a NAT64 prefix
// (RFC 6052 section 2.2: 32, 40, 48, 56, 64 or 96 bits, bits 64-71 zero).
// It is nat-emu's, not the kernel's here.
void check_translators(const NatSpec& nat) {
    auto& v = nat.ipv6;
    auto mode = v.mode_name();
    if (v.nat64_prefix && mode != "nat64")
        throw ScenarioError(v.nat64_prefix_where, "nat64_prefix of " + lan_of(nat) + " needs ipv6: nat64");
    if (v.nat64_prefix && !v6::valid_nat64_prefix(*v.nat64_prefix))
        throw ScenarioError(v.nat64_prefix_where,
                            "nat64_prefix " + v.nat64_prefix->to_string() + " of " + lan_of(nat) +
                                " is not an RFC 6052 prefix (a /32, /40, /48, /56, /64 or /96 "
                                "with bits 64-71 zero, like 64:ff9b::/96)");
    if (v.mode && mode == "nat64" && nat.is_linux())
        throw ScenarioError(v.mode_where, "ipv6: " + mode + " does not apply to " + lan_of(nat) +
                                              " of type linux (its IPv6 is the kernel's firewall or router)");
    if (mode == "nat64" && v.filtering)
        throw ScenarioError(v.filtering_where, "'ipv6_filtering' does not apply to ipv6: " + mode + " of " +
                                                   lan_of(nat) + " (it filters by the NAT's 'filtering')");
}

// What the kernel's NAT cannot do, and IPv6 behind another NAT.
void check_nat_fits(const Scenario& s, const NatSpec& nat) {
    auto& v = nat.ipv6;
    if (!has_ipv6(s.stack) && has_ipv6(v.stack) && v.mode_name() != "nat64")
        throw ScenarioError(v.stack_where, "the LAN of " + lan_of(nat) +
                                               " has IPv6 but the internet has not (stack: dual at the top "
                                               "of the scenario)");
    if (has_ipv6(v.stack) && nat.behind != "internet")
        throw ScenarioError(v.stack_where, lan_of(nat) + " is behind '" + nat.behind +
                                               "': a LAN with IPv6 must be behind the internet");
    if (nat.is_linux() && v.mode_name() == "nptv6")
        throw ScenarioError(v.mode_where, "ipv6: nptv6 does not apply to " + lan_of(nat) +
                                              " of type linux (its IPv6 is the kernel's firewall or router)");
    if (nat.is_linux() && v.filtering)
        throw ScenarioError(v.filtering_where, "'ipv6_filtering' does not apply to " + lan_of(nat) +
                                                   " of type linux (conntrack: address-and-port-dependent)");
    if (v.ipv4_blackhole && v.stack != Stack::dual)
        throw ScenarioError(v.blackhole_where,
                            "ipv4_blackhole needs a dual-stack LAN on " + lan_of(nat) + " (stack: dual)");
}

void check_prefixes(const Scenario& s) {
    for (std::size_t i = 0; i < s.nats.size(); ++i)
        for (std::size_t j = 0; j < i; ++j) {
            auto& a = s.nats[i].ipv6;
            auto& b = s.nats[j].ipv6;
            if (a.lan6 && b.lan6 && a.lan6->overlaps(*b.lan6))
                throw ScenarioError(a.lan6_where, "lan6 " + a.lan6->to_string() + " of " + lan_of(s.nats[i]) +
                                                      " overlaps lan6 " + b.lan6->to_string() + " of " +
                                                      lan_of(s.nats[j]));
        }
}

// An address of a family its segment does not carry.
void check_host(const Scenario& s, const HostSpec& host) {
    auto stack = stack_behind(s, host.behind);
    auto segment =
        host.behind == "internet" ? std::string("the internet") : "the LAN of NAT '" + host.behind + "'";
    if (host.address6 && !has_ipv6(stack))
        throw ScenarioError(host.address6_where, "an IPv6 address for host '" + host.name + "' on " +
                                                     segment + ", which is IPv4-only");
    if (!host.addresses.empty() && !has_ipv4(stack))
        throw ScenarioError(host.address_where, "an IPv4 address for host '" + host.name + "' on " + segment +
                                                    ", which is IPv6-only");
}

// A move carries the host's IPv4 address only.
void check_move(const Scenario& s, const TimelineStep& step) {
    auto* host = s.find_host(step.target);
    if (step.kind != StepKind::Move || !host) return;
    if (has_ipv6(stack_behind(s, host->behind)) || has_ipv6(stack_behind(s, step.to)))
        throw ScenarioError(step.where, "move of host '" + step.target +
                                            "': a move between segments with IPv6 is not supported (it moves "
                                            "IPv4 addresses only)");
}

}  // namespace

std::string_view to_string(Stack stack) {
    for (auto& [value, name] : kStacks)
        if (value == stack) return name;
    return "?";
}

const std::set<std::string>& ipv6_nat_keys() {
    static const std::set<std::string> keys = {"stack", "ipv6",           "ipv6_filtering",
                                               "lan6",  "ipv4_blackhole", "nat64_prefix"};
    return keys;
}

Stack read_stack(const YamlReader& r, const YAML::Node& node) {
    auto word = r.word(node, "stack", {"ipv4", "dual", "ipv6"});
    for (auto& [value, name] : kStacks)
        if (name == word) return value;
    return Stack::ipv4;
}

Stack read_internet_stack(const YamlReader& r, const YAML::Node& node) {
    auto stack = read_stack(r, node);
    if (stack == Stack::ipv6)
        r.fail(node, "the internet cannot be IPv6-only (stack: ipv4 or dual): NATs have their IPv4 outside");
    return stack;
}

void read_nat_ipv6(const YamlReader& r, const YAML::Node& body, NatSpec& nat) {
    auto& v = nat.ipv6;
    if (auto n = body["stack"]) {
        v.stack = read_stack(r, n);
        v.stack_where = r.at(n);
    }
    if (auto n = body["ipv6"]) {
        v.mode = r.word(n, "IPv6 mode", kModes);
        v.mode_where = r.at(n);
    }
    if (auto n = body["ipv6_filtering"]) {
        v.filtering = r.word(n, "IPv6 filtering behaviour", nat_words<nat::FilteringBehaviour>());
        v.filtering_where = r.at(n);
    }
    if (auto n = body["lan6"]) {
        auto text = r.text(n, "lan6");
        v.lan6 = Ipv6Prefix::parse(text);
        if (!v.lan6)
            r.fail(n, "bad prefix '" + text + "' for lan6 (expected an IPv6 /64 like 2001:2:0:1::/64)");
        v.lan6_where = r.at(n);
    }
    if (auto n = body["nat64_prefix"]) {
        auto text = r.text(n, "nat64_prefix");
        v.nat64_prefix = Ipv6Prefix::parse(text);
        if (!v.nat64_prefix)
            r.fail(n,
                   "bad prefix '" + text + "' for nat64_prefix (expected an IPv6 prefix like 64:ff9b::/96)");
        v.nat64_prefix_where = r.at(n);
    }
    if (auto n = body["ipv4_blackhole"]) {
        v.ipv4_blackhole = r.boolean(n, "ipv4_blackhole");
        v.blackhole_where = r.at(n);
    }
}

void read_host_ipv6(const YamlReader& r, const YAML::Node& body, HostSpec& host) {
    auto n = body["address6"];
    if (!n) return;
    auto text = r.text(n, "address6");
    host.address6 = Ipv6::parse(text);
    if (!host.address6)
        r.fail(n, "bad address '" + text + "' for host '" + host.name +
                      "' (expected an IPv6 address like 2001:2::10)");
    host.address6_where = r.at(n);
}

Stack stack_behind(const Scenario& s, const std::string& behind) {
    if (behind == "internet") return s.stack;
    auto* nat = s.find_nat(behind);
    return nat ? nat->ipv6.stack : Stack::ipv4;
}

void check_ipv6(const Scenario& s) {
    for (auto& nat : s.nats) {
        check_needs_ipv6(nat);
        check_translators(nat);
        check_nat_fits(s, nat);
        check_lan6(nat);
    }
    check_prefixes(s);
    for (auto& host : s.hosts) check_host(s, host);
    for (auto& step : s.timeline) check_move(s, step);
}

}  // namespace natlab::harness
