// Time, one vocabulary for every component.
//
// The pure cores (NAT table, rendezvous server, peer state machine, the lab's
// schedule) never read a clock: every function that needs "now" takes a
// TimePoint argument. Only the I/O shells read Clock::now(); tests pass
// TimePoint{} plus whatever time the case needs.
//
//   TimePoint  a moment on the monotonic clock
//   Duration   the difference of two TimePoints (the clock's own ticks)
//   Millis     a configured span in whole milliseconds: NAT timeouts,
//              scenario delays and deadlines, link impairments
#pragma once

#include <chrono>

namespace natlab {

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;
using Duration = Clock::duration;
using Millis = std::chrono::milliseconds;

inline double to_ms(Duration d) {
    return std::chrono::duration<double, std::milli>(d).count();
}

}  // namespace natlab
