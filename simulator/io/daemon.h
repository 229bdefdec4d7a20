// What nat-emu and link-emu share as long-running programs of the lab:
// signals as readable events, the readiness handshake, a random seed, and
// CLI11 parsing that ends in SetupError or HelpRequested.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

namespace natlab::nat {

// Thrown for --help; `text` is the usage to print.
struct HelpRequested {
    std::string text;
};

// Blocks SIGTERM, SIGINT and `extra`, and returns a signalfd that reads
// them instead of interrupting the loop; SIGPIPE (a closed pipe) is ignored.
int termination_signal_fd(std::initializer_list<int> extra = {});

// Writes "ready\n" to the lab's --ready-fd, when given, and closes it.
void signal_ready(std::optional<int> fd);

// 64 bits from std::random_device.
std::uint64_t random_seed();

// Parses `args` (the words after the program name) into `app`. Throws
// HelpRequested for --help, SetupError for anything CLI11 rejects.
void parse_command_line(CLI::App& app, const std::vector<std::string>& args);

// The whole of main(): runs `run` on the arguments after the program name;
// HelpRequested prints the help and exits 0, any other exception prints
// "PROGRAM: what" on stderr and exits 2.
int run_main(const char* program, int argc, char** argv,
             const std::function<int(const std::vector<std::string>&)>& run);

}  // namespace natlab::nat
