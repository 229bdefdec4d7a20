// The scenario: what a YAML file says, checked, before anything is built.
//
// Theory of operation: load_scenario() reads the file, rejects anything that
// is not a well-formed scenario (syntax, tabs in indentation, duplicate or
// unknown keys, wrong types, bad addresses, dangling references) with a
// ScenarioError that carries FILE:LINE:COL, and returns plain values. Nothing
// here touches the system; the topology planner turns a Scenario into
// namespaces, links and addresses.
#pragma once

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "endpoint.h"

namespace natlab::harness {

using Duration = std::chrono::milliseconds;

// Where in the file a value came from (1-based, as printed).
struct Location {
    std::string file;
    int line = 1;
    int column = 1;
    std::string to_string() const;
};

class ScenarioError : public std::runtime_error {
public:
    ScenarioError(const Location& where, const std::string& what);
};

// A NAT, as the file says it. `type` is one of nat-emu's presets or "linux":
// the kernel's own nftables masquerade (no emulator; see docs/scenarios.md).
struct NatSpec {
    std::string name;
    Location where;
    std::string type = "port-restricted";  // preset, see docs/scenarios.md
    Location type_where;
    std::optional<std::string> mapping;    // overrides the preset
    std::optional<std::string> filtering;
    std::optional<std::string> port_allocation;
    std::optional<Duration> mapping_timeout;
    std::optional<std::string> port_range;  // "LO-HI", checked
    std::optional<bool> refresh_on_inbound;
    bool hairpin = false;
    std::optional<Cidr> lan;         // default 10.0.<index>.0/24
    Location lan_where;
    std::vector<Ipv4> addresses;     // outside addresses; empty: one assigned by the planner
    Location address_where;
    std::string behind = "internet";  // "internet" or the NAT whose LAN holds our outside link
    Location behind_where;

    bool is_linux() const { return type == "linux"; }
};

struct HostSpec {
    std::string name;
    Location where;
    std::string behind = "internet";  // "internet" or a NAT's name
    Location behind_where;
    std::vector<Ipv4> addresses;      // empty: assigned by the planner
    Location address_where;
    std::vector<std::string> run;     // argv; empty: no process
    Location run_where;
    Duration delay{0};
};

enum class ExpectKind { Connected, NotConnected, Exit };

struct Expectation {
    ExpectKind kind = ExpectKind::Exit;
    Location where;
    std::vector<std::string> hosts;      // a pair, or one host for Exit
    Location hosts_where;
    std::optional<std::string> via;      // local | public | peer-reflexive
    std::optional<Duration> within;
    int code = 0;                        // for Exit
};

struct Scenario {
    std::string file;
    std::string name;
    std::string description;
    Duration timeout{30'000};
    std::vector<NatSpec> nats;
    std::vector<HostSpec> hosts;
    std::vector<Expectation> expectations;

    const NatSpec* find_nat(const std::string& name) const;
    const HostSpec* find_host(const std::string& name) const;
};

// Throws ScenarioError.
Scenario load_scenario(const std::string& path);

// "10s", "250ms", "1.5s", or a bare number of seconds.
std::optional<Duration> parse_duration(const std::string& text);

}  // namespace natlab::harness
