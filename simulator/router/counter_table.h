// nat-emu's counters by name: the one table of them.
//
// Every counter of one run is a dotted name and a value, listed in the order
// of the event log's "counters" line (emu/event_log.cpp writes that line from
// this list, a dotted name as a nested object: "frames_in.inside" is
// {"frames_in":{"inside":..}}). nat-lab checks the names of its `counter:`
// expectations against counter_names(), so a counter added here is at once
// in the log and usable in a scenario.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "simulator/router/datapath.h"

namespace natlab::nat {

struct NamedCounter {
    std::string name;  // translated_out, frames_in.outside, arp.replies_sent, dropped.filtered, ...
    std::uint64_t value = 0;
};

// The NAT's and the shell's drops are added together, as one tally a code.
std::vector<NamedCounter> named_counters(const CountersSnapshot& counters);

// The names alone, in the same order.
const std::vector<std::string>& counter_names();

}  // namespace natlab::nat
