#include "harness/report/report.h"

#include <cstdio>
#include <nlohmann/json.hpp>
#include <sstream>

#include "harness/report/html.h"

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
    if (p.signal) return killed_by_signal(*p.signal);
    if (p.restarts > 0)
        return "exit " + std::to_string(p.exit_code.value_or(-1)) + " after " + std::to_string(p.restarts) +
               " restart" + (p.restarts > 1 ? "s" : "");
    return "exit " + std::to_string(p.exit_code.value_or(-1)) + " after " +
           fixed((p.ended_ms - p.started_ms) / 1000.0, 2) + " s";
}

// "at 3.00 s: link alice down", with the lab's error when it could not be done.
std::string step_summary(const StepFacts& step) {
    return "at " + fixed(step.at_ms / 1000.0, 2) + " s: " + step.what +
           (step.error.empty() ? "" : " (FAILED: " + step.error + ")");
}

// ", punched again 1x (repunch 812 ms)", or nothing when the path never broke.
std::string repunch_summary(const PeerResult& r) {
    if (r.repunched == 0) return {};
    std::string times;
    for (double ms : r.repunch_ms) times += (times.empty() ? "" : ", ") + fixed(ms, 0) + " ms";
    return ", punched again " + std::to_string(r.repunched) + "x (repunch " + times + ")";
}

std::string peer_summary(const PeerResult& r) {
    if (!r.connected) return "not connected" + (r.reason.empty() ? "" : " (" + r.reason + ")");
    return "connected to " + r.partner + " via " + r.path + " " + r.remote + ", rtt " + fixed(r.rtt_ms, 2) +
           " ms, " + std::to_string(r.acked) + "/" + std::to_string(r.sent) + " acked, " +
           std::to_string(r.received) + " received" + repunch_summary(r);
}

std::string nat_summary(const nlohmann::json& c) {
    std::string out = std::to_string(c.value("translated_out", 0)) + " out / " +
                      std::to_string(c.value("translated_in", 0)) + " in translated, " +
                      std::to_string(c.value("mappings_created", 0)) + " mappings, " +
                      std::to_string(c.value("dropped_total", 0)) + " dropped";
    auto v6 = c.find("ipv6_forwarded");
    if (v6 != c.end() && v6->is_object() && v6->value("outbound", 0) + v6->value("inbound", 0) > 0)
        out += "; IPv6 " + std::to_string(v6->value("outbound", 0)) + " out / " +
               std::to_string(v6->value("inbound", 0)) + " in forwarded, " +
               std::to_string(c.value("ipv6_states_created", 0)) + " firewall states";
    std::string reasons;
    if (auto it = c.find("dropped"); it != c.end() && it->is_object())
        for (auto& [reason, n] : it->items())
            if (n.is_number() && n.get<long>() > 0)
                reasons += (reasons.empty() ? "" : ", ") + reason + " " + n.dump();
    return reasons.empty() ? out : out + " (" + reasons + ")";
}

void host_lines(std::ostringstream& out, const RunRecord& run) {
    for (auto& p : run.facts.processes) {
        auto* node = run.topology.find_node(p.node);  // null for a program of a host (alice.ping)
        if (!p.started && !p.is_nat && node && node->argv.empty()) continue;
        out << "  " << (p.is_nat ? "nat  " : "host ") << p.node << ": ";
        auto peer = run.peers.find(p.node);
        auto counters = run.nat_counters.find(p.node);
        if (node && node->kernel_nat)
            out << "linux nftables masquerade (kernel NAT, no counters)";
        else if (counters != run.nat_counters.end())
            out << nat_summary(counters->second);
        else if (peer != run.peers.end())
            out << peer_summary(peer->second) << " (" << process_summary(p) << ")";
        else
            out << process_summary(p);
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
    out << "nat-lab: " << (run.label.empty() ? run.scenario.name : run.label) << " (" << run.scenario.file
        << ")\n";
    out << "  lab: " << t.nodes.size() << " namespaces, " << t.links.size() << " links, ready in "
        << fixed(run.facts.setup_ms, 0) << " ms; ran " << fixed(run.facts.run_ms / 1000.0, 2) << " s"
        << (run.facts.timed_out ? " (timed out)" : "") << (run.facts.interrupted ? " (interrupted)" : "")
        << "\n";
    host_lines(out, run);
    for (auto& step : run.facts.timeline) out << "  " << step_summary(step) << "\n";
    int held = 0;
    for (auto& v : run.verdicts) {
        held += v.held;
        out << "  " << (v.held ? "PASS " : "FAIL ") << v.expectation;
        if (!v.held) out << ": " << v.detail;
        if (!v.seen.empty()) out << (v.held ? ": " : "\n       seen: ") << v.seen;
        out << "\n";
    }
    out << "  " << held << " of " << run.verdicts.size()
        << " expectations held: " << (all_held(run.verdicts) ? "PASS" : "FAIL")
        << (run.topology.capture ? "; captures and logs in " : "; logs (no captures: capture: false) in ")
        << run.out_dir << "/\n";
    return out.str();
}

namespace {

// result.json, a part at a time.
json verdicts_json(const std::vector<Verdict>& verdicts) {
    json out = json::array();
    for (auto& v : verdicts) {
        json j = {{"expectation", v.expectation}, {"held", v.held}, {"detail", v.detail}};
        if (!v.seen.empty()) j["seen"] = v.seen;  // what the captures showed
        out.push_back(j);
    }
    return out;
}

json peers_json(const std::map<std::string, PeerResult>& peers) {
    json out = json::object();
    for (auto& [name, r] : peers)
        out[name] = {{"partner", r.partner},
                     {"connected", r.connected},
                     {"path", r.path},
                     {"remote", r.remote},
                     {"rtt_ms", r.rtt_ms},
                     {"time_to_connect_ms", r.time_to_connect_ms},
                     {"sent", r.sent},
                     {"acked", r.acked},
                     {"received", r.received},
                     {"repunched", r.repunched},
                     {"repunch_ms", r.repunch_ms}};
    return out;
}

json processes_json(const RunRecord& run) {
    json out = json::array();
    for (auto& p : run.facts.processes) {
        auto* node = run.topology.find_node(p.node);  // null for a program of a host
        bool kernel = node && node->kernel_nat;
        json j = {
            {"node", p.node}, {"nat", p.is_nat}, {"summary", kernel ? "kernel NAT" : process_summary(p)}};
        if (p.is_nat) j["type"] = kernel ? "linux" : "nat-emu";
        if (auto c = run.nat_counters.find(p.node); c != run.nat_counters.end()) j["counters"] = c->second;
        out.push_back(j);
    }
    return out;
}

json links_json(const Topology& topology) {
    json out = json::array();
    for (auto& l : topology.links)
        out.push_back({{"segment", l.segment},
                       {"node", l.node},
                       {"interface", l.node_ifname},
                       {"capture", topology.capture ? json(l.capture_file) : json(nullptr)}});
    return out;
}

json timeline_json(const std::vector<StepFacts>& steps) {
    json out = json::array();
    for (auto& step : steps)
        out.push_back(
            {{"at_ms", step.at_ms}, {"done_ms", step.done_ms}, {"what", step.what}, {"error", step.error}});
    return out;
}

}  // namespace

std::string render_result_json(const RunRecord& run) {
    json j = {{"scenario", run.scenario.name},
              {"label", run.label.empty() ? run.scenario.name : run.label},
              {"file", run.scenario.file},
              {"passed", all_held(run.verdicts)},
              {"timed_out", run.facts.timed_out},
              {"interrupted", run.facts.interrupted},
              {"setup_ms", run.facts.setup_ms},
              {"run_ms", run.facts.run_ms},
              {"verdicts", verdicts_json(run.verdicts)},
              {"peers", peers_json(run.peers)},
              {"processes", processes_json(run)},
              {"links", links_json(run.topology)}};
    j["teardown_ms"] = run.facts.teardown_ms;
    j["hosts_start_unix_s"] = run.facts.hosts_start_unix_s;  // the zero of times, as pcap stamps count
    j["timeline"] = timeline_json(run.facts.timeline);
    return j.dump(2) + "\n";
}

namespace {

std::string row(std::initializer_list<std::string> cells, const std::string& attrs = "") {
    std::string out = "<tr" + (attrs.empty() ? "" : " " + attrs) + ">";
    for (auto& c : cells) out += "<td>" + c + "</td>";
    return out + "</tr>\n";
}

std::string verdicts_html(const RunRecord& run) {
    std::string out = "<h2>Expectations</h2>\n<table><tr><th></th><th>expectation</th><th>seen</th></tr>\n";
    for (auto& v : run.verdicts)
        out += row({v.held ? "PASS" : "FAIL", html::escape(v.expectation),
                    html::escape(v.detail + (v.detail.empty() || v.seen.empty() ? "" : "; ") + v.seen)},
                   v.held ? "class=\"pass\"" : "class=\"fail\"");
    return out + "</table>\n";
}

std::string nodes_html(const RunRecord& run) {
    std::string out =
        "<h2>Hosts and NATs</h2>\n<table><tr><th>node</th><th>what happened</th><th>files</th></tr>\n";
    for (auto& p : run.facts.processes) {
        auto* node = run.topology.find_node(p.node);
        std::string what;
        if (auto c = run.nat_counters.find(p.node); c != run.nat_counters.end())
            what = nat_summary(c->second);
        else if (auto r = run.peers.find(p.node); r != run.peers.end())
            what = peer_summary(r->second) + " (" + process_summary(p) + ")";
        else if (node && node->kernel_nat)
            what = "linux nftables masquerade (kernel NAT)";
        else
            what = process_summary(p);
        std::string files = "<a href=\"" + html::escape(p.node) + ".log\">log</a>";
        if (p.is_nat && !(node && node->kernel_nat))
            files += " <a href=\"" + html::escape(p.node) + ".events.jsonl\">events</a>";
        out += row({html::escape((p.is_nat ? "nat " : "host ") + p.node), html::escape(what), files});
    }
    return out + "</table>\n";
}

std::string timeline_html(const RunRecord& run) {
    if (run.facts.timeline.empty()) return {};
    std::string out = "<h2>Timeline</h2>\n<table><tr><th>at</th><th>step</th><th>done</th></tr>\n";
    for (auto& step : run.facts.timeline)
        out += row({fixed(step.at_ms / 1000.0, 2) + " s", html::escape(step.what),
                    step.error.empty() ? "ok" : html::escape("FAILED: " + step.error)},
                   step.error.empty() ? "" : "class=\"fail\"");
    return out + "</table>\n";
}

std::string links_html(const RunRecord& run) {
    if (!run.topology.capture)
        return "<h2>Captures</h2>\n<p class=\"muted\">None: the scenario says <code>capture: "
               "false</code>.</p>\n";
    std::string out =
        "<h2>Captures</h2>\n<p class=\"muted\">One pcap per link, taken on the switch side; "
        "<code>tshark -r FILE</code> decodes the rendezvous traffic as STUN. "
        "<code>nat-lab review DIR</code> draws the punch as a ladder.</p>\n"
        "<table><tr><th>segment</th><th>node</th><th>interface</th><th>capture</th></tr>\n";
    for (auto& l : run.topology.links)
        out += row(
            {html::escape(l.segment), html::escape(l.node), html::escape(l.node_ifname),
             "<a href=\"" + html::escape(l.capture_file) + "\">" + html::escape(l.capture_file) + "</a>"});
    return out + "</table>\n";
}

}  // namespace

std::string render_report_html(const RunRecord& run) {
    auto name = run.label.empty() ? run.scenario.name : run.label;
    bool pass = all_held(run.verdicts) && !run.facts.interrupted;
    std::string body = html::element("h1", "nat-lab: " + name + (pass ? " PASS" : " FAIL"),
                                     pass ? "class=\"pass\"" : "class=\"fail\"");
    if (!run.scenario.description.empty()) body += html::element("p", run.scenario.description) + "\n";
    body += "<p>" + html::escape(run.scenario.file) + " &middot; " +
            std::to_string(run.topology.nodes.size()) + " namespaces, " +
            std::to_string(run.topology.links.size()) + " links, ready in " + fixed(run.facts.setup_ms, 0) +
            " ms, ran " + fixed(run.facts.run_ms / 1000.0, 2) + " s" +
            (run.facts.timed_out ? " (timed out)" : "") + (run.facts.interrupted ? " (interrupted)" : "") +
            " &middot; <a href=\"result.json\">result.json</a></p>\n";
    body += verdicts_html(run) + nodes_html(run) + timeline_html(run) + links_html(run);
    return html::page("nat-lab " + name, body);
}

}  // namespace natlab::harness
