// Before the lab is built: what a scenario generates for its programs.
//
// Theory of operation: prepare_run() runs in the lab init, inside the lab's
// private mount namespace, before any node exists:
//   1. makes <run>/hosts/<host>/ (mode 0700) for every host and writes its
//      files there, ${host_dir} and ${setup_dir} expanded (host_files.h);
//   2. writes <run>/etc-hosts and bind-mounts it over /etc/hosts: the mount
//      belongs to the lab's mount namespace, so every program of the lab
//      (and only those) resolves hosts and NATs by name; <run>/etc-resolv.conf
//      goes over /etc/resolv.conf the same way: no DNS server but loopback's,
//      or with `dns:` the lab's own (harness/plan/dns_plan.h);
//   3. runs the set-up commands in file order, each in a network namespace
//      of its own with loopback only, in <run>/setup/, with its output
//      appended to <run>/setup.log. The first that exits non-zero, dies of
//      a signal, outlives the deadline or is interrupted (SIGINT, SIGTERM,
//      SIGHUP pending) is a SetupError that names it; nothing else runs.
// The lab init's exit takes the namespaces and any straggler with it.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "harness/plan/topology.h"

namespace natlab::harness {

void prepare_run(const Topology& topo, const std::string& run_dir, Millis deadline);

// What a node's program gets besides the scenario's env: NATLAB_HOST_DIR
// (hosts only) and NATLAB_SETUP_DIR.
std::vector<std::pair<std::string, std::string>> run_environment(const NodePlan& node,
                                                                 const std::string& run_dir);

}  // namespace natlab::harness
