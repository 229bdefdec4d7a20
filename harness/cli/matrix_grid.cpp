// The outcome table, what a cell came to, and the grid: judging a cell's
// run, the note it leaves in result.json, and the text and HTML grids.
#include <algorithm>
#include <array>

#include "harness/cli/matrix_spec.h"
#include "harness/report/html.h"
#include "simulator/nat/profile.h"
#include "src/net/enum_names.h"
#include "src/net/setup_error.h"

namespace natlab::harness {
namespace {

using nat::EnumName;
using nat::NatType;
using nlohmann::json;

constexpr std::array kOutcomeNames{
    EnumName<Outcome>{Outcome::Local, "local"},
    EnumName<Outcome>{Outcome::Public, "public"},
    EnumName<Outcome>{Outcome::PeerReflexive, "peer-reflexive"},
    EnumName<Outcome>{Outcome::Mapped, "mapped"},
    EnumName<Outcome>{Outcome::NotConnected, "not-connected"},
    EnumName<Outcome>{Outcome::Connected, "connected"},
    EnumName<Outcome>{Outcome::OneSided, "one-sided"},
    EnumName<Outcome>{Outcome::Split, "split"},
    EnumName<Outcome>{Outcome::Unclassified, "unclassified"},
};
static_assert(nat::names_in_order(kOutcomeNames, Outcome::Unclassified));

std::vector<NatType> presets() {
    std::vector<NatType> out;
    for (auto& name : nat::names_of<NatType>()) out.push_back(*nat::parse_nat_type(name));
    return out;
}

const PeerResult* find(const std::map<std::string, PeerResult>& peers, const std::string& name) {
    auto it = peers.find(name);
    return it == peers.end() ? nullptr : &it->second;
}

bool is_path(Outcome o) {
    return o == Outcome::Local || o == Outcome::Public || o == Outcome::PeerReflexive || o == Outcome::Mapped;
}

// A peer's path word as an outcome ("local", "public", "peer-reflexive", "mapped").
std::optional<Outcome> path_outcome(const std::string& path) {
    auto o = nat::value_of(kOutcomeNames, path);
    if (o && is_path(*o)) return o;
    return std::nullopt;
}

bool all_held(const std::vector<Verdict>& verdicts, const std::vector<std::size_t>& at) {
    for (auto i : at)
        if (i >= verdicts.size() || !verdicts[i].held) return false;
    return true;
}

// Without peers: the cell's own class when its expectations held, else the
// first class (in the order of Outcome) whose expectations all held.
Seen seen_from_classes(const MatrixCell& c, const std::vector<Verdict>& verdicts) {
    if (auto* mine = class_of(c.classes, c.expected); mine && all_held(verdicts, *mine)) return c.expected;
    auto classes = c.classes;
    std::stable_sort(classes.begin(), classes.end(), [](auto& x, auto& y) { return x.first < y.first; });
    for (auto& [o, list] : classes)
        if (all_held(verdicts, list)) return o;
    return Outcome::Unclassified;
}

Verdict outcome_verdict(const MatrixCell& cell, const Seen& seen) {
    auto word = std::string(to_string(cell.expected));
    Verdict v{"outcome " + word + (cell.overridden ? " (set by the matrix file)" : " (outcome table)"),
              matches(cell.expected, seen),
              {}};
    if (!v.held) v.detail = "outcome was " + seen.text();
    return v;
}

// The binding verdicts of the scenario's, then the timeline's (past the expectations).
std::vector<Verdict> binding_verdicts(const MatrixCell& c, const std::vector<Verdict>& all) {
    std::vector<Verdict> out;
    for (auto i : c.binding)
        if (i < all.size()) out.push_back(all[i]);
    for (auto i = c.scenario.expectations.size(); i < all.size(); ++i) out.push_back(all[i]);
    return out;
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

// A path over IPv6 is marked: "public(ipv6)"; IPv4 (or unknown) is not.
constexpr std::string_view kIpv6Mark = "(ipv6)";

std::string Seen::text() const {
    auto word = outcome == Outcome::Split ? paths : std::string(to_string(outcome));
    return family == "ipv6" ? word + std::string(kIpv6Mark) : word;
}

Seen Seen::from_text(const std::string& text) {
    auto word = text;
    bool v6 = word.ends_with(kIpv6Mark);
    if (v6) word.resize(word.size() - kIpv6Mark.size());
    auto o = nat::value_of(kOutcomeNames, word);
    Seen s(o && *o != Outcome::Split ? *o : Outcome::Split);
    if (s.outcome == Outcome::Split) s.paths = word;
    if (v6) s.family = "ipv6";
    return s;
}

bool matches(Outcome expected, const Seen& seen) {
    auto o = seen.outcome;
    // A peers' path, or the class `connected` itself. Over IPv6 a split is a
    // path too: a host's local and server-reflexive endpoints are one address
    // (no translation) or a prefix apart (NPTv6), so which of the two names a
    // side's path says nothing about the punch.
    if (expected == Outcome::Connected)
        return is_path(o) || o == Outcome::Connected || (o == Outcome::Split && seen.family == "ipv6");
    return expected == o;
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
    auto base = nat::config_of_type(nat.type);  // a preset or a profile
    if (!base) return std::nullopt;
    const auto& config = *base;
    auto mapping = nat.mapping ? *nat::parse_mapping_behaviour(*nat.mapping) : config.mapping;
    auto filtering = nat.filtering ? *nat::parse_filtering_behaviour(*nat.filtering) : config.filtering;
    for (auto t : presets()) {
        auto preset = nat::NatConfig::preset(t);
        if (preset.mapping == mapping && preset.filtering == filtering) return t;
    }
    return std::nullopt;
}

bool grants_mapping(const NatSpec& nat) {
    return nat.port_mapping && !nat.port_mapping->refuse && !nat.port_mapping->protocols.empty();
}

namespace {

// Two connected peers' paths.
Seen paths_outcome(const PeerResult& a, const PeerResult& b) {
    // A side that reached the other's mapped endpoint: the grant made the path.
    if (a.path == "mapped" || b.path == "mapped") return Outcome::Mapped;
    if (a.path == "peer-reflexive" || b.path == "peer-reflexive") return Outcome::PeerReflexive;
    auto path = path_outcome(a.path);
    if (a.path == b.path && path) return *path;
    Seen split(Outcome::Split);
    split.paths = a.path == b.path ? a.path : a.path + "/" + b.path;
    return split;
}

}  // namespace

Seen observed_outcome(const std::map<std::string, PeerResult>& peers, const std::string& a_name,
                      const std::string& b_name) {
    auto* a = find(peers, a_name);
    auto* b = find(peers, b_name);
    bool a_up = a && a->connected && a->partner == b_name;
    bool b_up = b && b->connected && b->partner == a_name;
    if (!a_up && !b_up) return Outcome::NotConnected;
    if (!a_up || !b_up) return Outcome::OneSided;
    auto seen = paths_outcome(*a, *b);
    if (a->family == b->family) seen.family = a->family;
    return seen;
}

Verdict judge_cell(const MatrixCell& cell, const std::map<std::string, PeerResult>& peers) {
    auto seen = cell.peers.size() == 2 ? observed_outcome(peers, cell.peers[0], cell.peers[1])
                                       : observed_outcome(peers);
    return outcome_verdict(cell, seen);
}

CellJudgement judge_matrix_cell(const MatrixCell& cell, const std::vector<Verdict>& all,
                                const std::map<std::string, PeerResult>& peers) {
    CellJudgement j;
    j.verdicts = binding_verdicts(cell, all);
    j.seen = cell.peers.size() == 2 ? observed_outcome(peers, cell.peers[0], cell.peers[1])
                                    : seen_from_classes(cell, all);
    j.verdicts.push_back(outcome_verdict(cell, j.seen));
    return j;
}

// ---- notes: the grid again from cells run elsewhere ---------------------------

json cell_note(const Matrix& m, const MatrixCell& c, const Seen& seen) {
    return {{"name", m.name},
            {"description", m.description},
            {"corner", m.corner},
            {"rows", m.rows},
            {"columns", m.columns},
            {"variants", m.variants},
            {"cell", c.name},
            {"key", c.key},
            {"row", c.row},
            {"column", c.column},
            {"variant", c.variant},
            {"cell_description", c.scenario.description},
            {"expected", std::string(to_string(c.expected))},
            {"overridden", c.overridden},
            {"seen", seen.text()},
            {"matched", matches(c.expected, seen)}};
}

namespace {

MatrixCell cell_from_note(const json& n) {
    MatrixCell c;
    c.name = n.value("cell", "");
    c.key = n.value("key", "");
    c.row = n.value("row", "");
    c.column = n.value("column", "");
    c.variant = n.value("variant", "");
    c.scenario.description = n.value("cell_description", "");
    c.expected = parse_outcome(n.value("expected", "")).value_or(Outcome::Connected);
    c.overridden = n.value("overridden", false);
    return c;
}

void shape_from_note(const json& n, Matrix& m) {
    m.name = n.value("name", "");
    m.description = n.value("description", "");
    m.corner = n.value("corner", m.corner);
    m.rows = n.value("rows", std::vector<std::string>{});
    m.columns = n.value("columns", std::vector<std::string>{});
    m.variants = n.value("variants", std::vector<std::string>{});
}

}  // namespace

Matrix matrix_from_notes(const std::vector<json>& notes, Observed& observed) {
    Matrix m;
    if (notes.empty()) throw SetupError("no matrix cells to merge (no result.json with a matrix note)");
    shape_from_note(notes[0], m);
    for (auto& n : notes) {
        if (n.value("name", "") != m.name)
            throw SetupError("cells of two matrices: '" + m.name + "' and '" + n.value("name", "") + "'");
        auto c = cell_from_note(n);
        auto [it, fresh] = observed.emplace(c.name, Seen::from_text(n.value("seen", "")));
        if (!fresh) throw SetupError("cell '" + c.name + "' of matrix '" + m.name + "' twice");
        m.cells.push_back(std::move(c));
    }
    return m;
}

// ---- the grid ------------------------------------------------------------------

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
        std::string line = pad(m_.corner);
        for (auto& col : m_.columns) line += pad(col);
        return line + "\n";
    }
    std::string row(const std::string& variant, const std::string& row) const {
        std::string line = pad(row);
        for (auto& col : m_.columns) {
            auto* c = at_cell(m_, variant, row, col);
            line += pad(c ? cell_text(*c, observed_) : "(not run)");
        }
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
    auto link = c.link.empty() ? c.name + "/report.html" : c.link;
    return "<td class=\"" + std::string(ok ? "pass" : "fail") + "\"><a href=\"" + html::escape(link) + "\">" +
           html::escape(cell_text(c, observed)) + "</a><br><span class=\"muted\">expected " +
           html::escape(std::string(to_string(c.expected))) + (c.overridden ? " (file)" : "") +
           "</span></td>";
}

std::string html_grid(const Matrix& m, const std::string& v, const Observed& observed) {
    std::string body = "<table><tr>" + html::element("th", m.corner);
    for (auto& col : m.columns) body += html::element("th", col);
    body += "</tr>\n";
    for (auto& row : m.rows) {
        body += "<tr>" + html::element("th", row);
        for (auto& col : m.columns) {
            auto* c = at_cell(m, v, row, col);
            body += c ? html_td(*c, observed) : "<td class=\"fail\">(not run)</td>";
        }
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
    body += "<p class=\"muted\">Each cell links to its run's report, captures and logs.</p>\n";
    return html::page("nat-lab matrix " + m.name, body);
}

}  // namespace natlab::harness
