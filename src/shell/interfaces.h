// The host's own IPv4 addresses, as a peer reports them for local candidates.
#pragma once

#include <vector>

#include "src/net/endpoint.h"

namespace natlab {

// Every address of an interface that is up and not loopback (getifaddrs),
// without duplicates, in the kernel's order. Empty if the list is unreadable.
std::vector<Ipv4> interface_addresses();

// The local endpoints of a socket bound to `bound`: every interface address
// with the bound port when bound to 0.0.0.0, else just the bound endpoint
// (a socket bound to one address cannot be reached at the others).
std::vector<Endpoint> local_endpoints(Endpoint bound);

}  // namespace natlab
