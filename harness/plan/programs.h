// Hosts that run several programs: the `programs:` key of a host.
//
// Theory of operation: a host either runs one program (`run:`, named after
// the host: its log is <host>.log, expectations name it `alice`) or several
// (`programs:`, a mapping of program names, each named `host.program`: its
// log is <host>.<program>.log, expectations name it `alice.ping`). Each
// program has its own command, environment (over the host's `env`), start
// condition and log; one marked `daemon: true` runs for the whole lab, is
// never waited for, and is stopped by the lab at the end without failing
// anything. A program starts
//   - `delay` after every NAT is up (no condition), or
//   - `delay` after another program started (`after: NAME`), or
//   - `delay` after another program's log matched a regular expression
//     (`after_output: NAME` + `matches: REGEX`), or
//   - `delay` after a UDP or TCP port is bound in its own host
//     (`after_port: udp/3478`, `after_port: tcp/8000`).
// NAME is a program of the same host (`web`), another host's program
// (`bob.web`), or a host that runs one program (`server`).
//
// This file reads and checks the key (every fault a FILE:LINE:COL
// ScenarioError, before anything is built); the planner copies the programs
// into NodePlan::programs, the lab's schedule (harness/lab/schedule.h)
// decides when each starts.
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>
#include <vector>

#include "harness/plan/scenario.h"
#include "harness/plan/yaml_reader.h"

namespace natlab::harness {

// `programs:` of host `host` (whose body is `body`): read and checked on
// their own (names, keys, values); references are checked by
// check_programs once every host is read.
std::vector<ProgramSpec> read_programs(const YamlReader& r, const YAML::Node& body, const HostSpec& host);

// References of every program (after, after_output), no program starting
// after itself through any chain, no `exit` expectation on a daemon.
void check_programs(const Scenario& s);

// "alice.ping" names a program of host alice; a name without a dot names a
// host.
bool is_program_name(const std::string& name);

// The program a full name names, or null.
const ProgramSpec* find_program(const Scenario& s, const std::string& full_name);

// A name an expectation or a step uses that has a dot: a program that
// exists. Throws ScenarioError at `where`.
void check_program_ref(const Scenario& s, const Location& where, const std::string& full_name);

// What NAME in `after`/`after_output` of a program of `host` refers to:
// "host.program", or a host that runs one program ("server"). Empty if
// nothing. (The checks have made sure it exists by the time the planner
// asks.)
std::string resolve_program_ref(const Scenario& s, const HostSpec& host, const std::string& name);

}  // namespace natlab::harness
