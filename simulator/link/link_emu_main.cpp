// link-emu: an impaired link (delay, jitter, loss, rate) between two
// interfaces. See link_emu.h for how it works and link_emu_options.h for its
// command line and stdin commands.
//
// Exit status: 0 after SIGTERM or SIGINT, with a final counters line (to
// --events, else stderr); 2 for bad arguments or a setup failure (one line
// "link-emu: ..." on stderr).

#include <unistd.h>

#include <csignal>
#include <cstdio>

#include "simulator/io/daemon.h"
#include "simulator/link/link_emu.h"
#include "src/net/setup_error.h"

namespace {

using namespace natlab;
using namespace natlab::nat;

// The counters line goes to --events when given (opened before the links, so
// a bad path is a setup error), else to stderr.
std::FILE* open_events(const std::string& path) {
    if (path.empty()) return stderr;
    std::FILE* file = std::fopen(path.c_str(), "w");
    if (!file) throw system_error("--events " + path);
    return file;
}

int run(const std::vector<std::string>& args) {
    LinkEmuOptions options = parse_link_emu_options(args);
    int signal_fd = termination_signal_fd();
    std::FILE* events = open_events(options.events_path);
    LinkEmu emulator(options, options.seed.value_or(random_seed()));
    signal_ready(options.ready_fd);
    int status = emulator.run(signal_fd, STDIN_FILENO);
    std::fprintf(events, "%s\n", link_counters_json(emulator.counters()).c_str());
    std::fflush(events);
    if (events != stderr) std::fclose(events);
    close(signal_fd);
    return status;
}

}  // namespace

int main(int argc, char** argv) {
    return natlab::nat::run_main("link-emu", argc, argv, run);
}
