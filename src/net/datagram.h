// A datagram a pure core wants sent, and where to. The I/O shells turn a
// list of these into sendto() calls; tests route them in memory.
#pragma once

#include "src/net/address.h"
#include "src/stun/stun_codec.h"

namespace natlab {

struct Outgoing {
    stun::Bytes bytes;
    IpEndpoint destination;
    IpEndpoint origin{};     // the local endpoint to send from (RFC 5780 answers); zero: the usual socket
    std::size_t socket = 0;  // which of the sender's sockets (peer --birthday); 0: the main one
};

}  // namespace natlab
