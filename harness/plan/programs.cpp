// `programs:` of a host: reading and checks. See programs.h.
#include "harness/plan/programs.h"

#include <algorithm>
#include <regex>
#include <set>

#include "harness/plan/host_files.h"

namespace natlab::harness {

namespace {

const std::set<std::string> kProgramKeys = {"run",          "env",     "delay",      "after",
                                            "after_output", "matches", "after_port", "daemon"};

// "udp/3478", "tcp/8000".
void read_port(const YamlReader& r, const YAML::Node& node, ProgramSpec& p) {
    static const std::regex re("^(udp|tcp)/([0-9]{1,5})$");
    auto value = r.text(node, "after_port");
    std::smatch m;
    int port = std::regex_match(value, m, re) ? std::stoi(m[2].str()) : 0;
    if (port < 1 || port > 65535)
        r.fail(node, "after_port must be udp/PORT or tcp/PORT with 1 <= PORT <= 65535, not '" + value + "'");
    p.protocol = m[1].str();
    p.port = port;
}

void read_start(const YamlReader& r, const YAML::Node& body, ProgramSpec& p) {
    auto after = body["after"], output = body["after_output"], port = body["after_port"];
    auto matches = body["matches"];
    if (!!after + !!output + !!port > 1)
        r.fail(
            output ? output : port,
            "program '" + p.name + "' starts on one condition: give one of after, after_output, after_port");
    if (matches && !output)
        r.fail(matches, "matches goes with after_output: NAME (start when that program's output matches)");
    if (auto n = body["delay"]) p.delay = r.duration(n, "delay");
    if (after || output) {
        auto n = after ? after : output;
        p.start_on = after ? StartOn::After : StartOn::Output;
        p.after = r.text(n, after ? "after" : "after_output");
        p.after_where = r.at(n);
    }
    if (output) {
        if (!matches)
            r.fail(output, "after_output needs matches: REGEX (what that program's output must show)");
        p.pattern = read_scenario_regex(r, matches);
    }
    if (port) {
        p.start_on = StartOn::Port;
        read_port(r, port, p);
        p.after_where = r.at(port);
    }
}

ProgramSpec read_program(const YamlReader& r, const YAML::Node& key, const YAML::Node& body,
                         const HostSpec& host) {
    ProgramSpec p;
    p.name = host.name + "." + r.name(key, "program name");
    p.where = r.at(key);
    r.check_map(body, "program '" + p.name + "'", kProgramKeys);
    if (!body["run"]) r.fail(key, "program '" + p.name + "' needs run: (a command line or a list of words)");
    p.run = read_command_words(r, body["run"]);
    p.run_where = r.at(body["run"]);
    if (auto n = body["env"]) p.env = read_env_vars(r, n);
    if (auto n = body["daemon"]) p.daemon = r.boolean(n, "daemon");
    read_start(r, body, p);
    return p;
}

}  // namespace

std::vector<ProgramSpec> read_programs(const YamlReader& r, const YAML::Node& body, const HostSpec& host) {
    auto node = body["programs"];
    if (body["run"])
        r.fail(node,
               "host '" + host.name + "': give either run (one program) or programs (several), not both");
    for (auto* key : {"delay", "after"})
        if (body[key])
            r.fail(body[key],
                   "host '" + host.name + "' runs programs: give " + key + " to each program instead");
    if (!node.IsMap() || node.size() == 0)
        r.fail(node, "programs of host '" + host.name + "' must be a mapping of program names to programs");
    r.check_map(node, "programs of host '" + host.name + "'", {});
    std::vector<ProgramSpec> programs;
    for (auto it : node) programs.push_back(read_program(r, it.first, it.second, host));
    return programs;
}

bool is_program_name(const std::string& name) {
    return name.find('.') != std::string::npos;
}

const ProgramSpec* find_program(const Scenario& s, const std::string& full_name) {
    auto dot = full_name.find('.');
    if (dot == std::string::npos) return nullptr;
    auto* host = s.find_host(full_name.substr(0, dot));
    if (!host) return nullptr;
    auto it = std::find_if(host->programs.begin(), host->programs.end(),
                           [&](auto& p) { return p.name == full_name; });
    return it == host->programs.end() ? nullptr : &*it;
}

void check_program_ref(const Scenario& s, const Location& where, const std::string& full_name) {
    if (find_program(s, full_name)) return;
    auto* host = s.find_host(full_name.substr(0, full_name.find('.')));
    if (!host) throw ScenarioError(where, "no host named '" + full_name.substr(0, full_name.find('.')) + "'");
    if (host->programs.empty())
        throw ScenarioError(where,
                            "host '" + host->name + "' has no programs: (name it '" + host->name + "')");
    throw ScenarioError(where, "host '" + host->name + "' has no program named '" +
                                   full_name.substr(full_name.find('.') + 1) + "'");
}

std::string resolve_program_ref(const Scenario& s, const HostSpec& host, const std::string& name) {
    if (is_program_name(name)) return find_program(s, name) ? name : std::string();
    if (find_program(s, host.name + "." + name)) return host.name + "." + name;
    auto* other = s.find_host(name);
    return other && !other->run.empty() ? name : std::string();
}

namespace {

// NAME in after/after_output: a program of the same host, another host's
// program, or a host that runs one.
void check_start_ref(const Scenario& s, const HostSpec& host, const ProgramSpec& p) {
    if (p.start_on != StartOn::After && p.start_on != StartOn::Output) return;
    if (!resolve_program_ref(s, host, p.after).empty()) return;
    if (is_program_name(p.after)) check_program_ref(s, p.after_where, p.after);
    auto* other = s.find_host(p.after);
    if (other && !other->programs.empty())
        throw ScenarioError(p.after_where, "host '" + other->name +
                                               "' runs several programs: name one, like '" +
                                               other->programs.front().name + "'");
    if (other) throw ScenarioError(p.after_where, "host '" + other->name + "' has nothing to run");
    throw ScenarioError(p.after_where,
                        "no program of host '" + host.name + "' and no host named '" + p.after + "'");
}

// What a runnable (a one-program host or a program) waits for, as a full
// name; empty for none.
std::string dependency(const Scenario& s, const std::string& name) {
    if (auto* p = find_program(s, name)) {
        if (p->start_on != StartOn::After && p->start_on != StartOn::Output) return {};
        return resolve_program_ref(s, *s.find_host(name.substr(0, name.find('.'))), p->after);
    }
    auto* host = s.find_host(name);
    return host && host->after ? *host->after : std::string();
}

// No program waits for itself, directly or through other programs or hosts.
void check_no_cycle(const Scenario& s, const ProgramSpec& p) {
    std::string path = p.name;
    auto at = dependency(s, p.name);
    for (std::size_t hops = 0; !at.empty() && hops <= s.hosts.size() * 8; ++hops) {
        path += " -> " + at;
        if (at == p.name)
            throw ScenarioError(p.after_where, "program '" + p.name + "' starts after itself: " + path);
        at = dependency(s, at);
    }
}

// As a host's run: ${host}, ${host_dir} and the rest of host_files.h.
void check_command(const Scenario& s, const HostSpec& host, const ProgramSpec& p) {
    for (auto& word : p.run) check_template(s, word, {host.name, p.run_where});
}

}  // namespace

void check_programs(const Scenario& s) {
    for (auto& host : s.hosts)
        for (auto& p : host.programs) {
            check_command(s, host, p);
            check_start_ref(s, host, p);
        }
    for (auto& host : s.hosts)
        for (auto& p : host.programs) check_no_cycle(s, p);
    for (auto& e : s.expectations) {
        if (e.kind != ExpectKind::Exit) continue;
        if (auto* p = find_program(s, e.hosts[0]); p && p->daemon)
            throw ScenarioError(e.hosts_where, "program '" + p->name +
                                                   "' is a daemon: the lab stops it at the end, so it has no "
                                                   "exit code to expect");
    }
}

}  // namespace natlab::harness
