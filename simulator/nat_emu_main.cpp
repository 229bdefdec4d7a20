// nat-emu: a user-space NAT between two links. See emulator.h for how it
// works, emu_options.h for its command line and event_log.h for its output.
//
// Exit status: 0 after SIGTERM or SIGINT (with a final counters line),
// 2 for a setup failure (one line "nat-emu: ..." on stderr).

#include <sys/signalfd.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <random>

#include "emulator.h"
#include "setup_error.h"

namespace {

using namespace natlab::nat;

// SIGTERM and SIGINT become readable events on the returned fd instead of
// interrupting the loop; SIGPIPE (a closed event-log pipe) is ignored.
int termination_signal_fd() {
    std::signal(SIGPIPE, SIG_IGN);
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    if (sigprocmask(SIG_BLOCK, &signals, nullptr) < 0) throw system_error("sigprocmask");
    int fd = signalfd(-1, &signals, SFD_CLOEXEC | SFD_NONBLOCK);
    if (fd < 0) throw system_error("signalfd");
    return fd;
}

void signal_ready(std::optional<int> fd) {
    if (!fd) return;
    constexpr char kReady[] = "ready\n";
    if (write(*fd, kReady, sizeof kReady - 1) != static_cast<ssize_t>(sizeof kReady - 1))
        throw system_error("--ready-fd " + std::to_string(*fd) + ": write");
    close(*fd);
}

std::uint64_t random_seed() {
    std::random_device device;
    return (std::uint64_t{device()} << 32) | device();
}

int run(const std::vector<std::string>& args) {
    EmuOptions options = parse_options(args);
    int signal_fd = termination_signal_fd();
    EventLog log(options.events_path, std::chrono::steady_clock::now());
    Emulator emulator(options, log, random_seed());
    log.write(started_json(options));
    signal_ready(options.ready_fd);
    int status = emulator.run(signal_fd);
    close(signal_fd);
    return status;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        return run({argv + 1, argv + argc});
    } catch (const HelpRequested& help) {
        std::fputs(help.text.c_str(), stdout);
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "nat-emu: %s\n", e.what());
        return 2;
    }
}
