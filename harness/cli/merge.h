// nat-lab merge: the cells of one matrix, run separately (one CI job each,
// `nat-lab matrix FILE --filter CELL`), joined again into one grid.
//
// Theory of operation: every cell's result.json carries a `matrix` note
// (matrix.h, cell_note()): the cell, its expected and seen outcome, and the
// grid's shape. merge_cells() walks the given directories for result.json
// files with such a note, draws the matrix from the notes alone (no matrix
// file, no template needed: the artifacts are enough) and turns each
// result.json back into a RunOutcome for the one JUnit file. Nothing runs.
#pragma once

#include <string>
#include <vector>

#include "harness/cli/matrix.h"
#include "harness/report/outcome.h"

namespace natlab::harness {

struct MergedMatrix {
    Matrix matrix;  // cells link to their reports relative to `out_dir`
    Observed observed;
    std::vector<RunOutcome> outcomes;  // one per cell, for JUnit
};

// Throws SetupError: no cell found, cells of two matrices, a cell twice.
MergedMatrix merge_cells(const std::vector<std::string>& dirs, const std::string& out_dir);

}  // namespace natlab::harness
