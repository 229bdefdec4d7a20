// Generated scenarios: `count: N` on an entry of `nats:`, `hosts:` or
// `expect:` stands for N copies of it.
//
// Theory of operation. A swarm (a thousand peer pairs, a CGNAT with
// hundreds of subscribers) is a few entries repeated. An entry that says
// `count: N` (1..kMaxCount) is replaced, before the scenario is read, by
// copies number 1..N; in each copy every `${i}` (in the entry's name and in
// every text under it: commands, `behind`, addresses, expectation lists) is
// the copy's number. A counted `nats:` or `hosts:` entry must have `${i}` in
// its name, so the copies' names differ; names that still clash are
// reported by the scenario's own duplicate check, at the copy's key.
//
// The copies are taken from fresh parses of the same document (`reparse`),
// not from YAML::Clone, because a clone loses the nodes' marks: every
// error in a generated entry still points at the line and column of the
// text it came from. Pure: no files (the caller's `reparse` reads them).
#pragma once

#include <yaml-cpp/yaml.h>

#include <functional>
#include <string>

#include "harness/plan/yaml_reader.h"

namespace natlab::harness {

// The largest `count:` a scenario may ask for.
inline constexpr int kMaxCount = 4096;

// `text` with every `${i}` replaced by `number`.
std::string substitute_index(const std::string& text, int number);

// `root` with every counted entry of its `nats`, `hosts` and `expect`
// expanded in place; `reparse` returns a fresh parse of the document
// `root` came from. Bad `count:` values are ScenarioErrors at their node.
void expand_counts(const YamlReader& r, YAML::Node root, const std::function<YAML::Node()>& reparse);

}  // namespace natlab::harness
