// The lab's DNS server at run time (the plan: harness/plan/dns_plan.h).
//
// Theory of operation: before any host runs, the lab writes unbound's
// configuration and the zone into <run>/dns/, starts `unbound -d` in the
// server's namespace like any program (its log <run>/dns.log), and asks it
// for dns.lab.test's A record, from inside that namespace, until it
// answers (dns_answers, 50 ms a try) or the start deadline passes. The
// server then runs until the lab stops its hosts; an end before that is a
// failed run (expectations.h, judge_components).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "harness/plan/topology.h"

namespace natlab::harness {

// A standard query (RFC 1035 section 4.1), recursion desired, for `name`'s
// record of `type` (1: A, 28: AAAA).
std::vector<std::uint8_t> dns_query(std::uint16_t id, const std::string& name, std::uint16_t type);

// Whether `reply` is a response to query `id` with RCODE 0 and an answer.
bool dns_answered(std::span<const std::uint8_t> reply, std::uint16_t id);

// unbound.conf and the zone file written into `dir`; the config's path.
std::string write_dns_files(const DnsPlan& dns, const std::string& dir);

// One query to `server` port 53 over UDP, from the calling thread's
// namespace; true when an answer came within `wait_ms`.
bool dns_answers(Ipv4 server, const std::string& name, int wait_ms);

}  // namespace natlab::harness
