// NAT matrices: a scenario of the user's, crossed over NAT behaviours, one
// lab per cell.
//
// Theory of operation: a matrix file is a YAML document whose top level is
// `matrix:` (docs/commands.md has every key). It names a template scenario
// (`template: FILE`, relative to the matrix file, or `scenario:` inline;
// without either, the built-in template scenarios/matrix/peer_pair.yaml:
// nat-lab's own peers alice behind nat-a, bob behind nat-b) and which of its
// NATs are the axes (`axes: {a: nat-a, b: nat-b}`). load_matrix() validates
// the file as strictly as a scenario (FILE:LINE:COL: what is wrong) and
// expands it; nothing is built. An entry of an axis, of `same_nat` and of
// `hairpin` is a NAT behaviour: a preset, `linux` (the kernel's NAT), or an
// explicit NAT with a short name and the keys a scenario's NAT takes:
//   - one cell per combination of the axes' entries: the template with each
//     axis NAT's behaviour replaced by the entry's (its name, LAN, place and
//     link stay the template's);
//   - one cell per `same_nat` entry: the hosts of the second axis NAT moved
//     behind the first, which takes the entry's behaviour;
//   - one cell per `hairpin` value: the first two axis NATs (as the
//     template has them) behind one outer NAT, so their hosts' only path
//     turns around inside it (RFC 4787 section 6);
//   - and all of the above once per named `links` setting (impairments on
//     the links of the hosts behind the axis NATs).
// Each cell's expected outcome comes from the table of punching outcomes
// (expected_outcome(), the classic table) unless the file's `expect:`
// overrides it; the table knows NATs by their (mapping, filtering) pair
// (classic_type()). A combination with a NAT of any other pair has no table
// outcome, and a file that does not give one under `expect:` is refused.
// An explicit entry may serve port mapping (`port_mapping:`, the scenario's
// key): in its cells the hosts behind it that run nat-lab's peer ask for a
// mapping (the matrix sets their --port-mapping to the entry's first
// protocol), and the cell's outcome is `mapped` whatever the table says:
// a granted mapping is endpoint-independent and unfiltered (RFC 6887
// section 11), so the partner reaches it from any NAT (grants_mapping()).
// An entry that grants with no nat-lab peer behind it leaves the cell to
// the file's `expect:`.
//
// What a cell must show: the template's expectations an `id:` names under
// `when:` for the cell's outcome class hold, and so do those no class names.
// What it did show (Seen): with `peers: [A, B]`, the outcome word read from
// those hosts' nat-lab peer result lines; otherwise the first class whose
// expectations all held. The outcome is one verdict added to the run, and a
// note in its result.json (`matrix`), which is all `nat-lab merge` needs to
// draw the grid again from cells run elsewhere.
//
// Outcomes are an enum class (Outcome) with a checked name table;
// durations are Millis and NAT behaviours the simulator's types
// (nat::NatType); strings only at the edges (the file, the grid, JSON).
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "harness/judge/expectations.h"
#include "harness/plan/scenario.h"
#include "simulator/nat/behaviour.h"

namespace natlab::harness {

enum class Outcome : std::uint8_t {
    Local,          // both peers via their local endpoints
    Public,         // both via the server-reflexive endpoints
    PeerReflexive,  // at least one via an endpoint learned from the partner's probe
    Mapped,         // at least one via an endpoint the partner's NAT granted it (PCP, NAT-PMP, UPnP)
    NotConnected,   // neither
    Connected,      // expected only: any of the first four
    OneSided,       // seen only: one side connected
    Split,          // seen only: the sides disagree on the path
    Unclassified,   // seen only: no class's expectations all held
};

std::string_view to_string(Outcome o);
// The words a matrix file may write: local ... connected.
std::optional<Outcome> parse_outcome(std::string_view text);
// The words parse_outcome takes, in order.
std::vector<std::string> outcome_words();

// What a cell came to: an outcome, and for Split the two paths.
struct Seen {
    Outcome outcome = Outcome::NotConnected;
    std::string paths;   // Split only: "local/public" (the first peer's path first)
    std::string family;  // both peers' path family when they agree: ipv4 | ipv6 (text() marks ipv6)
    Seen() = default;
    Seen(Outcome o) : outcome(o) {}  // NOLINT(google-explicit-constructor): a plain outcome is a Seen
    std::string text() const;
    static Seen from_text(const std::string& text);
    bool operator==(const Seen&) const = default;
};

// Cell names to what they came to (absent: not run).
using Observed = std::map<std::string, Seen>;

// True when `seen` is what `expected` asks for (connected: any path).
bool matches(Outcome expected, const Seen& seen);

// The template's expectations a class binds (`when:`), by index.
using OutcomeClasses = std::vector<std::pair<Outcome, std::vector<std::size_t>>>;

struct MatrixCell {
    std::string
        name;  // short, used for the run's directory: "pr-sym", "same-pr", "hairpin-on", "pr-sym@lossy"
    std::string key;      // as written in `expect:`: "port-restricted x symmetric", "same port-restricted",
                          // "port-restricted x symmetric @ lossy", "eim-adf x linux" (entry names)
    std::string variant;  // the `links` setting, or empty
    std::string row, column;  // where the cell sits in the printed grid
    Outcome expected = Outcome::Connected;
    bool overridden = false;  // expected comes from the file, not the table
    Scenario scenario;
    // How the cell is judged: `peers` (two hosts running nat-lab's peer)
    // give the outcome; else `classes` do. `binding`: the indices of the
    // scenario's expectations that must hold in this cell.
    std::vector<std::string> peers;
    OutcomeClasses classes;
    std::vector<std::size_t> binding;
    std::string link;  // matrix.html's link to the cell's report; empty: NAME/report.html
};

struct Matrix {
    std::string file;
    std::string name;
    std::string description;
    std::string corner = "alice \\ bob";     // the grid's top-left: who is behind rows \ columns
    std::vector<std::string> rows, columns;  // the grid: entry names (columns: of the other axes, " x ")
    std::vector<std::string> variants;       // `links` names in file order; empty: none
    std::vector<MatrixCell> cells;           // grid cells first (row by row), then the extras
};

// True when the file's top level is a mapping with a `matrix` key.
bool is_matrix_file(const std::string& path);

// Throws ScenarioError (FILE:LINE:COL).
Matrix load_matrix(const std::string& path);

// The classic grid: the shipped template scenarios/matrix/classic.yaml (the
// four presets against each other, same NAT, hairpin on and off), built in.
Matrix classic_matrix();

// The outcome table between two NAT presets, relay off, no port prediction.
Outcome expected_outcome(nat::NatType a, nat::NatType b);

// True when the NAT serves a port mapping protocol and does not refuse it.
bool grants_mapping(const NatSpec& nat);

// The preset whose (mapping, filtering) pair the NAT has: full-cone EIM+EIF,
// restricted EIM+ADF, port-restricted EIM+APDF, symmetric APDM+APDF; the
// kernel's NAT (linux) is port-restricted. nullopt: none of the four.
std::optional<nat::NatType> classic_type(const NatSpec& nat);

// What two peers' results amount to.
Seen observed_outcome(const std::map<std::string, PeerResult>& peers, const std::string& a = "alice",
                      const std::string& b = "bob");

// The outcome verdict of a cell whose peers report results.
Verdict judge_cell(const MatrixCell& cell, const std::map<std::string, PeerResult>& peers);

// A cell's run, judged: from the scenario's verdicts (one per expectation,
// then the timeline's) the binding ones, then the outcome verdict.
struct CellJudgement {
    std::vector<Verdict> verdicts;
    Seen seen;
};
CellJudgement judge_matrix_cell(const MatrixCell& cell, const std::vector<Verdict>& all,
                                const std::map<std::string, PeerResult>& peers);

// The `matrix` note of a cell's result.json: the cell, what it came to, and
// the grid's shape; matrix_from_notes() draws the grid again from them.
nlohmann::json cell_note(const Matrix& m, const MatrixCell& cell, const Seen& seen);
// Throws SetupError when the notes are of two matrices.
Matrix matrix_from_notes(const std::vector<nlohmann::json>& notes, Observed& observed);

// The grid, outcome against expected.
std::string render_matrix_text(const Matrix& m, const Observed& observed);
std::string render_matrix_html(const Matrix& m, const Observed& observed);

}  // namespace natlab::harness
