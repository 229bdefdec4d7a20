// Time as the pure cores see it: a monotonic time point handed in by the
// caller. Only the I/O shells read the real clock; tests pass fake times.
#pragma once

#include <chrono>

namespace natlab {

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;
using Duration = Clock::duration;

inline double to_ms(Duration d) {
    return std::chrono::duration<double, std::milli>(d).count();
}

}  // namespace natlab
