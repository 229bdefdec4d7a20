// The lab's DNS server, planned. See dns_plan.h.
#include "harness/plan/dns_plan.h"

#include <algorithm>

#include "harness/plan/ipv6_plan.h"
#include "simulator/v6/siit.h"

namespace natlab::harness {
namespace {

void check_name_free(const std::string& name, const Location& where, const char* what) {
    if (name == kDnsNode)
        throw ScenarioError(where, std::string(what) + " name '" + name +
                                       "' is the lab's DNS server's (dns: at the top of the scenario)");
}

const NatSpec* first_nat64(const Scenario& s) {
    auto it =
        std::find_if(s.nats.begin(), s.nats.end(), [](auto& nat) { return nat.ipv6.mode_name() == "nat64"; });
    return it == s.nats.end() ? nullptr : &*it;
}

// The server's addresses, in the order resolv.conf tries them.
std::vector<std::string> nameservers(const Scenario& s) {
    std::vector<std::string> list = {kDnsAddress.to_string()};
    if (has_ipv6(s.stack)) list.push_back(kDnsAddress6.to_string());
    if (auto* nat = first_nat64(s))
        list.push_back(v6::embed(nat64_prefix_of(*nat), kDnsAddress)->to_string());
    return list;
}

std::string resolv_conf(const Scenario& s) {
    std::string text =
        "# The lab's /etc/resolv.conf (nat-lab): the lab's DNS server, zone " + kDnsZone + ".\n";
    text += "search " + kDnsZone + "\n";
    for (auto& address : nameservers(s)) text += "nameserver " + address + "\n";
    return text + "options timeout:1 attempts:2\n";
}

// Every IPv4 address of a node: a host's on its link, a NAT's outside ones.
std::vector<Ipv4> ipv4_of(const Topology& topo, const NodePlan& node) {
    std::vector<Ipv4> list;
    if (node.address) list.push_back(*node.address);
    if (node.is_nat) return list;
    for (auto* link : topo.links_of(node.name))
        for (auto& a : link->addresses)
            if (std::find(list.begin(), list.end(), a.ip) == list.end()) list.push_back(a.ip);
    return list;
}

std::string record(const std::string& name, const char* type, const std::string& value) {
    return name + "\tIN\t" + type + "\t" + value + "\n";
}

}  // namespace

DnsSpec read_dns(const YamlReader& r, const YAML::Node& node) {
    DnsSpec dns;
    dns.where = r.at(node);
    if (node.IsScalar()) {
        if (!r.boolean(node, "dns")) r.fail(node, "dns: false is the default; leave the key out");
        return dns;
    }
    if (!node.IsMap()) r.fail(node, "dns must be true or a mapping (dns64, dns64_prefix)");
    r.check_map(node, "dns", {"dns64", "dns64_prefix"});
    if (auto n = node["dns64"]) dns.dns64 = r.boolean(n, "dns64");
    if (auto n = node["dns64_prefix"]) {
        auto text = r.text(n, "dns64_prefix");
        dns.dns64_prefix = Ipv6Prefix::parse(text);
        if (!dns.dns64_prefix)
            r.fail(n,
                   "bad prefix '" + text + "' for dns64_prefix (expected an IPv6 prefix like 64:ff9b::/96)");
        dns.prefix_where = r.at(n);
    }
    return dns;
}

void check_dns(const Scenario& s) {
    if (!s.dns) return;
    for (auto& nat : s.nats) check_name_free(nat.name, nat.where, "NAT");
    for (auto& host : s.hosts) check_name_free(host.name, host.where, "host");
    auto& prefix = s.dns->dns64_prefix;
    if (prefix && !s.dns->dns64) throw ScenarioError(s.dns->prefix_where, "dns64_prefix needs dns64: true");
    if (prefix && !v6::valid_nat64_prefix(*prefix))
        throw ScenarioError(s.dns->prefix_where, "dns64_prefix " + prefix->to_string() +
                                                     " is not an RFC 6052 prefix (a /32, /40, /48, /56, /64 "
                                                     "or /96 with bits 64-71 zero, like 64:ff9b::/96)");
}

Scenario with_dns_server(const Scenario& s) {
    Scenario with = s;
    HostSpec server;
    server.name = kDnsNode;
    server.where = server.address_where = server.address6_where = s.dns->where;
    server.addresses = {kDnsAddress};
    if (has_ipv6(s.stack)) server.address6 = kDnsAddress6;
    with.hosts.push_back(server);
    return with;
}

Ipv6Prefix dns64_prefix_of(const Scenario& s) {
    if (s.dns && s.dns->dns64_prefix) return *s.dns->dns64_prefix;
    if (auto* nat = first_nat64(s)) return nat64_prefix_of(*nat);
    return v6::kNat64WellKnown;
}

void plan_dns(const Scenario& s, Topology& topo) {
    if (!s.dns) return;
    DnsPlan dns;
    dns.node = kDnsNode;
    dns.zone = kDnsZone;
    dns.listen = {kDnsAddress.to_string()};
    if (has_ipv6(s.stack)) dns.listen.push_back(kDnsAddress6.to_string());
    if (s.dns->dns64) dns.dns64_prefix = dns64_prefix_of(s);
    dns.zone_text = zone_file(topo);
    topo.dns = dns;
    topo.resolv_conf = resolv_conf(s);
}

std::string zone_file(const Topology& topo) {
    auto origin = kDnsZone + ".";
    std::string text = "; The lab's zone (nat-lab): every node by name, every address it has.\n";
    text += "$ORIGIN " + origin + "\n$TTL 60\n";
    text += record("@", "SOA", "dns." + origin + " nobody." + origin + " 1 3600 600 86400 60");
    text += record("@", "NS", "dns." + origin);
    for (auto& node : topo.nodes) {
        for (auto ip : ipv4_of(topo, node)) text += record(node.name, "A", ip.to_string());
        if (node.address6) text += record(node.name, "AAAA", node.address6->to_string());
    }
    return text;
}

// No chroot, no user change (the lab's root is its own), no control port,
// no trust anchors (the zone is unsigned and asked of nobody), nothing
// upstream: every other name refused, every address barred from queries.
std::string unbound_config(const DnsPlan& dns, const std::string& dir) {
    std::string text = "# unbound for the lab (nat-lab): zone " + dns.zone + "\nserver:\n";
    auto line = [&](const std::string& option) { text += "    " + option + "\n"; };
    for (auto* option :
         {"chroot: \"\"", "username: \"\"", "pidfile: \"\"", "use-syslog: no", "verbosity: 1",
          "num-threads: 1", "port: 53", "do-ip4: yes", "do-ip6: yes", "interface-automatic: no",
          "access-control: 0.0.0.0/0 allow", "access-control: ::/0 allow", "do-not-query-address: 0.0.0.0/0",
          "do-not-query-address: ::/0", "local-zone: \".\" refuse"})
        line(option);
    line("directory: \"" + dir + "\"");
    line("logfile: \"\"");
    for (auto& address : dns.listen) line("interface: " + address);
    line("local-zone: \"" + dns.zone + ".\" transparent");
    line("domain-insecure: \"" + dns.zone + "\"");
    line(dns.dns64_prefix ? "module-config: \"dns64 iterator\"" : "module-config: \"iterator\"");
    if (dns.dns64_prefix) line("dns64-prefix: " + dns.dns64_prefix->to_string());
    text += "auth-zone:\n";
    line("name: \"" + dns.zone + "\"");
    line("zonefile: \"" + dir + "/" + dns.zone + ".zone\"");
    for (auto* option : {"for-downstream: no", "for-upstream: yes", "fallback-enabled: no"}) line(option);
    return text + "remote-control:\n    control-enable: no\n";
}

}  // namespace natlab::harness
