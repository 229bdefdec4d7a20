// What a scenario generates for its programs: per-host files, set-up
// commands, the lab's /etc/hosts, and the ${...} references they use.
//
// Theory of operation: a host's `files:` are templates written into its own
// directory, <run>/hosts/<host>/, before the lab is built; its programs get
// that path in NATLAB_HOST_DIR. The top-level `setup:` commands run once,
// in file order, before the lab is built, each in a network namespace of
// its own that has loopback only, in <run>/setup/ (NATLAB_SETUP_DIR), their
// output in <run>/setup.log; the first that fails stops the run.
//
// References, in file contents, run commands and set-up commands:
//   ${alice}      host alice's address
//   ${home}       NAT home's (first) outside address
//   ${host}       the host's own name (not in set-up commands)
//   ${host_dir}   the host's own directory (not in set-up commands)
//   ${setup_dir}  the set-up commands' directory
//   ${scenario_dir} the scenario file's directory (for programs shipped beside it)
// The loader checks every reference (check_template), the planner expands
// addresses and names (plan_value), and the lab, which alone knows the run
// directory, expands the two directories (expand_dirs). `host`, `host_dir`,
// `setup_dir` and `scenario_dir` are therefore not names a host or NAT may have.
//
// Nothing here touches the system.
#pragma once

#include <string>

#include "harness/plan/topology.h"
#include "harness/plan/yaml_reader.h"

namespace natlab::harness {

// `files: {PATH: CONTENT}` of a host; `setup: [COMMAND, ...]` of a scenario.
std::vector<FileSpec> read_files(const YamlReader& r, const YAML::Node& node, const std::string& host);
std::vector<SetupSpec> read_setup(const YamlReader& r, const YAML::Node& node);

// Where a reference is used: in something of host `host`, or in set-up (empty).
struct RefContext {
    std::string host;
    Location where;
};

// Every ${...} in `text` names a host, a NAT, or a reserved word allowed here.
void check_template(const Scenario& s, const std::string& text, const RefContext& at);

// The scenario's new parts checked: reserved names unused, every reference
// in files and set-up commands known. (Run commands: check_template.)
void check_generated(const Scenario& s);

// "alice.ipv6" is ("alice", "ipv6"), "alice.ipv4" ("alice", "ipv4"), "alice" ("alice", "").
std::pair<std::string, std::string> split_family(const std::string& ref);

// The planner's value of a reference in something of node `node`; the
// directories come back as written, for expand_dirs(). ${alice} is alice's
// IPv4 address (its IPv6 one on an IPv6-only LAN), ${alice.ipv4} and
// ${alice.ipv6} the one of that family (empty if it has none).
std::string plan_value(const Topology& topo, const std::string& node, const std::string& ref);

// The plan's files, set-up commands and /etc/hosts (after plan_topology's own work).
void plan_generated(const Scenario& s, Topology& topo);

// The absolute directory of a scenario file.
std::string scenario_dir_of(const std::string& file);

// The run directory's layout.
std::string host_dir(const std::string& run_dir, const std::string& host);
std::string setup_dir(const std::string& run_dir);

// ${host_dir} and ${setup_dir} replaced; anything else is left as it is.
std::string expand_dirs(const std::string& text, const std::string& host_directory,
                        const std::string& setup_directory);

}  // namespace natlab::harness
