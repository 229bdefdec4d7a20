// The standard STUN server inside rendezvous: Binding requests, answered
// the way RFC 8489, RFC 5780 (NAT behaviour discovery) and RFC 3489
// (classic clients) ask, so that stock clients and NAT classifiers can use
// it. Pure and allocation-free: a validated request in, the answer written
// into a caller's buffer, plus the local endpoint to send it from.
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <span>
#include <vector>

#include "src/net/address.h"
#include "src/net/endpoint.h"
#include "src/stun/stun_codec.h"

namespace natlab {

// The server's transport addresses. RFC 5780 section 4 wants a second IP
// address and a second port: with an alternate (differing from the primary
// in both), the server listens on all four combinations of {primary IP,
// alternate IP} x {primary port, alternate port}.
// These are IPv4 endpoints: RFC 5780's second address is an IPv4 matter
// here. A request that arrives over IPv6 is answered as by a server without
// an alternate (XOR-MAPPED-ADDRESS of family 0x02, no OTHER-ADDRESS).
struct StunAddresses {
    Endpoint primary;
    std::optional<Endpoint> alternate;

    // The endpoints to listen on: the primary first, then (with an
    // alternate) the three other combinations.
    std::vector<Endpoint> listeners() const;
    // OTHER-ADDRESS for a request that arrived at `local`: the combination
    // that differs from it in both IP and port.
    std::optional<Endpoint> other(Endpoint local) const;
    // Where to answer from when asked to change IP and/or port.
    Endpoint changed(Endpoint local, bool change_ip, bool change_port) const;
};

// Largest answer answer_binding() writes (an error listing eight unknown
// attributes); a smaller buffer is a broken invariant.
inline constexpr std::size_t kMaxBindingAnswer = 128;

struct BindingAnswer {
    std::size_t size = 0;    // bytes written
    IpEndpoint origin;       // the local endpoint to send from
    IpEndpoint destination;  // the request's source, or its IP and RESPONSE-PORT
    bool error = false;      // a 400 or 420 error response
};

// Answers one Binding request that arrived at `local` from `source`; the
// answer's XOR-MAPPED-ADDRESS has the source's family (RFC 8489 section 14.2).
BindingAnswer answer_binding(const stun::View& request, const IpEndpoint& source, const IpEndpoint& local,
                             const StunAddresses& addresses, std::span<std::byte> out);

}  // namespace natlab
