// TCP session tracking for a TCP mapping (RFC 5382, RFC 7857 §2, after the
// state machine of RFC 6146 §3.5.2.2).
//
// Theory of operation
// -------------------
// A NAT cannot see whether the two ends of a TCP connection are still there,
// so it watches the flags that go by and picks an idle timeout from what it
// saw: a long one for a connection that is open ("established", at least
// 2 h 4 min, RFC 5382 REQ-5, so that TCP keepalives every two hours keep it),
// a short one for a connection being opened or torn down ("transitory", at
// least 4 min). The states, per mapping:
//
//   SynSent      an outbound SYN created the mapping (or reopened it); no SYN
//                back yet. Transitory.
//   Established  a SYN has been seen both ways: the three-way handshake, or a
//                simultaneous open, which RFC 5382 REQ-2 requires. Established.
//   FinOutbound  one FIN seen, from inside (or from outside: FinInbound). A
//   FinInbound   half-closed connection may go on for hours. Established.
//   FinBoth      a FIN each way: closing. Transitory; later packets (the last
//                ACKs) are translated but no longer refresh the mapping.
//   Reset        a RST went by. RFC 7857 §2.3: translate it, but keep the
//                state for the transitory timeout rather than deleting it, so
//                that a forged or lost RST does not kill a live connection;
//                any later packet other than a RST means the connection is
//                alive after all, back to Established.
//
// An outbound SYN in FinBoth or Reset is a new connection reusing the
// mapping's ports: back to SynSent, refreshing. A RST sent from inside does
// not refresh the mapping (RFC 7857 §8: an answer to unwanted inbound
// traffic must not keep the mapping alive); one from outside starts the
// transitory period.
//
// The NAT keeps one state per mapping, not per connection. Under
// endpoint-independent mapping a mapping may carry two connections at once
// (TCP hole punching); their packets then drive the same state.
//
// Which packets may create a mapping, or get through a filter, is not
// decided here: nat.cpp creates mappings only for SYNs and filters inbound
// SYNs like any inbound packet (RFC 5382 REQ-4 lets it drop an unsolicited
// SYN silently, which it does).
#pragma once

#include <cstdint>
#include <string_view>

#include "simulator/nat/nat_event.h"

namespace natlab::nat {

enum class TcpState : std::uint8_t { SynSent, Established, FinOutbound, FinInbound, FinBoth, Reset };
std::string_view to_string(TcpState s);  // "syn-sent", "established", ...

struct TcpStep {
    TcpState next = TcpState::SynSent;
    bool refresh = true;  // does this packet restart the idle timer?
};

// The state after a packet with TCP `flags` passed the NAT in direction `from`.
TcpStep tcp_step(TcpState state, Direction from, std::uint8_t flags);

// True for the states that use the transitory idle timeout.
bool tcp_transitory(TcpState s);

}  // namespace natlab::nat
