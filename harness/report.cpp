#include "report.h"

#include <cstdio>
#include <nlohmann/json.hpp>
#include <sstream>

namespace natlab::harness {
namespace {

using nlohmann::json;

std::string fixed(double value, int digits) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.*f", digits, value);
    return buf;
}

std::string process_summary(const ProcessFacts& p) {
    if (!p.started) return "not started";
    if (p.stopped_by_lab) return "stopped by the lab";
    if (p.signal) return "killed by signal " + std::to_string(*p.signal);
    return "exit " + std::to_string(p.exit_code.value_or(-1)) + " after " +
           fixed((p.ended_ms - p.started_ms) / 1000.0, 2) + " s";
}

std::string peer_summary(const PeerResult& r) {
    if (!r.connected) return "not connected" + (r.reason.empty() ? "" : " (" + r.reason + ")");
    return "connected to " + r.partner + " via " + r.path + " " + r.remote + ", rtt " + fixed(r.rtt_ms, 2) +
           " ms, " + std::to_string(r.acked) + "/" + std::to_string(r.sent) + " acked, " +
           std::to_string(r.received) + " received";
}

std::string nat_summary(const nlohmann::json& c) {
    std::string out = std::to_string(c.value("translated_out", 0)) + " out / " +
                      std::to_string(c.value("translated_in", 0)) + " in translated, " +
                      std::to_string(c.value("mappings_created", 0)) + " mappings, " +
                      std::to_string(c.value("dropped_total", 0)) + " dropped";
    std::string reasons;
    if (auto it = c.find("dropped"); it != c.end() && it->is_object())
        for (auto& [reason, n] : it->items())
            if (n.is_number() && n.get<long>() > 0) reasons += (reasons.empty() ? "" : ", ") + reason + " " + n.dump();
    return reasons.empty() ? out : out + " (" + reasons + ")";
}

void host_lines(std::ostringstream& out, const RunRecord& run) {
    for (auto& p : run.facts.processes) {
        if (!p.started && !p.is_nat && run.topology.find_node(p.node)->argv.empty()) continue;
        out << "  " << (p.is_nat ? "nat  " : "host ") << p.node << ": ";
        auto peer = run.peers.find(p.node);
        auto counters = run.nat_counters.find(p.node);
        if (run.topology.find_node(p.node)->kernel_nat) out << "linux nftables masquerade (kernel NAT, no counters)";
        else if (counters != run.nat_counters.end()) out << nat_summary(counters->second);
        else if (peer != run.peers.end()) out << peer_summary(peer->second) << " (" << process_summary(p) << ")";
        else out << process_summary(p);
        out << "\n";
    }
}

}  // namespace

std::optional<nlohmann::json> parse_nat_counters(const std::string& events) {
    std::optional<nlohmann::json> last;
    std::istringstream in(events);
    for (std::string line; std::getline(in, line);) {
        auto j = nlohmann::json::parse(line, nullptr, false);
        if (j.is_object() && j.value("event", "") == "counters") last = j;
    }
    return last;
}

bool all_held(const std::vector<Verdict>& verdicts) {
    for (auto& v : verdicts)
        if (!v.held) return false;
    return true;
}

std::string render_report(const RunRecord& run) {
    std::ostringstream out;
    auto& t = run.topology;
    out << "nat-lab: " << run.scenario.name << " (" << run.scenario.file << ")\n";
    out << "  lab: " << t.nodes.size() << " namespaces, " << t.links.size() << " links, ready in "
        << fixed(run.facts.setup_ms, 0) << " ms; ran " << fixed(run.facts.run_ms / 1000.0, 2) << " s"
        << (run.facts.timed_out ? " (timed out)" : "") << (run.facts.interrupted ? " (interrupted)" : "") << "\n";
    host_lines(out, run);
    int held = 0;
    for (auto& v : run.verdicts) {
        held += v.held;
        out << "  " << (v.held ? "PASS " : "FAIL ") << v.expectation;
        if (!v.held) out << ": " << v.detail;
        out << "\n";
    }
    out << "  " << held << " of " << run.verdicts.size() << " expectations held: "
        << (all_held(run.verdicts) ? "PASS" : "FAIL") << "; captures and logs in " << run.out_dir << "/\n";
    return out.str();
}

std::string render_result_json(const RunRecord& run) {
    json verdicts = json::array();
    for (auto& v : run.verdicts)
        verdicts.push_back({{"expectation", v.expectation}, {"held", v.held}, {"detail", v.detail}});
    json peers = json::object();
    for (auto& [name, r] : run.peers)
        peers[name] = {{"partner", r.partner}, {"connected", r.connected}, {"path", r.path},
                       {"remote", r.remote}, {"rtt_ms", r.rtt_ms}, {"time_to_connect_ms", r.time_to_connect_ms},
                       {"sent", r.sent}, {"acked", r.acked}, {"received", r.received}};
    json processes = json::array();
    for (auto& p : run.facts.processes) {
        bool kernel = run.topology.find_node(p.node)->kernel_nat;
        json j = {{"node", p.node}, {"nat", p.is_nat}, {"summary", kernel ? "kernel NAT" : process_summary(p)}};
        if (p.is_nat) j["type"] = kernel ? "linux" : "nat-emu";
        if (auto c = run.nat_counters.find(p.node); c != run.nat_counters.end()) j["counters"] = c->second;
        processes.push_back(j);
    }
    json links = json::array();
    for (auto& l : run.topology.links)
        links.push_back({{"segment", l.segment}, {"node", l.node}, {"interface", l.node_ifname},
                         {"capture", l.capture_file}});
    json j = {{"scenario", run.scenario.name}, {"file", run.scenario.file}, {"passed", all_held(run.verdicts)},
              {"timed_out", run.facts.timed_out}, {"interrupted", run.facts.interrupted},
              {"setup_ms", run.facts.setup_ms}, {"run_ms", run.facts.run_ms}, {"verdicts", verdicts},
              {"peers", peers}, {"processes", processes}, {"links", links}};
    return j.dump(2) + "\n";
}

}  // namespace natlab::harness
