// The host's own addresses, as a peer reports them for local candidates.
#pragma once

#include <string_view>
#include <vector>

#include "src/net/address.h"
#include "src/net/endpoint.h"

namespace natlab {

// Every address of an interface that is up and not loopback (getifaddrs),
// without duplicates, in the kernel's order. Empty if the list is unreadable.
std::vector<Ipv4> interface_addresses();

// The host's global IPv6 addresses (/proc/net/if_inet6): scope global, so
// not link-local fe80::/10 nor loopback ::1, and neither tentative (still
// in duplicate address detection, RFC 4862 section 5.4) nor failed DAD.
std::vector<Ipv6> interface_addresses6();
// The same, read from the text of /proc/net/if_inet6 (pure, for tests).
std::vector<Ipv6> global_addresses6(std::string_view if_inet6);

// The local endpoints of a socket bound to `bound`: every interface address
// with the bound port when bound to 0.0.0.0, else just the bound endpoint
// (a socket bound to one address cannot be reached at the others).
std::vector<Endpoint> local_endpoints(Endpoint bound);

// For a socket of either family: bound to a wildcard, every IPv4 interface
// address (if it takes IPv4: `ipv4`) and every global IPv6 address (if it
// takes IPv6: `ipv6`) with the bound port; bound to one address, just that.
std::vector<IpEndpoint> local_endpoints(const IpEndpoint& bound, bool ipv4, bool ipv6);

}  // namespace natlab
