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
#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "src/net/clock.h"
#include "src/net/endpoint.h"
#include "src/net/ipv6.h"

namespace natlab::harness {

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

// Impairments of one link (`link:` on a host or a NAT, `set:` in the
// timeline), as link-emu takes them (docs/scenarios.md). Unset fields are
// left as they are: no delay, no jitter, no loss, no rate limit at first.
struct LinkImpairment {
    Location where;
    std::optional<Millis> delay;
    std::optional<Millis> jitter;
    std::optional<double> loss;         // percent, 0..100
    std::optional<std::uint64_t> rate;  // bits per second
};

// Which IP versions a segment carries (`stack:`; harness/plan/ipv6_keys.h).
enum class Stack { ipv4, dual, ipv6 };
std::string_view to_string(Stack s);
inline bool has_ipv4(Stack s) {
    return s != Stack::ipv6;
}
inline bool has_ipv6(Stack s) {
    return s != Stack::ipv4;
}

// A NAT's IPv6 side (harness/plan/ipv6_keys.h): its LAN's stack and what
// it does to IPv6 between its LAN and the internet.
struct Ipv6Spec {
    Stack stack = Stack::ipv4;
    Location stack_where;
    std::optional<std::string> mode;  // firewall (unset), route, nptv6 or nat64
    Location mode_where;
    std::optional<std::string> filtering;  // the firewall's, as RFC 4787's words
    Location filtering_where;
    std::optional<Ipv6Prefix> lan6;  // default 2001:2:0:<index>::/64, or fd00:0:0:<index>::/64 for nptv6
    Location lan6_where;
    bool ipv4_blackhole = false;  // hosts' IPv4 default route goes nowhere
    Location blackhole_where;
    std::optional<Ipv6Prefix> nat64_prefix;  // `nat64_prefix`; unset: the well-known 64:ff9b::/96
    Location nat64_prefix_where;

    std::string mode_name() const { return mode.value_or("firewall"); }
    // A LAN of fd00::/8 that the internet does not see as it is (NPTv6).
    bool ula() const { return mode_name() == "nptv6"; }
};

// A NAT's `port_mapping:` (nat-emu's --port-mapping-* options; all off by default).
struct PortMappingSpec {
    std::vector<std::string> protocols;  // nat-pmp, pcp, upnp
    bool refuse = false;
    std::optional<Millis> min_lifetime;
    std::optional<Millis> max_lifetime;
    std::optional<int> per_host;
    std::optional<bool> honour_port;
    bool third_party = false;
    std::optional<int> upnp_igd;              // 1 or 2 (nat-emu --upnp-igd); needs upnp
    std::optional<bool> upnp_permanent_only;  // IGD:1 only (nat-emu --upnp-permanent-only)
    Location where;
};

// A NAT, as the file says it. `type` is one of nat-emu's presets or "linux":
// the kernel's own nftables masquerade (no emulator; see docs/scenarios.md).
struct NatSpec {
    std::string name;
    Location where;
    std::string type = "port-restricted";  // preset or profile, see docs/scenarios.md
    Location type_where;
    std::optional<std::string> mapping;  // overrides the preset
    std::optional<std::string> filtering;
    std::optional<std::string> port_allocation;
    std::optional<Millis> mapping_timeout;
    std::optional<std::string> port_range;  // "LO-HI", checked
    std::optional<bool> refresh_on_inbound;
    std::optional<std::string> pooling;  // "paired" or "arbitrary" (RFC 4787 section 4.1)
    std::optional<Millis> mapping_timeout_before_inbound;
    std::optional<bool> port_parity;
    std::optional<int> port_block_size;  // 0: no blocks
    std::optional<int> port_blocks_per_host;
    std::optional<int> mappings_per_host;  // 0: no limit
    std::optional<bool> hairpin;           // unset: the type's (off, except profiles that hairpin)
    std::optional<PortMappingSpec> port_mapping;
    std::optional<Cidr> lan;  // default 10.0.<index>.0/24
    Location lan_where;
    std::vector<Ipv4> addresses;  // outside addresses; empty: one assigned by the planner
    Location address_where;
    std::string behind = "internet";  // "internet" or the NAT whose LAN holds our outside link
    Location behind_where;
    std::optional<LinkImpairment> link;  // its outside link
    Ipv6Spec ipv6;

    bool is_linux() const { return type == "linux"; }
};

// A file the lab writes into its host's own directory before the lab is
// built (host_files.h): `content` is a template of ${...} references.
struct FileSpec {
    std::string path;  // relative to the host's directory: "config.yml", "pki/ca.crt"
    std::string content;
    Location where;
};

// A command run once, to completion, before the lab is built (host_files.h).
struct SetupSpec {
    std::vector<std::string> argv;
    Location where;
};

// A program of a host that runs several (`programs:`; harness/plan/programs.h
// has the rules): when it may start.
enum class StartOn {
    Begin,   // `delay` after every NAT is up
    After,   // `delay` after program `after` started
    Output,  // `delay` after program `after`'s log matched `pattern`
    Port,    // `delay` after `protocol`/`port` is bound in the program's host
};

struct ProgramSpec {
    std::string name;  // "alice.ping": the host's name, a dot, the program's own
    Location where;
    std::vector<std::string> run;  // argv
    Location run_where;
    std::vector<std::pair<std::string, std::string>> env;  // its own, over the host's `env`
    Millis delay{0};
    StartOn start_on = StartOn::Begin;
    std::string after;  // After, Output: the program as written ("web", "bob.web", "server")
    Location after_where;
    std::string pattern;   // Output: ECMAScript regex
    std::string protocol;  // Port: "udp" or "tcp"
    int port = 0;          // Port
    bool daemon = false;   // runs for the whole lab, never waited for, stopped at the end
};

struct HostSpec {
    std::string name;
    Location where;
    std::string behind = "internet";  // "internet" or a NAT's name
    Location behind_where;
    std::vector<Ipv4> addresses;  // empty: assigned by the planner
    Location address_where;
    std::optional<Ipv6> address6;  // on a segment with IPv6; unset: assigned by the planner
    Location address6_where;
    std::vector<std::string> run;  // argv; empty: no process
    Location run_where;
    Millis delay{0};
    std::vector<std::pair<std::string, std::string>> env;  // added to the program's environment
    std::optional<std::string> after;                      // start `delay` after that host's program started
    Location after_where;
    std::optional<LinkImpairment> link;  // its link to its segment
    std::vector<FileSpec> files;         // written into its own directory
    std::vector<ProgramSpec> programs;   // `programs:` instead of `run:`; in file order
};

// One step of the timeline: at `at` after the hosts' phase began (when
// every NAT is up), do one thing to one link, host or NAT. Kill sends a
// signal to a NAT's emulator, as a crash would end it (the run then fails:
// judge() fails every NAT that does not run to the end). Reboot and Change
// stop a NAT's emulator and start it again, as the timeline asked (no
// death): Reboot with a new outside address (a new lease from the ISP),
// Change with new behaviour keys (a router swapped); either way every
// mapping is gone.
// Move unplugs a host from its segment and plugs it into another (a NAT's
// LAN or the internet) with a new address and default route; its programs
// keep running.
enum class StepKind { LinkDown, LinkUp, LinkSet, Restart, Flush, Kill, Reboot, Change, Move };

struct TimelineStep {
    Location where;
    Millis at{0};
    StepKind kind = StepKind::LinkDown;
    std::string target;  // the host or NAT whose link, program or mappings
    Location target_where;
    LinkImpairment set;           // for LinkSet
    int signal = 9;               // for Kill: SIGKILL unless the step's `signal:` says
    std::optional<Ipv4> address;  // Reboot, Move: `address:`; unset: the next free one of the segment
    std::string to;               // for Move: "internet" or the NAT whose LAN it goes to
    Location to_where;
    Location address_where;
    NatSpec change;  // for Change: the behaviour keys given (the others unset, type empty)
};

// `signal:` of a kill step: KILL, TERM, ... (or SIGKILL, ...); nullopt for
// any other word. signal_name(9) is "SIGKILL".
std::optional<int> parse_signal(const std::string& name);
std::string signal_name(int signal);
// "killed by signal 9 (SIGKILL)": how every report words a death by signal.
std::string killed_by_signal(int signal);

std::string describe(const TimelineStep& step);

// Direct, Relayed and Traffic are judged from the captures (harness/judge/wire.h);
// Reachable from what the lab's own probes saw (harness/lab/reach.h).
enum class ExpectKind { Connected, NotConnected, Exit, Output, Counter, Direct, Relayed, Traffic, Reachable };
enum class ReachBy { Icmp, Udp, Tcp };
enum class Comparison { Above, Below, Equals };

struct Expectation {
    ExpectKind kind = ExpectKind::Exit;
    Location where;
    std::string id;  // `id:`, optional: how a matrix file's `when:` names it
    Location id_where;
    std::vector<std::string> hosts;  // a pair, or one host for Exit
    Location hosts_where;
    std::optional<std::string>
        via;  // Connected: local | public | peer-reflexive | relay; Relayed: the host in between
    std::optional<Millis> within;
    bool lossless = false;  // Connected: every data message acknowledged, both ways
    // Connected: `repunched: true` each side lost its path and punched it
    // again (false: never did); `repunch_within` bounds every recovery's
    // path-lost -> connected time.
    std::optional<bool> repunched;
    std::optional<Millis> repunch_within;
    std::optional<std::string> family;  // Connected: the path's, ipv4 | ipv6
    int code = 0;                       // for Exit
    std::string pattern;                // Output: ECMAScript regex
    bool negate = false;                // Output: not_matches
    std::string counter;                // Counter: dotted path, e.g. dropped.filtered
    Comparison comparison = Comparison::Above;
    std::int64_t value = 0;  // Counter: the bound
    // Traffic: the two nodes (hosts or NATs) of `between`, or the one node
    // of `link`; not in `hosts`, so naming a server here does not make the
    // run wait for it. Bounds are inclusive.
    std::vector<std::string> nodes;
    Location via_where;    // Relayed: where `via` names the host in between
    bool on_link = false;  // `link: NODE` rather than `between: [X, Y]`
    struct Bounds {
        std::optional<std::int64_t> min, max;
    };
    Bounds packets, bytes;
    // Reachable: nodes are {from, to}, `to` a host, a NAT or an address;
    // `negate` for not_reachable. Probing starts `at` after the hosts'
    // phase began and goes on for `within` (harness/plan/reach_keys.h).
    ReachBy reach_by = ReachBy::Icmp;
    int port = 0;  // Udp, Tcp
    Millis at{0};
};

// The lab's DNS server (`dns:`; harness/plan/dns_plan.h).
struct DnsSpec {
    Location where;
    bool dns64 = false;                      // RFC 6147: AAAA made up from A under the prefix
    std::optional<Ipv6Prefix> dns64_prefix;  // unset: the NAT64's, else 64:ff9b::/96
    Location prefix_where;
};

struct Scenario {
    std::string file;
    // What ${scenario_dir} names; empty: the directory of `file`. A matrix
    // cell is named after its matrix file but keeps its template's directory.
    std::string dir;
    std::string name;
    std::string description;
    Millis timeout{30'000};
    std::vector<NatSpec> nats;
    std::vector<HostSpec> hosts;
    std::vector<Expectation> expectations;
    std::vector<TimelineStep> timeline;  // sorted by time (file order among equals)
    int repeat = 1;                      // runs of this scenario
    bool capture = true;                 // one pcap per link
    std::vector<SetupSpec> setup;        // run before the lab, in file order
    Stack stack = Stack::ipv4;           // the internet's (`stack:`)
    std::optional<DnsSpec> dns;          // the lab's DNS server, if any

    const NatSpec* find_nat(const std::string& name) const;
    const HostSpec* find_host(const std::string& name) const;
};

// Throws ScenarioError.
Scenario load_scenario(const std::string& path);

// "10s", "250ms", "1.5s", or a bare number of seconds.
std::optional<Millis> parse_duration(const std::string& text);

// "10mbit", "512kbit", "1gbit", "64000bit" or a bare number of bits/s.
std::optional<std::uint64_t> parse_rate(const std::string& text);

// "20%", "0.5%", "20" (percent, 0..100).
std::optional<double> parse_loss(const std::string& text);

// ${name} references in a command word: each is replaced by what `value`
// returns for its name (the loader checks the names, the planner expands).
std::string substitute_refs(const std::string& word,
                            const std::function<std::string(const std::string&)>& value);

// Every NAT counter name an expectation may use: the keys of the last
// "counters" line of nat-emu's event log, nested objects as dotted paths
// (translated_out, dropped.filtered, frames_in.outside, ...); nat-emu's own
// table (simulator/router/counter_table.h).
const std::vector<std::string>& nat_counter_names();

}  // namespace natlab::harness
