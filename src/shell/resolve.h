// HOST:PORT to an endpoint, through the system's resolver.
//
// "198.18.0.2:3478" is taken as it is; "server:3478" is looked up with
// getaddrinfo (IPv4 only, the port numeric): in a lab that reads the lab's
// /etc/hosts, on a real network whatever the machine's resolver says. The
// first address wins. Nothing is cached; each call asks again.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "src/net/endpoint.h"

namespace natlab {

// The endpoint, or nullopt with `error` saying why ("expected HOST:PORT",
// "cannot resolve 'x': Name or service not known").
std::optional<Endpoint> resolve_endpoint(std::string_view text, std::string& error);

}  // namespace natlab
