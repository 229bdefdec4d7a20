// Reading and checking `direct`, `relayed` and `traffic`. See wire_keys.h.
#include "harness/plan/wire_keys.h"

#include <algorithm>

namespace natlab::harness {
namespace {

using Reader = YamlReader;

// Two different host names, like connected's [alice, bob].
std::vector<std::string> pair_of(const Reader& r, const YAML::Node& node, const std::string& what,
                                 std::size_t extra = 0) {
    if (!node.IsSequence() || node.size() < 2 || node.size() > 2 + extra)
        r.fail(node, what + " must name two hosts, like [alice, bob]");
    auto a = r.text(node[0], "host name");
    auto b = r.text(node[1], "host name");
    if (a == b) r.fail(node, what + " must name two different hosts");
    return {a, b};
}

void read_direct(const Reader& r, const YAML::Node& item, Expectation& e) {
    r.check_map(item, "expectation", {"direct"});
    e.kind = ExpectKind::Direct;
    e.hosts = pair_of(r, item["direct"], "direct");
    e.hosts_where = r.at(item["direct"]);
}

// `relayed: [a, b]` + `via: HOST`, or `via` inside the list:
// `relayed: [a, b, via: HOST]`.
void read_relayed(const Reader& r, const YAML::Node& item, Expectation& e) {
    r.check_map(item, "expectation", {"relayed", "via"});
    e.kind = ExpectKind::Relayed;
    auto list = item["relayed"];
    e.hosts = pair_of(r, list, "relayed", 1);
    e.hosts_where = r.at(list);
    const YAML::Node beside = item["via"];
    if (list.size() == 3) {
        const YAML::Node third = list[2];
        if (!third.IsMap()) r.fail(third, "the third item of relayed must be via: HOST");
        r.check_map(third, "relayed", {"via"});
        if (beside) r.fail(beside, "relayed takes via once: inside the list or beside it, not both");
    }
    // A new node, not an assignment: `=` on a YAML::Node writes into the node it refers to.
    const YAML::Node via = list.size() == 3 ? YAML::Node(list[2])["via"] : beside;
    if (!via) r.fail(item, "relayed needs via: HOST (the host their traffic goes through)");
    e.via = r.text(via, "via");
    e.via_where = r.at(via);
    if (*e.via == e.hosts[0] || *e.via == e.hosts[1])
        r.fail(via, "via must be a third host, not '" + *e.via + "' of the pair");
}

Expectation::Bounds read_bounds(const Reader& r, const YAML::Node& node, const std::string& what) {
    r.check_map(node, what, {"min", "max"});
    Expectation::Bounds b;
    for (auto [key, slot] : {std::pair{"min", &b.min}, std::pair{"max", &b.max}}) {
        if (!node[key]) continue;
        *slot = r.count(node[key], what + " " + key);
        if (**slot < 0) r.fail(node[key], what + " " + key + " must not be negative");
    }
    if (!b.min && !b.max) r.fail(node, what + " needs min: N, max: N or both");
    if (b.min && b.max && *b.min > *b.max)
        r.fail(node, what + " min " + std::to_string(*b.min) + " is above max " + std::to_string(*b.max));
    return b;
}

// `traffic: {between: [X, Y] | link: X, packets: {min, max}, bytes: {min, max}}`.
void read_traffic(const Reader& r, const YAML::Node& item, Expectation& e) {
    r.check_map(item, "expectation", {"traffic"});
    e.kind = ExpectKind::Traffic;
    auto body = item["traffic"];
    r.check_map(body, "traffic", {"between", "link", "packets", "bytes"});
    auto between = body["between"], link = body["link"];
    if (between && link) r.fail(link, "traffic takes between: [X, Y] or link: X, not both");
    if (!between && !link) r.fail(body, "traffic needs between: [X, Y] (two hosts or NATs) or link: X");
    if (between) {
        if (!between.IsSequence() || between.size() != 2)
            r.fail(between, "between must name two hosts or NATs, like [home-a, home-b]");
        e.nodes = {r.text(between[0], "between"), r.text(between[1], "between")};
        if (e.nodes[0] == e.nodes[1]) r.fail(between, "between must name two different hosts or NATs");
    } else {
        e.nodes = {r.text(link, "link")};
        e.on_link = true;
    }
    e.hosts_where = r.at(between ? between : link);
    if (auto n = body["packets"]) e.packets = read_bounds(r, n, "packets");
    if (auto n = body["bytes"]) e.bytes = read_bounds(r, n, "bytes");
    if (!body["packets"] && !body["bytes"])
        r.fail(body, "traffic needs packets: {min: N, max: N} or bytes: {min: N, max: N}");
}

const char* key_of(ExpectKind kind) {
    return kind == ExpectKind::Direct ? "direct" : kind == ExpectKind::Relayed ? "relayed" : "traffic";
}

void check_runs(const Scenario& s, const Location& where, const std::string& name) {
    auto* host = s.find_host(name);
    if (!host) throw ScenarioError(where, "no host named '" + name + "'");
    if (host->run.empty() && host->programs.empty())  // a host with programs: is judged as one
        throw ScenarioError(where, "host '" + name + "' has nothing to run");
}

}  // namespace

bool is_wire_expectation(const YAML::Node& item) {
    return item.IsMap() && (item["direct"] || item["relayed"] || item["traffic"]);
}

void read_wire_expectation(const YamlReader& r, const YAML::Node& item, Expectation& e) {
    if (item["direct"])
        read_direct(r, item, e);
    else if (item["relayed"])
        read_relayed(r, item, e);
    else
        read_traffic(r, item, e);
}

bool judged_from_wire(const Expectation& e) {
    return e.kind == ExpectKind::Direct || e.kind == ExpectKind::Relayed || e.kind == ExpectKind::Traffic;
}

bool judged_from_wire(const Scenario& s) {
    return std::any_of(s.expectations.begin(), s.expectations.end(),
                       [](auto& e) { return judged_from_wire(e); });
}

void check_wire_expectation(const Scenario& s, const Expectation& e) {
    if (!s.capture)
        throw ScenarioError(e.where,
                            std::string(key_of(e.kind)) +
                                " is judged from the captures, but the scenario says capture: false");
    if (e.kind == ExpectKind::Traffic) {
        for (auto& n : e.nodes)
            if (!s.find_host(n) && !s.find_nat(n))
                throw ScenarioError(e.hosts_where, "no host or NAT named '" + n + "'");
        return;
    }
    for (auto& h : e.hosts) check_runs(s, e.hosts_where, h);
    if (e.via) check_runs(s, e.via_where, *e.via);
}

}  // namespace natlab::harness
