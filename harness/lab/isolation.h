// The lab's private namespace tree.
//
// Theory of operation: nat-lab clones one child, the lab init, into new PID,
// network and mount namespaces (and a new user namespace when not run as
// root, mapping the caller to root inside). The lab init is PID 1 of its PID
// namespace and holds every namespace the lab creates by file descriptor.
// Consequences:
//   - when the lab init exits, for any reason, the kernel kills every process
//     in its PID namespace, and every network namespace, veth and bridge
//     goes with the last reference to it;
//   - the lab init dies with nat-lab itself (PR_SET_PDEATHSIG), so `kill -9`
//     of nat-lab leaves nothing behind;
//   - nothing is configured in the machine's own network namespace, and two
//     runs never see each other's devices.
// A start pipe closes the race between clone() and PR_SET_PDEATHSIG: the
// child waits for the parent's go, and gives up if the parent is gone.
#pragma once

#include <sys/types.h>

#include <functional>

namespace natlab::harness {

// Starts `body` as the lab init; its return value is the init's exit code.
// From here until wait_lab_init() returns, nat-lab's SIGINT/SIGTERM/SIGHUP
// are passed on to it (and to any other running lab init) as SIGTERM, so a
// Ctrl-C always ends in the lab's orderly stop.
pid_t start_lab_init(std::function<int()> body);

// Waits for the lab init, then restores nat-lab's own signal handlers (when
// no other lab runs). Returns its exit code (128+signal if killed).
int wait_lab_init(pid_t pid);

}  // namespace natlab::harness
