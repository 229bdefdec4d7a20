// HOST:PORT to an endpoint, through the system's resolver.
//
// "198.18.0.2:3478" is taken as it is; "server:3478" is looked up with
// getaddrinfo (IPv4 only here, both families in resolve_endpoints; the port numeric): in a lab that reads the
// lab's /etc/hosts, on a real network whatever the machine's resolver says. The first address wins. Nothing
// is cached; each call asks again.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "src/net/address.h"
#include "src/net/endpoint.h"

namespace natlab {

// The endpoint, or nullopt with `error` saying why ("expected HOST:PORT",
// "cannot resolve 'x': Name or service not known").
std::optional<Endpoint> resolve_endpoint(std::string_view text, std::string& error);

// Both families: "[2001:2::2]:3478" or "198.18.0.2:3478" is that endpoint;
// a name gives its first IPv4 (A) and its first IPv6 (AAAA) address, in
// that order, whichever exist. Empty, with `error`, when there is none.
std::vector<IpEndpoint> resolve_endpoints(std::string_view text, std::string& error);

}  // namespace natlab
