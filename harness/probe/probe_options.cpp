// Flag checks. See probe_options.h.
#include "harness/probe/probe_options.h"

#include "harness/plan/scenario.h"

namespace natlab::probe {
namespace {

std::optional<Endpoint> endpoint(const std::string& flag, const std::string& text, const Resolver& resolve,
                                 std::string& error) {
    std::string why;
    auto e = resolve(text, why);
    if (!e)
        error = flag + ": " + why;
    else if (e->port == 0 || e->addr.value == 0)
        error = flag + ": needs a specific address and a port, not " + text;
    else
        return e;
    return std::nullopt;
}

std::optional<std::string> check_alternate(const Settings& s) {
    if (!s.alternate) return std::nullopt;
    if (s.alternate->addr == s.server.addr || s.alternate->port == s.server.port)
        return "--alternate: must differ from --server in both address and port (RFC 5780), as rendezvous "
               "--alternate does";
    return std::nullopt;
}

std::optional<std::string> check_numbers(const Flags& f, Settings& s) {
    auto max_time = harness::parse_duration(f.max_time);
    if (!max_time || *max_time < kMinMaxTime || *max_time > kMaxMaxTime)
        return "--max-time: a duration from 5s to 1h (e.g. 90s, 2m), not '" + f.max_time + "'";
    s.max_time = *max_time;
    if (f.exhaust < 0 || f.exhaust > kMaxExhaust)
        return "--exhaust: from 1 to " + std::to_string(kMaxExhaust) + " sockets, not " +
               std::to_string(f.exhaust);
    s.exhaust = f.exhaust;
    return std::nullopt;
}

}  // namespace

std::variant<Settings, std::string> check_flags(const Flags& f, const Resolver& resolve) {
    Settings s;
    std::string error;
    if (f.server.empty()) return std::string("--server HOST:PORT is required");
    auto server = endpoint("--server", f.server, resolve, error);
    if (!server) return error;
    s.server = *server;
    if (!f.alternate.empty()) {
        s.alternate = endpoint("--alternate", f.alternate, resolve, error);
        if (!s.alternate) return error;
    }
    if (auto why = check_alternate(s)) return *why;
    if (auto why = check_numbers(f, s)) return *why;
    return s;
}

}  // namespace natlab::probe
