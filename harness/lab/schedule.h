// The lab's schedule: what is due now, and when the next decision is due.
//
// Theory of operation: decide() is pure. It takes the plan (which programs
// exist, when each may start, which the run waits for, the timeline's step
// times, the timeout), the history (when the hosts' phase began, which
// programs started when and which have exited, how many steps are done,
// whether nat-lab was asked to stop) and the current time, and returns the
// actions due now, in the order to carry them out, whether the run ends, and
// the moment the next decision is due. It makes no system call and reads no
// clock; lab.cpp's waitpid/signal loop reads the clock, carries the actions
// out, records what happened in the History (History::started, exited,
// step_done, interrupt) and sleeps until the wake-up or the next signal,
// whichever comes first.
//
// Rules (docs/scenarios.md, *Hosts* and *Timeline*):
//   - every time is counted from History::begin, the moment every NAT is up;
//   - a program without `after` is due `delay` after begin; a program with
//     `after` is due `delay` after that program's latest start, and never
//     while that program has not started; a program is started once (a
//     timeline `restart` is the shell's, which records the new start);
//   - a program that waits to see something (`probe`: another program's
//     log matching a pattern, a port bound in its host) is due `delay` after
//     the shell saw it (History::observed). Until then, once its `after`
//     program (if any) has started, each decision lists it in
//     Decision::probes: the shell looks (it reads the log, or
//     /proc/net/udp|tcp in the host) and records what it saw; the wake-up
//     is then at most `probe_interval` away;
//   - programs due in one decision are started in plan order, pass after
//     pass until nothing more is due: a start decided now counts as a start
//     at `now` for the programs that come `after` it, so a chain of `after`
//     with no delay starts in one decision, whatever the file order;
//   - timeline steps are done in their order, each once its time is reached,
//     after the starts of the same decision;
//   - the run ends (Done) once every waited program has started and exited;
//     otherwise it times out once `timeout` has passed since begin. Either
//     way the actions due in that same decision are carried out first (so a
//     step or start due at the timeout still happens, as it always has);
//   - when nat-lab is asked to stop, the run ends (Interrupted) at once,
//     with nothing more carried out.
// The wake-up is the earliest of: the next pending start whose condition is
// known, the next step, the timeout, and `probe_interval` from now while
// anything is to be looked for. Waking early is harmless (decide then
// returns nothing to do and the same wake-up); a child's exit wakes the loop
// through SIGCHLD, so no wake-up is needed for it.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "src/net/clock.h"

namespace natlab::harness {

struct ScheduledProgram {
    std::string name;                  // for messages and tests
    Millis delay{0};                   // after begin, or after `after` started
    std::optional<std::size_t> after;  // index into SchedulePlan::programs
    bool waited = false;               // the run ends when every waited program has exited
    // Waits until the shell has seen its condition (after `after` started,
    // if set); `delay` counts from then. What to look for is the shell's.
    bool probe = false;
};

struct SchedulePlan {
    std::vector<ScheduledProgram> programs;
    std::vector<Millis> steps;  // the timeline's `at`s, in the order to do them
    Millis timeout{30'000};
    Millis probe_interval{20};  // how often to look for a probed condition
};

struct ProgramHistory {
    std::optional<TimePoint> started;  // its latest start
    bool running = false;              // started and not exited since
    std::optional<TimePoint> seen;     // a probed condition, when the shell first saw it
};

struct History {
    TimePoint begin{};                     // every NAT up: time zero of delays and steps
    std::vector<ProgramHistory> programs;  // as many as the plan has
    std::size_t steps_done = 0;
    bool interrupted = false;

    explicit History(const SchedulePlan& plan, TimePoint begin = {});
    void started(std::size_t program, TimePoint at);
    void exited(std::size_t program);
    void observed(std::size_t program, TimePoint at);  // its probed condition holds
    void step_done(std::size_t step);                  // steps are done in order
    void interrupt() { interrupted = true; }
};

struct Action {
    enum class Kind { Start, Step };
    Kind kind = Kind::Start;
    std::size_t index = 0;  // into SchedulePlan::programs, or ::steps

    bool operator==(const Action&) const = default;
};

enum class RunEnd { None, Done, TimedOut, Interrupted };

struct Decision {
    std::vector<Action> actions;      // carry out in this order
    RunEnd end = RunEnd::None;        // after the actions, the run is over
    std::vector<std::size_t> probes;  // programs whose condition to look for now
    std::optional<TimePoint> wake;    // decide again then at the latest; unset when the run ends
};

Decision decide(const SchedulePlan& plan, const History& history, TimePoint now);

// "start alice", "step 2", "done", "timed out": for tests and messages.
std::string describe(const SchedulePlan& plan, const Action& action);
const char* to_string(RunEnd end);

}  // namespace natlab::harness
