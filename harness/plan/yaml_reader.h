// Strict reading of the lab's YAML files (scenarios and matrix files): every
// problem is a ScenarioError that points at the offending node
// (FILE:LINE:COL: what is wrong).
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <set>
#include <string>

#include "harness/plan/scenario.h"

namespace natlab::harness {

class YamlReader {
public:
    explicit YamlReader(std::string file) : file_(std::move(file)) {}

    Location at(const YAML::Node& node) const;
    [[noreturn]] void fail(const YAML::Node& node, const std::string& what) const;

    // Checks a mapping: every key known (any key when `allowed` is empty)
    // and no key twice.
    void check_map(const YAML::Node& node, const std::string& what,
                   const std::set<std::string>& allowed) const;
    std::string key_of(const YAML::Node& key) const;
    std::string text(const YAML::Node& node, const std::string& what) const;
    // One of `allowed`.
    std::string word(const YAML::Node& node, const std::string& what,
                     const std::set<std::string>& allowed) const;
    // A name: a-z0-9_-, starting with a letter, at most 24.
    std::string name(const YAML::Node& node, const std::string& what) const;
    bool boolean(const YAML::Node& node, const std::string& what) const;
    int integer(const YAML::Node& node, const std::string& what, int lo, int hi) const;
    Millis duration(const YAML::Node& node, const std::string& what) const;
    Ipv4 address(const YAML::Node& node, const std::string& what) const;
    // `what` names the value in the message: "loss", or "loss in links setting 'lossy'".
    double loss(const YAML::Node& node, const std::string& what = "loss") const;
    std::uint64_t rate(const YAML::Node& node, const std::string& what = "rate") const;
    std::int64_t count(const YAML::Node& node, const std::string& what) const;
    Cidr subnet(const YAML::Node& node, const std::string& what) const;

private:
    std::string plain(const YAML::Node& node, const std::string& complaint) const;
    std::string file_;
};

// "a, b, c".
std::string join(const std::set<std::string>& words);

// The file read and parsed; an unreadable file, a tab in indentation or a
// YAML syntax error is a ScenarioError.
YAML::Node load_yaml_file(const std::string& path);

// `{delay: 50ms, jitter: 10ms, loss: 20%, rate: 10mbit}`, at least one key;
// `what` names the mapping ("link of host 'alice'"). Values are named by
// their key followed by `value_context` (" in links setting 'lossy'", or
// nothing).
LinkImpairment read_impairment(const YamlReader& r, const YAML::Node& node, const std::string& what,
                               const std::string& value_context = "");

// The keys of a `nats:` entry that say how the NAT behaves (type, mapping,
// filtering, port_allocation, mapping_timeout, port_range,
// refresh_on_inbound, hairpin), checked as a scenario checks them, into
// `nat`; type: linux refuses the others. The caller checks which keys
// `body` may have. (Defined in scenario.cpp, with the rest of a NAT.)
void read_nat_behaviour(const YamlReader& r, const YAML::Node& body, NatSpec& nat);
// Those keys but `type`: the ones that configure the emulator (mapping,
// filtering, ..., port_mapping, pooling), which type: linux refuses.
const std::set<std::string>& nat_emulator_keys();

// A scenario from a YAML node: a template file already loaded, or one held
// inline in a matrix file (`scenario:`); `path` names it in errors.
// (Defined in scenario.cpp, beside load_scenario.)
Scenario scenario_from_yaml(const std::string& path, const YAML::Node& root);

// The readers of a host's `run` (a command line, quotes grouping words, or
// a list of words), its `env` (`{NAME: value}`) and an expectation's
// regular expression (compiled here, so a bad one is a FILE:LINE:COL
// error), shared by every reader of plan/.
std::vector<std::string> read_command_words(const YamlReader& r, const YAML::Node& node);
std::vector<std::pair<std::string, std::string>> read_env_vars(const YamlReader& r, const YAML::Node& node);
std::string read_scenario_regex(const YamlReader& r, const YAML::Node& node);

}  // namespace natlab::harness
