// The peer's UPnP IGD client, the Asio part: it carries out the exchange
// that upnp_client.h spells out, on the caller's io_context.
//
// Theory of operation
// -------------------
// `map_port` searches for a gateway (SSDP, from a UDP socket of its own with
// a multicast TTL of 2, so the search never leaves the LAN's first router),
// fetches its description, asks for its external address and maps the
// peer's UDP port, asking for the same external port first and the next
// three after a conflict (718). Every step has the same deadline; a step
// that misses it, or a gateway that answers nothing useful, gives no
// mapping, with a word for why ("no gateway": nothing answered the search;
// "no description": no WANIPConnection in what the gateway described; "no
// answer": an HTTP exchange failed; "error N": the gateway's UPnP error,
// e.g. 606 when it refuses by policy), and the peer goes on without one. `renew` repeats AddPortMapping
// (a renewal for the same internal client, WANIPConnection §2.4.16);
// `unmap` deletes the mapping at exit. Each HTTP exchange is one TCP
// connection (`Connection: close`). The internal client named in the
// request is the address the connection to the gateway left from.
#pragma once

#include <asio/awaitable.hpp>
#include <cstdint>
#include <optional>
#include <string>

#include "src/net/clock.h"
#include "src/peer/upnp_client.h"

namespace natlab::upnp {

struct Mapping {
    ControlPoint point;
    Endpoint internal;
    Endpoint external;
    std::uint32_t lease_seconds = 0;
};

struct Outcome {
    std::optional<Mapping> mapping;
    std::string answer;  // "success", or why there is no mapping
};

asio::awaitable<Outcome> map_port(std::uint16_t port, std::uint32_t lease_seconds, Duration step);
asio::awaitable<bool> renew(const Mapping& mapping, Duration step);
asio::awaitable<bool> unmap(const Mapping& mapping, Duration step);

}  // namespace natlab::upnp
