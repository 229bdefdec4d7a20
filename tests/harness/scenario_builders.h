// Scenarios built in code for the planner's tests: a host behind a NAT
// (or on the internet), a NAT with its LAN's IP versions and IPv6 mode.
#pragma once

#include <string>

#include "harness/plan/scenario.h"

namespace natlab::harness::test {

inline HostSpec host(const std::string& name, const std::string& behind) {
    HostSpec h;
    h.name = name;
    h.behind = behind;
    return h;
}

// A NAT on the internet whose LAN has `stack`, and `mode` for its IPv6 (unset: the default firewall).
inline NatSpec nat6(const std::string& name, Stack stack, const char* mode = nullptr) {
    NatSpec n;
    n.name = name;
    n.ipv6.stack = stack;
    if (mode) n.ipv6.mode = mode;
    return n;
}

}  // namespace natlab::harness::test
