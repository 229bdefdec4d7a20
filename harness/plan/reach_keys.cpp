// Reading and checking `reachable` and `not_reachable`. See reach_keys.h.
#include "harness/plan/reach_keys.h"

#include <sstream>

#include "harness/plan/host_files.h"

namespace natlab::harness {
namespace {

using Reader = YamlReader;

// `icmp`, `udp PORT` or `tcp PORT`.
void read_by(const Reader& r, const YAML::Node& node, Expectation& e) {
    std::istringstream words(r.text(node, "by"));
    std::string method, port, extra;
    words >> method >> port >> extra;
    const std::string usage = "by must be icmp, udp PORT or tcp PORT";
    if (method == "icmp" && port.empty()) {
        e.reach_by = ReachBy::Icmp;
        return;
    }
    if ((method != "udp" && method != "tcp") || port.empty() || !extra.empty())
        r.fail(node, usage + ", not '" + node.Scalar() + "'");
    e.reach_by = method == "udp" ? ReachBy::Udp : ReachBy::Tcp;
    char* end = nullptr;
    long value = std::strtol(port.c_str(), &end, 10);
    if (*end != '\0' || value < 1 || value > 65535)
        r.fail(node, "port in by must be 1-65535, not '" + port + "'");
    e.port = static_cast<int>(value);
}

std::string seconds(Millis d) {
    std::ostringstream out;
    out << d.count() / 1000.0 << "s";
    return out.str();
}

}  // namespace

bool is_reach_expectation(const YAML::Node& item) {
    return item.IsMap() && (item["reachable"] || item["not_reachable"]);
}

// `reachable: {from: HOST, to: NAME|ADDRESS, by: ..., at: D, within: D}`.
void read_reach_expectation(const YamlReader& r, const YAML::Node& item, Expectation& e) {
    const char* key = item["reachable"] ? "reachable" : "not_reachable";
    r.check_map(item, "expectation", {key});
    e.kind = ExpectKind::Reachable;
    e.negate = !item["reachable"];
    auto body = item[key];
    if (!body.IsMap()) r.fail(body, std::string(key) + " must be a mapping like {from: alice, to: bob}");
    r.check_map(body, key, {"from", "to", "by", "at", "within"});
    for (const char* needed : {"from", "to"})
        if (!body[needed])
            r.fail(body, std::string(key) + " needs " + needed + ": (a host" +
                             (needed[0] == 't' ? ", a NAT or an address)" : ")"));
    e.nodes = {r.text(body["from"], "from"), r.text(body["to"], "to")};
    e.hosts_where = r.at(body["from"]);
    e.via_where = r.at(body["to"]);
    if (e.nodes[0] == e.nodes[1]) r.fail(body["to"], "to must differ from from");
    if (auto n = body["by"]) read_by(r, n, e);
    if (auto n = body["at"]) e.at = r.duration(n, "at");
    e.within = body["within"] ? r.duration(body["within"], "within") : kReachWindow;
    if (e.within->count() <= 0) r.fail(body["within"], "within must be above 0");
}

void check_reach_expectation(const Scenario& s, const Expectation& e) {
    if (!s.find_host(e.nodes[0]))
        throw ScenarioError(e.hosts_where, "no host named '" + e.nodes[0] + "' (from must be a host)");
    auto& to = e.nodes[1];
    auto name = split_family(to).first;
    if (!s.find_host(name) && !s.find_nat(name) && !Ipv4::parse(to) && !Ipv6::parse(to))
        throw ScenarioError(e.via_where,
                            "to: '" + to +
                                "' is no host or NAT (NAME, NAME.ipv4, NAME.ipv6) nor an IPv4 or "
                                "IPv6 address");
}

std::string describe_reach_by(const Expectation& e) {
    switch (e.reach_by) {
        case ReachBy::Icmp:
            return "icmp";
        case ReachBy::Udp:
            return "udp " + std::to_string(e.port);
        case ReachBy::Tcp:
            return "tcp " + std::to_string(e.port);
    }
    return "?";
}

std::string describe_reach(const Expectation& e) {
    return e.nodes[0] + (e.negate ? " does not reach " : " reaches ") + e.nodes[1] + " by " +
           describe_reach_by(e) + (e.at.count() > 0 ? " from " + seconds(e.at) : "") + " within " +
           seconds(*e.within);
}

}  // namespace natlab::harness
