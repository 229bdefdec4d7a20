#include "harness/cli/matrix.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <regex>
#include <set>
#include <sstream>

#include "harness/plan/yaml_reader.h"
#include "harness/report/html.h"
#include "simulator/nat/behaviour.h"

namespace natlab::harness {
namespace {

const std::vector<std::string> kOutcomes = {"local", "public", "peer-reflexive", "not-connected",
                                            "connected"};

// Peers in a cell: relay off, a short punch, a few messages (docs/commands.md).
struct PeerTiming {
    std::string punch = "1";    // seconds of punching (--punch-timeout)
    std::string timeout = "2";  // seconds to be connected (--timeout)
};

std::vector<std::string> presets() {
    return nat::names_of<nat::NatType>();
}

// One entry of an axis (`a`, `b`, `same_nat`): a preset, the kernel's NAT,
// or an explicit NAT. Its name stands for it in keys, cell names and the grid.
struct AxisEntry {
    std::string name;
    NatSpec nat;  // the behaviour; the cell names and places it
    Location where, name_where;
    bool is_explicit = false;
};

AxisEntry type_entry(const std::string& type, const Location& where) {
    AxisEntry e;
    e.name = e.nat.type = type;
    e.where = e.name_where = where;
    return e;
}

std::vector<AxisEntry> named_entries(const std::vector<std::string>& types, const Location& where) {
    std::vector<AxisEntry> out;
    for (auto& t : types) out.push_back(type_entry(t, where));
    return out;
}

std::vector<std::string> names_of(const std::vector<AxisEntry>& entries) {
    std::vector<std::string> out;
    for (auto& e : entries) out.push_back(e.name);
    return out;
}

// Two entries of one name must be one NAT: a name means one behaviour in a file.
bool same_behaviour(const NatSpec& x, const NatSpec& y) {
    return x.type == y.type && x.mapping == y.mapping && x.filtering == y.filtering &&
           x.port_allocation == y.port_allocation && x.mapping_timeout == y.mapping_timeout &&
           x.port_range == y.port_range && x.refresh_on_inbound == y.refresh_on_inbound &&
           x.hairpin == y.hairpin;
}

// A preset's label in cell names (pr-sym); any other entry keeps its own
// name. A switch over every NatType: a new preset fails the build
// (-Werror=switch) until it has a label.
std::string short_name(const std::string& type) {
    auto preset = nat::parse_nat_type(type);
    if (!preset) return type;
    switch (*preset) {
        case nat::NatType::FullCone:
            return "fc";
        case nat::NatType::Restricted:
            return "r";
        case nat::NatType::PortRestricted:
            return "pr";
        case nat::NatType::Symmetric:
            return "sym";
    }
    return type;
}

std::string join(const std::vector<std::string>& words) {
    std::string out;
    for (auto& w : words) out += (out.empty() ? "" : ", ") + w;
    return out;
}

// ---- building a cell's scenario ---------------------------------------------

// The cell's own copy of an entry's NAT, under the cell's name for it.
NatSpec placed(const AxisEntry& e, const std::string& name) {
    NatSpec n = e.nat;
    n.name = name;
    n.where = n.type_where = n.lan_where = n.address_where = n.behind_where = e.where;
    return n;
}

// "eim-adf (mapping endpoint-independent, filtering address-dependent)".
std::string describe_entry(const AxisEntry& e) {
    if (!e.is_explicit) return e.name;
    std::vector<std::string> keys;
    auto& n = e.nat;
    if (n.type != "port-restricted") keys.push_back("type " + n.type);
    if (n.mapping) keys.push_back("mapping " + *n.mapping);
    if (n.filtering) keys.push_back("filtering " + *n.filtering);
    if (n.port_allocation) keys.push_back("port_allocation " + *n.port_allocation);
    return keys.empty() ? e.name : e.name + " (" + join(keys) + ")";
}

// The table's outcome between two NATs, when both behave as classic types.
std::optional<std::string> table_outcome(const NatSpec& a, const NatSpec& b) {
    auto ta = classic_type(a), tb = classic_type(b);
    if (!ta || !tb) return std::nullopt;
    return expected_outcome(*ta, *tb);
}

NatSpec nat(const std::string& name, const std::string& type, const Location& where) {
    NatSpec n;
    n.name = name;
    n.where = n.type_where = n.lan_where = n.address_where = n.behind_where = where;
    n.type = type;
    return n;
}

HostSpec host(const std::string& name, const std::string& behind, std::vector<std::string> run,
              const Location& where) {
    HostSpec h;
    h.name = name;
    h.where = h.behind_where = h.address_where = h.run_where = where;
    h.behind = behind;
    h.run = std::move(run);
    return h;
}

std::vector<std::string> peer_argv(const std::string& name, const std::string& partner, const PeerTiming& t) {
    std::vector<std::string> argv = {"peer",      "--server",   "${server}:3478",  "--name",
                                     name,        "--no-relay", "--punch-timeout", t.punch,
                                     "--timeout", t.timeout,    "--messages",      "3"};
    if (!partner.empty()) argv.insert(argv.end(), {"--connect", partner});
    return argv;
}

Expectation pair_expectation(const std::string& expected, const Location& where) {
    Expectation e;
    e.kind = expected == "not-connected" ? ExpectKind::NotConnected : ExpectKind::Connected;
    e.where = e.hosts_where = where;
    e.hosts = {"alice", "bob"};
    return e;
}

// The server and both peers; `a_nat`/`b_nat` are where the peers live.
Scenario cell_scenario(const std::string& name, const std::string& a_nat, const std::string& b_nat,
                       const PeerTiming& t, const Location& where) {
    Scenario s;
    s.file = where.file;
    s.name = name;
    s.timeout = Millis(static_cast<int>(std::stod(t.timeout) * 1000) + 5000);
    auto server = host("server", "internet", {"rendezvous", "--listen", "0.0.0.0:3478", "--no-relay"}, where);
    server.addresses = {*Ipv4::parse("198.18.0.2")};
    s.hosts = {server, host("alice", a_nat, peer_argv("alice", "bob", t), where),
               host("bob", b_nat, peer_argv("bob", "", t), where)};
    return s;
}

// `expected` is left empty when the table has no outcome for the pair.
MatrixCell pair_cell(const AxisEntry& a, const AxisEntry& b, const PeerTiming& t, const Location& where) {
    MatrixCell c;
    c.name = short_name(a.name) + "-" + short_name(b.name);
    c.key = a.name + " x " + b.name;
    c.row = a.name;
    c.column = b.name;
    c.expected = table_outcome(a.nat, b.nat).value_or("");
    c.scenario = cell_scenario(c.name, "nat-a", "nat-b", t, where);
    c.scenario.description = "alice behind " + describe_entry(a) + ", bob behind " + describe_entry(b);
    c.scenario.nats = {placed(a, "nat-a"), placed(b, "nat-b")};
    return c;
}

MatrixCell same_nat_cell(const AxisEntry& e, const PeerTiming& t, const Location& where) {
    MatrixCell c;
    c.name = "same-" + short_name(e.name);
    c.key = "same " + e.name;
    c.row = "same NAT";
    c.column = e.name;
    c.expected = "local";
    c.scenario = cell_scenario(c.name, "home", "home", t, where);
    c.scenario.description = "alice and bob behind one " + describe_entry(e) + " NAT";
    c.scenario.nats = {placed(e, "home")};
    return c;
}

// Two homes behind one outer NAT: the peers' local endpoints are in two
// different LANs, so their only path is the outer NAT's hairpin.
MatrixCell hairpin_cell(bool on, const PeerTiming& t, const Location& where) {
    MatrixCell c;
    c.name = on ? "hairpin-on" : "hairpin-off";
    c.key = on ? "hairpin on" : "hairpin off";
    c.row = "hairpin";
    c.column = on ? "on" : "off";
    c.expected = on ? "public" : "not-connected";
    c.scenario = cell_scenario(c.name, "home-a", "home-b", t, where);
    c.scenario.description =
        std::string("two homes behind one outer NAT, hairpinning ") + (on ? "on" : "off");
    auto outer = nat("outer", "port-restricted", where);
    outer.hairpin = on;
    outer.lan = Cidr::parse("100.64.0.0/24");
    auto home_a = nat("home-a", "port-restricted", where), home_b = nat("home-b", "port-restricted", where);
    home_a.behind = home_b.behind = "outer";
    c.scenario.nats = {outer, home_a, home_b};
    return c;
}

bool impaired(const LinkImpairment& l) {
    return l.delay || l.jitter || l.loss || l.rate;
}

// Every cell once per links setting: both peers' links impaired alike.
std::vector<MatrixCell> with_links(const std::vector<MatrixCell>& cells,
                                   const std::vector<std::pair<std::string, LinkImpairment>>& links) {
    std::vector<MatrixCell> out;
    for (auto& [variant, link] : links)
        for (auto c : cells) {
            c.variant = variant;
            c.name += "@" + variant;
            c.key += " @ " + variant;
            c.scenario.name = c.name;
            c.scenario.description += ", links " + variant;
            if (impaired(link))
                for (auto& h : c.scenario.hosts)
                    if (h.name != "server") h.link = link;
            out.push_back(std::move(c));
        }
    return out;
}

void finish(Matrix& m) {
    for (auto& c : m.cells)
        c.scenario.expectations = {pair_expectation(c.expected, c.scenario.hosts[1].where)};
}

// ---- reading a matrix file --------------------------------------------------

// The scenario's strict reader, with what only matrix files have.
class MatrixReader : public YamlReader {
public:
    using YamlReader::YamlReader;

    // A list of NAT entries: preset names, `linux`, or explicit NATs.
    std::vector<AxisEntry> entries(const YAML::Node& n, const std::string& what) const {
        if (!n.IsSequence() || n.size() == 0) fail(n, what + " must be a non-empty list of NAT types");
        std::vector<AxisEntry> out;
        for (auto item : n) {
            auto e = item.IsMap() ? explicit_entry(item, what) : named_entry(item, what);
            for (auto& seen : out)
                if (seen.name == e.name)
                    throw ScenarioError(e.name_where, std::string(e.is_explicit ? "NAT '" : "NAT type '") +
                                                          e.name + "' twice in " + what);
            out.push_back(e);
        }
        return out;
    }
    // `full-cone`, ..., `symmetric`, or `linux`: the kernel's NAT.
    AxisEntry named_entry(const YAML::Node& n, const std::string& what) const {
        if (!n.IsScalar())
            fail(n, "entries of " + what +
                        " must be NAT types or NATs like {name: eim-adf, filtering: address-dependent}");
        auto known = presets();
        known.push_back("linux");
        const auto& t = n.Scalar();
        if (std::find(known.begin(), known.end(), t) == known.end())
            fail(n, "unknown NAT type '" + t + "' in " + what + " (expected one of: " + join(known) +
                        ", or a NAT like {name: eim-adf, filtering: address-dependent})");
        return type_entry(t, at(n));
    }
    // `{name: SHORT, type: ..., mapping: ..., ...}`: the NAT keys a scenario
    // takes, read by the scenario's own reader.
    AxisEntry explicit_entry(const YAML::Node& n, const std::string& what) const {
        check_map(n, "NAT in " + what,
                  {"name", "type", "mapping", "filtering", "port_allocation", "mapping_timeout",
                   "refresh_on_inbound", "hairpin", "port_range"});
        if (!n["name"]) fail(n, "NAT in " + what + " needs name: (a short name for its cells, like eim-adf)");
        AxisEntry e;
        e.name = e.nat.name = entry_name(n["name"]);
        e.where = at(n);
        e.name_where = at(n["name"]);
        e.is_explicit = true;
        read_nat_behaviour(*this, n, e.nat);
        return e;
    }
    std::string entry_name(const YAML::Node& n) const {
        static const std::regex re("^[a-z][a-z0-9-]{0,15}$");
        static const std::set<std::string> taken = {
            "full-cone", "restricted", "port-restricted", "symmetric", "fc",     "r",
            "pr",        "sym",        "linux",           "same",      "hairpin"};
        auto name = text(n, "name");
        if (!std::regex_match(name, re))
            fail(n, "NAT name '" + name +
                        "' must start with a lowercase letter and use only a-z, 0-9, '-' (at most 16)");
        if (taken.count(name))
            fail(n, "NAT name '" + name + "' is taken (presets, their short forms, linux, same and hairpin " +
                        "already name cells)");
        return name;
    }
    std::vector<bool> switches(const YAML::Node& n) const {
        if (!n.IsSequence() || n.size() == 0) fail(n, "hairpin must be a non-empty list of on/off");
        std::vector<bool> out;
        for (auto item : n) {
            auto v = text(item, "hairpin entries");
            bool on = v == "on" || v == "true" || v == "yes";
            if (!on && v != "off" && v != "false" && v != "no")
                fail(item, "hairpin entries must be on or off, not '" + v + "'");
            if (std::find(out.begin(), out.end(), on) != out.end()) fail(item, "hairpin '" + v + "' twice");
            out.push_back(on);
        }
        return out;
    }
    // `links: {NAME: {delay: D, jitter: D, loss: PCT, rate: RATE}, ...}`;
    // an empty setting ({}) is a clean link.
    std::vector<std::pair<std::string, LinkImpairment>> links(const YAML::Node& n) const {
        check_map(n, "links", {});
        if (n.size() == 0)
            fail(n, "links must name at least one setting, e.g. clean: {} or lossy: {loss: 20%}");
        static const std::regex re("^[a-z][a-z0-9_-]{0,15}$");
        std::vector<std::pair<std::string, LinkImpairment>> out;
        for (auto it : n) {
            auto name = it.first.Scalar();
            if (!std::regex_match(name, re))
                fail(it.first, "links setting '" + name +
                                   "' must start with a lowercase letter and use a-z, 0-9, "
                                   "'-', '_' (at most 16)");
            auto what = "links setting '" + name + "'";
            if (it.second.IsMap() && it.second.size() == 0) {  // {}: a clean link
                LinkImpairment clean;
                clean.where = at(it.second);
                out.emplace_back(name, clean);
            } else {
                out.emplace_back(name, read_impairment(*this, it.second, what, " in " + what));
            }
        }
        return out;
    }
    std::string seconds(const YAML::Node& n, const std::string& what) const {
        auto value = text(n, what);
        auto d = parse_duration(value);
        if (!d || d->count() <= 0 || d->count() > 600'000)
            fail(n, what + " must be a duration from 1ms to 600s like 1s or 500ms, not '" + value + "'");
        return std::to_string(d->count() / 1000.0);
    }
};

// "A x B" names the cell under every links setting; "A x B @ v" one of them.
std::string base_key(const std::string& key) {
    return key.substr(0, key.find(" @ "));
}

void apply_overrides(const MatrixReader& r, const YAML::Node& expect, Matrix& m) {
    r.check_map(expect, "matrix expect", {});
    std::vector<std::string> keys;
    for (auto& c : m.cells) keys.push_back(c.key);
    for (auto it : expect) {
        auto key = r.text(it.first, "a cell");
        auto outcome = r.text(it.second, "an outcome");
        if (std::find(kOutcomes.begin(), kOutcomes.end(), outcome) == kOutcomes.end())
            r.fail(it.second, "unknown outcome '" + outcome + "' (expected one of: " + join(kOutcomes) + ")");
        bool found = false;
        for (auto& c : m.cells) {
            if (c.key != key && base_key(c.key) != key) continue;
            found = true;
            c.expected = outcome;
            c.overridden = true;
        }
        if (!found) r.fail(it.first, "no cell '" + key + "' in this matrix (cells: " + join(keys) + ")");
    }
}

// One name, one NAT: an explicit name used in two axes describes the same NAT.
void check_one_nat_per_name(const std::vector<std::vector<AxisEntry>>& axes) {
    std::map<std::string, const AxisEntry*> first;
    for (auto& axis : axes)
        for (auto& e : axis) {
            auto [it, fresh] = first.emplace(e.name, &e);
            if (!fresh && !same_behaviour(it->second->nat, e.nat))
                throw ScenarioError(e.name_where, "NAT '" + e.name + "' is not the NAT of that name at " +
                                                      it->second->name_where.to_string() +
                                                      ": one name, one NAT");
        }
}

// Cell names are run directories: two cells must not share one.
void check_cell_names(const Matrix& m, const Location& where) {
    std::map<std::string, std::string> keys;
    for (auto& c : m.cells) {
        auto [it, fresh] = keys.emplace(c.name, c.key);
        if (!fresh)
            throw ScenarioError(where, "cells '" + it->second + "' and '" + c.key +
                                           "' would both be named '" + c.name + "': rename a NAT");
    }
}

// A pair cell with a NAT outside the classic types has no row in the
// table; the file must say what to expect of it. `open` maps such cells'
// keys to the entry that leaves them open.
void require_outcomes(const Matrix& m, const std::map<std::string, Location>& open) {
    for (auto& c : m.cells)
        if (c.expected.empty())
            throw ScenarioError(open.at(base_key(c.key)),
                                "no expected outcome for cell '" + c.key +
                                    "' in the outcome table (mapping/filtering not a classic type): "
                                    "give it under expect:");
}

Matrix read_matrix(const MatrixReader& r, const std::string& path, const YAML::Node& root) {
    r.check_map(root, "the matrix file", {"matrix"});
    auto spec = root["matrix"];
    r.check_map(spec, "matrix",
                {"name", "description", "a", "b", "same_nat", "hairpin", "links", "punch_timeout", "timeout",
                 "expect"});
    Matrix m;
    m.file = path;
    if (!spec["name"]) r.fail(spec, "matrix needs a name");
    m.name = r.text(spec["name"], "name");
    static const std::regex re("^[a-z][a-z0-9_-]{0,23}$");
    if (!std::regex_match(m.name, re))
        r.fail(spec["name"],
               "matrix name '" + m.name +
                   "' must start with a lowercase letter and use only a-z, 0-9, '-', '_' (at most 24)");
    if (spec["description"]) m.description = r.text(spec["description"], "description");
    if (!spec["a"]) r.fail(spec, "matrix needs `a`: the NAT types alice is behind");
    auto a = r.entries(spec["a"], "a");
    auto b = spec["b"] ? r.entries(spec["b"], "b") : a;
    auto same = spec["same_nat"] ? r.entries(spec["same_nat"], "same_nat") : std::vector<AxisEntry>{};
    check_one_nat_per_name({a, b, same});
    m.rows = names_of(a);
    m.columns = names_of(b);
    PeerTiming t;
    if (spec["punch_timeout"]) t.punch = r.seconds(spec["punch_timeout"], "punch_timeout");
    if (spec["timeout"]) t.timeout = r.seconds(spec["timeout"], "timeout");
    if (std::stod(t.punch) > std::stod(t.timeout))
        r.fail(spec["punch_timeout"] ? spec["punch_timeout"] : spec, "punch_timeout must not exceed timeout");
    auto where = r.at(spec);
    std::map<std::string, Location> open;
    for (auto& x : a)
        for (auto& y : b) {
            auto c = pair_cell(x, y, t, where);
            if (c.expected.empty()) open[c.key] = classic_type(x.nat) ? y.where : x.where;
            m.cells.push_back(std::move(c));
        }
    for (auto& e : same) m.cells.push_back(same_nat_cell(e, t, where));
    if (spec["hairpin"])
        for (bool on : r.switches(spec["hairpin"])) m.cells.push_back(hairpin_cell(on, t, where));
    check_cell_names(m, r.at(spec["a"]));
    if (spec["links"]) {
        auto links = r.links(spec["links"]);
        for (auto& [variant, link] : links) m.variants.push_back(variant);
        m.cells = with_links(m.cells, links);
    }
    if (spec["expect"]) apply_overrides(r, spec["expect"], m);
    require_outcomes(m, open);
    finish(m);
    return m;
}

// ---- judging and showing ----------------------------------------------------

const PeerResult* find(const std::map<std::string, PeerResult>& peers, const std::string& name) {
    auto it = peers.find(name);
    return it == peers.end() ? nullptr : &it->second;
}

bool matches(const std::string& expected, const std::string& seen) {
    if (expected == "connected") return seen == "local" || seen == "public" || seen == "peer-reflexive";
    return expected == seen;
}

std::string cell_text(const MatrixCell& c, const std::map<std::string, std::string>& observed) {
    auto it = observed.find(c.name);
    if (it == observed.end()) return "(not run)";
    if (matches(c.expected, it->second)) return it->second;
    return it->second + " != " + c.expected;
}

}  // namespace

bool is_matrix_file(const std::string& path) {
    try {
        auto root = load_yaml_file(path);
        return root.IsMap() && root["matrix"];
    } catch (const std::exception&) {
        return false;  // load_scenario reports what is wrong with it
    }
}

Matrix load_matrix(const std::string& path) {
    MatrixReader reader(path);
    auto root = load_yaml_file(path);
    try {
        return read_matrix(reader, path, root);
    } catch (const YAML::Exception& e) {
        throw ScenarioError({path, e.mark.line + 1, e.mark.column + 1}, e.msg);
    }
}

Matrix classic_matrix() {
    Matrix m;
    m.name = "nat_types";
    m.description = "the four classic NAT types against each other, same NAT, hairpin on and off";
    m.rows = m.columns = presets();
    Location where{"(built-in matrix)", 1, 1};
    PeerTiming t;
    auto types = named_entries(m.rows, where);
    for (auto& a : types)
        for (auto& b : types) m.cells.push_back(pair_cell(a, b, t, where));
    m.cells.push_back(same_nat_cell(type_entry("port-restricted", where), t, where));
    m.cells.push_back(hairpin_cell(true, t, where));
    m.cells.push_back(hairpin_cell(false, t, where));
    finish(m);
    return m;
}

// A symmetric NAT gives each destination its own mapping (RFC 4787 section
// 4.1, address and port dependent): the public endpoint the server saw is
// useless to the partner. A partner whose NAT filters by port as well
// (port-restricted, symmetric) never lets the probes from the new mapping
// in: no path. A cone partner does (its filter was opened toward the
// symmetric NAT's address, or never closed), learns the new endpoint from
// the probe and answers it: connected peer-reflexive. Between cone NATs the
// server-reflexive endpoints work both ways: public.
std::string expected_outcome(const std::string& a, const std::string& b) {
    auto port_filtering = [](const std::string& t) { return t == "port-restricted" || t == "symmetric"; };
    if (a == "symmetric" || b == "symmetric") {
        auto& other = a == "symmetric" ? b : a;
        return port_filtering(other) ? "not-connected" : "peer-reflexive";
    }
    return "public";
}

// The table is written for the four presets; other NATs take a preset's row
// when they map and filter as it does (RFC 4787 sections 4.1 and 5). Port
// allocation, timeouts and hairpinning do not change a punch between two
// homes with relay off and no port prediction.
std::optional<std::string> classic_type(const NatSpec& nat) {
    // The kernel's masquerade maps endpoint-independently and keeps the
    // source port; conntrack admits only replies from the exact address and
    // port a flow went to: address-and-port-dependent filtering. RFC 5780's
    // classifier (coturn's natdiscovery, scenarios/classifier.yaml, checked
    // by tests/e2e/classifier.sh) reports "Endpoint Independent Mapping,
    // Address and Port Dependent Filtering" for it: port-restricted.
    if (nat.is_linux()) return "port-restricted";
    auto base = nat::parse_nat_type(nat.type);
    if (!base) return std::nullopt;
    auto config = nat::NatConfig::preset(*base);
    auto mapping = nat.mapping ? nat::parse_mapping_behaviour(*nat.mapping) : config.mapping;
    auto filtering = nat.filtering ? nat::parse_filtering_behaviour(*nat.filtering) : config.filtering;
    for (auto& name : presets()) {
        auto preset = nat::NatConfig::preset(*nat::parse_nat_type(name));
        if (preset.mapping == mapping && preset.filtering == filtering) return name;
    }
    return std::nullopt;
}

std::string observed_outcome(const std::map<std::string, PeerResult>& peers) {
    auto* a = find(peers, "alice");
    auto* b = find(peers, "bob");
    bool a_up = a && a->connected && a->partner == "bob";
    bool b_up = b && b->connected && b->partner == "alice";
    if (!a_up && !b_up) return "not-connected";
    if (!a_up || !b_up) return "one-sided";
    if (a->path == "peer-reflexive" || b->path == "peer-reflexive") return "peer-reflexive";
    if (a->path == b->path) return a->path;
    return a->path + "/" + b->path;
}

Verdict judge_cell(const MatrixCell& cell, const std::map<std::string, PeerResult>& peers) {
    auto seen = observed_outcome(peers);
    Verdict v{
        "outcome " + cell.expected + (cell.overridden ? " (set by the matrix file)" : " (outcome table)"),
        matches(cell.expected, seen),
        {}};
    if (!v.held) v.detail = "outcome was " + seen;
    return v;
}

namespace {

// One grid (and its extra cells) for one links setting.
std::string grid_text(const Matrix& m, const std::string& variant,
                      const std::map<std::string, std::string>& observed) {
    std::size_t width = 16;
    for (auto& c : m.cells) width = std::max(width, cell_text(c, observed).size() + 2);
    auto pad = [&](const std::string& s) {
        return s + std::string(width > s.size() ? width - s.size() : 1, ' ');
    };
    auto in_grid = [&](const MatrixCell& c) {
        return std::find(m.rows.begin(), m.rows.end(), c.row) != m.rows.end();
    };
    std::ostringstream out;
    if (!variant.empty()) out << "links " << variant << ":\n";
    out << pad("alice \\ bob");
    for (auto& col : m.columns) out << pad(col);
    out << "\n";
    for (auto& row : m.rows) {
        out << pad(row);
        for (auto& col : m.columns)
            for (auto& c : m.cells)
                if (c.variant == variant && c.row == row && c.column == col)
                    out << pad(cell_text(c, observed));
        out << "\n";
    }
    for (auto& c : m.cells)
        if (c.variant == variant && !in_grid(c))
            out << pad(c.row + " " + c.column) << cell_text(c, observed) << "\n";
    return out.str();
}

}  // namespace

std::string render_matrix_text(const Matrix& m, const std::map<std::string, std::string>& observed) {
    if (m.variants.empty()) return grid_text(m, "", observed);
    std::string out;
    for (auto& v : m.variants) out += (out.empty() ? "" : "\n") + grid_text(m, v, observed);
    return out;
}

std::string render_matrix_html(const Matrix& m, const std::map<std::string, std::string>& observed) {
    auto td = [&](const MatrixCell& c) {
        auto it = observed.find(c.name);
        bool ok = it != observed.end() && matches(c.expected, it->second);
        return "<td class=\"" + std::string(ok ? "pass" : "fail") + "\"><a href=\"" + html::escape(c.name) +
               "/report.html\">" + html::escape(cell_text(c, observed)) +
               "</a><br><span class=\"muted\">expected " + html::escape(c.expected) +
               (c.overridden ? " (file)" : "") + "</span></td>";
    };
    auto in_grid = [&](const MatrixCell& c) {
        return std::find(m.rows.begin(), m.rows.end(), c.row) != m.rows.end();
    };
    std::string body = html::element("h1", "nat-lab matrix: " + m.name);
    if (!m.description.empty()) body += html::element("p", m.description) + "\n";
    auto variants = m.variants.empty() ? std::vector<std::string>{""} : m.variants;
    for (auto& v : variants) {
        if (!v.empty()) body += html::element("h2", "links " + v) + "\n";
        body += "<table><tr><th>alice \\ bob</th>";
        for (auto& col : m.columns) body += html::element("th", col);
        body += "</tr>\n";
        for (auto& row : m.rows) {
            body += "<tr>" + html::element("th", row);
            for (auto& col : m.columns)
                for (auto& c : m.cells)
                    if (c.variant == v && c.row == row && c.column == col) body += td(c);
            body += "</tr>\n";
        }
        body += "</table>\n<table>\n";
        for (auto& c : m.cells)
            if (c.variant == v && !in_grid(c))
                body += "<tr>" + html::element("th", c.scenario.description) + td(c) + "</tr>\n";
        body += "</table>\n";
    }
    body +=
        "<p class=\"muted\">Peers run with relay off; each cell links to its run's report, captures and "
        "logs.</p>\n";
    return html::page("nat-lab matrix " + m.name, body);
}

}  // namespace natlab::harness
