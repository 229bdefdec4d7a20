// The scenario keys of IPv6 (docs/scenarios.md, "IPv6"): which segments
// carry it, and what each NAT does to it.
//
// Theory of operation: the internet and each NAT's LAN are IPv4-only,
// dual-stack or IPv6-only (`stack:`; the internet is IPv4-only or dual).
// A NAT whose LAN carries IPv6 forwards it under one of three modes
// (`ipv6: firewall | route | nptv6`): the RFC 6092 stateful firewall, a
// plain router, or RFC 6296 prefix translation. The readers here take the
// keys strictly; check_ipv6() checks them together once the whole file is
// read (a LAN with IPv6 needs an internet with it, an IPv6 address needs a
// segment with IPv6, prefixes must not overlap ...), each complaint at the
// key's FILE:LINE:COL. The planner (ipv6_plan.h) gives the addresses.
#pragma once

#include <yaml-cpp/yaml.h>

#include <set>
#include <string>

#include "harness/plan/scenario.h"
#include "harness/plan/yaml_reader.h"

namespace natlab::harness {

// The lab's IPv6 plan (docs/scenarios.md): the internet's /48 (RFC 5180),
// its own segment the first /64 of it, ULA LANs in fd00::/8.
inline const Ipv6Prefix kInternet6Block = *Ipv6Prefix::parse("2001:2::/48");
inline const Ipv6Prefix kInternet6 = *Ipv6Prefix::parse("2001:2::/64");
inline const Ipv6Prefix kUla = *Ipv6Prefix::parse("fd00::/8");

// The NAT keys read here.
const std::set<std::string>& ipv6_nat_keys();

Stack read_stack(const YamlReader& r, const YAML::Node& node);
Stack read_internet_stack(const YamlReader& r, const YAML::Node& node);  // ipv4 or dual
void read_nat_ipv6(const YamlReader& r, const YAML::Node& body, NatSpec& nat);
void read_host_ipv6(const YamlReader& r, const YAML::Node& body, HostSpec& host);

// Throws ScenarioError at the first key that does not fit the rest.
void check_ipv6(const Scenario& s);

// The segment a host or NAT sits on, by what it is behind: its stack.
Stack stack_behind(const Scenario& s, const std::string& behind);

}  // namespace natlab::harness
