// Time in the simulator core.
//
// The core never reads a clock: every function that needs "now" takes a
// TimePoint argument. The I/O shell passes steady_clock::now(); tests pass
// TimePoint{} + whatever seconds the scenario needs.
#pragma once

#include <chrono>

namespace natlab::nat {

using TimePoint = std::chrono::steady_clock::time_point;

}  // namespace natlab::nat
