// A matrix file as read, before it is expanded into cells: the template
// scenario, its axes with their entries, the shapes, link settings, peer
// timing and the outcome classes. matrix.cpp reads one (strictly, with
// FILE:LINE:COL), matrix_cells.cpp expands it; nothing here runs anything.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "harness/cli/matrix.h"

namespace natlab::harness {

// One entry of an axis (or of `same_nat`): a preset, the kernel's NAT, or an
// explicit NAT. Its name stands for it in keys, cell names and the grid.
struct AxisEntry {
    std::string name;
    NatSpec nat;  // the behaviour; the cell names and places it
    Location where, name_where;
    bool is_explicit = false;
};

// One axis: a NAT of the template and the behaviours it takes.
struct Axis {
    std::string name;  // as in the file: `a`
    std::string nat;   // the template's NAT
    std::vector<AxisEntry> entries;
};

// Peers' flags (hosts that run nat-lab's `peer`); unset: as the template has them.
struct PeerTiming {
    std::optional<Millis> punch;    // --punch-timeout
    std::optional<Millis> timeout;  // --timeout
};

using LinkSettings = std::vector<std::pair<std::string, LinkImpairment>>;

struct MatrixSpec {
    Scenario base;  // the template
    Location where;
    std::vector<Axis> axes;
    std::vector<AxisEntry> same;
    std::vector<bool> hairpin;
    LinkSettings links;
    PeerTiming timing;
    std::vector<std::string> peers;  // outcome from these hosts' peer results; empty: from classes
    OutcomeClasses classes;          // `when:`, resolved to expectation indices
};

// A combination the table has no outcome for: the entry that leaves it
// open and why ("mapping/filtering not a classic type").
struct OpenCell {
    Location where;
    std::string why;
};

// Combinations the table has no outcome for, by key: the file must give
// them under expect:.
using OpenCells = std::map<std::string, OpenCell>;

// "a, b" (or joined by `sep`).
std::string join_words(const std::vector<std::string>& words, const std::string& sep = ", ");

// A host that runs nat-lab's `peer` (what punch_timeout and timeout set).
bool runs_peer(const HostSpec& h);

// Every cell of the spec, in grid order, then the extras; links applied.
std::vector<MatrixCell> expand_cells(const MatrixSpec& spec, OpenCells& open);

// Every cell once per links setting (none: as they are): the links of the
// hosts behind the axis NATs impaired alike.
std::vector<MatrixCell> with_links(const MatrixSpec& spec, const std::vector<MatrixCell>& cells);

// Keeps the cell's scenario expectations its outcome class binds (and those
// no class names); with `peers`, drops the others. Throws ScenarioError at
// `when_at` when no class covers the cell's expected outcome.
void bind_expectations(const MatrixSpec& spec, const Location& when_at, MatrixCell& cell);

// The class `expected` takes: its own, else `connected` for a path.
const std::vector<std::size_t>* class_of(const OutcomeClasses& classes, Outcome expected);

// The grid's rows, columns and corner for the spec's axes.
void grid_shape(const MatrixSpec& spec, Matrix& m);

}  // namespace natlab::harness
