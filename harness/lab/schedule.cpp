// The lab's schedule, pure. See schedule.h for the theory of operation.
#include "harness/lab/schedule.h"

#include <algorithm>

namespace natlab::harness {

History::History(const SchedulePlan& plan, TimePoint begin_at)
    : begin(begin_at), programs(plan.programs.size()) {}

void History::started(std::size_t program, TimePoint at) {
    programs.at(program).started = at;
    programs.at(program).running = true;
}

void History::exited(std::size_t program) {
    programs.at(program).running = false;
}

void History::observed(std::size_t program, TimePoint at) {
    if (!programs.at(program).seen) programs.at(program).seen = at;
}

void History::step_done(std::size_t step) {
    steps_done = std::max(steps_done, step + 1);
}

namespace {

// When program `i` is due, given the starts known so far; unset while the
// program it comes after has not started.
std::optional<TimePoint> due_at(const SchedulePlan& plan, const History& h,
                                const std::vector<ProgramHistory>& programs, std::size_t i) {
    auto& program = plan.programs[i];
    if (program.probe) {
        auto& seen = programs.at(i).seen;
        if (!seen) return std::nullopt;
        return *seen + program.delay;
    }
    if (!program.after) return h.begin + program.delay;
    auto& first = programs.at(*program.after).started;
    if (!first) return std::nullopt;
    return *first + program.delay;
}

using Programs = decltype(History::programs);

// Starts, in plan order, until nothing more is due: what starts now counts
// as started at `now` for whatever comes after it.
void start_due(const SchedulePlan& plan, const History& history, Programs& programs, TimePoint now,
               Decision& d) {
    for (bool more = true; more;) {
        more = false;
        for (std::size_t i = 0; i < plan.programs.size(); ++i) {
            if (programs[i].started) continue;
            auto due = due_at(plan, history, programs, i);
            if (!due || *due > now) continue;
            d.actions.push_back({Action::Kind::Start, i});
            programs[i].started = now;
            programs[i].running = true;
            more = true;
        }
    }
}

// The timeline steps due by `now`; returns the first one not yet due.
std::size_t steps_due(const SchedulePlan& plan, const History& history, TimePoint now, Decision& d) {
    auto step = history.steps_done;
    for (; step < plan.steps.size() && history.begin + plan.steps[step] <= now; ++step)
        d.actions.push_back({Action::Kind::Step, step});
    return step;
}

// Whether a program the run waits for has not started or still runs.
bool still_waiting(const SchedulePlan& plan, const Programs& programs) {
    for (std::size_t i = 0; i < plan.programs.size(); ++i)
        if (plan.programs[i].waited && (!programs[i].started || programs[i].running)) return true;
    return false;
}

// The programs whose start condition the lab must look for now.
void probes_due(const SchedulePlan& plan, const Programs& programs, Decision& d) {
    for (std::size_t i = 0; i < plan.programs.size(); ++i) {
        auto& program = plan.programs[i];
        if (!program.probe || programs[i].started || programs[i].seen) continue;
        if (program.after && !programs[*program.after].started) continue;
        d.probes.push_back(i);
    }
}

// The earliest of the deadline, a program's start, the next step and the next probe.
TimePoint next_wake(const SchedulePlan& plan, const History& history, const Programs& programs,
                    std::size_t step, TimePoint now, const Decision& d) {
    auto wake = history.begin + plan.timeout;
    for (std::size_t i = 0; i < plan.programs.size(); ++i) {
        if (programs[i].started) continue;
        if (auto due = due_at(plan, history, programs, i)) wake = std::min(wake, *due);
    }
    if (step < plan.steps.size()) wake = std::min(wake, history.begin + plan.steps[step]);
    if (!d.probes.empty()) wake = std::min(wake, now + plan.probe_interval);
    return wake;
}

}  // namespace

Decision decide(const SchedulePlan& plan, const History& history, TimePoint now) {
    Decision d;
    if (history.interrupted) {
        d.end = RunEnd::Interrupted;
        return d;
    }
    auto programs = history.programs;
    start_due(plan, history, programs, now, d);
    auto step = steps_due(plan, history, now, d);
    if (!still_waiting(plan, programs)) {
        d.end = RunEnd::Done;
    } else if (now >= history.begin + plan.timeout) {
        d.end = RunEnd::TimedOut;
    } else {
        probes_due(plan, programs, d);
        d.wake = next_wake(plan, history, programs, step, now, d);
    }
    return d;
}

std::string describe(const SchedulePlan& plan, const Action& action) {
    if (action.kind == Action::Kind::Start) return "start " + plan.programs.at(action.index).name;
    return "step " + std::to_string(action.index);
}

const char* to_string(RunEnd end) {
    switch (end) {
        case RunEnd::None:
            return "running";
        case RunEnd::Done:
            return "done";
        case RunEnd::TimedOut:
            return "timed out";
        case RunEnd::Interrupted:
            return "interrupted";
    }
    return "?";
}

}  // namespace natlab::harness
