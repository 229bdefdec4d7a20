// Expanding a matrix spec into cells: the template scenario with its axis
// NATs' behaviour substituted, one cell per combination of the axes'
// entries; the same-NAT and hairpin shapes; links settings; peer timing;
// and which expectations bind each cell. Pure: scenarios in, scenarios out.
#include <algorithm>
#include <array>
#include <filesystem>

#include "harness/cli/matrix_spec.h"
#include "harness/plan/host_files.h"
#include "src/net/enum_names.h"

namespace natlab::harness {
namespace {

using nat::EnumName;
using nat::NatType;

// The short form of each preset in cell names: "pr-sym".
constexpr std::array kShortNames{
    EnumName<NatType>{NatType::FullCone, "fc"},
    EnumName<NatType>{NatType::Restricted, "r"},
    EnumName<NatType>{NatType::PortRestricted, "pr"},
    EnumName<NatType>{NatType::Symmetric, "sym"},
};
static_assert(nat::names_in_order(kShortNames, NatType::Symmetric));

// Presets by their short form, other entries by their own name.
std::string short_name(const AxisEntry& e) {
    if (e.is_explicit) return e.name;
    auto t = nat::parse_nat_type(e.name);
    return t ? std::string(nat::name_of(kShortNames, *t)) : e.name;
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
    if (n.port_mapping) keys.push_back("port_mapping " + join_words(n.port_mapping->protocols, "/"));
    if (n.ipv6.mode) keys.push_back("ipv6 " + *n.ipv6.mode);
    if (n.ipv6.filtering) keys.push_back("ipv6_filtering " + *n.ipv6.filtering);
    return keys.empty() ? e.name : e.name + " (" + join_words(keys, ", ") + ")";
}

std::vector<std::string> hosts_behind(const Scenario& s, const std::string& nat) {
    std::vector<std::string> out;
    for (auto& h : s.hosts)
        if (h.behind == nat) out.push_back(h.name);
    return out;
}

// Who an axis NAT stands for: the hosts behind it ("alice"), or its name.
std::string who(const Scenario& s, const std::string& nat) {
    auto hosts = hosts_behind(s, nat);
    return hosts.empty() ? nat : join_words(hosts, ", ");
}

NatSpec* nat_of(Scenario& s, const std::string& name) {
    auto it = std::find_if(s.nats.begin(), s.nats.end(), [&](auto& n) { return n.name == name; });
    return it == s.nats.end() ? nullptr : &*it;
}

// The LAN's IPv6 stays the template's (stack, prefix); the entry's `ipv6`
// and `ipv6_filtering`, when it has them, say what the NAT does to it.
void substitute_ipv6(NatSpec& n, const Ipv6Spec& kept, const AxisEntry& e) {
    auto& given = e.nat.ipv6;
    n.ipv6 = kept;
    if (given.mode) {  // a mode of its own: the entry's filtering (or none), not the template's
        n.ipv6.mode = given.mode;
        n.ipv6.mode_where = given.mode_where;
        n.ipv6.filtering.reset();
    }
    if (given.filtering) n.ipv6.filtering = given.filtering, n.ipv6.filtering_where = given.filtering_where;
    auto* key = given.mode ? &given.mode_where : given.filtering ? &given.filtering_where : nullptr;
    if (key && !has_ipv6(kept.stack))
        throw ScenarioError(*key, "NAT '" + e.name + "' sets IPv6 but the template's NAT '" + n.name +
                                      "' has an IPv4-only LAN (give it stack: dual)");
    if (given.mode && n.is_linux() && *given.mode == "nptv6")
        throw ScenarioError(given.mode_where, "NAT '" + e.name + "': ipv6: nptv6 needs an emulated NAT");
    if (given.filtering && (n.is_linux() || n.ipv6.mode_name() != "firewall"))
        throw ScenarioError(given.filtering_where,
                            "NAT '" + e.name + "': ipv6_filtering needs ipv6: firewall" +
                                std::string(n.is_linux() ? " on an emulated NAT" : ""));
}

// The axis NAT takes the entry's behaviour; its name, LAN, addresses, place
// and link stay the template's.
void substitute(NatSpec& n, const AxisEntry& e) {
    NatSpec kept = n;
    n = e.nat;
    n.name = kept.name;
    n.lan = kept.lan;
    n.lan_where = kept.lan_where;
    n.addresses = kept.addresses;
    n.address_where = kept.address_where;
    n.behind = kept.behind;
    n.behind_where = kept.behind_where;
    n.link = kept.link;
    n.where = n.type_where = e.where;
    substitute_ipv6(n, kept.ipv6, e);
}

// ---- the outcome table over a combination ----------------------------------

int badness(Outcome o) {  // the table never gives mapped (mapping_outcome() does)
    return o == Outcome::NotConnected ? 2 : o == Outcome::PeerReflexive ? 1 : 0;
}

// One axis: the partner is on the internet (no NAT: full-cone's row). Two:
// the table. More: the worst pair (every pair must connect).
std::optional<Outcome> table_outcome(const std::vector<NatType>& types) {
    if (types.size() == 1) return expected_outcome(types[0], NatType::FullCone);
    Outcome worst = Outcome::Public;
    for (std::size_t i = 0; i < types.size(); ++i)
        for (std::size_t j = i + 1; j < types.size(); ++j) {
            auto o = expected_outcome(types[i], types[j]);
            if (badness(o) > badness(worst)) worst = o;
        }
    return worst;
}

using Combination = std::vector<const AxisEntry*>;

// The table's outcome, or the entry that has no classic type.
std::optional<Outcome> combination_outcome(const Combination& combo, Location& open_at) {
    std::vector<NatType> types;
    for (auto* e : combo) {
        auto t = classic_type(e->nat);
        if (!t) {
            open_at = e->where;
            return std::nullopt;
        }
        types.push_back(*t);
    }
    return table_outcome(types);
}

// What a NAT's IPv6 side is in the table's terms. IPv6 goes out
// untranslated, so the mapping is endpoint-independent (a host's endpoint is
// its own, the same towards everyone) and only the firewall filters (RFC
// 6092 section 3.2): `route` and NPTv6 filter nothing (full-cone), a
// firewall as its `ipv6_filtering` (nat-emu's default endpoint-independent;
// the kernel's conntrack address-and-port-dependent). nullopt: the LAN has
// no IPv6, or a mode the table does not know.
std::optional<NatType> ipv6_type(const NatSpec& n) {
    if (!has_ipv6(n.ipv6.stack)) return std::nullopt;
    auto mode = n.ipv6.mode_name();
    if (mode == "route" || mode == "nptv6") return NatType::FullCone;
    if (mode != "firewall") return std::nullopt;
    auto f = n.is_linux() ? std::string("address-and-port-dependent")
                          : n.ipv6.filtering.value_or("endpoint-independent");
    return f == "endpoint-independent" ? NatType::FullCone
           : f == "address-dependent"  ? NatType::Restricted
                                       : NatType::PortRestricted;
}

// True when the cell's axis NATs all carry IPv6 and the table says their
// IPv6 sides connect: the pair then connects over IPv6 whatever IPv4 does.
bool connects_over_ipv6(const MatrixSpec& spec, Scenario& cell) {
    if (!has_ipv6(cell.stack)) return false;
    std::vector<NatType> types;
    for (auto& axis : spec.axes) {
        auto t = ipv6_type(*nat_of(cell, axis.nat));
        if (!t) return false;
        types.push_back(*t);
    }
    auto o = table_outcome(types);
    return o && *o != Outcome::NotConnected;
}

// Every combination of the axes' entries, the first axis slowest.
std::vector<Combination> combinations(const std::vector<Axis>& axes) {
    std::vector<Combination> out = {{}};
    for (auto& axis : axes) {
        std::vector<Combination> next;
        for (auto& prefix : out)
            for (auto& e : axis.entries) {
                next.push_back(prefix);
                next.back().push_back(&e);
            }
        out = std::move(next);
    }
    return out;
}

std::vector<std::string> combo_names(const Combination& combo, bool short_form) {
    std::vector<std::string> out;
    for (auto* e : combo) out.push_back(short_form ? short_name(*e) : e->name);
    return out;
}

// The column of a combination: the other axes' entries ("outcome" for one axis).
std::string column_of(const Combination& combo) {
    auto names = combo_names(combo, false);
    if (names.size() == 1) return "outcome";
    return join_words(std::vector<std::string>(names.begin() + 1, names.end()), " x ");
}

MatrixCell base_cell(const MatrixSpec& spec, const std::string& name) {
    MatrixCell c;
    c.name = name;
    c.scenario = spec.base;
    c.scenario.name = name;
    c.scenario.file = spec.where.file;
    if (c.scenario.dir.empty()) c.scenario.dir = scenario_dir_of(spec.base.file);
    c.peers = spec.peers;
    return c;
}

void set_word(std::vector<std::string>& argv, const std::string& flag, const std::string& value) {
    auto it = std::find(argv.begin(), argv.end(), flag);
    if (it != argv.end() && it + 1 != argv.end())
        *(it + 1) = value;
    else
        argv.insert(argv.end(), {flag, value});
}

// The nat-lab peers behind an axis NAT that serves port mapping (granting
// or refusing) ask it for a mapping, in the first protocol it serves; true
// when there is such a peer.
bool ask_for_mappings(Scenario& s, const std::string& nat, const AxisEntry& e) {
    if (!e.nat.port_mapping || e.nat.port_mapping->protocols.empty()) return false;
    bool any = false;
    for (auto& h : s.hosts)
        if (h.behind == nat && runs_peer(h)) {
            set_word(h.run, "--port-mapping", e.nat.port_mapping->protocols.front());
            any = true;
        }
    return any;
}

// A cell where a NAT grants a mapping to a peer that asked: mapped, whatever
// either NAT's type (its partner's probes reach the grant from behind any
// NAT, and the answers leave from the endpoint they went to: RFC 6887
// section 11). A NAT that grants with no nat-lab peer behind it: the file
// must say.
void mapping_outcome(MatrixCell& c, const MatrixSpec& spec, const Combination& combo, OpenCells& open) {
    bool asked = false;
    std::optional<Location> unasked;
    for (std::size_t i = 0; i < combo.size(); ++i) {
        bool peer = ask_for_mappings(c.scenario, spec.axes[i].nat, *combo[i]);
        if (!grants_mapping(combo[i]->nat)) continue;
        asked = asked || peer;
        if (!peer) unasked = combo[i]->where;
    }
    if (unasked) open[c.key] = {*unasked, "it grants port mappings and no nat-lab peer behind it asks"};
    if (unasked || !asked) return;
    open.erase(c.key);
    c.expected = Outcome::Mapped;
}

MatrixCell combination_cell(const MatrixSpec& spec, const Combination& combo, OpenCells& open) {
    auto c = base_cell(spec, join_words(combo_names(combo, true), "-"));
    c.key = join_words(combo_names(combo, false), " x ");
    c.row = combo[0]->name;
    c.column = column_of(combo);
    std::vector<std::string> parts;
    for (std::size_t i = 0; i < combo.size(); ++i) {
        substitute(*nat_of(c.scenario, spec.axes[i].nat), *combo[i]);
        parts.push_back(who(spec.base, spec.axes[i].nat) + " behind " + describe_entry(*combo[i]));
    }
    c.scenario.description = join_words(parts, ", ");
    Location open_at;
    auto table = combination_outcome(combo, open_at);
    if (table) c.expected = *table;
    if (!table) open[c.key] = {open_at, "mapping/filtering not a classic type"};
    if (connects_over_ipv6(spec, c.scenario)) {
        c.expected = Outcome::Connected;
        open.erase(c.key);
    }
    mapping_outcome(c, spec, combo, open);
    return c;
}

// Every reference to NAT `from` now names `into`; `from` is gone.
void fold_nat(Scenario& s, const std::string& from, const std::string& into) {
    s.nats.erase(std::remove_if(s.nats.begin(), s.nats.end(), [&](auto& n) { return n.name == from; }),
                 s.nats.end());
    for (auto& n : s.nats)
        if (n.behind == from) n.behind = into;
    for (auto& h : s.hosts)
        if (h.behind == from) h.behind = into;
    for (auto& e : s.expectations) {
        if (e.kind == ExpectKind::Counter && e.hosts[0] == from) e.hosts[0] = into;
        if (e.kind == ExpectKind::Reachable && e.nodes[1] == from) e.nodes[1] = into;
    }
    for (auto& step : s.timeline)
        if (step.target == from) step.target = into;
}

// The hosts of the second axis NAT behind the first, which takes `e`.
MatrixCell same_nat_cell(const MatrixSpec& spec, const AxisEntry& e) {
    auto c = base_cell(spec, "same-" + short_name(e));
    c.key = "same " + e.name;
    c.row = "same NAT";
    c.column = e.name;
    c.expected = Outcome::Local;
    auto& a = spec.axes[0].nat;
    auto& b = spec.axes[1].nat;
    substitute(*nat_of(c.scenario, a), e);
    fold_nat(c.scenario, b, a);
    c.scenario.description =
        who(spec.base, a) + " and " + who(spec.base, b) + " behind one " + describe_entry(e) + " NAT";
    return c;
}

NatSpec outer_nat(bool on, const Location& where) {
    NatSpec n;
    n.name = "outer";
    n.where = n.type_where = n.lan_where = n.address_where = n.behind_where = where;
    n.hairpin = on;
    n.lan = Cidr::parse("100.64.0.0/24");
    return n;
}

// The first two axis NATs behind one outer NAT: their hosts' local
// endpoints are in two different LANs, so their only path is the outer
// NAT's hairpin.
MatrixCell hairpin_cell(const MatrixSpec& spec, bool on) {
    auto c = base_cell(spec, on ? "hairpin-on" : "hairpin-off");
    c.key = on ? "hairpin on" : "hairpin off";
    c.row = "hairpin";
    c.column = on ? "on" : "off";
    c.expected = on ? Outcome::Public : Outcome::NotConnected;
    c.scenario.description =
        std::string("two homes behind one outer NAT, hairpinning ") + (on ? "on" : "off");
    for (std::size_t i = 0; i < 2; ++i) nat_of(c.scenario, spec.axes[i].nat)->behind = "outer";
    c.scenario.nats.insert(c.scenario.nats.begin(), outer_nat(on, spec.where));
    return c;
}

// ---- peer timing -------------------------------------------------------------

void set_flag(std::vector<std::string>& argv, const std::string& flag, Millis value) {
    set_word(argv, flag, std::to_string(value.count() / 1000.0));
}

// The file's punch_timeout/timeout on every peer; the lab's deadline 5 s past it.
void apply_timing(const PeerTiming& t, Scenario& s) {
    for (auto& h : s.hosts) {
        if (!runs_peer(h)) continue;
        if (t.punch) set_flag(h.run, "--punch-timeout", *t.punch);
        if (t.timeout) set_flag(h.run, "--timeout", *t.timeout);
    }
    if (t.timeout) s.timeout = *t.timeout + Millis(5000);
}

bool impaired(const LinkImpairment& l) {
    return l.delay || l.jitter || l.loss || l.rate;
}

// The hosts behind the template's axis NATs: those a links setting impairs.
std::vector<std::string> axis_hosts(const MatrixSpec& spec) {
    std::vector<std::string> out;
    for (auto& axis : spec.axes)
        for (auto& h : hosts_behind(spec.base, axis.nat)) out.push_back(h);
    return out;
}

MatrixCell under_link(MatrixCell c, const std::vector<std::string>& hosts, const std::string& variant,
                      const LinkImpairment& link) {
    c.variant = variant;
    c.name += "@" + variant;
    c.key += " @ " + variant;
    c.scenario.name = c.name;
    c.scenario.description += ", links " + variant;
    if (!impaired(link)) return c;
    for (auto& h : c.scenario.hosts)
        if (std::find(hosts.begin(), hosts.end(), h.name) != hosts.end()) h.link = link;
    return c;
}

bool in(const std::vector<std::size_t>& list, std::size_t i) {
    return std::find(list.begin(), list.end(), i) != list.end();
}

bool in_any_class(const OutcomeClasses& classes, std::size_t i) {
    for (auto& [o, list] : classes)
        if (in(list, i)) return true;
    return false;
}

// Keeps the expectations at `keep`, in order.
std::vector<Expectation> kept(const std::vector<Expectation>& all, const std::vector<std::size_t>& keep) {
    std::vector<Expectation> out;
    for (std::size_t i = 0; i < all.size(); ++i)
        if (in(keep, i)) out.push_back(all[i]);
    return out;
}

std::string class_words(const OutcomeClasses& classes) {
    std::vector<std::string> words;
    for (auto& [o, list] : classes) words.emplace_back(to_string(o));
    return join_words(words, ", ");
}

}  // namespace

std::string join_words(const std::vector<std::string>& words, const std::string& sep) {
    std::string out;
    for (auto& w : words) out += (out.empty() ? "" : sep) + w;
    return out;
}

bool runs_peer(const HostSpec& h) {
    return !h.run.empty() && std::filesystem::path(h.run[0]).filename() == "peer";
}

const std::vector<std::size_t>* class_of(const OutcomeClasses& classes, Outcome expected) {
    auto find = [&](Outcome o) -> const std::vector<std::size_t>* {
        for (auto& [c, list] : classes)
            if (c == o) return &list;
        return nullptr;
    };
    if (auto* own = find(expected)) return own;
    bool path = expected == Outcome::Local || expected == Outcome::Public ||
                expected == Outcome::PeerReflexive || expected == Outcome::Mapped;
    return path ? find(Outcome::Connected) : nullptr;
}

std::vector<MatrixCell> expand_cells(const MatrixSpec& spec, OpenCells& open) {
    std::vector<MatrixCell> cells;
    for (auto& combo : combinations(spec.axes)) cells.push_back(combination_cell(spec, combo, open));
    for (auto& e : spec.same) cells.push_back(same_nat_cell(spec, e));
    for (bool on : spec.hairpin) cells.push_back(hairpin_cell(spec, on));
    for (auto& c : cells) apply_timing(spec.timing, c.scenario);
    return cells;
}

std::vector<MatrixCell> with_links(const MatrixSpec& spec, const std::vector<MatrixCell>& cells) {
    if (spec.links.empty()) return cells;
    auto hosts = axis_hosts(spec);
    std::vector<MatrixCell> out;
    for (auto& [variant, link] : spec.links)
        for (auto& c : cells) out.push_back(under_link(c, hosts, variant, link));
    return out;
}

void bind_expectations(const MatrixSpec& spec, const Location& when_at, MatrixCell& c) {
    auto* mine = class_of(spec.classes, c.expected);
    if (!mine && !spec.classes.empty())
        throw ScenarioError(
            when_at, "cell '" + c.key + "' expects " + std::string(to_string(c.expected)) +
                         " and when: has no class for it (classes: " + class_words(spec.classes) + ")");
    std::vector<std::size_t> binding;
    for (std::size_t i = 0; i < c.scenario.expectations.size(); ++i)
        if (!in_any_class(spec.classes, i) || (mine && in(*mine, i))) binding.push_back(i);
    if (spec.peers.empty()) {
        c.classes = spec.classes;
        c.binding = binding;
        return;
    }
    c.scenario.expectations = kept(c.scenario.expectations, binding);
    for (std::size_t i = 0; i < c.scenario.expectations.size(); ++i) c.binding.push_back(i);
}

void grid_shape(const MatrixSpec& spec, Matrix& m) {
    for (auto& e : spec.axes[0].entries) m.rows.push_back(e.name);
    std::vector<Axis> rest(spec.axes.begin() + 1, spec.axes.end());
    for (auto& combo : combinations(rest)) m.columns.push_back(join_words(combo_names(combo, false), " x "));
    if (rest.empty()) m.columns = {"outcome"};
    std::vector<std::string> sides;
    for (auto& a : rest) sides.push_back(who(spec.base, a.nat));
    m.corner = who(spec.base, spec.axes[0].nat) + " \\ " + (sides.empty() ? "" : join_words(sides, " x "));
    if (sides.empty()) m.corner = who(spec.base, spec.axes[0].nat);
}

}  // namespace natlab::harness
