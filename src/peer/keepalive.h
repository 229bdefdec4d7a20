// Keepalive and lost-path detection for the one path a peer selected.
//
// RFC 4787 section 4.3: a NAT forgets a UDP mapping that carries no
// outbound traffic for its timeout (often tens of seconds, sometimes less),
// and with it the hole; section 5 ties the filter to the same mapping. So
// a connected peer sends a keepalive probe every `interval`, which must be
// shorter than the NAT's timeout.
//
// The same probes tell whether the path still works. After a keepalive the
// peer waits `wait` for the partner to be heard on the path; if it is not,
// it probes again, and after `misses` probes in a row go unanswered the
// path is lost. So a dead path is noticed at most interval + misses x wait
// after the partner was last heard from. Anything valid from the partner
// on the path counts as heard (probe answers, probes, Data, acks).
//
// Pure: poll(now) says what to do now; the caller sends the probes.
#pragma once

#include <chrono>
#include <optional>

#include "src/net/clock.h"

namespace natlab {

class Keepalive {
public:
    enum class Action { none, probe, lost };

    Keepalive() = default;
    Keepalive(Duration interval, Duration wait, int misses)
        : interval_(interval), wait_(wait), misses_allowed_(misses) {}

    // The path was just selected: the first keepalive goes one interval later.
    void start(TimePoint now);
    void stop() { running_ = false; }
    void heard(TimePoint now);
    Action poll(TimePoint now);

    bool running() const { return running_; }
    int misses() const { return misses_; }

private:
    Duration interval_{};
    Duration wait_{};
    int misses_allowed_ = 3;
    bool running_ = false;
    TimePoint next_{};
    std::optional<TimePoint> outstanding_;  // the last probe not yet followed by word from the partner
    int misses_ = 0;
};

}  // namespace natlab
