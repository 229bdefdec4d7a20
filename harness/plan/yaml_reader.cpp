#include "harness/plan/yaml_reader.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <regex>
#include <sstream>

namespace natlab::harness {
namespace {

// YAML forbids tabs in indentation; yaml-cpp's own message for them is obscure.
void reject_tabs(const std::string& path, const std::string& content) {
    int line = 1, column = 1;
    bool indent = true;
    for (char c : content) {
        if (c == '\n') {
            ++line;
            column = 1;
            indent = true;
            continue;
        }
        if (indent && c == '\t')
            throw ScenarioError({path, line, column},
                                "tab character in indentation (YAML allows spaces only)");
        if (c != ' ') indent = false;
        ++column;
    }
}

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw ScenarioError({path, 1, 1}, "cannot open scenario: " + std::string(std::strerror(errno)));
    std::stringstream buffer;
    buffer << in.rdbuf();
    return buffer.str();
}

}  // namespace

std::string join(const std::set<std::string>& words) {
    std::string out;
    for (auto& w : words) out += (out.empty() ? "" : ", ") + w;
    return out;
}

Location YamlReader::at(const YAML::Node& node) const {
    auto mark = node.Mark();
    if (mark.is_null()) return {file_, 1, 1};
    return {file_, mark.line + 1, mark.column + 1};
}

void YamlReader::fail(const YAML::Node& node, const std::string& what) const {
    throw ScenarioError(at(node), what);
}

void YamlReader::check_map(const YAML::Node& node, const std::string& what,
                           const std::set<std::string>& allowed) const {
    if (!node.IsMap()) fail(node, what + " must be a mapping");
    std::set<std::string> seen;
    for (auto it : node) {
        auto key = key_of(it.first);
        if (!seen.insert(key).second) fail(it.first, "duplicate key '" + key + "' in " + what);
        if (!allowed.empty() && !allowed.count(key))
            fail(it.first,
                 "unknown key '" + key + "' in " + what + " (expected one of: " + join(allowed) + ")");
    }
}

std::string YamlReader::key_of(const YAML::Node& key) const {
    if (!key.IsScalar()) fail(key, "keys must be plain words");
    return key.Scalar();
}

std::string YamlReader::text(const YAML::Node& node, const std::string& what) const {
    if (!node.IsScalar()) fail(node, what + " must be a string");
    return node.Scalar();
}

std::string YamlReader::word(const YAML::Node& node, const std::string& what,
                             const std::set<std::string>& allowed) const {
    auto value = text(node, what);
    if (!allowed.count(value))
        fail(node, "unknown " + what + " '" + value + "' (expected one of: " + join(allowed) + ")");
    return value;
}

std::string YamlReader::name(const YAML::Node& node, const std::string& what) const {
    static const std::regex re("^[a-z][a-z0-9_-]{0,23}$");
    auto value = text(node, what);
    if (!std::regex_match(value, re))
        fail(node, what + " '" + value +
                       "' must start with a lowercase letter and use only a-z, 0-9, '-', '_' (at most 24)");
    return value;
}

bool YamlReader::boolean(const YAML::Node& node, const std::string& what) const {
    auto value = plain(node, what + " must be true or false");
    if (value == "true" || value == "on" || value == "yes") return true;
    if (value == "false" || value == "off" || value == "no") return false;
    fail(node, what + " must be true or false, not '" + value + "'");
}

int YamlReader::integer(const YAML::Node& node, const std::string& what, int lo, int hi) const {
    auto value = plain(node, what + " must be an integer");
    static const std::regex re("^-?[0-9]{1,9}$");
    if (!std::regex_match(value, re)) fail(node, what + " must be an integer, not '" + value + "'");
    int n = std::stoi(value);
    if (n < lo || n > hi)
        fail(node, what + " must be between " + std::to_string(lo) + " and " + std::to_string(hi));
    return n;
}

Millis YamlReader::duration(const YAML::Node& node, const std::string& what) const {
    auto value = plain(node, what + " must be a duration like 10s or 500ms");
    auto d = parse_duration(value);
    if (!d) fail(node, what + " must be a duration like 10s or 500ms, not '" + value + "'");
    return *d;
}

Ipv4 YamlReader::address(const YAML::Node& node, const std::string& what) const {
    auto value = plain(node, what + " must be an IPv4 address");
    auto ip = Ipv4::parse(value);
    if (!ip) fail(node, "bad address '" + value + "' for " + what + " (expected a.b.c.d)");
    return *ip;
}

double YamlReader::loss(const YAML::Node& node, const std::string& what) const {
    auto value = plain(node, what + " must be a percentage like 20% or 0.5%");
    auto pct = parse_loss(value);
    if (!pct)
        fail(node, what + " must be a percentage from 0% to 100%, like 20% or 0.5%, not '" + value + "'");
    return *pct;
}

std::uint64_t YamlReader::rate(const YAML::Node& node, const std::string& what) const {
    auto value = plain(node, what + " must be a rate like 10mbit");
    auto bits = parse_rate(value);
    if (!bits)
        fail(node, what +
                       " must be <n>kbit, <n>mbit, <n>gbit or bits per second (1 bit/s to 100gbit), not '" +
                       value + "'");
    return *bits;
}

std::int64_t YamlReader::count(const YAML::Node& node, const std::string& what) const {
    auto value = plain(node, what + " must be an integer");
    static const std::regex re("^-?[0-9]{1,18}$");
    if (!std::regex_match(value, re)) fail(node, what + " must be an integer, not '" + value + "'");
    return std::stoll(value);
}

Cidr YamlReader::subnet(const YAML::Node& node, const std::string& what) const {
    auto value = plain(node, what + " must be a subnet like 10.0.1.0/24");
    auto cidr = Cidr::parse(value);
    if (!cidr)
        fail(node, "bad subnet '" + value + "' for " + what + " (expected a.b.c.d/len, host bits zero)");
    return *cidr;
}

std::string YamlReader::plain(const YAML::Node& node, const std::string& complaint) const {
    if (!node.IsScalar()) fail(node, complaint);
    return node.Scalar();
}

YAML::Node load_yaml_file(const std::string& path) {
    auto content = read_file(path);
    reject_tabs(path, content);
    try {
        return YAML::Load(content);
    } catch (const YAML::ParserException& e) {
        throw ScenarioError({path, e.mark.line + 1, e.mark.column + 1}, "YAML syntax error: " + e.msg);
    }
}

LinkImpairment read_impairment(const YamlReader& r, const YAML::Node& node, const std::string& what,
                               const std::string& value_context) {
    r.check_map(node, what, {"delay", "jitter", "loss", "rate"});
    if (node.size() == 0) r.fail(node, what + " must set at least one of: delay, jitter, loss, rate");
    LinkImpairment link;
    link.where = r.at(node);
    if (auto n = node["delay"]) link.delay = r.duration(n, "delay" + value_context);
    if (auto n = node["jitter"]) link.jitter = r.duration(n, "jitter" + value_context);
    if (auto n = node["loss"]) link.loss = r.loss(n, "loss" + value_context);
    if (auto n = node["rate"]) link.rate = r.rate(n, "rate" + value_context);
    return link;
}

namespace {

// Splits "peer --name a 'two words'" into argv; quotes group, no other shell syntax.
std::vector<std::string> split_command(const YamlReader& r, const YAML::Node& node) {
    std::vector<std::string> argv;
    std::string current;
    bool in_word = false;
    char quote = 0;
    for (char c : node.Scalar()) {
        if (quote) {
            if (c == quote)
                quote = 0;
            else
                current += c;
        } else if (c == '\'' || c == '"') {
            quote = c;
            in_word = true;
        } else if (c == ' ' || c == '\t') {
            if (in_word) argv.push_back(current);
            current.clear();
            in_word = false;
        } else {
            current += c;
            in_word = true;
        }
    }
    if (quote) r.fail(node, "unterminated quote in run command");
    if (in_word) argv.push_back(current);
    return argv;
}

}  // namespace

std::vector<std::string> read_command_words(const YamlReader& r, const YAML::Node& node) {
    std::vector<std::string> argv;
    if (node.IsScalar()) {
        argv = split_command(r, node);
    } else if (node.IsSequence()) {
        for (auto item : node) argv.push_back(r.text(item, "each word of run"));
    } else {
        r.fail(node, "run must be a command line or a list of words");
    }
    if (argv.empty()) r.fail(node, "run must not be empty");
    return argv;
}

// `env: {NAME: value}`: names as a shell takes them, values strings.
std::vector<std::pair<std::string, std::string>> read_env_vars(const YamlReader& r, const YAML::Node& node) {
    static const std::regex re("^[A-Za-z_][A-Za-z0-9_]*$");
    r.check_map(node, "env", {});
    std::vector<std::pair<std::string, std::string>> env;
    for (auto it : node) {
        auto name = it.first.Scalar();
        if (!std::regex_match(name, re))
            r.fail(it.first, "environment variable name '" + name + "' must be letters, digits and '_'");
        env.emplace_back(name, r.text(it.second, "environment variable " + name));
    }
    return env;
}

// An ECMAScript regular expression, compiled once here so a bad one is a
// FILE:LINE:COL error.
std::string read_scenario_regex(const YamlReader& r, const YAML::Node& node) {
    auto pattern = r.text(node, "pattern");
    try {
        std::regex compiled(pattern, std::regex::ECMAScript);
    } catch (const std::regex_error& e) {
        r.fail(node, "bad regular expression '" + pattern + "': " + e.what());
    }
    return pattern;
}

}  // namespace natlab::harness
