#include "expectations.h"

#include <nlohmann/json.hpp>
#include <sstream>

namespace natlab::harness {
namespace {

using nlohmann::json;

std::string text_of(const json& j, const char* key) {
    auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

double number_of(const json& j, const char* key) {
    auto it = j.find(key);
    return it != j.end() && it->is_number() ? it->get<double>() : 0.0;
}

PeerResult to_result(const json& j) {
    PeerResult r;
    r.name = text_of(j, "name");
    r.partner = text_of(j, "partner");
    r.connected = j.value("connected", false);
    r.path = text_of(j, "path");
    r.remote = text_of(j, "remote");
    r.rtt_ms = number_of(j, "rtt_ms");
    r.time_to_connect_ms = number_of(j, "time_to_connect_ms");
    r.sent = static_cast<int>(number_of(j, "sent"));
    r.acked = static_cast<int>(number_of(j, "acked"));
    r.received = static_cast<int>(number_of(j, "received"));
    r.reason = text_of(j, "reason");
    return r;
}

std::string seconds(Duration d) {
    std::ostringstream out;
    out << d.count() / 1000.0 << "s";
    return out.str();
}

std::string describe(const Expectation& e) {
    switch (e.kind) {
    case ExpectKind::Connected:
        return e.hosts[0] + " <-> " + e.hosts[1] + " connected" + (e.via ? " via " + *e.via : "") +
               (e.within ? " within " + seconds(*e.within) : "");
    case ExpectKind::NotConnected:
        return e.hosts[0] + " <-> " + e.hosts[1] + " not connected";
    case ExpectKind::Exit:
        return e.hosts[0] + " exits with " + std::to_string(e.code);
    }
    return {};
}

// Why `a`'s side of the pair does not meet `e`; empty if it does.
std::string side_problem(const Expectation& e, const std::string& a, const std::string& b,
                         const std::map<std::string, PeerResult>& peers) {
    auto it = peers.find(a);
    if (it == peers.end()) return a + " printed no result";
    auto& r = it->second;
    if (!r.connected) return a + " did not connect" + (r.reason.empty() ? "" : " (" + r.reason + ")");
    if (r.partner != b) return a + " connected to '" + r.partner + "', not " + b;
    if (e.via && r.path != *e.via) return a + " connected via " + r.path;
    if (e.within && r.time_to_connect_ms > e.within->count())
        return a + " took " + std::to_string(static_cast<int>(r.time_to_connect_ms)) + " ms";
    return {};
}

Verdict judge_connected(const Expectation& e, const std::map<std::string, PeerResult>& peers) {
    Verdict v{describe(e), true, {}};
    for (int i = 0; i < 2; ++i) {
        auto problem = side_problem(e, e.hosts[i], e.hosts[1 - i], peers);
        if (problem.empty()) continue;
        v.held = false;
        v.detail += (v.detail.empty() ? "" : "; ") + problem;
    }
    return v;
}

Verdict judge_not_connected(const Expectation& e, const std::map<std::string, PeerResult>& peers) {
    Verdict v{describe(e), true, {}};
    for (auto& name : e.hosts) {
        auto it = peers.find(name);
        if (it == peers.end()) {
            v.held = false;
            v.detail += (v.detail.empty() ? "" : "; ") + name + " printed no result";
        } else if (it->second.connected) {
            v.held = false;
            v.detail += (v.detail.empty() ? "" : "; ") + name + " connected via " + it->second.path;
        }
    }
    return v;
}

Verdict judge_exit(const Expectation& e, const LabFacts& facts) {
    Verdict v{describe(e), false, {}};
    auto* p = facts.find(e.hosts[0]);
    if (!p || !p->started) v.detail = "it never started";
    else if (p->stopped_by_lab) v.detail = "it was still running when the lab stopped";
    else if (p->signal) v.detail = "it was killed by signal " + std::to_string(*p->signal);
    else if (p->exit_code != e.code) v.detail = "it exited with " + std::to_string(p->exit_code.value_or(-1));
    else v.held = true;
    return v;
}

}  // namespace

std::optional<PeerResult> parse_peer_result(const std::string& output) {
    std::optional<PeerResult> last;
    std::istringstream in(output);
    for (std::string line; std::getline(in, line);) {
        if (line.empty() || line[0] != '{') continue;
        auto j = json::parse(line, nullptr, false);
        if (j.is_object() && text_of(j, "event") == "result") last = to_result(j);
    }
    return last;
}

std::vector<Verdict> judge(const Scenario& scenario, const LabFacts& facts,
                           const std::map<std::string, PeerResult>& peers) {
    std::vector<Verdict> verdicts;
    for (auto& e : scenario.expectations) {
        switch (e.kind) {
        case ExpectKind::Connected: verdicts.push_back(judge_connected(e, peers)); break;
        case ExpectKind::NotConnected: verdicts.push_back(judge_not_connected(e, peers)); break;
        case ExpectKind::Exit: verdicts.push_back(judge_exit(e, facts)); break;
        }
    }
    return verdicts;
}

}  // namespace natlab::harness
