#include "harness/lab/isolation.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <string>

#include "src/net/setup_error.h"

namespace natlab::harness {
namespace {

struct InitArgs {
    std::function<int()>* body;
    int go_fd;
    int go_write_fd;  // the parent's end: closed here so a dead parent means EOF
    uid_t uid;
    gid_t gid;
    bool new_user;
};

// Every lab init this process is running (several when runs go in
// parallel threads); a signal to nat-lab is passed on to each.
constexpr int kMaxLabs = 64;
std::atomic<pid_t> g_lab_pids[kMaxLabs];
std::atomic<int> g_running_labs{0};
struct sigaction g_saved[3];
constexpr int kForwarded[3] = {SIGINT, SIGTERM, SIGHUP};

bool write_file(const char* path, const std::string& text) {
    int fd = ::open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return false;
    bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
    ::close(fd);
    return ok;
}

// Inside the new user namespace, become root mapped onto the caller.
bool map_ids(const InitArgs& a) {
    return write_file("/proc/self/setgroups", "deny") &&
           write_file("/proc/self/uid_map", "0 " + std::to_string(a.uid) + " 1\n") &&
           write_file("/proc/self/gid_map", "0 " + std::to_string(a.gid) + " 1\n");
}

// Mounts made in the lab stay in the lab; a fresh /proc shows its processes.
void private_mounts() {
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
        std::perror("nat-lab: make mounts private");
    ::mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr);  // best effort
}

int init_main(void* raw) {
    auto& a = *static_cast<InitArgs*>(raw);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    ::close(a.go_write_fd);
    char go = 0;
    if (::read(a.go_fd, &go, 1) != 1) return 125;  // nat-lab died before the go
    ::close(a.go_fd);
    if (a.new_user && !map_ids(a)) {
        std::perror("nat-lab: map user ids in the lab's user namespace");
        return 2;
    }
    private_mounts();
    return (*a.body)();
}

void forward_signal(int) {
    for (auto& pid : g_lab_pids)
        if (pid_t p = pid.load(); p > 0) ::kill(p, SIGTERM);
}

void watch(pid_t pid) {
    for (auto& slot : g_lab_pids) {
        pid_t empty = 0;
        if (slot.compare_exchange_strong(empty, pid)) break;
    }
    if (g_running_labs.fetch_add(1) > 0) return;
    struct sigaction sa = {};
    sa.sa_handler = forward_signal;
    for (int i = 0; i < 3; ++i) ::sigaction(kForwarded[i], &sa, &g_saved[i]);
}

void unwatch(pid_t pid) {
    for (auto& slot : g_lab_pids) {
        pid_t mine = pid;
        if (slot.compare_exchange_strong(mine, 0)) break;
    }
    if (g_running_labs.fetch_sub(1) > 1) return;
    for (int i = 0; i < 3; ++i) ::sigaction(kForwarded[i], &g_saved[i], nullptr);
}

}  // namespace

pid_t start_lab_init(std::function<int()> body) {
    int go[2];
    if (::pipe2(go, O_CLOEXEC) != 0) throw_errno("pipe");
    InitArgs args{&body, go[0], go[1], ::getuid(), ::getgid(), ::geteuid() != 0};
    constexpr std::size_t kStack = 1 << 20;
    void* stack =
        ::mmap(nullptr, kStack, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (stack == MAP_FAILED) throw_errno("mmap stack");
    int flags = CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWNS | SIGCHLD | (args.new_user ? CLONE_NEWUSER : 0);
    pid_t pid = ::clone(init_main, static_cast<char*>(stack) + kStack, flags, &args);
    int err = errno;
    ::munmap(stack, kStack);
    ::close(go[0]);
    if (pid < 0) {
        ::close(go[1]);
        throw_errno(args.new_user ? "create the lab's namespaces (are unprivileged user namespaces allowed?)"
                                  : "create the lab's namespaces",
                    err);
    }
    watch(pid);
    ssize_t ignored = ::write(go[1], "g", 1);
    (void)ignored;
    ::close(go[1]);
    return pid;
}

int wait_lab_init(pid_t pid) {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) {
            unwatch(pid);
            throw_errno("wait for the lab");
        }
    unwatch(pid);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return WEXITSTATUS(status);
}

}  // namespace natlab::harness
