#include "harness/report/review.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <tuple>

#include "harness/judge/wire.h"
#include "harness/report/html.h"
#include "src/net/setup_error.h"

namespace natlab::harness {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr double kSameFrameWindow = 2.0;  // seconds: sightings of one packet lie this close

using Identity = std::tuple<std::string, std::uint16_t, std::uint64_t, std::size_t>;

Identity identity(const Frame& f) {
    return {f.protocol, f.ip_id, f.payload_hash, f.length};
}

bool same_wire(const Sighting& a, const Sighting& b) {
    return a.segment == b.segment && a.frame.src == b.frame.src && a.frame.dst == b.frame.dst;
}

// A sighting continues a packet's journey when it is the same frame on
// another link of the same segment, or a NAT that already received the
// packet sending it on (rewritten). Anything else with the same identity
// (a retransmission, the partner's identical probe) is another packet.
bool continues(const std::vector<Sighting>& group, const Sighting& s, const std::vector<std::string>& nats) {
    bool nat = std::find(nats.begin(), nats.end(), s.node) != nats.end();
    return std::any_of(group.begin(), group.end(),
                       [&](auto& g) { return same_wire(g, s) || (nat && g.node == s.node); });
}

// Sightings of one packet, in time order.
std::vector<std::vector<Sighting>> group_sightings(std::vector<Sighting> all,
                                                   const std::vector<std::string>& nats) {
    std::stable_sort(all.begin(), all.end(), [](auto& a, auto& b) { return a.t < b.t; });
    std::vector<std::vector<Sighting>> groups;
    std::map<Identity, std::vector<std::size_t>> open;  // identity -> its groups, oldest first
    for (auto& s : all) {
        auto& candidates = open[identity(s.frame)];
        auto it = std::find_if(candidates.rbegin(), candidates.rend(), [&](std::size_t g) {
            return s.t - groups[g].back().t <= kSameFrameWindow && continues(groups[g], s, nats);
        });
        if (it != candidates.rend()) {
            groups[*it].push_back(s);
            continue;
        }
        candidates.push_back(groups.size());
        groups.push_back({s});
    }
    return groups;
}

std::vector<Hop> hops_of(const std::vector<Sighting>& group) {
    std::vector<Hop> hops;
    for (auto& s : group) {
        auto it = std::find_if(hops.begin(), hops.end(), [&](auto& h) {
            return h.segment == s.segment && h.src == s.frame.src && h.dst == s.frame.dst;
        });
        if (it == hops.end()) {
            hops.push_back({s.segment, s.node, {}, s.frame.src, s.frame.dst, s.t});
        } else if (s.node != it->sender &&
                   std::find(it->receivers.begin(), it->receivers.end(), s.node) == it->receivers.end()) {
            it->receivers.push_back(s.node);
        }
    }
    return hops;
}

bool contains(const std::vector<std::string>& v, const std::string& x) {
    return std::find(v.begin(), v.end(), x) != v.end();
}

// The destination part of an event's "a:p -> b:q" (with any "tcp " prefix).
std::string destination_of(const std::string& packet) {
    auto arrow = packet.find(" -> ");
    return arrow == std::string::npos ? packet : packet.substr(arrow + 4);
}

// Matches a NAT's drop events to the packets it swallowed, in log order:
// by the packet as the NAT received it, else (an outbound drop is logged
// after translation) by its destination.
class DropMatcher {
public:
    explicit DropMatcher(const DropEvents& drops) : drops_(drops) {}

    std::string reason(const std::string& nat, const std::string& protocol, const Hop& hop) {
        auto it = drops_.find(nat);
        if (it == drops_.end()) return "no drop logged (" + nat + " keeps no event log)";
        auto& used = used_[nat];
        used.resize(it->second.size());
        auto want = (protocol == "tcp" ? "tcp " : "") + hop.src + " -> " + hop.dst;
        for (bool exact : {true, false}) {
            for (std::size_t i = 0; i < it->second.size(); ++i) {
                auto& [packet, why] = it->second[i];
                if (used[i]) continue;
                if (exact ? packet == want : destination_of(packet) == destination_of(want)) {
                    used[i] = true;
                    return why;
                }
            }
        }
        return "no matching drop in " + nat + ".events.jsonl";
    }

private:
    const DropEvents& drops_;
    std::map<std::string, std::vector<bool>> used_;
};

Journey journey_of(const std::vector<Sighting>& group, const std::vector<std::string>& nats,
                   DropMatcher& drops) {
    Journey j;
    j.t = group.front().t;
    j.protocol = group.front().frame.protocol;
    j.what = group.front().frame.what;
    j.hops = hops_of(group);
    for (auto& h : j.hops)
        for (auto& r : h.receivers)
            if (!contains(nats, r)) j.delivered = true;
    if (j.delivered) return j;
    // A NAT that took the packet in and sent nothing after it swallowed it.
    for (std::size_t i = 0; i < j.hops.size(); ++i)
        for (auto& r : j.hops[i].receivers) {
            if (!contains(nats, r)) continue;
            bool forwarded =
                std::any_of(j.hops.begin() + i + 1, j.hops.end(), [&](auto& h) { return h.sender == r; });
            if (forwarded) continue;
            j.dropped_at = r;
            j.drop_reason = drops.reason(r, j.protocol, j.hops[i]);
            return j;
        }
    return j;
}

std::string fixed(double v, int digits) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.*f", digits, v);
    return buf;
}

std::string named(const std::string& endpoint, const std::map<std::string, std::string>& names) {
    auto ip = endpoint.substr(0, endpoint.find(':'));
    auto it = names.find(ip);
    return it == names.end() ? endpoint : it->second + " " + endpoint;
}

// "alice -> server", "alice -> (dropped at home-a)".
std::string ends(const Journey& j, const std::vector<std::string>& nats_hint) {
    std::string from = j.hops.empty() ? "?" : j.hops.front().sender;
    std::string to;
    for (auto& h : j.hops)
        for (auto& r : h.receivers)
            if (!contains(nats_hint, r)) to = r;
    if (to.empty()) to = j.dropped_at.empty() ? "(nobody)" : "(dropped at " + j.dropped_at + ")";
    return from + " -> " + to;
}

// ---- reading a run directory ----------------------------------------------

json read_json(const fs::path& file) {
    std::ifstream in(file);
    if (!in)
        throw SetupError(file.parent_path().string() + " is not a nat-lab run directory (no result.json)");
    auto j = json::parse(in, nullptr, false);
    if (!j.is_object()) throw SetupError(file.string() + ": not a JSON document");
    return j;
}

// One link's capture, read as the wire verdicts read it (wire_pcap.cpp).
void read_pcap(const fs::path& file, const std::string& node, const std::string& segment,
               std::vector<Sighting>& out) {
    for (auto& p : read_capture(file.string(), node, segment))
        out.push_back({p.t, p.node, p.segment, p.frame});
}

struct NatLog {
    std::vector<std::pair<std::string, std::string>> drops;
    std::vector<std::string> addresses;
};

NatLog read_events(const fs::path& file) {
    NatLog log;
    std::ifstream in(file);
    for (std::string line; std::getline(in, line);) {
        auto j = json::parse(line, nullptr, false);
        if (!j.is_object()) continue;
        auto event = j.value("event", "");
        if (event == "drop") {
            log.drops.emplace_back(j.value("packet", ""),
                                   j.value("reason", "") + " (" + j.value("code", "") + ")");
        } else if (event == "started") {
            auto inside = j.value("inside", "");
            log.addresses.push_back(inside.substr(0, inside.find('/')));
            for (auto& a : j.value("outside_addresses", json::array()))
                if (a.is_string()) log.addresses.push_back(a.get<std::string>());
        }
    }
    return log;
}

// Lifelines, left to right: the first NAT's LAN, that NAT, the internet,
// then every other NAT followed by its LAN.
std::vector<std::string> lifeline_order(const json& links, const std::vector<std::string>& nats) {
    std::map<std::string, std::string> inside_of;  // NAT -> its LAN segment
    for (auto& l : links)
        if (contains(nats, l.value("node", "")) && l.value("interface", "") == "in0")
            inside_of[l.value("node", "")] = l.value("segment", "");
    std::vector<std::string> order;
    auto place = [&](const std::string& n) {
        if (!contains(order, n)) order.push_back(n);
    };
    auto lan_hosts = [&](const std::string& nat) {
        for (auto& l : links)
            if (l.value("segment", "") == inside_of[nat] && l.value("node", "") != nat)
                place(l.value("node", ""));
    };
    if (!nats.empty()) {
        lan_hosts(nats[0]);
        place(nats[0]);
    }
    for (auto& l : links)
        if (l.value("segment", "") == "internet" && !contains(nats, l.value("node", "")))
            place(l.value("node", ""));
    for (auto& n : nats) {
        place(n);
        lan_hosts(n);
    }
    for (auto& l : links) place(l.value("node", ""));
    return order;
}

// ---- the diagram ---------------------------------------------------------------

struct Svg {
    std::ostringstream body;
    void line(double x1, double y1, double x2, double y2, const std::string& style) {
        body << "<line x1=\"" << x1 << "\" y1=\"" << y1 << "\" x2=\"" << x2 << "\" y2=\"" << y2 << "\" "
             << style << "/>\n";
    }
    void text(double x, double y, const std::string& t, const std::string& attrs = "") {
        body << "<text x=\"" << x << "\" y=\"" << y << "\" " << attrs << ">" << html::escape(t)
             << "</text>\n";
    }
};

void draw_journey(Svg& svg, const Journey& j, double y, double t0, const std::map<std::string, double>& x) {
    auto xs = [&](const std::string& n) { return x.count(n) ? x.at(n) : 0.0; };
    svg.text(4, y + 4, fixed(j.t - t0, 3));
    std::string title = j.what;
    for (auto& h : j.hops) {
        for (auto& r : h.receivers) {
            bool lost = r == j.dropped_at && &h == &j.hops.back();
            svg.body << "<g><title>" << html::escape(h.src + " -> " + h.dst + " on " + h.segment)
                     << "</title>";
            svg.line(xs(h.sender), y, xs(r), y,
                     lost ? "stroke=\"#c33\" stroke-width=\"1.5\" stroke-dasharray=\"4 2\""
                          : "stroke=\"#246\" stroke-width=\"1.5\" marker-end=\"url(#arrow)\"");
            svg.body << "</g>\n";
        }
    }
    if (!j.dropped_at.empty()) {
        svg.body << "<g><title>" << html::escape(j.drop_reason) << "</title>";
        svg.text(xs(j.dropped_at) - 4, y + 4, "x", "fill=\"#c33\" font-weight=\"bold\"");
        svg.body << "</g>\n";
    }
    if (!j.hops.empty()) {
        double a = xs(j.hops.front().sender),
               b = xs(j.hops.front().receivers.empty() ? j.hops.front().sender : j.hops.front().receivers[0]);
        svg.text(std::min(a, b) + 6, y - 3, title, "fill=\"#555\"");
    }
}

// The run's verdicts from the wire (direct, relayed, traffic), as
// result.json has them: what the captures showed.
std::string wire_verdicts_text(const json& result) {
    std::string out;
    for (auto& v : result.value("verdicts", json::array())) {
        if (!v.contains("seen")) continue;
        out += std::string("  ") + (v.value("held", false) ? "PASS " : "FAIL ") + v.value("expectation", "");
        if (!v.value("held", false)) out += ": " + v.value("detail", "");
        out += "\n       seen: " + v.value("seen", "") + "\n";
    }
    return out.empty() ? out : "verdicts from the wire:\n" + out;
}

}  // namespace

std::vector<Journey> build_journeys(std::vector<Sighting> sightings, const std::vector<std::string>& nats,
                                    const DropEvents& drops) {
    DropMatcher matcher(drops);
    std::vector<Journey> out;
    for (auto& group : group_sightings(std::move(sightings), nats))
        out.push_back(journey_of(group, nats, matcher));
    return out;
}

std::string render_ladder_text(const std::vector<Journey>& journeys,
                               const std::map<std::string, std::string>& names) {
    std::vector<std::string> nats;
    for (auto& [ip, n] : names)
        if (n.rfind("nat ", 0) == 0) nats.push_back(n.substr(4));
    std::ostringstream out;
    double t0 = journeys.empty() ? 0 : journeys.front().t;
    for (auto& j : journeys) {
        if (j.hops.empty()) continue;
        auto& first = j.hops.front();
        char head[64];
        std::snprintf(head, sizeof head, "%8.3f  ", j.t - t0);
        out << head << ends(j, nats) << "  " << j.what << "  " << named(first.src, names) << " -> "
            << named(first.dst, names) << "\n";
        for (std::size_t i = 1; i < j.hops.size(); ++i)
            out << "            at " << j.hops[i].sender << ": => " << j.hops[i].src << " -> "
                << j.hops[i].dst << "\n";
        if (!j.dropped_at.empty())
            out << "            DROPPED at " << j.dropped_at << ": " << j.drop_reason << "\n";
        else if (!j.delivered)
            out << "            not received by anyone on " << j.hops.back().segment << "\n";
    }
    return out.str();
}

std::string render_ladder_html(const std::string& title, const std::vector<Journey>& journeys,
                               const std::vector<std::string>& lifelines,
                               const std::map<std::string, std::string>& names) {
    constexpr double kLeft = 70, kGap = 150, kTop = 40, kRow = 24;
    std::map<std::string, double> x;
    for (std::size_t i = 0; i < lifelines.size(); ++i) x[lifelines[i]] = kLeft + kGap / 2 + kGap * i;
    double width = kLeft + kGap * lifelines.size() + 20;
    double height = kTop + kRow * (journeys.size() + 1) + 10;
    Svg svg;
    svg.body << "<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"7\" "
                "markerHeight=\"7\" orient=\"auto\"><path d=\"M0,0 L10,5 L0,10 z\" "
                "fill=\"#246\"/></marker></defs>\n";
    for (auto& [node, px] : x) {
        svg.text(px - 4.0 * node.size(), 16, node, "font-weight=\"bold\"");
        svg.line(px, 22, px, height - 4, "stroke=\"#999\" stroke-dasharray=\"3 3\"");
    }
    double t0 = journeys.empty() ? 0 : journeys.front().t;
    double y = kTop + kRow / 2;
    for (auto& j : journeys) {
        draw_journey(svg, j, y, t0, x);
        y += kRow;
    }
    std::ostringstream body;
    body << html::element("h1", "nat-lab review: " + title) << "\n<p class=\"muted\">One row per packet, "
         << "in time order (seconds from the first). Arrows are hops between lifelines; a red dashed arrow "
            "ending in "
         << "x is a drop (hover for the NAT's reason). Translations and addresses are in the table "
            "below.</p>\n"
         << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << width << "\" height=\"" << height
         << "\">\n"
         << svg.body.str() << "</svg>\n<h2>Ladder</h2>\n<pre>"
         << html::escape(render_ladder_text(journeys, names)) << "</pre>\n";
    return html::page("nat-lab review " + title, body.str());
}

namespace {

std::vector<std::string> nats_of(const json& result) {
    std::vector<std::string> nats;
    for (auto& p : result.value("processes", json::array()))
        if (p.value("nat", false)) nats.push_back(p.value("node", ""));
    return nats;
}

// Every frame of every capture the run kept (none for links with capture: false).
std::vector<Sighting> read_sightings(const fs::path& dir, const json& links) {
    std::vector<Sighting> sightings;
    for (auto& l : links) {
        auto capture = l.find("capture");
        if (capture == l.end() || !capture->is_string()) continue;  // capture: false
        auto file = dir / capture->get<std::string>();
        if (fs::is_regular_file(file))
            read_pcap(file, l.value("node", ""), l.value("segment", ""), sightings);
    }
    return sightings;
}

// The NATs' drops from their event logs; their addresses named "nat NAME" in `names`.
DropEvents read_drops(const fs::path& dir, const std::vector<std::string>& nats,
                      std::map<std::string, std::string>& names) {
    DropEvents drops;
    for (auto& n : nats) {
        auto events = dir / (n + ".events.jsonl");
        if (!fs::exists(events)) continue;
        auto log = read_events(events);
        drops[n] = log.drops;
        for (auto& a : log.addresses) names[a] = "nat " + n;
    }
    return drops;
}

// One line per port mapping event of a NAT's log (port-mapping-requested, -granted, ...).
std::string port_mapping_line(const std::string& nat, const json& j) {
    auto what = j.value("event", "").substr(std::string_view{"port-mapping-"}.size());
    std::string line = "  nat " + nat + ": " + j.value("by", "") + " " + what + " " +
                       j.value("protocol", "") + " " + j.value("inside", "");
    if (j.contains("outside")) line += " -> " + j.value("outside", "");
    if (j.contains("lifetime") && what != "requested")
        line += " for " + std::to_string(j.value("lifetime", 0)) + " s";
    if (j.contains("code")) line += " (" + j.value("code", "") + ")";
    return line + "\n";
}

// The port mappings the NATs were asked for and what became of them.
std::string port_mappings_text(const fs::path& dir, const std::vector<std::string>& nats) {
    std::string text;
    for (auto& n : nats) {
        std::ifstream in(dir / (n + ".events.jsonl"));
        for (std::string line; std::getline(in, line);) {
            auto j = json::parse(line, nullptr, false);
            if (j.is_object() && j.value("event", "").starts_with("port-mapping-"))
                text += port_mapping_line(n, j);
        }
    }
    return text.empty() ? "" : "port mappings:\n" + text;
}

void print_review(const std::string& title, const fs::path& dir, const std::vector<Journey>& journeys,
                  const std::map<std::string, std::string>& names, const json& result) {
    std::size_t dropped = 0, delivered = 0;
    for (auto& j : journeys) dropped += !j.dropped_at.empty(), delivered += j.delivered;
    std::cout << "nat-lab review: " << title << " (" << dir.string() << ")\n"
              << render_ladder_text(journeys, names) << journeys.size() << " packets: " << delivered
              << " delivered, " << dropped << " dropped by a NAT; diagram in "
              << (dir / "review.html").string() << "\n"
              << wire_verdicts_text(result) << port_mappings_text(dir, nats_of(result));
}

}  // namespace

int review_run(const std::string& out_dir, bool print) {
    fs::path dir(out_dir);
    auto result = read_json(dir / "result.json");
    auto nats = nats_of(result);
    auto links = result.value("links", json::array());
    auto sightings = read_sightings(dir, links);
    std::map<std::string, std::string> names;  // ip -> node, "nat NAME" for NATs
    auto drops = read_drops(dir, nats, names);
    auto journeys = build_journeys(sightings, nats, drops);
    for (auto& j : journeys)
        if (!j.hops.empty() && !contains(nats, j.hops.front().sender))
            names.emplace(j.hops.front().src.substr(0, j.hops.front().src.find(':')), j.hops.front().sender);
    auto title = result.value("label", result.value("scenario", dir.filename().string()));
    std::ofstream(dir / "review.html")
        << render_ladder_html(title, journeys, lifeline_order(links, nats), names);
    if (print) print_review(title, dir, journeys, names, result);
    return 0;
}

}  // namespace natlab::harness
