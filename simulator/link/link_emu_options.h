// link-emu's command line and its stdin commands (no sockets: tests use them).
//
//   link-emu --a IFNAME --b IFNAME [--delay D] [--jitter D] [--loss PCT]
//            [--rate RATE] [--seed N] [--ready-fd FD] [--events FILE]
//
// D: "50ms", "1.5s", "250us", "0"; PCT: 0..100, decimals allowed ("20",
// "0.5", "20%"); RATE: "<n>[k|m|g]bit" ("10mbit", "1.5gbit") or bits per
// second ("100000"); 0 means unlimited. Both directions get the same settings.
//
// Commands, one per line on stdin, applied to both directions at once:
//   set [delay=D] [jitter=D] [loss=PCT] [rate=RATE]   change only what is named
//   down                                              drop every frame (counted)
//   up                                                forward again
// A blank line is ignored; anything else is an error with a one-line message.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "simulator/link/impairment.h"

namespace natlab::nat {

struct LinkEmuOptions {
    std::string a_interface;
    std::string b_interface;
    LinkImpairment impairment;
    std::optional<std::uint64_t> seed;  // none: a random one
    std::optional<int> ready_fd;
    std::string events_path;  // empty: standard error
};

// Parses the arguments after the program name. Throws SetupError or
// HelpRequested (io/daemon.h).
LinkEmuOptions parse_link_emu_options(const std::vector<std::string>& args);

struct LinkCommand {
    enum class Kind { None, Set, Down, Up };
    Kind kind = Kind::None;   // None: a blank line
    ImpairmentChange change;  // for Set
    std::string error;        // non-empty: the line was refused, and why
};

LinkCommand parse_link_command(std::string_view line);

}  // namespace natlab::nat
