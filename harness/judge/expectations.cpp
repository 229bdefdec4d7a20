#include "harness/judge/expectations.h"

#include <algorithm>
#include <fstream>
#include <regex>
#include <sstream>

#include "harness/plan/reach_keys.h"

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
    r.family = text_of(j, "family");
    if (r.family.empty() && !r.remote.empty()) r.family = r.remote.front() == '[' ? "ipv6" : "ipv4";
    r.rtt_ms = number_of(j, "rtt_ms");
    r.time_to_connect_ms = number_of(j, "time_to_connect_ms");
    r.sent = static_cast<int>(number_of(j, "sent"));
    r.acked = static_cast<int>(number_of(j, "acked"));
    r.received = static_cast<int>(number_of(j, "received"));
    r.reason = text_of(j, "reason");
    r.repunched = static_cast<int>(number_of(j, "repunched"));
    if (auto it = j.find("repunch_ms"); it != j.end() && it->is_array())
        for (auto& ms : *it)
            if (ms.is_number()) r.repunch_ms.push_back(ms.get<double>());
    return r;
}

std::string seconds(Millis d) {
    std::ostringstream out;
    out << d.count() / 1000.0 << "s";
    return out.str();
}

const char* sign(Comparison comparison) {
    switch (comparison) {
        case Comparison::Above:
            return " > ";
        case Comparison::Below:
            return " < ";
        case Comparison::Equals:
            return " = ";
    }
    return " ? ";
}

// ", punched again within 5s", ", never punched again".
std::string repunch_words(const Expectation& e) {
    if (!e.repunched) return {};
    if (!*e.repunched) return ", never punched again";
    return ", punched again" + (e.repunch_within ? " within " + seconds(*e.repunch_within) : "");
}

std::string describe(const Expectation& e) {
    switch (e.kind) {
        case ExpectKind::Connected:
            return e.hosts[0] + " <-> " + e.hosts[1] + " connected" + (e.via ? " via " + *e.via : "") +
                   (e.family ? " over " + *e.family : "") +
                   (e.within ? " within " + seconds(*e.within) : "") + (e.lossless ? ", lossless" : "") +
                   repunch_words(e);
        case ExpectKind::NotConnected:
            return e.hosts[0] + " <-> " + e.hosts[1] + " not connected";
        case ExpectKind::Exit:
            return e.hosts[0] + " exits with " + std::to_string(e.code);
        case ExpectKind::Output:
            return e.hosts[0] + " output " + (e.negate ? "does not match /" : "matches /") + e.pattern + "/";
        case ExpectKind::Counter:
            return e.hosts[0] + " " + e.counter + sign(e.comparison) + std::to_string(e.value);
        case ExpectKind::Direct:
        case ExpectKind::Relayed:
        case ExpectKind::Traffic:
            return describe_wire(e);
        case ExpectKind::Reachable:
            return describe_reach(e);
    }
    return {};
}

// Whether a peer's partner (the name it registered under) is `b`: a host,
// or a program of a host ("alice.peer"), whose peer may register under the
// program's full name or its host's.
bool is_partner(const std::string& partner, const std::string& b) {
    return partner == b || partner == b.substr(0, b.find('.'));
}

// Why `a`'s re-punching does not meet `e` (repunched, repunch_within); empty if it does.
std::string repunch_problem(const Expectation& e, const std::string& a, const PeerResult& r) {
    if (!e.repunched) return {};
    if (!*e.repunched)
        return r.repunched == 0 ? "" : a + " punched again " + std::to_string(r.repunched) + " times";
    if (r.repunched == 0 || r.repunch_ms.empty()) return a + " never punched again";
    double worst = *std::max_element(r.repunch_ms.begin(), r.repunch_ms.end());
    if (e.repunch_within && worst > static_cast<double>(e.repunch_within->count()))
        return a + " took " + std::to_string(static_cast<int>(worst)) + " ms to punch again";
    return {};
}

// Why `a`'s side of the pair does not meet `e`; empty if it does.
std::string side_problem(const Expectation& e, const std::string& a, const std::string& b,
                         const std::map<std::string, PeerResult>& peers) {
    auto it = peers.find(a);
    if (it == peers.end()) return a + " printed no result";
    auto& r = it->second;
    // A relayed exchange is no punched path (`connected` stays false), but
    // an expectation that names the relay as its path accepts it.
    bool relayed = !r.connected && r.path == "relay";
    bool relay_expected = e.via && *e.via == "relay";
    if (!r.connected && !(relayed && relay_expected))
        return a + " did not connect" + (r.reason.empty() ? "" : " (" + r.reason + ")");
    if (!is_partner(r.partner, b)) return a + " connected to '" + r.partner + "', not " + b;
    if (e.via && r.path != *e.via) return a + " connected via " + r.path;
    if (e.family && r.family != *e.family) return a + " connected over " + r.family;
    if (e.within && r.time_to_connect_ms > e.within->count())
        return a + " took " + std::to_string(static_cast<int>(r.time_to_connect_ms)) + " ms";
    if (e.lossless && (r.sent == 0 || r.acked != r.sent))
        return a + " had " + std::to_string(r.acked) + " of " + std::to_string(r.sent) +
               " messages acknowledged";
    return repunch_problem(e, a, r);
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
    if (!p || !p->started)
        v.detail = "it never started";
    else if (p->stopped_by_lab)
        v.detail = "it was still running when the lab stopped";
    else if (p->signal)
        v.detail = "it was " + killed_by_signal(*p->signal);
    else if (p->exit_code != e.code)
        v.detail = "it exited with " + std::to_string(p->exit_code.value_or(-1));
    else
        v.held = true;
    return v;
}

// The host's log, searched anywhere (regex_search), ECMAScript syntax with
// ^ and $ matching at every line.
Verdict judge_output(const Expectation& e, const Evidence& evidence) {
    Verdict v{describe(e), false, {}};
    auto it = evidence.outputs.find(e.hosts[0]);
    if (it == evidence.outputs.end()) {
        v.detail = "no output from " + e.hosts[0];
        return v;
    }
    bool found =
        std::regex_search(it->second, std::regex(e.pattern, std::regex::ECMAScript | std::regex::multiline));
    v.held = found != e.negate;
    if (!v.held) v.detail = found ? "the output matches" : "no line of the output matches";
    return v;
}

Verdict judge_counter(const Expectation& e, const Evidence& evidence) {
    Verdict v{describe(e), false, {}};
    auto it = evidence.counters.find(e.hosts[0]);
    auto value = it == evidence.counters.end() ? std::nullopt : counter_value(it->second, e.counter);
    if (!value) {
        v.detail = e.hosts[0] + " wrote no counter " + e.counter;
        return v;
    }
    switch (e.comparison) {
        case Comparison::Above:
            v.held = *value > e.value;
            break;
        case Comparison::Below:
            v.held = *value < e.value;
            break;
        case Comparison::Equals:
            v.held = *value == e.value;
            break;
    }
    if (!v.held) v.detail = "it was " + std::to_string(*value);
    return v;
}

std::string at_seconds(double ms) {
    std::ostringstream out;
    out.precision(2);
    out << std::fixed << ms / 1000.0 << " s";
    return out.str();
}

// What the lab's probe saw, held or not: "first answer at t=1.25 s, 12
// answers to 12 attempts", or "no answer to 20 attempts (last: port unreachable)".
std::string reach_seen(const ReachFacts& r) {
    auto tries = std::to_string(r.attempts) + (r.attempts == 1 ? " attempt" : " attempts");
    if (!r.answered_ms) return "no answer to " + tries + " (last: " + r.last_failure + ")";
    return "first answer at t=" + at_seconds(*r.answered_ms) + ", " + std::to_string(r.answers) +
           (r.answers == 1 ? " answer" : " answers") + " to " + tries;
}

Verdict judge_reach(const Expectation& e, std::size_t index, const LabFacts& facts) {
    Verdict v{describe(e), false, {}};
    auto it =
        std::find_if(facts.reach.begin(), facts.reach.end(), [&](auto& r) { return r.expectation == index; });
    if (it == facts.reach.end() || it->attempts == 0) {
        v.detail = "the lab never probed (the run ended before " + seconds(e.at) + ")";
        return v;
    }
    v.seen = reach_seen(*it);
    bool answered = it->answered_ms && *it->answered_ms <= static_cast<double>((e.at + *e.within).count());
    v.held = answered != e.negate;
    if (!v.held) v.detail = v.seen;
    return v;
}

std::string read_text(const std::string& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

// Ended, and not by the lab's stop.
bool died_during_run(const ProcessFacts& p) {
    return p.started && !p.stopped_by_lab && (p.exit_code || p.signal);
}

std::string how_it_ended(const ProcessFacts& p) {
    std::string when =
        p.ended_ms > p.started_ms
            ? " " + std::to_string(static_cast<int>(p.ended_ms - p.started_ms)) + " ms after it started"
            : "";
    if (p.signal) return "was " + killed_by_signal(*p.signal) + when;
    return "exited with code " + std::to_string(*p.exit_code) + when;
}

}  // namespace

std::optional<nlohmann::json> last_counters(const std::string& events) {
    std::optional<json> last;
    std::istringstream in(events);
    for (std::string line; std::getline(in, line);) {
        if (line.find("\"counters\"") == std::string::npos) continue;
        auto j = json::parse(line, nullptr, false);
        if (j.is_object() && text_of(j, "event") == "counters") last = j;
    }
    return last;
}

std::optional<std::int64_t> counter_value(const nlohmann::json& counters, const std::string& path) {
    const json* at = &counters;
    std::istringstream parts(path);
    for (std::string key; std::getline(parts, key, '.');) {
        if (!at->is_object() || !at->contains(key)) return std::nullopt;
        at = &(*at)[key];
    }
    if (!at->is_number()) return std::nullopt;
    return at->get<std::int64_t>();
}

namespace {

// The programs of a host that runs several: each its own log, and its own
// peer result if it is a peer (expectations name it "alice.ping").
void collect_program_evidence(const NodePlan& node, const std::string& out_dir, Evidence& evidence) {
    for (auto& program : node.programs) {
        auto log = read_text(out_dir + "/" + program.log_file);
        if (auto r = parse_peer_result(log)) evidence.peers[program.name] = *r;
        evidence.outputs[program.name] = std::move(log);
    }
}

}  // namespace

Evidence collect_evidence(const Topology& topology, const std::string& out_dir) {
    Evidence evidence;
    for (auto& node : topology.nodes) {
        if (node.is_nat && !node.kernel_nat) {
            if (auto c = last_counters(read_text(out_dir + "/" + node.name + ".events.jsonl")))
                evidence.counters[node.name] = *c;
        } else if (!node.is_nat && !node.argv.empty()) {
            auto log = read_text(out_dir + "/" + node.name + ".log");
            if (auto r = parse_peer_result(log)) evidence.peers[node.name] = *r;
            evidence.outputs[node.name] = std::move(log);
        }
        collect_program_evidence(node, out_dir, evidence);
    }
    return evidence;
}

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

std::vector<Verdict> judge(const Scenario& scenario, const LabFacts& facts, const Evidence& evidence) {
    std::vector<Verdict> verdicts;
    for (std::size_t i = 0; i < scenario.expectations.size(); ++i) {
        auto& e = scenario.expectations[i];
        switch (e.kind) {
            case ExpectKind::Connected:
                verdicts.push_back(judge_connected(e, evidence.peers));
                break;
            case ExpectKind::NotConnected:
                verdicts.push_back(judge_not_connected(e, evidence.peers));
                break;
            case ExpectKind::Exit:
                verdicts.push_back(judge_exit(e, facts));
                break;
            case ExpectKind::Output:
                verdicts.push_back(judge_output(e, evidence));
                break;
            case ExpectKind::Counter:
                verdicts.push_back(judge_counter(e, evidence));
                break;
            case ExpectKind::Direct:
            case ExpectKind::Relayed:
            case ExpectKind::Traffic: {
                auto j = judge_wire(e, evidence.wire, facts.hosts_start_unix_s);
                verdicts.push_back({describe(e), j.held, j.detail, j.seen});
                break;
            }
            case ExpectKind::Reachable:
                verdicts.push_back(judge_reach(e, i, facts));
                break;
        }
    }
    // A timeline step that could not be done leaves the scenario untested.
    for (auto& step : facts.timeline)
        if (!step.error.empty())
            verdicts.push_back({"timeline step " + step.what + " was done", false, step.error});
    for (auto& v : judge_components(facts)) verdicts.push_back(std::move(v));
    return verdicts;
}

std::vector<Verdict> judge_components(const LabFacts& facts) {
    std::vector<Verdict> verdicts;
    for (auto& p : facts.processes)
        if (p.is_nat && died_during_run(p))
            verdicts.push_back({"NAT " + p.node + " kept running", false, "nat-emu " + how_it_ended(p)});
    for (auto& p : facts.processes)
        if (p.is_dns && died_during_run(p))
            verdicts.push_back({"the lab's DNS server kept running", false, "unbound " + how_it_ended(p)});
    for (auto& stage : facts.stages)
        if (died_during_run(stage))
            verdicts.push_back(
                {"link stage of " + stage.node + " kept running", false, "link-emu " + how_it_ended(stage)});
    return verdicts;
}

}  // namespace natlab::harness
