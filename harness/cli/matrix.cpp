// Reading a matrix file: every key checked (FILE:LINE:COL: what is wrong)
// before anything is expanded; matrix_cells.cpp expands the spec read here.
// The built-in template and grid (scenarios/matrix/) are compiled in
// (builtin_templates.h), so `nat-lab matrix` needs no file on disk.
#include "harness/cli/matrix.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <regex>
#include <set>

#include "harness/cli/builtin_templates.h"
#include "harness/cli/matrix_spec.h"
#include "harness/plan/ipv6_keys.h"
#include "harness/plan/yaml_reader.h"
#include "simulator/nat/profile.h"

namespace natlab::harness {
namespace {

namespace fs = std::filesystem;
using nat::NatType;

AxisEntry type_entry(const std::string& type, const Location& where) {
    AxisEntry e;
    e.name = e.nat.type = type;
    e.where = e.name_where = where;
    return e;
}

bool same_port_mapping(const std::optional<PortMappingSpec>& x, const std::optional<PortMappingSpec>& y) {
    if (!x || !y) return !x && !y;
    return x->protocols == y->protocols && x->refuse == y->refuse && x->min_lifetime == y->min_lifetime &&
           x->max_lifetime == y->max_lifetime && x->per_host == y->per_host &&
           x->honour_port == y->honour_port && x->third_party == y->third_party &&
           x->upnp_igd == y->upnp_igd && x->upnp_permanent_only == y->upnp_permanent_only;
}

// Two entries of one name must be one NAT: a name means one behaviour in a file.
bool same_behaviour(const NatSpec& x, const NatSpec& y) {
    return x.type == y.type && x.mapping == y.mapping && x.filtering == y.filtering &&
           x.port_allocation == y.port_allocation && x.mapping_timeout == y.mapping_timeout &&
           x.port_range == y.port_range && x.refresh_on_inbound == y.refresh_on_inbound &&
           x.hairpin == y.hairpin && x.mapping_timeout_before_inbound == y.mapping_timeout_before_inbound &&
           x.port_parity == y.port_parity && x.port_block_size == y.port_block_size &&
           x.port_blocks_per_host == y.port_blocks_per_host && x.mappings_per_host == y.mappings_per_host &&
           x.pooling == y.pooling && same_port_mapping(x.port_mapping, y.port_mapping) &&
           x.ipv6.mode == y.ipv6.mode && x.ipv6.filtering == y.ipv6.filtering;
}

// An explicit entry: a short name and the keys that say how a scenario's
// NAT behaves, IPv4 and IPv6 (`ipv6`, `ipv6_filtering`: what the NAT does
// to its LAN's IPv6; the LAN's stack stays the template's). Made on first
// use: scenario.cpp's list is another file's static.
const std::set<std::string>& entry_keys() {
    static const std::set<std::string> keys = [] {
        auto k = nat_emulator_keys();
        k.insert({"name", "type", "ipv6", "ipv6_filtering"});
        return k;
    }();
    return keys;
}

const std::set<std::string> kMatrixKeys = {"name",          "description", "template", "scenario", "axes",
                                           "same_nat",      "hairpin",     "links",    "peers",    "when",
                                           "punch_timeout", "timeout",     "expect"};

// The built-in template's axes, peers and classes: what a matrix file
// without template: or scenario: gets (scenarios/matrix/classic.yaml spells
// them out).
const std::vector<std::pair<std::string, std::string>> kBuiltinAxes = {{"a", "nat-a"}, {"b", "nat-b"}};

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
        if (!o)
            fail(n, "unknown outcome '" + word + "' (expected one of: " + join_words(outcome_words()) + ")");
        return *o;
    }

private:
    static void check_fresh(const std::vector<AxisEntry>& seen, const AxisEntry& e, const std::string& what) {
        for (auto& s : seen)
            if (s.name == e.name)
                throw ScenarioError(e.name_where, std::string(e.is_explicit ? "NAT '" : "NAT type '") +
                                                      e.name + "' twice in " + what);
    }

    // `full-cone`, ..., `symmetric`, a profile (`linux-masquerade`, ...), or `linux`: the kernel's NAT.
    AxisEntry named_entry(const YAML::Node& n, const std::string& what) const {
        if (!n.IsScalar())
            fail(n, "entries of " + what +
                        " must be NAT types or NATs like {name: eim-adf, filtering: address-dependent}");
        const auto& t = n.Scalar();
        if (t != "linux" && !nat::config_of_type(t))
            fail(n, "unknown NAT type '" + t + "' in " + what +
                        " (expected one of: " + join_words(nat::names_of<NatType>()) +
                        ", linux, or a NAT like {name: eim-adf, filtering: address-dependent}; profiles: " +
                        join_words(nat::names_of<nat::NatProfile>()) + ")");
        return type_entry(t, at(n));
    }

    // `{name: SHORT, type: ..., mapping: ..., ...}`: the NAT keys a scenario
    // takes, read by the scenario's own reader.
    AxisEntry explicit_entry(const YAML::Node& n, const std::string& what) const {
        check_map(n, "NAT in " + what, entry_keys());
        if (!n["name"]) fail(n, "NAT in " + what + " needs name: (a short name for its cells, like eim-adf)");
        AxisEntry e;
        e.name = e.nat.name = entry_name(n["name"]);
        e.where = at(n);
        e.name_where = at(n["name"]);
        e.is_explicit = true;
        read_nat_behaviour(*this, n, e.nat);
        read_nat_ipv6(*this, n, e.nat);
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

// ---- the template -------------------------------------------------------------

bool is_builtin(const std::string& path) {
    return path.rfind(kBuiltinDir, 0) == 0;
}

YAML::Node load_any(const std::string& path) {
    if (!is_builtin(path)) return load_yaml_file(path);
    return YAML::Load(builtin_text(path.substr(kBuiltinDir.size())));
}

Scenario load_template(const std::string& path) {
    if (!is_builtin(path)) return load_scenario(path);
    return scenario_from_yaml(path, load_any(path));
}

// `template: FILE` relative to the matrix file, `scenario:` inline, or the
// built-in peer template. Returns whether it is the built-in one.
bool read_template(const MatrixReader& r, const std::string& path, const YAML::Node& spec, MatrixSpec& out) {
    auto file = spec["template"], inline_scenario = spec["scenario"];
    if (file && inline_scenario) r.fail(inline_scenario, "a matrix takes template: or scenario:, not both");
    if (inline_scenario) {
        if (!inline_scenario.IsMap())
            r.fail(inline_scenario, "scenario must be a scenario (a mapping with hosts:)");
        out.base = scenario_from_yaml(path, inline_scenario);
        return false;
    }
    if (!file) {
        out.base = load_template(std::string(kBuiltinDir) + "peer_pair.yaml");
        return true;
    }
    auto name = r.text(file, "template");
    auto resolved = (fs::path(path).parent_path() / name).lexically_normal().string();
    if (!is_builtin(resolved) && !fs::is_regular_file(resolved))
        r.fail(file, "no template scenario '" + name + "' (looked for " + resolved + ")");
    if (!is_builtin(resolved) && is_matrix_file(resolved))
        r.fail(file, "template '" + name + "' is a matrix file; a template is a scenario");
    out.base = load_template(resolved);
    return false;
}

// ---- axes -----------------------------------------------------------------------

std::vector<std::string> nat_names(const Scenario& s) {
    std::vector<std::string> out;
    for (auto& n : s.nats) out.push_back(n.name);
    return out;
}

std::string axis_name(const MatrixReader& r, const YAML::Node& key) {
    static const std::regex re("^[a-z][a-z0-9_]{0,15}$");
    auto name = key.Scalar();
    if (!std::regex_match(name, re))
        r.fail(key, "axis name '" + name +
                        "' must start with a lowercase letter and use a-z, 0-9, '_' (at most 16)");
    if (kMatrixKeys.count(name))
        r.fail(key, "axis name '" + name + "' is a key of matrix files; choose another");
    return name;
}

std::string axis_nat(const MatrixReader& r, const YAML::Node& value, const Scenario& base,
                     const std::vector<Axis>& seen) {
    auto nat = r.text(value, "an axis NAT");
    if (!base.find_nat(nat))
        r.fail(value, "no NAT '" + nat + "' in the template (its NATs: " + join_words(nat_names(base)) + ")");
    for (auto& a : seen)
        if (a.nat == nat) r.fail(value, "NAT '" + nat + "' is axis '" + a.name + "' already");
    return nat;
}

// `axes: {AXIS: NAT, ...}`: which NATs of the template the cells vary.
std::vector<Axis> read_axis_names(const MatrixReader& r, const YAML::Node& spec, const Scenario& base,
                                  bool builtin) {
    std::vector<Axis> axes;
    auto n = spec["axes"];
    if (!n && builtin) {
        for (auto& [name, nat] : kBuiltinAxes) axes.push_back({name, nat, {}});
        return axes;
    }
    if (!n) r.fail(spec, "a template matrix needs axes: {AXIS: NAT, ...}, the template's NATs it varies");
    if (!n.IsMap() || n.size() == 0)
        r.fail(n, "axes must map axis names to NATs of the template, like {a: home}");
    r.check_map(n, "axes", {});
    for (auto it : n) {
        auto name = axis_name(r, it.first);
        axes.push_back({name, axis_nat(r, it.second, base, axes), {}});
    }
    return axes;
}

// One name, one NAT: an explicit name used in two axes describes the same NAT.
void check_one_nat_per_name(const std::vector<const std::vector<AxisEntry>*>& lists) {
    std::map<std::string, const AxisEntry*> first;
    for (auto* list : lists)
        for (auto& e : *list) {
            auto [it, fresh] = first.emplace(e.name, &e);
            if (!fresh && !same_behaviour(it->second->nat, e.nat))
                throw ScenarioError(e.name_where, "NAT '" + e.name + "' is not the NAT of that name at " +
                                                      it->second->name_where.to_string() +
                                                      ": one name, one NAT");
        }
}

// Each axis's entries under its name; an axis without a list takes the first's.
void read_axis_entries(const MatrixReader& r, const YAML::Node& spec, MatrixSpec& s, bool builtin) {
    auto& first = s.axes[0];
    if (!spec[first.name] && builtin) r.fail(spec, "matrix needs `a`: the NAT types alice is behind");
    if (!spec[first.name])
        r.fail(spec, "matrix needs `" + first.name + "`: the NATs of axis " + first.name +
                         " (the template's '" + first.nat + "')");
    for (auto& axis : s.axes)
        axis.entries = spec[axis.name] ? r.entries(spec[axis.name], axis.name) : first.entries;
}

// `same_nat` and `hairpin` put the first two axes' hosts together.
void read_shapes(const MatrixReader& r, const YAML::Node& spec, MatrixSpec& s) {
    for (auto key : {"same_nat", "hairpin"})
        if (spec[key] && s.axes.size() < 2)
            r.fail(spec[key],
                   std::string(key) + " needs two axes: it brings the hosts of the first two together");
    if (spec["same_nat"]) s.same = r.entries(spec["same_nat"], "same_nat");
    if (!spec["hairpin"]) return;
    s.hairpin = r.switches(spec["hairpin"]);
    if (s.base.find_nat("outer") || s.base.find_host("outer"))
        r.fail(spec["hairpin"], "hairpin adds a NAT named 'outer'; the template has one already");
}

std::vector<const std::vector<AxisEntry>*> all_lists(const MatrixSpec& s) {
    std::vector<const std::vector<AxisEntry>*> lists;
    for (auto& a : s.axes) lists.push_back(&a.entries);
    lists.push_back(&s.same);
    return lists;
}

// ---- how cells are judged --------------------------------------------------------

PeerTiming read_timing(const MatrixReader& r, const YAML::Node& spec, const Scenario& base) {
    PeerTiming t;
    if (spec["punch_timeout"]) t.punch = r.seconds(spec["punch_timeout"], "punch_timeout");
    if (spec["timeout"]) t.timeout = r.seconds(spec["timeout"], "timeout");
    if (t.punch.value_or(Millis(1000)) > t.timeout.value_or(Millis(2000)))
        r.fail(spec["punch_timeout"] ? spec["punch_timeout"] : spec, "punch_timeout must not exceed timeout");
    bool any = std::any_of(base.hosts.begin(), base.hosts.end(), runs_peer);
    for (auto key : {"punch_timeout", "timeout"})
        if (spec[key] && !any)
            r.fail(spec[key], std::string(key) +
                                  " sets the flags of hosts that run nat-lab's peer; the template has none");
    return t;
}

// `peers: [A, B]`: the hosts whose peer result lines give the outcome.
std::vector<std::string> read_peers(const MatrixReader& r, const YAML::Node& n, const Scenario& base) {
    if (!n.IsSequence() || n.size() != 2)
        r.fail(n, "peers must name two hosts that run nat-lab's peer, like [alice, bob]");
    std::vector<std::string> out;
    for (auto item : n) {
        auto name = r.text(item, "a peer");
        auto* h = base.find_host(name);
        if (!h) r.fail(item, "no host '" + name + "' in the template");
        if (h->run.empty()) r.fail(item, "host '" + name + "' runs nothing; peers run nat-lab's peer");
        out.push_back(name);
    }
    if (out[0] == out[1]) r.fail(n, "peers must name two different hosts");
    return out;
}

std::vector<std::string> ids_of(const Scenario& s) {
    std::vector<std::string> out;
    for (auto& e : s.expectations)
        if (!e.id.empty()) out.push_back(e.id);
    return out;
}

std::size_t expectation_index(const MatrixReader& r, const YAML::Node& n, const Scenario& base) {
    auto id = r.text(n, "an expectation id");
    for (std::size_t i = 0; i < base.expectations.size(); ++i)
        if (base.expectations[i].id == id) return i;
    auto ids = ids_of(base);
    r.fail(n, "no expectation with id '" + id +
                  "' in the template (ids: " + (ids.empty() ? "none" : join_words(ids)) + ")");
}

std::vector<std::size_t> class_list(const MatrixReader& r, const YAML::Node& n, const Scenario& base) {
    if (!n.IsSequence())
        r.fail(n, "a class of when: must be a list of expectation ids, like [reaches, direct]");
    std::vector<std::size_t> out;
    for (auto item : n) {
        auto i = expectation_index(r, item, base);
        if (std::find(out.begin(), out.end(), i) != out.end())
            r.fail(item, "id '" + item.Scalar() + "' twice");
        out.push_back(i);
    }
    return out;
}

// `when: {OUTCOME: [ID, ...], ...}`: the expectations each class binds.
OutcomeClasses read_when(const MatrixReader& r, const YAML::Node& n, const Scenario& base) {
    if (!n.IsMap() || n.size() == 0)
        r.fail(n, "when must map outcomes to expectation ids, like {connected: [reaches]}");
    r.check_map(n, "when", {});
    OutcomeClasses out;
    for (auto it : n) out.emplace_back(r.outcome(it.first), class_list(r, it.second, base));
    return out;
}

void builtin_judging(const Scenario& base, MatrixSpec& s) {
    s.peers = {"alice", "bob"};
    auto index = [&](const std::string& id) {
        for (std::size_t i = 0; i < base.expectations.size(); ++i)
            if (base.expectations[i].id == id) return i;
        return std::size_t{0};
    };
    s.classes = {{Outcome::Connected, {index("connects")}}, {Outcome::NotConnected, {index("apart")}}};
}

void read_judging(const MatrixReader& r, const YAML::Node& spec, MatrixSpec& s, bool builtin) {
    if (builtin && !spec["peers"] && !spec["when"]) return builtin_judging(s.base, s);
    if (!spec["peers"] && !spec["when"])
        r.fail(spec,
               "a template matrix needs when: {OUTCOME: [ID, ...]} (the expectations each outcome class "
               "must meet) or peers: [A, B]");
    if (spec["peers"]) s.peers = read_peers(r, spec["peers"], s.base);
    if (spec["when"]) s.classes = read_when(r, spec["when"], s.base);
}

// ---- the matrix ---------------------------------------------------------------------

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

std::set<std::string> allowed_keys(const std::vector<Axis>& axes) {
    auto keys = kMatrixKeys;
    for (auto& a : axes) keys.insert(a.name);
    return keys;
}

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
            r.fail(it.first, "no cell '" + key + "' in this matrix (cells: " + join_words(keys_of(m)) + ")");
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

void require_outcomes(const Matrix& m, const OpenCells& open) {
    for (auto& c : m.cells)
        if (!c.overridden && open.count(base_key(c.key)))
            throw ScenarioError(open.at(base_key(c.key)).where,
                                "no expected outcome for cell '" + c.key + "' in the outcome table (" +
                                    open.at(base_key(c.key)).why + "): give it under expect:");
}

// The spec: template, axes, shapes, links, timing, judging.
MatrixSpec read_spec(const MatrixReader& r, const std::string& path, const YAML::Node& spec) {
    MatrixSpec s;
    s.where = r.at(spec);
    bool builtin = read_template(r, path, spec, s);
    s.axes = read_axis_names(r, spec, s.base, builtin);
    r.check_map(spec, "matrix", allowed_keys(s.axes));
    read_axis_entries(r, spec, s, builtin);
    read_shapes(r, spec, s);
    check_one_nat_per_name(all_lists(s));
    s.timing = read_timing(r, spec, s.base);
    read_judging(r, spec, s, builtin);
    if (spec["links"]) s.links = r.links(spec["links"]);
    return s;
}

Matrix read_matrix(const MatrixReader& r, const std::string& path, const YAML::Node& root) {
    r.check_map(root, "the matrix file", {"matrix"});
    auto node = root["matrix"];
    if (!node.IsMap()) r.fail(node, "matrix must be a mapping (docs/commands.md)");
    Matrix m;
    m.file = path;
    read_header(r, node, m);
    auto spec = read_spec(r, path, node);
    grid_shape(spec, m);
    OpenCells open;
    m.cells = expand_cells(spec, open);
    check_cell_names(m, r.at(node[spec.axes[0].name]));
    for (auto& [variant, link] : spec.links) m.variants.push_back(variant);
    m.cells = with_links(spec, m.cells);
    if (node["expect"]) apply_overrides(r, node["expect"], m);
    require_outcomes(m, open);
    auto when_at = node["when"] ? r.at(node["when"]) : spec.where;
    for (auto& c : m.cells) bind_expectations(spec, when_at, c);
    return m;
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
    auto root = load_any(path);
    try {
        return read_matrix(reader, path, root);
    } catch (const YAML::Exception& e) {
        throw ScenarioError({path, e.mark.line + 1, e.mark.column + 1}, e.msg);
    }
}

Matrix classic_matrix() {
    return load_matrix(std::string(kBuiltinDir) + "classic.yaml");
}

}  // namespace natlab::harness
