// Generated files, set-up commands, /etc/hosts. See host_files.h.
#include "harness/plan/host_files.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <optional>
#include <regex>
#include <set>

namespace natlab::harness {
namespace {

const std::set<std::string> kReserved = {"host", "host_dir", "setup_dir", "scenario_dir"};

// A relative path of plain names: no "..", no "." component, nothing absolute.
void check_file_path(const YamlReader& r, const YAML::Node& key, const std::string& path) {
    static const std::regex part("^[A-Za-z0-9_][A-Za-z0-9._-]*$");
    bool ok = !path.empty() && path.size() <= 200 && path.front() != '/' && path.back() != '/';
    for (std::size_t at = 0; ok && at <= path.size();) {
        auto slash = std::min(path.find('/', at), path.size());
        ok = std::regex_match(path.substr(at, slash - at), part);
        at = slash + 1;
    }
    if (!ok)
        r.fail(key, "file name '" + path +
                        "' must be a relative path of names (letters, digits, '.', '_', '-'), "
                        "like config.yml or pki/ca.crt");
}

std::string reserved_complaint(const std::string& ref) {
    if (ref == "host") return "'${host}' (the host's own name) means nothing in a set-up command";
    return "'${" + ref + "}' (the host's own directory) means nothing in a set-up command";
}

void check_reserved_name(const std::string& name, const Location& where, const char* what) {
    if (kReserved.count(name))
        throw ScenarioError(where,
                            std::string(what) + " name '" + name + "' is reserved for ${" + name + "}");
}

}  // namespace

std::vector<FileSpec> read_files(const YamlReader& r, const YAML::Node& node, const std::string& host) {
    if (!node.IsMap()) r.fail(node, "files of host '" + host + "' must be a mapping of file name to content");
    r.check_map(node, "files", {});
    std::vector<FileSpec> files;
    for (auto it : node) {
        auto path = it.first.Scalar();
        check_file_path(r, it.first, path);
        files.push_back({path, r.text(it.second, "content of file " + path), r.at(it.second)});
    }
    return files;
}

std::vector<SetupSpec> read_setup(const YamlReader& r, const YAML::Node& node) {
    if (!node.IsSequence() || node.size() == 0) r.fail(node, "setup must be a non-empty list of commands");
    std::vector<SetupSpec> setup;
    for (auto item : node) setup.push_back({read_command_words(r, item), r.at(item)});
    return setup;
}

namespace {

// The first reference in `text` that is not allowed, and why; in set-up
// commands (`in_setup`) the host's own name and directory are not.
std::optional<std::pair<std::string, std::string>> bad_ref(const Scenario& s, const std::string& text,
                                                           bool in_setup) {
    std::optional<std::pair<std::string, std::string>> bad;
    substitute_refs(text, [&](const std::string& ref) {
        auto name = split_family(ref).first;
        bool known = ref == "setup_dir" || ref == "scenario_dir" || s.find_host(name) || s.find_nat(name);
        if (bad || known || (kReserved.count(ref) && !in_setup)) return std::string();
        bad.emplace(ref, kReserved.count(ref)
                             ? reserved_complaint(ref)
                             : "'${" + ref +
                                   "}' does not name a host or NAT (NAME, NAME.ipv4 or NAME.ipv6; nor "
                                   "host, host_dir, setup_dir, scenario_dir)");
        return std::string();
    });
    return bad;
}

std::vector<std::string> lines_of(const std::string& file) {
    std::ifstream in(file);
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}

// Where `offset` of a literal block scalar's content (`key: |` at `start`)
// lies in the file: content line k is file line start.line + 1 + k,
// indented like the block's first non-empty line. Anything else: `start`.
Location place_in_block(const Location& start, const std::string& content, std::size_t offset) {
    auto lines = lines_of(start.file);
    auto header = static_cast<std::size_t>(start.line - 1), at = static_cast<std::size_t>(start.column - 1);
    if (header >= lines.size() || at >= lines[header].size() || lines[header][at] != '|') return start;
    std::size_t indent = 0;
    for (auto i = header + 1; i < lines.size() && !indent; ++i)
        indent = lines[i].find_first_not_of(' ') == std::string::npos ? 0 : lines[i].find_first_not_of(' ');
    auto row = std::count(content.begin(), content.begin() + static_cast<long>(offset), '\n');
    auto line_begin = offset == 0 ? std::string::npos : content.rfind('\n', offset - 1);
    auto column = line_begin == std::string::npos ? offset : offset - line_begin - 1;
    return {start.file, start.line + 1 + static_cast<int>(row), static_cast<int>(indent + column + 1)};
}

void check_file(const Scenario& s, const FileSpec& file) {
    if (auto bad = bad_ref(s, file.content, false))
        throw ScenarioError(
            place_in_block(file.where, file.content, file.content.find("${" + bad->first + "}")),
            bad->second);
}

}  // namespace

void check_template(const Scenario& s, const std::string& text, const RefContext& at) {
    if (auto bad = bad_ref(s, text, at.host.empty())) throw ScenarioError(at.where, bad->second);
}

void check_generated(const Scenario& s) {
    for (auto& nat : s.nats) check_reserved_name(nat.name, nat.where, "NAT");
    for (auto& host : s.hosts) {
        check_reserved_name(host.name, host.where, "host");
        for (auto& file : host.files) check_file(s, file);
    }
    for (auto& step : s.setup)
        for (auto& word : step.argv) check_template(s, word, {"", step.where});
}

// "alice.ipv6" is ("alice", "ipv6"); "alice" is ("alice", "").
std::pair<std::string, std::string> split_family(const std::string& ref) {
    for (const char* family : {"ipv4", "ipv6"}) {
        auto suffix = std::string(".") + family;
        if (ref.size() > suffix.size() && ref.compare(ref.size() - suffix.size(), suffix.size(), suffix) == 0)
            return {ref.substr(0, ref.size() - suffix.size()), family};
    }
    return {ref, ""};
}

std::string plan_value(const Topology& topo, const std::string& node, const std::string& ref) {
    if (ref == "host") return node;
    if (ref == "scenario_dir") return topo.scenario_dir;
    if (ref == "host_dir" || ref == "setup_dir") return "${" + ref + "}";
    auto [name, family] = split_family(ref);
    auto* named = topo.find_node(name);
    if (!named) return {};
    auto v4 = named->address ? named->address->to_string() : std::string();
    auto v6 = named->address6 ? named->address6->to_string() : std::string();
    if (family == "ipv4") return v4;
    if (family == "ipv6") return v6;
    return v4.empty() ? v6 : v4;
}

namespace {

std::string lab_hosts_file(const Topology& topo) {
    std::string text =
        "# The lab's /etc/hosts (nat-lab): every host, and every NAT by its outside address.\n"
        "127.0.0.1\tlocalhost\n";
    for (auto& node : topo.nodes)
        if (node.address) text += node.address->to_string() + "\t" + node.name + "\n";
    for (auto& node : topo.nodes)
        if (node.address6) text += node.address6->to_string() + "\t" + node.name + "\n";
    return text;
}

}  // namespace

void plan_generated(const Scenario& s, Topology& topo) {
    for (auto& host : s.hosts) {
        auto& node =
            *std::find_if(topo.nodes.begin(), topo.nodes.end(), [&](auto& n) { return n.name == host.name; });
        node.files = host.files;
        for (auto& file : node.files)
            file.content =
                substitute_refs(file.content, [&](auto& ref) { return plan_value(topo, host.name, ref); });
    }
    topo.setup = s.setup;
    for (auto& step : topo.setup)
        for (auto& word : step.argv)
            word = substitute_refs(word, [&](auto& ref) { return plan_value(topo, "", ref); });
    topo.hosts_file = lab_hosts_file(topo);
}

std::string scenario_dir_of(const std::string& file) {
    std::error_code ec;
    auto path = std::filesystem::absolute(file, ec);
    return file.empty() || ec ? std::string() : path.lexically_normal().parent_path().string();
}

std::string host_dir(const std::string& run_dir, const std::string& host) {
    return run_dir + "/hosts/" + host;
}

std::string setup_dir(const std::string& run_dir) {
    return run_dir + "/setup";
}

std::string expand_dirs(const std::string& text, const std::string& host_directory,
                        const std::string& setup_directory) {
    return substitute_refs(text, [&](const std::string& ref) {
        if (ref == "host_dir") return host_directory;
        if (ref == "setup_dir") return setup_directory;
        return "${" + ref + "}";
    });
}

}  // namespace natlab::harness
