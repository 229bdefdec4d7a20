// The IPv6 plan: addresses, routes and nat-emu's IPv6 options, for the
// segments whose `stack` carries IPv6 (harness/plan/ipv6_keys.h).
//
// Theory of operation: plan_ipv6() runs inside plan_topology(), once every
// IPv4 address is planned and before any ${...} is expanded. Segments get
// a /64: the internet 2001:2::/64; NAT number k's LAN (k from 1, in file
// order) 2001:2:0:k::/64, or fd00:0:0:k::/64 under NPTv6, which then
// appears outside as 2001:2:0:k::/64. A NAT64 LAN (RFC 6146) is routed like
// a firewall's; on an IPv4-only internet it is the only IPv6 of the lab,
// and its hosts reach the IPv4 internet at the NAT64 prefix (their
// default route, via the NAT, covers it). An address's interface identifier is
// its IPv4 address's offset in its IPv4 segment (198.18.1.1 is 2001:2::101,
// 10.0.1.2 is 2001:2:0:1::2), so a capture pairs the two families at a
// glance; a NAT's inside address is ::1. A host on an IPv6-only LAN keeps
// the number but loses its IPv4 address.
//
// Routes: an internet node (host, or a NAT of type linux) routes every
// IPv6 LAN's outside prefix via that LAN's NAT; a LAN host's default route
// is its NAT's ::1. The lab's internet has no router of its own. Addresses
// are static (no router advertisements, no duplicate address detection),
// so a run starts at once and the same way every time.
#pragma once

#include "harness/plan/scenario.h"
#include "harness/plan/topology.h"

namespace natlab::harness {

// Throws ScenarioError at the address or prefix that does not fit.
void plan_ipv6(const Scenario& s, Topology& topo);

// A NAT64's prefix: its `nat64_prefix`, else the well-known 64:ff9b::/96.
Ipv6Prefix nat64_prefix_of(const NatSpec& nat);

// The nftables ruleset of a type linux NAT's IPv6: forwarded both ways
// (`ipv6: route`) or, as RFC 6092's simple security, inside to outside and
// conntrack's replies only (`firewall`); ICMPv6 errors of a known flow and
// neighbour discovery pass.
std::string linux_ipv6_ruleset(const std::string& nat, const std::string& mode);

}  // namespace natlab::harness
