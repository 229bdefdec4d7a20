// The lab's DNS server (`dns:`, docs/scenarios.md "DNS and DNS64"): a real
// resolver, Debian's unbound, on the lab's internet, serving the lab's own
// zone, with DNS64 (RFC 6147) if asked.
//
// Theory of operation: with `dns:` the scenario gets one more internet
// host, `dns`, at 198.18.0.53 (and 2001:2::53 on a dual-stack internet),
// planned like any host but running nothing of the scenario's. The zone
// lab.test (RFC 6761: a name that is never delegated) has an A record for
// every IPv4 address of every node and an AAAA record for every IPv6 one,
// each under the node's name (alice.lab.test). The lab's /etc/resolv.conf
// then names the server (`search lab.test`), and the lab starts unbound
// before any host runs (harness/lab/dns_server.h).
//
// DNS64: unbound's dns64 module sits before its iterator, which answers
// from the zone (an auth-zone `for-upstream`); a name with an A record and
// no AAAA gets an AAAA made up of the NAT64 prefix and the IPv4 address
// (RFC 6052 section 2.2). The resolver asks nobody else: everything but
// lab.test is refused, and no upstream address may be queried.
//
// Which path a name takes: /etc/hosts is read before DNS (glibc's `files
// dns`), and it has the bare names (`server`); names under lab.test
// (`server.lab.test`) are in DNS only, so a program that wants DNS64 asks
// for those. The resolver's addresses in resolv.conf, in order: the IPv4
// one, the IPv6 one (dual-stack internet), and the IPv4 one under the
// NAT64 prefix (with a NAT64), which is how an IPv6-only host behind NAT64
// on an IPv4-only internet reaches it.
#pragma once

#include <string>

#include "harness/plan/scenario.h"
#include "harness/plan/topology.h"
#include "harness/plan/yaml_reader.h"

namespace natlab::harness {

inline const std::string kDnsNode = "dns";
inline const std::string kDnsZone = "lab.test";
inline const Ipv4 kDnsAddress{(198u << 24) | (18u << 16) | 53u};
inline const Ipv6 kDnsAddress6 = *Ipv6::parse("2001:2::53");

// `dns: true`, or `dns: {dns64: true, dns64_prefix: P}`.
DnsSpec read_dns(const YamlReader& r, const YAML::Node& node);

// Throws ScenarioError: a node named `dns`, a prefix that is not RFC 6052's.
void check_dns(const Scenario& s);

// The scenario as planned: with `dns:`, the server is one more internet host.
Scenario with_dns_server(const Scenario& s);

// The prefix DNS64 synthesizes under: `dns64_prefix`, else the first
// NAT64's prefix, else 64:ff9b::/96.
Ipv6Prefix dns64_prefix_of(const Scenario& s);

// The zone, the resolv.conf and the server's place, into topo.dns.
void plan_dns(const Scenario& s, Topology& topo);

// The zone file of lab.test: every node's addresses (RFC 1035 master file).
std::string zone_file(const Topology& topo);

// unbound's configuration, its files under `dir`.
std::string unbound_config(const DnsPlan& dns, const std::string& dir);

}  // namespace natlab::harness
