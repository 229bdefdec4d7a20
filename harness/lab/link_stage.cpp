// link-emu stages. See link_stage.h.
#include "harness/lab/link_stage.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>

#include "harness/lab/process.h"
#include "src/net/setup_error.h"

namespace natlab::harness {
namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kReadyTimeout = std::chrono::seconds(5);

void close_fd(int& fd) {
    if (fd >= 0) ::close(fd);
    fd = -1;
}

}  // namespace

LinkStages::~LinkStages() {
    for (auto& stage : stages_) {
        close_fd(stage.stdin_fd);
        close_fd(stage.ready_fd);
    }
}

void LinkStages::start(const Topology& topo, const std::string& program, int switch_fd,
                       const std::string& out_dir) {
    for (std::size_t i = 0; i < topo.links.size(); ++i) {
        auto& link = topo.links[i];
        if (!link.stage) continue;
        int in[2], ready[2];
        if (::pipe2(in, O_CLOEXEC) != 0) throw_errno("pipe");
        if (::pipe2(ready, O_CLOEXEC) != 0) throw_errno("pipe");
        Stage stage{
            static_cast<int>(i), link.node, -1, in[1], ready[0], out_dir + "/" + link.stage->log_file, false};
        SpawnSpec spec{"link " + link.node, link.stage->argv, switch_fd, stage.log, ready[1], in[0], {}, {}};
        spec.argv[0] = program;
        spec.argv.insert(spec.argv.end(),
                         {"--ready-fd", "3", "--events", out_dir + "/" + link.stage->events_file});
        try {
            stage.pid = spawn(spec);
        } catch (...) {
            for (int fd : {in[0], in[1], ready[0], ready[1]}) ::close(fd);
            throw;
        }
        ::close(in[0]);
        ::close(ready[1]);
        stage.running = true;
        stages_.push_back(stage);
    }
    auto deadline = Clock::now() + kReadyTimeout;
    for (auto& stage : stages_) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
        wait_ready(stage, static_cast<int>(std::max<long>(left, 0)));
    }
}

void LinkStages::wait_ready(Stage& stage, int timeout_ms) {
    pollfd pfd{stage.ready_fd, POLLIN, 0};
    char buf[16] = {};
    bool ready = ::poll(&pfd, 1, timeout_ms) == 1 && ::read(stage.ready_fd, buf, sizeof buf - 1) > 0 &&
                 std::string(buf).rfind("ready", 0) == 0;
    close_fd(stage.ready_fd);
    if (!ready)
        throw SetupError("link of '" + stage.node + "': link-emu did not start: " + last_line(stage.log));
}

bool LinkStages::has(int link) const {
    for (auto& stage : stages_)
        if (stage.link == link) return true;
    return false;
}

void LinkStages::command(int link, const std::string& line) {
    for (auto& stage : stages_) {
        if (stage.link != link) continue;
        auto text = line + "\n";
        if (!stage.running ||
            ::write(stage.stdin_fd, text.data(), text.size()) != static_cast<ssize_t>(text.size()))
            throw SetupError("link of '" + stage.node + "': link-emu is gone");
        return;
    }
    throw SetupError("link " + std::to_string(link) + " has no stage");
}

void LinkStages::signal_all(int sig) {
    for (auto& stage : stages_) {
        if (!stage.running) continue;
        stage.stopped_by_lab = true;
        ::kill(stage.pid, sig);
    }
}

bool LinkStages::any_running() const {
    for (auto& stage : stages_)
        if (stage.running) return true;
    return false;
}

bool LinkStages::reaped(pid_t pid, int status) {
    for (auto& stage : stages_) {
        if (stage.pid != pid || !stage.running) continue;
        stage.running = false;
        stage.status = status;
        close_fd(stage.stdin_fd);
        return true;
    }
    return false;
}

std::vector<ProcessFacts> LinkStages::facts() const {
    std::vector<ProcessFacts> out;
    for (auto& stage : stages_) {
        ProcessFacts p;
        p.node = stage.node;
        p.started = true;
        p.stopped_by_lab = stage.stopped_by_lab;
        if (stage.running && stage.stopped_by_lab)
            p.signal = SIGKILL;  // the lab's last SIGKILL takes it
        else if (!stage.running && WIFEXITED(stage.status))
            p.exit_code = WEXITSTATUS(stage.status);
        else if (!stage.running && WIFSIGNALED(stage.status))
            p.signal = WTERMSIG(stage.status);
        out.push_back(p);
    }
    return out;
}

}  // namespace natlab::harness
