// `nat-lab probe`'s options, checked before anything is sent. Pure: the
// name lookup is passed in, so tests need no resolver.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <variant>

#include "harness/probe/probe_shell.h"

namespace natlab::probe {

struct Flags {
    std::string server;
    std::string alternate;
    std::string max_time = "60s";
    int exhaust = 0;
    bool json = false;
};

inline constexpr Millis kMinMaxTime{5000};
inline constexpr Millis kMaxMaxTime{3600 * 1000};
inline constexpr int kMaxExhaust = 1000;

// HOST:PORT to an endpoint, or nullopt with `error` saying why.
using Resolver = std::function<std::optional<Endpoint>(const std::string&, std::string& error)>;

// The settings, or the one line that says what is wrong with the flags.
std::variant<Settings, std::string> check_flags(const Flags& flags, const Resolver& resolve);

}  // namespace natlab::probe
