// Start conditions the lab has to look for: a line in a program's log, a
// port bound in a host. The schedule (schedule.h) says when to look; these
// say whether what was seen matches. Pure: the lab reads the files.
#pragma once

#include <string>

namespace natlab::harness {

// Whether `log` has a match of the ECMAScript regular expression `pattern`,
// ^ and $ matching at every line (as `output:` expectations match).
bool log_matches(const std::string& log, const std::string& pattern);

// Whether the text of /proc/net/udp or /proc/net/tcp (of one network
// namespace) lists a socket bound to local port `port`, on any address.
// For TCP only listening sockets count (state 0A): a port is "bound" for a
// client once a server listens on it.
bool port_bound(const std::string& proc_net, int port, bool tcp);

}  // namespace natlab::harness
