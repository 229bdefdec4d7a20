// Programs run inside lab hosts.
//
// Theory of operation: spawn() forks, moves the child into the node's
// network namespace and its own process group (so a Ctrl-C at the terminal
// reaches nat-lab, which then stops the lab in order, and not every program
// at once), points stdin at /dev/null (or a pipe the lab writes commands
// to) and stdout+stderr at the host's log (opened for appending: a
// restarted program continues its log), adds the scenario's environment
// variables, and execs. An exec failure is reported back through a close-on-exec pipe,
// so "no such program" is a set-up error naming the host, not a silent exit.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace natlab::harness {

struct SpawnSpec {
    std::string node;               // for error messages
    std::vector<std::string> argv;  // argv[0] already resolved to a path
    int netns_fd = -1;
    std::string log_file;
    int pass_fd = -1;                                      // handed to the child as fd 3, if set
    int stdin_fd = -1;                                     // the child's stdin; -1: /dev/null
    std::vector<std::pair<std::string, std::string>> env;  // set in the child's environment
    std::string cwd;                                       // its working directory; empty: the lab's
};

pid_t spawn(const SpawnSpec& spec);

// Resolves a command name: nat-lab's own programs (rendezvous, peer,
// nat-emu, link-emu) from `bin_dir`, anything else through PATH, then /usr/sbin and
// /sbin. Empty if not found.
std::string resolve_program(const std::string& name, const std::string& bin_dir);

// The last non-empty line of a log, for "did not start: <why>" errors.
std::string last_line(const std::string& path);

// The directory holding the running executable.
std::string own_bin_dir();

}  // namespace natlab::harness
