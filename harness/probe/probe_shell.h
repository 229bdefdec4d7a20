// The probe's thin socket shell: UDP sockets, a pacer and a deadline. It
// sends what probe_core.h's tests need, hands back what came in, and lets
// the core judge. See docs/probe.md.
//
// Safety, on any network: every datagram goes to the server or alternate
// endpoints the user named (the four RFC 5780 combinations of their
// addresses and ports), except the hairpin test's at most six datagrams to
// the probe's own mapped endpoints; at most one datagram every 20 ms (50 a
// second) all told; and the whole run ends by --max-time plus a few seconds.
#pragma once

#include <optional>

#include "harness/probe/probe_core.h"

namespace natlab::probe {

struct Settings {
    Endpoint server;
    std::optional<Endpoint> alternate;
    Millis max_time{60000};
    int exhaust = 0;  // 0: do not test how many mappings one host may hold
};

inline constexpr Millis kSendGap{20};

// Runs every test; throws SetupError when a socket cannot be made or the
// server never answers.
Findings run_probe(const Settings& settings);

}  // namespace natlab::probe
