// link-emu stages: the user-space impairment of a lab link.
//
// Theory of operation: the kernel here has no netem, so a link with delay,
// jitter, loss or a rate limit (or one the timeline acts on) gets a stage:
// one link-emu process in the switch namespace that moves every frame
// between the link's switch end (captured, the node's side) and a veth
// pair into the bridge (topology.h draws it). LinkStages starts one per
// staged link, all at once, and waits until each has said "ready" on its
// ready pipe (both sockets bound: from then on no frame is missed). It keeps
// a pipe to each stage's stdin, where `set ...` commands go during the run.
// SIGTERM makes link-emu write its final counters to <node>.link.jsonl and
// exit; the lab stops stages last, after hosts and NATs, so their final
// packets still cross. Reaping is the lab's: it tells LinkStages which of
// the children it reaped were stages.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "harness/lab/lab.h"
#include "harness/plan/topology.h"

namespace natlab::harness {

class LinkStages {
public:
    LinkStages() = default;
    ~LinkStages();
    LinkStages(const LinkStages&) = delete;
    LinkStages& operator=(const LinkStages&) = delete;

    // Starts link-emu (`program`, resolved) for every link with a stage, in
    // the namespace `switch_fd`, and waits until all are ready. Throws
    // SetupError naming the link when one is not.
    void start(const Topology& topology, const std::string& program, int switch_fd,
               const std::string& out_dir);

    // Writes one command line to the stage of link `link` ("set loss=20").
    void command(int link, const std::string& line);

    bool has(int link) const;
    void signal_all(int sig);  // the lab's stop: the stages' ends are stopped_by_lab
    bool any_running() const;
    bool reaped(pid_t pid, int status);  // true if `pid` was a stage (now gone; its end recorded)
    // How each stage ended so far, named by its link's node; one the lab
    // stopped that is still running ends by the lab's last SIGKILL.
    std::vector<ProcessFacts> facts() const;

private:
    struct Stage {
        int link = -1;
        std::string node;
        pid_t pid = -1;
        int stdin_fd = -1;
        int ready_fd = -1;
        std::string log;
        bool running = false;
        bool stopped_by_lab = false;
        int status = -1;  // waitpid's, once reaped
    };
    void wait_ready(Stage& stage, int timeout_ms);

    std::vector<Stage> stages_;
};

}  // namespace natlab::harness
