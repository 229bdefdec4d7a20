// The lab's schedule on a fake clock: tables of {plan, events, now,
// want_actions, want_end, want_next_wakeup}.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "harness/lab/probe.h"
#include "harness/lab/schedule.h"

using namespace natlab;
using namespace natlab::harness;

namespace {

using Kind = Action::Kind;
constexpr TimePoint T0{};

TimePoint at(long ms) {
    return T0 + Millis{ms};
}

Action start(std::size_t i) {
    return {Kind::Start, i};
}
Action step(std::size_t i) {
    return {Kind::Step, i};
}

// What happened before `now`, in order.
struct Event {
    enum What { Started, Exited, StepDone, Interrupt, Seen } what;
    std::size_t index = 0;
    long ms = 0;
};

Event started(std::size_t i, long ms) {
    return {Event::Started, i, ms};
}
Event exited(std::size_t i, long ms) {
    return {Event::Exited, i, ms};
}
Event step_done(std::size_t i) {
    return {Event::StepDone, i, 0};
}
Event seen(std::size_t i, long ms) {
    return {Event::Seen, i, ms};
}
Event interrupt() {
    return {Event::Interrupt, 0, 0};
}

History replay(const SchedulePlan& plan, const std::vector<Event>& events) {
    History h(plan, T0);
    for (auto& e : events) {
        switch (e.what) {
            case Event::Started:
                h.started(e.index, at(e.ms));
                break;
            case Event::Exited:
                h.exited(e.index);
                break;
            case Event::StepDone:
                h.step_done(e.index);
                break;
            case Event::Interrupt:
                h.interrupt();
                break;
            case Event::Seen:
                h.observed(e.index, at(e.ms));
                break;
        }
    }
    return h;
}

ScheduledProgram prog(const char* name, long delay_ms, bool waited = true) {
    return {name, Millis{delay_ms}, std::nullopt, waited};
}
ScheduledProgram after(const char* name, std::size_t first, long delay_ms, bool waited = true) {
    return {name, Millis{delay_ms}, first, waited};
}

SchedulePlan plan(std::vector<ScheduledProgram> programs, std::vector<long> steps = {},
                  long timeout_ms = 30'000) {
    SchedulePlan p;
    p.programs = std::move(programs);
    for (auto ms : steps) p.steps.push_back(Millis{ms});
    p.timeout = Millis{timeout_ms};
    return p;
}

// A program that starts once the shell has seen something: another
// program's log matching (after `first`), or a port bound (no `first`).
ScheduledProgram on_output(const char* name, std::size_t first, long delay_ms, bool waited = true) {
    return {name, Millis{delay_ms}, first, waited, true};
}
ScheduledProgram on_port(const char* name, long delay_ms, bool waited = true) {
    return {name, Millis{delay_ms}, std::nullopt, waited, true};
}

struct Case {
    const char* name;
    SchedulePlan plan;
    std::vector<Event> events;
    long now_ms;
    std::vector<Action> want_actions;
    RunEnd want_end;
    std::optional<long> want_wake_ms;  // unset: no wake-up (the run ends)
    std::vector<std::size_t> want_probes = {};
};

std::string show(const SchedulePlan& p, const std::vector<Action>& actions) {
    std::string out;
    for (auto& a : actions) out += (out.empty() ? "" : ", ") + describe(p, a);
    return "[" + out + "]";
}

void check(const Case& c) {
    SCOPED_TRACE(c.name);
    auto d = decide(c.plan, replay(c.plan, c.events), at(c.now_ms));
    EXPECT_EQ(show(c.plan, d.actions), show(c.plan, c.want_actions));
    EXPECT_STREQ(to_string(d.end), to_string(c.want_end));
    if (c.want_wake_ms) {
        ASSERT_TRUE(d.wake.has_value());
        EXPECT_EQ(std::chrono::duration_cast<Millis>(*d.wake - T0).count(), *c.want_wake_ms);
    } else {
        EXPECT_FALSE(d.wake.has_value());
    }
    EXPECT_EQ(d.probes, c.want_probes);
}

TEST(Schedule, Delays) {
    const Case cases[] = {
        {"no delay: due at once", plan({prog("a", 0)}), {}, 0, {start(0)}, RunEnd::None, 30'000},
        {"a delay not yet reached: wake at it", plan({prog("a", 200)}), {}, 0, {}, RunEnd::None, 200},
        {"woken a little early: nothing, same wake-up",
         plan({prog("a", 200)}),
         {},
         199,
         {},
         RunEnd::None,
         200},
        {"the delay reached", plan({prog("a", 200)}), {}, 200, {start(0)}, RunEnd::None, 30'000},
        {"late is due too", plan({prog("a", 200)}), {}, 250, {start(0)}, RunEnd::None, 30'000},
        {"several due: plan order",
         plan({prog("a", 100), prog("b", 0), prog("c", 50)}),
         {},
         100,
         {start(0), start(1), start(2)},
         RunEnd::None,
         30'000},
        {"the earliest pending one wakes",
         plan({prog("a", 0), prog("b", 500), prog("c", 300)}),
         {started(0, 0)},
         10,
         {},
         RunEnd::None,
         300},
        {"started once only",
         plan({prog("a", 0), prog("b", 500)}),
         {started(0, 0), exited(0, 5)},
         10,
         {},
         RunEnd::None,
         500},
    };
    for (auto& c : cases) check(c);
}

TEST(Schedule, After) {
    const Case cases[] = {
        {"after a program not started: no deadline of its own",
         plan({prog("server", 100), after("alice", 0, 200)}),
         {},
         50,
         {},
         RunEnd::None,
         100},
        {"a chain with no delay starts in one decision",
         plan({prog("server", 0), after("alice", 0, 0), after("bob", 1, 0)}),
         {},
         0,
         {start(0), start(1), start(2)},
         RunEnd::None,
         30'000},
        {"a start decided now counts for a program earlier in the plan",
         plan({after("alice", 1, 0), prog("server", 0)}),
         {},
         0,
         {start(1), start(0)},
         RunEnd::None,
         30'000},
        {"a start decided now sets the wake-up of what comes after it",
         plan({prog("server", 0), after("alice", 0, 200)}),
         {},
         0,
         {start(0)},
         RunEnd::None,
         200},
        {"counted from the real start, not the planned one",
         plan({prog("server", 0), after("alice", 0, 200)}),
         {started(0, 7)},
         10,
         {},
         RunEnd::None,
         207},
        {"due at the real start plus its delay",
         plan({prog("server", 0), after("alice", 0, 200)}),
         {started(0, 7)},
         207,
         {start(1)},
         RunEnd::None,
         30'000},
        {"after a restarted program: counted from its latest start",
         plan({prog("server", 0), after("alice", 0, 1000)}),
         {started(0, 0), exited(0, 500), started(0, 600)},
         1000,
         {},
         RunEnd::None,
         1600},
        {"a program started by a restart before its time is not started again",
         plan({prog("bob", 2000)}, {1000}),
         {step_done(0), started(0, 1000)},
         2000,
         {},
         RunEnd::None,
         30'000},
    };
    for (auto& c : cases) check(c);
}

TEST(Schedule, Timeline) {
    const Case cases[] = {
        {"a step waits for its time",
         plan({prog("a", 0)}, {1000}),
         {started(0, 0)},
         10,
         {},
         RunEnd::None,
         1000},
        {"a step at its time",
         plan({prog("a", 0)}, {1000}),
         {started(0, 0)},
         1000,
         {step(0)},
         RunEnd::None,
         30'000},
        {"steps in order, after the starts of the same decision",
         plan({prog("a", 0), prog("b", 1500)}, {0, 1500, 1500, 3000}),
         {started(0, 0), step_done(0)},
         1600,
         {start(1), step(1), step(2)},
         RunEnd::None,
         3000},
        {"a step already done is not done again",
         plan({prog("a", 0)}, {1000, 2000}),
         {started(0, 0), step_done(0)},
         1500,
         {},
         RunEnd::None,
         2000},
        {"at time zero: starts, then the step",
         plan({prog("a", 0)}, {0}),
         {},
         0,
         {start(0), step(0)},
         RunEnd::None,
         30'000},
        {"no waited program: the due steps, then done",
         plan({}, {0, 500}),
         {},
         0,
         {step(0)},
         RunEnd::Done,
         std::nullopt},
    };
    for (auto& c : cases) check(c);
}

TEST(Schedule, End) {
    const Case cases[] = {
        {"every waited program exited: done",
         plan({prog("a", 0), prog("b", 0)}),
         {started(0, 0), started(1, 0), exited(0, 100), exited(1, 200)},
         200,
         {},
         RunEnd::Done,
         std::nullopt},
        {"one still running: wait for the timeout",
         plan({prog("a", 0), prog("b", 0)}),
         {started(0, 0), started(1, 0), exited(0, 100)},
         200,
         {},
         RunEnd::None,
         30'000},
        {"a program not waited for (a daemon) does not hold the run",
         plan({prog("server", 0, false), prog("alice", 0)}),
         {started(0, 0), started(1, 0), exited(1, 300)},
         300,
         {},
         RunEnd::Done,
         std::nullopt},
        {"a waited program that has not started yet holds the run",
         plan({prog("a", 0), prog("b", 5000)}),
         {started(0, 0), exited(0, 100)},
         100,
         {},
         RunEnd::None,
         5000},
        {"a waited program restarted runs again",
         plan({prog("bob", 0)}, {1500}),
         {started(0, 0), step_done(0), exited(0, 1500), started(0, 1510)},
         1600,
         {},
         RunEnd::None,
         30'000},
        {"the timeout",
         plan({prog("a", 0)}, {}, 2000),
         {started(0, 0)},
         2000,
         {},
         RunEnd::TimedOut,
         std::nullopt},
        {"past the timeout",
         plan({prog("a", 0)}, {}, 2000),
         {started(0, 0)},
         2500,
         {},
         RunEnd::TimedOut,
         std::nullopt},
        {"what is due at the timeout is still carried out",
         plan({prog("a", 0), prog("late", 2000)}, {}, 2000),
         {started(0, 0)},
         2000,
         {start(1)},
         RunEnd::TimedOut,
         std::nullopt},
        {"done wins over the timeout",
         plan({prog("a", 0)}, {}, 2000),
         {started(0, 0), exited(0, 1999)},
         2000,
         {},
         RunEnd::Done,
         std::nullopt},
        {"interrupted: nothing more is carried out",
         plan({prog("a", 0), prog("b", 100)}, {100}),
         {started(0, 0), interrupt()},
         100,
         {},
         RunEnd::Interrupted,
         std::nullopt},
        {"the wake-up never passes the timeout",
         plan({prog("a", 0), prog("b", 9000)}, {}, 3000),
         {started(0, 0)},
         10,
         {},
         RunEnd::None,
         3000},
    };
    for (auto& c : cases) check(c);
}

TEST(Schedule, ProbedConditions) {
    const Case cases[] = {
        {"a port: looked for from the start, every probe interval",
         plan({on_port("client", 0)}),
         {},
         0,
         {},
         RunEnd::None,
         20,
         {0}},
        {"a program's output: not looked for before that program started",
         plan({prog("web", 500, false), on_output("fetch", 0, 0)}),
         {},
         0,
         {},
         RunEnd::None,
         500},
        {"a program's output: looked for once it started, in the same decision",
         plan({prog("web", 0, false), on_output("fetch", 0, 0)}),
         {},
         0,
         {start(0)},
         RunEnd::None,
         20,
         {1}},
        {"seen: due at once without delay",
         plan({prog("web", 0, false), on_output("fetch", 0, 0)}),
         {started(0, 0), seen(1, 140)},
         140,
         {start(1)},
         RunEnd::None,
         30'000},
        {"seen: due its delay after it was seen, no more probing",
         plan({on_port("client", 300)}),
         {seen(0, 100)},
         150,
         {},
         RunEnd::None,
         400},
        {"a chain behind a probed program waits for it",
         plan({on_port("client", 0), after("after-client", 0, 50)}),
         {},
         0,
         {},
         RunEnd::None,
         20,
         {0}},
        {"never seen: the timeout ends the run",
         plan({on_port("client", 0)}, {}, 1000),
         {},
         1000,
         {},
         RunEnd::TimedOut,
         std::nullopt},
        {"the probe interval never passes the next step",
         plan({on_port("client", 0)}, {10}),
         {},
         0,
         {},
         RunEnd::None,
         10,
         {0}},
        {"a daemon probed for does not hold the run",
         plan({on_port("daemon", 0, false), prog("a", 0)}),
         {started(1, 0), exited(1, 50)},
         60,
         {},
         RunEnd::Done,
         std::nullopt},
    };
    for (auto& c : cases) check(c);
}

TEST(Probe, PortBoundInProcNet) {
    const std::string udp =
        "   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode "
        "ref "
        "pointer drops\n"
        "  123: 00000000:0D96 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 1 2 "
        "0000000000000000 0\n";
    EXPECT_TRUE(port_bound(udp, 3478, false));
    EXPECT_FALSE(port_bound(udp, 3479, false));
    EXPECT_FALSE(port_bound(udp.substr(0, udp.find('\n') + 1), 3478, false));  // the header only
    const std::string tcp =
        "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
        "   0: 0100007F:1F40 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 7\n"
        "   1: 0200000A:9C40 0300000A:0050 01 00000000:00000000 00:00000000 00000000     0        0 8\n";
    EXPECT_TRUE(port_bound(tcp, 8000, true));    // 0x1F40, listening
    EXPECT_FALSE(port_bound(tcp, 40000, true));  // 0x9C40: a client's established socket
    EXPECT_FALSE(port_bound("", 8000, true));
}

TEST(Probe, LogMatchesAtEveryLine) {
    EXPECT_TRUE(log_matches("starting\nServing HTTP on 0.0.0.0 port 8000\n", "^Serving HTTP"));
    EXPECT_FALSE(log_matches("starting\n", "^Serving"));
    EXPECT_TRUE(log_matches("a\nready\n", "^ready$"));
}

// The shell's loop on a fake clock: decide, carry out, feed back, sleep
// until the wake-up; a program "exits" after a fixed run time.
TEST(Schedule, LoopOnAFakeClock) {
    auto p = plan({prog("server", 0, false), after("alice", 0, 200), prog("bob", 300)}, {1000}, 5000);
    std::vector<long> run_ms = {100'000, 1500, 400};
    History h(p, T0);
    std::vector<std::optional<long>> ends(3);
    std::vector<std::string> log;
    long now = 0;
    for (int guard = 0; guard < 100; ++guard) {
        for (std::size_t i = 0; i < 3; ++i)
            if (ends[i] && *ends[i] <= now && h.programs[i].running) h.exited(i);
        auto d = decide(p, h, at(now));
        for (auto& a : d.actions) {
            log.push_back(std::to_string(now) + " " + describe(p, a));
            if (a.kind == Kind::Start) {
                h.started(a.index, at(now));
                ends[a.index] = now + run_ms[a.index];
            } else {
                h.step_done(a.index);
            }
        }
        if (d.end != RunEnd::None) {
            log.push_back(std::to_string(now) + " " + to_string(d.end));
            break;
        }
        // The next event: the wake-up, or an exit before it (SIGCHLD).
        long next = std::chrono::duration_cast<Millis>(*d.wake - T0).count();
        for (std::size_t i = 0; i < 3; ++i)
            if (ends[i] && h.programs[i].running && *ends[i] < next) next = *ends[i];
        now = std::max(now, next);
    }
    std::vector<std::string> want = {"0 start server", "200 start alice", "300 start bob", "1000 step 0",
                                     "1700 done"};
    EXPECT_EQ(log, want);
}

}  // namespace
