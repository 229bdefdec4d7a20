// The shipped matrix files and templates (scenarios/matrix/), compiled into
// nat-lab so `nat-lab matrix` needs no file on disk. Their paths read
// "(built-in)/classic.yaml"; a built-in matrix names its template relative
// to itself, as any matrix file does.
#pragma once

#include <string>
#include <string_view>

namespace natlab::harness {

inline constexpr std::string_view kBuiltinDir = "(built-in)/";

// The text of scenarios/matrix/NAME; throws SetupError for another name.
std::string builtin_text(const std::string& name);

}  // namespace natlab::harness
