// JUnit XML for CI: one <testcase> per run (a scenario, a matrix cell, one
// repetition), classname the scenario file, a <failure> listing the
// expectations that did not hold, an <error> for a set-up failure. The
// run's directory is named in <system-out> so a CI page links the pcaps.
#pragma once

#include <string>
#include <vector>

#include "harness/report/outcome.h"

namespace natlab::harness {

std::string render_junit(const std::vector<RunOutcome>& outcomes, const std::string& suite = "nat-lab");

}  // namespace natlab::harness
