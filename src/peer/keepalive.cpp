// Keepalive timer and lost-path detection. See keepalive.h.
//
//   start      next probe at now + interval
//   poll       at `next`: if the last probe went unanswered, count a miss
//              (the misses-th miss: lost, and stop); send a probe; look
//              again `wait` later
//   heard      misses forgiven; after an answered probe the next one is due
//              one interval after it
#include "src/peer/keepalive.h"

namespace natlab {

void Keepalive::start(TimePoint now) {
    running_ = true;
    next_ = now + interval_;
    outstanding_.reset();
    misses_ = 0;
}

void Keepalive::heard(TimePoint) {
    if (!running_) return;
    misses_ = 0;
    if (outstanding_) next_ = *outstanding_ + interval_;
    outstanding_.reset();
}

Keepalive::Action Keepalive::poll(TimePoint now) {
    if (!running_ || now < next_) return Action::none;
    if (outstanding_ && ++misses_ >= misses_allowed_) {
        running_ = false;
        return Action::lost;
    }
    outstanding_ = now;
    next_ = now + wait_;
    return Action::probe;
}

}  // namespace natlab
