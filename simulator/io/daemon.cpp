#include "simulator/io/daemon.h"

#include <sys/signalfd.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <random>

#include "src/net/setup_error.h"

namespace natlab::nat {

int termination_signal_fd(std::initializer_list<int> extra) {
    std::signal(SIGPIPE, SIG_IGN);
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    for (int s : extra) sigaddset(&signals, s);
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

void parse_command_line(CLI::App& app, const std::vector<std::string>& args) {
    std::vector<std::string> reversed(args.rbegin(), args.rend());  // CLI11 consumes from the back
    try {
        app.parse(reversed);
    } catch (const CLI::CallForHelp&) {
        throw HelpRequested{app.help()};
    } catch (const CLI::ParseError& e) {
        throw SetupError{e.what()};
    }
}

int run_main(const char* program, int argc, char** argv,
             const std::function<int(const std::vector<std::string>&)>& run) {
    try {
        return run({argv + 1, argv + argc});
    } catch (const HelpRequested& help) {
        std::fputs(help.text.c_str(), stdout);
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "%s: %s\n", program, e.what());
        return 2;
    }
}

}  // namespace natlab::nat
