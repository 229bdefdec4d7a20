#include "harness/cli/matrix.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <regex>
#include <set>
#include <sstream>

#include "harness/plan/yaml_reader.h"
#include "harness/report/html.h"
#include "src/net/enum_names.h"

namespace natlab::harness {
namespace {

using nat::EnumName;
using nat::NatType;

constexpr std::array kOutcomeNames{
    EnumName<Outcome>{Outcome::Local, "local"},
    EnumName<Outcome>{Outcome::Public, "public"},
    EnumName<Outcome>{Outcome::PeerReflexive, "peer-reflexive"},
    EnumName<Outcome>{Outcome::NotConnected, "not-connected"},
    EnumName<Outcome>{Outcome::Connected, "connected"},
    EnumName<Outcome>{Outcome::OneSided, "one-sided"},
    EnumName<Outcome>{Outcome::Split, "split"},
};
static_assert(nat::names_in_order(kOutcomeNames, Outcome::Split));

// The short form of each preset in cell names: "pr-sym".
constexpr std::array kShortNames{
    EnumName<NatType>{NatType::FullCone, "fc"},
    EnumName<NatType>{NatType::Restricted, "r"},
    EnumName<NatType>{NatType::PortRestricted, "pr"},
    EnumName<NatType>{NatType::Symmetric, "sym"},
};
static_assert(nat::names_in_order(kShortNames, NatType::Symmetric));

// Peers in a cell: relay off, a short punch, a few messages (docs/commands.md).
// Unset: the peers' defaults of the built-in grid (1 s and 2 s).
struct PeerTiming {
    std::optional<Millis> punch;    // --punch-timeout
    std::optional<Millis> timeout;  // --timeout
    Millis punch_or_default() const { return punch.value_or(Millis(1000)); }
    Millis timeout_or_default() const { return timeout.value_or(Millis(2000)); }
};

// A peer's flag value: as given in the file ("0.500000"), or the default's
// whole seconds ("1").
std::string seconds_arg(const std::optional<Millis>& given, int default_s) {
    if (!given) return std::to_string(default_s);
    return std::to_string(given->count() / 1000.0);
}

std::vector<NatType> presets() {
    std::vector<NatType> out;
    for (auto& name : nat::names_of<NatType>()) out.push_back(*nat::parse_nat_type(name));
    return out;
}

std::string name_of(NatType t) {
    return std::string(nat::to_string(t));
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

std::vector<AxisEntry> preset_entries(const Location& where) {
    std::vector<AxisEntry> out;
    for (auto t : presets()) out.push_back(type_entry(name_of(t), where));
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

// Presets by their short form, other entries by their own name.
std::string short_name(const AxisEntry& e) {
    if (e.is_explicit) return e.name;
    auto t = nat::parse_nat_type(e.name);
    return t ? std::string(nat::name_of(kShortNames, *t)) : e.name;
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
std::optional<Outcome> table_outcome(const NatSpec& a, const NatSpec& b) {
    auto ta = classic_type(a), tb = classic_type(b);
    if (!ta || !tb) return std::nullopt;
    return expected_outcome(*ta, *tb);
}

NatSpec nat_spec(const std::string& name, const std::string& type, const Location& where) {
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
    std::vector<std::string> argv = {"peer",
                                     "--server",
                                     "${server}:3478",
                                     "--name",
                                     name,
                                     "--no-relay",
                                     "--punch-timeout",
                                     seconds_arg(t.punch, 1),
                                     "--timeout",
                                     seconds_arg(t.timeout, 2),
                                     "--messages",
                                     "3"};
    if (!partner.empty()) argv.insert(argv.end(), {"--connect", partner});
    return argv;
}

Expectation pair_expectation(Outcome expected, const Location& where) {
    Expectation e;
    e.kind = expected == Outcome::NotConnected ? ExpectKind::NotConnected : ExpectKind::Connected;
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
    s.timeout = t.timeout_or_default() + Millis(5000);
    auto server = host("server", "internet", {"rendezvous", "--listen", "0.0.0.0:3478", "--no-relay"}, where);
    server.addresses = {*Ipv4::parse("198.18.0.2")};
    s.hosts = {server, host("alice", a_nat, peer_argv("alice", "bob", t), where),
               host("bob", b_nat, peer_argv("bob", "", t), where)};
    return s;
}

// `expected` is left empty (nullopt) when the table has no outcome for the pair.
struct PairCell {
    MatrixCell cell;
    std::optional<Outcome> table;
};

PairCell pair_cell(const AxisEntry& a, const AxisEntry& b, const PeerTiming& t, const Location& where) {
    MatrixCell c;
    c.name = short_name(a) + "-" + short_name(b);
    c.key = a.name + " x " + b.name;
    c.row = a.name;
    c.column = b.name;
    c.scenario = cell_scenario(c.name, "nat-a", "nat-b", t, where);
    c.scenario.description = "alice behind " + describe_entry(a) + ", bob behind " + describe_entry(b);
    c.scenario.nats = {placed(a, "nat-a"), placed(b, "nat-b")};
    auto table = table_outcome(a.nat, b.nat);
    if (table) c.expected = *table;
    return {std::move(c), table};
}

MatrixCell same_nat_cell(const AxisEntry& e, const PeerTiming& t, const Location& where) {
    MatrixCell c;
    c.name = "same-" + short_name(e);
    c.key = "same " + e.name;
    c.row = "same NAT";
    c.column = e.name;
    c.expected = Outcome::Local;
    c.scenario = cell_scenario(c.name, "home", "home", t, where);
    c.scenario.description = "alice and bob behind one " + describe_entry(e) + " NAT";
    c.scenario.nats = {placed(e, "home")};
    return c;
}

// The outer NAT and the two homes behind it, hairpinning `on` or not.
std::vector<NatSpec> hairpin_nats(bool on, const Location& where) {
    auto outer = nat_spec("outer", "port-restricted", where);
    outer.hairpin = on;
    outer.lan = Cidr::parse("100.64.0.0/24");
    auto home_a = nat_spec("home-a", "port-restricted", where);
    auto home_b = nat_spec("home-b", "port-restricted", where);
    home_a.behind = home_b.behind = "outer";
    return {outer, home_a, home_b};
}

// Two homes behind one outer NAT: the peers' local endpoints are in two
// different LANs, so their only path is the outer NAT's hairpin.
MatrixCell hairpin_cell(bool on, const PeerTiming& t, const Location& where) {
    MatrixCell c;
    c.name = on ? "hairpin-on" : "hairpin-off";
    c.key = on ? "hairpin on" : "hairpin off";
    c.row = "hairpin";
    c.column = on ? "on" : "off";
    c.expected = on ? Outcome::Public : Outcome::NotConnected;
    c.scenario = cell_scenario(c.name, "home-a", "home-b", t, where);
    c.scenario.description =
        std::string("two homes behind one outer NAT, hairpinning ") + (on ? "on" : "off");
    c.scenario.nats = hairpin_nats(on, where);
    return c;
}

bool impaired(const LinkImpairment& l) {
    return l.delay || l.jitter || l.loss || l.rate;
}

using LinkSettings = std::vector<std::pair<std::string, LinkImpairment>>;

// One cell under one links setting: both peers' links impaired alike.
MatrixCell under_link(MatrixCell c, const std::string& variant, const LinkImpairment& link) {
    c.variant = variant;
    c.name += "@" + variant;
    c.key += " @ " + variant;
    c.scenario.name = c.name;
    c.scenario.description += ", links " + variant;
    if (!impaired(link)) return c;
    for (auto& h : c.scenario.hosts)
        if (h.name != "server") h.link = link;
    return c;
}

// Every cell once per links setting.
std::vector<MatrixCell> with_links(const std::vector<MatrixCell>& cells, const LinkSettings& links) {
    std::vector<MatrixCell> out;
    for (auto& [variant, link] : links)
        for (auto& c : cells) out.push_back(under_link(c, variant, link));
    return out;
}

void finish(Matrix& m) {
    for (auto& c : m.cells)
        c.scenario.expectations = {pair_expectation(c.expected, c.scenario.hosts[1].where)};
}

// ---- reading a matrix file --------------------------------------------------

const std::set<std::string> kEntryKeys = {"name",
                                          "type",
                                          "mapping",
                                          "filtering",
                                          "port_allocation",
                                          "mapping_timeout",
                                          "refresh_on_inbound",
                                          "hairpin",
                                          "port_range"};

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
            check_fresh(out, e, what);
            out.push_back(e);
        }
        return out;
    }

    std::vector<bool> switches(const YAML::Node& n) const {
        if (!n.IsSequence() || n.size() == 0) fail(n, "hairpin must be a non-empty list of on/off");
        std::vector<bool> out;
        for (auto item : n) {
            bool on = one_switch(item);
            if (std::find(out.begin(), out.end(), on) != out.end())
                fail(item, "hairpin '" + item.Scalar() + "' twice");
            out.push_back(on);
        }
        return out;
    }

    // `links: {NAME: {delay: D, jitter: D, loss: PCT, rate: RATE}, ...}`;
    // an empty setting ({}) is a clean link.
    LinkSettings links(const YAML::Node& n) const {
        check_map(n, "links", {});
        if (n.size() == 0)
            fail(n, "links must name at least one setting, e.g. clean: {} or lossy: {loss: 20%}");
        LinkSettings out;
        for (auto it : n) out.emplace_back(link_name(it.first), link_setting(it.first.Scalar(), it.second));
        return out;
    }

    Millis seconds(const YAML::Node& n, const std::string& what) const {
        auto value = text(n, what);
        auto d = parse_duration(value);
        if (!d || d->count() <= 0 || d->count() > 600'000)
            fail(n, what + " must be a duration from 1ms to 600s like 1s or 500ms, not '" + value + "'");
        return *d;
    }

    Outcome outcome(const YAML::Node& n) const {
        auto word = text(n, "an outcome");
        auto o = parse_outcome(word);
        if (!o) fail(n, "unknown outcome '" + word + "' (expected one of: " + join(outcome_words()) + ")");
        return *o;
    }

private:
    static void check_fresh(const std::vector<AxisEntry>& seen, const AxisEntry& e, const std::string& what) {
        for (auto& s : seen)
            if (s.name == e.name)
                throw ScenarioError(e.name_where, std::string(e.is_explicit ? "NAT '" : "NAT type '") +
                                                      e.name + "' twice in " + what);
    }

    // `full-cone`, ..., `symmetric`, or `linux`: the kernel's NAT.
    AxisEntry named_entry(const YAML::Node& n, const std::string& what) const {
        if (!n.IsScalar())
            fail(n, "entries of " + what +
                        " must be NAT types or NATs like {name: eim-adf, filtering: address-dependent}");
        auto t = n.Scalar();
        if (t != "linux" && !nat::parse_nat_type(t))
            fail(n, "unknown NAT type '" + t + "' in " + what +
                        " (expected one of: " + join(nat::names_of<NatType>()) +
                        ", linux, or a NAT like {name: eim-adf, filtering: address-dependent})");
        return type_entry(t, at(n));
    }

    // `{name: SHORT, type: ..., mapping: ..., ...}`: the NAT keys a scenario
    // takes, read by the scenario's own reader.
    AxisEntry explicit_entry(const YAML::Node& n, const std::string& what) const {
        check_map(n, "NAT in " + what, kEntryKeys);
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

    bool one_switch(const YAML::Node& item) const {
        auto v = text(item, "hairpin entries");
        bool on = v == "on" || v == "true" || v == "yes";
        if (!on && v != "off" && v != "false" && v != "no")
            fail(item, "hairpin entries must be on or off, not '" + v + "'");
        return on;
    }

    std::string link_name(const YAML::Node& key) const {
        static const std::regex re("^[a-z][a-z0-9_-]{0,15}$");
        auto name = key.Scalar();
        if (!std::regex_match(name, re))
            fail(key, "links setting '" + name +
                          "' must start with a lowercase letter and use a-z, 0-9, "
                          "'-', '_' (at most 16)");
        return name;
    }

    LinkImpairment link_setting(const std::string& name, const YAML::Node& n) const {
        auto what = "links setting '" + name + "'";
        if (!n.IsMap() || n.size() != 0) return read_impairment(*this, n, what, " in " + what);
        LinkImpairment clean;  // {}: a clean link
        clean.where = at(n);
        return clean;
    }
};

// "A x B" names the cell under every links setting; "A x B @ v" one of them.
std::string base_key(const std::string& key) {
    return key.substr(0, key.find(" @ "));
}

std::vector<std::string> keys_of(const Matrix& m) {
    std::vector<std::string> keys;
    for (auto& c : m.cells) keys.push_back(c.key);
    return keys;
}

// Sets every cell `key` names; false when it names none.
bool override_cells(Matrix& m, const std::string& key, Outcome outcome) {
    bool found = false;
    for (auto& c : m.cells) {
        if (c.key != key && base_key(c.key) != key) continue;
        found = true;
        c.expected = outcome;
        c.overridden = true;
    }
    return found;
}

void apply_overrides(const MatrixReader& r, const YAML::Node& expect, Matrix& m) {
    r.check_map(expect, "matrix expect", {});
    for (auto it : expect) {
        auto key = r.text(it.first, "a cell");
        auto outcome = r.outcome(it.second);
        if (!override_cells(m, key, outcome))
            r.fail(it.first, "no cell '" + key + "' in this matrix (cells: " + join(keys_of(m)) + ")");
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

// Pair cells the table has no outcome for, by base key, with the entry
// that leaves each open: the file must give them under expect:.
using OpenCells = std::map<std::string, Location>;

void require_outcomes(const Matrix& m, const OpenCells& open) {
    for (auto& c : m.cells)
        if (!c.overridden && open.count(base_key(c.key)))
            throw ScenarioError(open.at(base_key(c.key)),
                                "no expected outcome for cell '" + c.key +
                                    "' in the outcome table (mapping/filtering not a classic type): "
                                    "give it under expect:");
}

// The axes of a matrix file, read.
struct Axes {
    std::vector<AxisEntry> a, b, same;
    std::vector<bool> hairpin;
};

void read_header(const MatrixReader& r, const YAML::Node& spec, Matrix& m) {
    if (!spec["name"]) r.fail(spec, "matrix needs a name");
    m.name = r.text(spec["name"], "name");
    static const std::regex re("^[a-z][a-z0-9_-]{0,23}$");
    if (!std::regex_match(m.name, re))
        r.fail(spec["name"],
               "matrix name '" + m.name +
                   "' must start with a lowercase letter and use only a-z, 0-9, '-', '_' (at most 24)");
    if (spec["description"]) m.description = r.text(spec["description"], "description");
}

Axes read_axes(const MatrixReader& r, const YAML::Node& spec) {
    if (!spec["a"]) r.fail(spec, "matrix needs `a`: the NAT types alice is behind");
    Axes x;
    x.a = r.entries(spec["a"], "a");
    x.b = spec["b"] ? r.entries(spec["b"], "b") : x.a;
    if (spec["same_nat"]) x.same = r.entries(spec["same_nat"], "same_nat");
    if (spec["hairpin"]) x.hairpin = r.switches(spec["hairpin"]);
    check_one_nat_per_name({x.a, x.b, x.same});
    return x;
}

PeerTiming read_timing(const MatrixReader& r, const YAML::Node& spec) {
    PeerTiming t;
    if (spec["punch_timeout"]) t.punch = r.seconds(spec["punch_timeout"], "punch_timeout");
    if (spec["timeout"]) t.timeout = r.seconds(spec["timeout"], "timeout");
    if (t.punch_or_default() > t.timeout_or_default())
        r.fail(spec["punch_timeout"] ? spec["punch_timeout"] : spec, "punch_timeout must not exceed timeout");
    return t;
}

// Every pair of a x b, then the same-NAT and hairpin cells; `open` collects
// the pairs without a table outcome.
void expand(Matrix& m, const Axes& x, const PeerTiming& t, const Location& where, OpenCells& open) {
    m.rows = names_of(x.a);
    m.columns = names_of(x.b);
    for (auto& a : x.a)
        for (auto& b : x.b) {
            auto [c, table] = pair_cell(a, b, t, where);
            if (!table) open[c.key] = classic_type(a.nat) ? b.where : a.where;
            m.cells.push_back(std::move(c));
        }
    for (auto& e : x.same) m.cells.push_back(same_nat_cell(e, t, where));
    for (bool on : x.hairpin) m.cells.push_back(hairpin_cell(on, t, where));
}

void read_links(const MatrixReader& r, const YAML::Node& spec, Matrix& m) {
    if (!spec["links"]) return;
    auto links = r.links(spec["links"]);
    for (auto& [variant, link] : links) m.variants.push_back(variant);
    m.cells = with_links(m.cells, links);
}

const std::set<std::string> kMatrixKeys = {
    "name", "description", "a", "b", "same_nat", "hairpin", "links", "punch_timeout", "timeout", "expect"};

Matrix read_matrix(const MatrixReader& r, const std::string& path, const YAML::Node& root) {
    r.check_map(root, "the matrix file", {"matrix"});
    auto spec = root["matrix"];
    r.check_map(spec, "matrix", kMatrixKeys);
    Matrix m;
    m.file = path;
    read_header(r, spec, m);
    auto axes = read_axes(r, spec);
    OpenCells open;
    expand(m, axes, read_timing(r, spec), r.at(spec), open);
    check_cell_names(m, r.at(spec["a"]));
    read_links(r, spec, m);
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

// A peer's path word as an outcome ("local", "public", "peer-reflexive").
std::optional<Outcome> path_outcome(const std::string& path) {
    auto o = nat::value_of(kOutcomeNames, path);
    if (o == Outcome::Local || o == Outcome::Public || o == Outcome::PeerReflexive) return o;
    return std::nullopt;
}

std::string cell_text(const MatrixCell& c, const Observed& observed) {
    auto it = observed.find(c.name);
    if (it == observed.end()) return "(not run)";
    if (matches(c.expected, it->second)) return it->second.text();
    return it->second.text() + " != " + std::string(to_string(c.expected));
}

}  // namespace

std::string_view to_string(Outcome o) {
    return nat::name_of(kOutcomeNames, o);
}

std::optional<Outcome> parse_outcome(std::string_view text) {
    auto o = nat::value_of(kOutcomeNames, text);
    if (!o || *o > Outcome::Connected) return std::nullopt;
    return o;
}

std::vector<std::string> outcome_words() {
    std::vector<std::string> out;
    for (auto& row : kOutcomeNames)
        if (row.value <= Outcome::Connected) out.emplace_back(row.text);
    return out;
}

std::string Seen::text() const {
    return outcome == Outcome::Split ? paths : std::string(to_string(outcome));
}

bool matches(Outcome expected, const Seen& seen) {
    auto o = seen.outcome;
    if (expected == Outcome::Connected)
        return o == Outcome::Local || o == Outcome::Public || o == Outcome::PeerReflexive;
    return expected == o;
}

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
    Location where{"(built-in matrix)", 1, 1};
    Axes x;
    x.a = x.b = preset_entries(where);
    x.same = {type_entry(name_of(NatType::PortRestricted), where)};
    x.hairpin = {true, false};
    OpenCells open;
    expand(m, x, PeerTiming{}, where, open);
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
Outcome expected_outcome(NatType a, NatType b) {
    auto port_filtering = [](NatType t) { return t == NatType::PortRestricted || t == NatType::Symmetric; };
    if (a != NatType::Symmetric && b != NatType::Symmetric) return Outcome::Public;
    auto other = a == NatType::Symmetric ? b : a;
    return port_filtering(other) ? Outcome::NotConnected : Outcome::PeerReflexive;
}

// The table is written for the four presets; other NATs take a preset's row
// when they map and filter as it does (RFC 4787 sections 4.1 and 5). Port
// allocation, timeouts and hairpinning do not change a punch between two
// homes with relay off and no port prediction.
std::optional<NatType> classic_type(const NatSpec& nat) {
    // The kernel's masquerade maps endpoint-independently and keeps the
    // source port; conntrack admits only replies from the exact address and
    // port a flow went to: address-and-port-dependent filtering. RFC 5780's
    // classifier (coturn's natdiscovery, scenarios/classifier.yaml, checked
    // by tests/e2e/classifier.sh) reports "Endpoint Independent Mapping,
    // Address and Port Dependent Filtering" for it: port-restricted.
    if (nat.is_linux()) return NatType::PortRestricted;
    auto base = nat::parse_nat_type(nat.type);
    if (!base) return std::nullopt;
    auto config = nat::NatConfig::preset(*base);
    auto mapping = nat.mapping ? *nat::parse_mapping_behaviour(*nat.mapping) : config.mapping;
    auto filtering = nat.filtering ? *nat::parse_filtering_behaviour(*nat.filtering) : config.filtering;
    for (auto t : presets()) {
        auto preset = nat::NatConfig::preset(t);
        if (preset.mapping == mapping && preset.filtering == filtering) return t;
    }
    return std::nullopt;
}

Seen observed_outcome(const std::map<std::string, PeerResult>& peers) {
    auto* a = find(peers, "alice");
    auto* b = find(peers, "bob");
    bool a_up = a && a->connected && a->partner == "bob";
    bool b_up = b && b->connected && b->partner == "alice";
    if (!a_up && !b_up) return Outcome::NotConnected;
    if (!a_up || !b_up) return Outcome::OneSided;
    if (a->path == "peer-reflexive" || b->path == "peer-reflexive") return Outcome::PeerReflexive;
    auto path = path_outcome(a->path);
    if (a->path == b->path && path) return *path;
    Seen split(Outcome::Split);
    split.paths = a->path == b->path ? a->path : a->path + "/" + b->path;
    return split;
}

Verdict judge_cell(const MatrixCell& cell, const std::map<std::string, PeerResult>& peers) {
    auto seen = observed_outcome(peers);
    auto word = std::string(to_string(cell.expected));
    Verdict v{"outcome " + word + (cell.overridden ? " (set by the matrix file)" : " (outcome table)"),
              matches(cell.expected, seen),
              {}};
    if (!v.held) v.detail = "outcome was " + seen.text();
    return v;
}

namespace {

bool in_grid(const Matrix& m, const MatrixCell& c) {
    return std::find(m.rows.begin(), m.rows.end(), c.row) != m.rows.end();
}

const MatrixCell* at_cell(const Matrix& m, const std::string& variant, const std::string& row,
                          const std::string& column) {
    for (auto& c : m.cells)
        if (c.variant == variant && c.row == row && c.column == column) return &c;
    return nullptr;
}

// Columns as wide as the widest cell text, at least 16.
class TextGrid {
public:
    TextGrid(const Matrix& m, const Observed& observed) : m_(m), observed_(observed) {
        for (auto& c : m.cells) width_ = std::max(width_, cell_text(c, observed).size() + 2);
    }
    std::string pad(const std::string& s) const {
        return s + std::string(width_ > s.size() ? width_ - s.size() : 1, ' ');
    }
    std::string header() const {
        std::string line = pad("alice \\ bob");
        for (auto& col : m_.columns) line += pad(col);
        return line + "\n";
    }
    std::string row(const std::string& variant, const std::string& row) const {
        std::string line = pad(row);
        for (auto& col : m_.columns)
            if (auto* c = at_cell(m_, variant, row, col)) line += pad(cell_text(*c, observed_));
        return line + "\n";
    }
    std::string extras(const std::string& variant) const {
        std::string out;
        for (auto& c : m_.cells)
            if (c.variant == variant && !in_grid(m_, c))
                out += pad(c.row + " " + c.column) + cell_text(c, observed_) + "\n";
        return out;
    }

private:
    const Matrix& m_;
    const Observed& observed_;
    std::size_t width_ = 16;
};

// One grid (and its extra cells) for one links setting.
std::string grid_text(const Matrix& m, const std::string& variant, const Observed& observed) {
    TextGrid grid(m, observed);
    std::string out = variant.empty() ? "" : "links " + variant + ":\n";
    out += grid.header();
    for (auto& row : m.rows) out += grid.row(variant, row);
    return out + grid.extras(variant);
}

std::string html_td(const MatrixCell& c, const Observed& observed) {
    auto it = observed.find(c.name);
    bool ok = it != observed.end() && matches(c.expected, it->second);
    return "<td class=\"" + std::string(ok ? "pass" : "fail") + "\"><a href=\"" + html::escape(c.name) +
           "/report.html\">" + html::escape(cell_text(c, observed)) +
           "</a><br><span class=\"muted\">expected " + html::escape(std::string(to_string(c.expected))) +
           (c.overridden ? " (file)" : "") + "</span></td>";
}

std::string html_grid(const Matrix& m, const std::string& v, const Observed& observed) {
    std::string body = "<table><tr><th>alice \\ bob</th>";
    for (auto& col : m.columns) body += html::element("th", col);
    body += "</tr>\n";
    for (auto& row : m.rows) {
        body += "<tr>" + html::element("th", row);
        for (auto& col : m.columns)
            if (auto* c = at_cell(m, v, row, col)) body += html_td(*c, observed);
        body += "</tr>\n";
    }
    return body + "</table>\n";
}

std::string html_extras(const Matrix& m, const std::string& v, const Observed& observed) {
    std::string body = "<table>\n";
    for (auto& c : m.cells)
        if (c.variant == v && !in_grid(m, c))
            body += "<tr>" + html::element("th", c.scenario.description) + html_td(c, observed) + "</tr>\n";
    return body + "</table>\n";
}

std::vector<std::string> variants_or_none(const Matrix& m) {
    return m.variants.empty() ? std::vector<std::string>{""} : m.variants;
}

}  // namespace

std::string render_matrix_text(const Matrix& m, const Observed& observed) {
    std::string out;
    for (auto& v : variants_or_none(m)) out += (out.empty() ? "" : "\n") + grid_text(m, v, observed);
    return out;
}

std::string render_matrix_html(const Matrix& m, const Observed& observed) {
    std::string body = html::element("h1", "nat-lab matrix: " + m.name);
    if (!m.description.empty()) body += html::element("p", m.description) + "\n";
    for (auto& v : variants_or_none(m)) {
        if (!v.empty()) body += html::element("h2", "links " + v) + "\n";
        body += html_grid(m, v, observed) + html_extras(m, v, observed);
    }
    body +=
        "<p class=\"muted\">Peers run with relay off; each cell links to its run's report, captures and "
        "logs.</p>\n";
    return html::page("nat-lab matrix " + m.name, body);
}

}  // namespace natlab::harness
