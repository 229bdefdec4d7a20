#include "harness/lab/process.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "src/net/setup_error.h"

namespace natlab::harness {
namespace {

bool is_executable(const std::string& path) {
    return ::access(path.c_str(), X_OK) == 0 && !std::filesystem::is_directory(path);
}

// The lab's environment with the scenario's variables set over it.
std::vector<std::string> environment_of(const SpawnSpec& spec) {
    std::vector<std::string> env;
    for (char** e = environ; *e; ++e) {
        std::string entry(*e);
        auto name = entry.substr(0, entry.find('='));
        bool replaced =
            std::any_of(spec.env.begin(), spec.env.end(), [&](auto& kv) { return kv.first == name; });
        if (!replaced) env.push_back(std::move(entry));
    }
    for (auto& [name, value] : spec.env) env.push_back(name + "=" + value);
    return env;
}

std::vector<char*> pointers(std::vector<std::string>& words) {
    std::vector<char*> out;
    for (auto& word : words) out.push_back(word.data());
    out.push_back(nullptr);
    return out;
}

// Every signal the lab catches back to its default, so that no handler of
// the lab runs in the child (which shares the lab's memory until it execs).
void default_handlers() {
    for (int sig = 1; sig < NSIG; ++sig) {
        struct sigaction sa = {};
        if (::sigaction(sig, nullptr, &sa) != 0 || sa.sa_handler == SIG_DFL || sa.sa_handler == SIG_IGN)
            continue;
        sa = {};
        sa.sa_handler = SIG_DFL;
        ::sigaction(sig, &sa, nullptr);
    }
}

// Runs in the child, on its own stack in the lab's memory (see spawn): only
// async-signal-safe calls, and nothing written but its own stack.
[[noreturn]] void exec_child(const SpawnSpec& spec, char* const* argv, char* const* envp, int log_fd,
                             int report_fd) {
    default_handlers();
    ::signal(SIGPIPE, SIG_DFL);  // the lab init ignores it; programs get the usual default
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    int err = 0;
    if (::setns(spec.netns_fd, CLONE_NEWNET) != 0) err = errno;
    ::setpgid(0, 0);
    if (!err && !spec.cwd.empty() && ::chdir(spec.cwd.c_str()) != 0) err = errno;
    int in_fd = spec.stdin_fd >= 0 ? spec.stdin_fd : ::open("/dev/null", O_RDONLY);
    if (!err && (in_fd < 0 || ::dup2(in_fd, 0) < 0 || ::dup2(log_fd, 1) < 0 || ::dup2(log_fd, 2) < 0))
        err = errno;
    if (!err && spec.pass_fd >= 0 && (::dup2(spec.pass_fd, 3) < 0 || ::fcntl(3, F_SETFD, 0) < 0)) err = errno;
    if (!err) {
        ::close_range(spec.pass_fd >= 0 ? 4 : 3, ~0u, CLOSE_RANGE_CLOEXEC);
        ::fcntl(report_fd, F_SETFD, FD_CLOEXEC);
        ::execve(argv[0], argv, envp);
        err = errno;
    }
    ssize_t ignored = ::write(report_fd, &err, sizeof err);
    (void)ignored;
    ::_exit(127);
}

int open_log(const std::string& path) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) throw_errno("open log " + path);
    return fd;
}

struct ChildArgs {
    const SpawnSpec* spec;
    char* const* argv;
    char* const* envp;
    int log_fd;
    int report_fd;
};

int child_main(void* arg) {
    auto* a = static_cast<ChildArgs*>(arg);
    exec_child(*a->spec, a->argv, a->envp, a->log_fd, a->report_fd);
}

}  // namespace

// The child shares the lab's memory until it execs (CLONE_VM, and the lab
// waits: CLONE_VFORK), as posix_spawn does: a fork would copy the page tables
// of a lab that holds thousands of namespaces once per program, and that was
// most of what starting a big lab's NATs cost. posix_spawn itself cannot
// enter a network namespace, hence the clone.
pid_t spawn(const SpawnSpec& spec) {
    auto words = spec.argv;
    auto argv = pointers(words);
    auto env_words = environment_of(spec);
    auto envp = pointers(env_words);
    int log_fd = open_log(spec.log_file);
    int report[2];
    if (::pipe2(report, O_CLOEXEC) != 0) throw_errno("pipe");
    ChildArgs args{&spec, argv.data(), envp.data(), log_fd, report[1]};
    constexpr std::size_t kChildStack = 64 * 1024;
    std::vector<char> stack(kChildStack);
    pid_t pid = ::clone(child_main, stack.data() + stack.size(), CLONE_VM | CLONE_VFORK | SIGCHLD, &args);
    if (pid < 0) {
        int err = errno;
        ::close(report[0]), ::close(report[1]), ::close(log_fd);
        throw_errno("clone for " + spec.node, err);
    }
    ::close(report[1]);
    ::close(log_fd);
    int err = 0;
    ssize_t n = ::read(report[0], &err, sizeof err);
    ::close(report[0]);
    if (n == sizeof err)
        throw SetupError("host '" + spec.node + "': cannot run " + spec.argv[0] + ": " + std::strerror(err));
    return pid;
}

std::string last_line(const std::string& path) {
    std::ifstream in(path);
    std::string line, last;
    while (std::getline(in, line))
        if (!line.empty()) last = line;
    return last;
}

std::string own_bin_dir() {
    std::error_code ec;
    auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
    return ec ? std::string(".") : exe.parent_path().string();
}

std::string resolve_program(const std::string& name, const std::string& bin_dir) {
    static const std::set<std::string> own = {"rendezvous", "peer", "nat-emu", "link-emu", "nat-lab"};
    if (name.find('/') != std::string::npos) return is_executable(name) ? name : std::string();
    if (own.count(name) && is_executable(bin_dir + "/" + name)) return bin_dir + "/" + name;
    // The sbin directories close the list: nft lives there, and a user's PATH often lacks them.
    const char* path = std::getenv("PATH");
    std::stringstream dirs(std::string(path ? path : "/usr/local/bin:/usr/bin:/bin") + ":/usr/sbin:/sbin");
    for (std::string dir; std::getline(dirs, dir, ':');)
        if (!dir.empty() && is_executable(dir + "/" + name)) return dir + "/" + name;
    return {};
}

}  // namespace natlab::harness
