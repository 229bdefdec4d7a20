// NAT matrices: a grid of NAT-type pairs expanded into one lab per cell.
//
// Theory of operation: a matrix file is a YAML document whose top level is
// `matrix:` (docs/commands.md has every key). load_matrix() validates it
// as strictly as a scenario (FILE:LINE:COL: what is wrong) and expands it.
// An entry of the axes `a`, `b` and `same_nat` is a NAT behaviour: a
// preset, `linux` (the kernel's NAT), or an explicit NAT with a short name
// and the keys a scenario's NAT takes (mapping, filtering, ...):
//   - one cell per pair (A, B) of the `a` x `b` lists: alice behind a NAT
//     A, bob behind a NAT B, the rendezvous server on the internet;
//   - one cell per `same_nat` entry: both peers behind one NAT (they must
//     connect through their local endpoints);
//   - one cell per `hairpin` value: two homes behind one outer NAT, so the
//     peers' only path turns around inside the outer NAT (RFC 4787
//     section 6): public with hairpinning, nothing without;
//   - and all of the above once per named `links` setting (impairments on
//     both peers' links: delay, jitter, loss, rate), when there are any:
//     the product of NAT behaviours and impairments.
// Peers run with relay off and a short punch deadline, so a cell that
// cannot connect ends quickly. Each cell's expected outcome comes from the
// table of punching outcomes (expected_outcome(), the classic table: a
// symmetric NAT defeats a port-restricted or symmetric partner, and is
// reached peer-reflexively from a cone NAT) unless the file's `expect:`
// overrides it. The table knows NATs by their (mapping, filtering) pair
// (classic_type()); a pair cell with a NAT of any other pair has no table
// outcome, and a file that does not give one under `expect:` is refused.
//
// Outcomes are an enum class (Outcome) with a checked name table: local,
// public, peer-reflexive (at least one side learned the partner's endpoint
// from its probe), not-connected, and, in `expect:` only, connected (any
// path). The cell's outcome is judged from both peers' own result lines
// (Seen); it is one verdict added to the run. Durations are Millis and NAT
// behaviours the simulator's types (nat::NatType); strings only at the edges
// (the file, the grid, JSON).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "harness/judge/expectations.h"
#include "harness/plan/scenario.h"
#include "simulator/nat/behaviour.h"

namespace natlab::harness {

enum class Outcome : std::uint8_t {
    Local,          // both peers via their local endpoints
    Public,         // both via the server-reflexive endpoints
    PeerReflexive,  // at least one via an endpoint learned from the partner's probe
    NotConnected,   // neither
    Connected,      // expected only: any of the first three
    OneSided,       // seen only: one side connected
    Split,          // seen only: the sides disagree on the path
};

std::string_view to_string(Outcome o);
// The words a matrix file may write: local ... connected.
std::optional<Outcome> parse_outcome(std::string_view text);
// The words parse_outcome takes, in order.
std::vector<std::string> outcome_words();

// What a cell came to: an outcome, and for Split the two paths.
struct Seen {
    Outcome outcome = Outcome::NotConnected;
    std::string paths;  // Split only: "local/public" (alice's path first)
    Seen() = default;
    Seen(Outcome o) : outcome(o) {}  // NOLINT(google-explicit-constructor): a plain outcome is a Seen
    std::string text() const;
    bool operator==(const Seen&) const = default;
};

// Cell names to what they came to (absent: not run).
using Observed = std::map<std::string, Seen>;

// True when `seen` is what `expected` asks for (connected: any path).
bool matches(Outcome expected, const Seen& seen);

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
};

struct Matrix {
    std::string file;  // empty for the built-in grid
    std::string name;
    std::string description;
    std::vector<std::string> rows, columns;  // the a x b grid: entry names
    std::vector<std::string> variants;       // `links` names in file order; empty: none
    std::vector<MatrixCell> cells;           // grid cells first (row by row), then the extras
};

// True when the file's top level is a mapping with a `matrix` key.
bool is_matrix_file(const std::string& path);

// Throws ScenarioError (FILE:LINE:COL).
Matrix load_matrix(const std::string& path);

// The classic grid: the four presets against each other, same NAT
// (port-restricted), hairpin on and off.
Matrix classic_matrix();

// The outcome table between two NAT presets, relay off, no port prediction.
Outcome expected_outcome(nat::NatType a, nat::NatType b);

// The preset whose (mapping, filtering) pair the NAT has: full-cone EIM+EIF,
// restricted EIM+ADF, port-restricted EIM+APDF, symmetric APDM+APDF; the
// kernel's NAT (linux) is port-restricted. nullopt: none of the four.
std::optional<nat::NatType> classic_type(const NatSpec& nat);

// What the two peers' results amount to.
Seen observed_outcome(const std::map<std::string, PeerResult>& peers);

Verdict judge_cell(const MatrixCell& cell, const std::map<std::string, PeerResult>& peers);

// The grid, outcome against expected.
std::string render_matrix_text(const Matrix& m, const Observed& observed);
std::string render_matrix_html(const Matrix& m, const Observed& observed);

}  // namespace natlab::harness
