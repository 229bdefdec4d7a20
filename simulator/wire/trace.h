// Packet tracing on demand: NATLAB_TRACE=1 in the environment.
//
// The switch is read once, at start. When it is off, a trace point is one
// predictable branch: the line is built by a lambda that is never called, so
// no string is formatted. When it is on, each line goes to stderr prefixed
// with the emulator's name, e.g.
//   nat-emu[nat1] inside rx 10.0.1.2:4000 -> 198.18.0.2:3478 ttl 64
//   nat-emu[nat1] nat outbound 10.0.1.2:4000 -> 198.18.0.2:3478 => 198.18.1.1:4000 -> 198.18.0.2:3478
//   nat-emu[nat1] outside tx to 198.18.0.2 at 5e:12:...
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace natlab::nat {

class Trace {
public:
    Trace(std::string name, bool enabled) : prefix_("nat-emu[" + std::move(name) + "] "), enabled_(enabled) {}

    static bool requested_by_environment() {
        const char* value = std::getenv("NATLAB_TRACE");
        return value && std::string_view{value} == "1";
    }

    bool on() const { return enabled_; }

    template <class MakeLine>
    void operator()(MakeLine&& make_line) const {
        if (enabled_) [[unlikely]]
            emit(make_line());
    }

private:
    void emit(const std::string& line) const {
        std::fprintf(stderr, "%s%s\n", prefix_.c_str(), line.c_str());
    }

    std::string prefix_;
    bool enabled_;
};

}  // namespace natlab::nat
