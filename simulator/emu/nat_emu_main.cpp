// nat-emu: a user-space NAT between two links. See emulator.h for how it
// works, emu_options.h for its command line and event_log.h for its output.
//
// SIGUSR2 flushes every mapping (a "flushed" line in the event log).
// Exit status: 0 after SIGTERM or SIGINT (with a final counters line),
// 2 for a setup failure (one line "nat-emu: ..." on stderr).

#include <unistd.h>

#include <csignal>
#include <cstdio>

#include "simulator/emu/emulator.h"
#include "simulator/io/daemon.h"
#include "src/net/setup_error.h"

namespace {

using namespace natlab;
using namespace natlab::nat;

int run(const std::vector<std::string>& args) {
    EmuOptions options = parse_options(args);
    int signal_fd = termination_signal_fd({SIGUSR2});  // SIGUSR2: flush every mapping
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
    return natlab::nat::run_main("nat-emu", argc, argv, run);
}
