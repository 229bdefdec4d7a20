// Keepalive timer and lost-path detection on a fake clock.
#include <gtest/gtest.h>

#include "src/peer/keepalive.h"

namespace natlab {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using Action = Keepalive::Action;

const TimePoint t0{};

// Every 10 s a probe; a missed one is retried each second; the third miss
// in a row is a lost path.
TEST(PeerKeepalive, ProbesEveryIntervalWhileAnswered) {
    Keepalive k(seconds(10), seconds(1), 3);
    k.start(t0);
    struct Row {
        milliseconds at;
        bool answer_before;  // the partner is heard just before `at`
        Action want;
    };
    const Row rows[] = {
        {milliseconds(9'999), false, Action::none},
        {milliseconds(10'000), false, Action::probe},
        {milliseconds(10'500), true, Action::none},   // answered at 10.5 s
        {milliseconds(19'999), false, Action::none},  // next one is due 10 s after the last probe
        {milliseconds(20'000), false, Action::probe},
        {milliseconds(21'000), false, Action::probe},  // miss 1: probe again after 1 s
        {milliseconds(21'500), true, Action::none},    // answered: forgiven
        {milliseconds(31'000), false, Action::probe},  // 10 s after the answered probe
    };
    for (const auto& r : rows) {
        if (r.answer_before) k.heard(t0 + r.at);
        EXPECT_EQ(k.poll(t0 + r.at), r.want) << r.at.count() << " ms";
    }
}

TEST(PeerKeepalive, ThreeUnansweredProbesLoseThePath) {
    Keepalive k(seconds(10), seconds(1), 3);
    k.start(t0);
    struct Row {
        milliseconds at;
        Action want;
    };
    const Row rows[] = {
        {milliseconds(10'000), Action::probe}, {milliseconds(11'000), Action::probe},  // miss 1
        {milliseconds(12'000), Action::probe},                                         // miss 2
        {milliseconds(12'999), Action::none},  {milliseconds(13'000), Action::lost},   // miss 3
        {milliseconds(50'000), Action::none},                                          // stopped
    };
    for (const auto& r : rows) EXPECT_EQ(k.poll(t0 + r.at), r.want) << r.at.count() << " ms";
    EXPECT_FALSE(k.running());
}

TEST(PeerKeepalive, DataTrafficDoesNotPostponeKeepalives) {
    Keepalive k(seconds(2), milliseconds(500), 3);
    k.start(t0);
    for (int ms = 0; ms < 2000; ms += 100) {
        k.heard(t0 + milliseconds(ms));
        EXPECT_EQ(k.poll(t0 + milliseconds(ms)), Action::none);
    }
    EXPECT_EQ(k.poll(t0 + seconds(2)), Action::probe);
}

TEST(PeerKeepalive, NothingBeforeStart) {
    Keepalive k(seconds(1), seconds(1), 3);
    EXPECT_EQ(k.poll(t0 + seconds(100)), Action::none);
}

}  // namespace
}  // namespace natlab
