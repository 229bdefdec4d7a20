// Scenario validation: every bad input gives FILE:LINE:COL and a reason.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <string>

#include "harness/plan/reach_keys.h"
#include "harness/plan/scenario.h"
#include "harness/plan/topology.h"
#include "tests/harness/bad_case.h"

using namespace natlab;
using namespace natlab::harness;
using namespace natlab::harness::test;

namespace {

const char* kGood = R"(name: good
nats:
  home:
    type: port-restricted
hosts:
  server:
    address: 198.18.0.2
    run: rendezvous
  alice:
    behind: home
    run: peer --server ${server}:3478 --name alice --connect bob
  bob:
    behind: home
    run: [peer, --server, "${server}:3478", --name, bob]
expect:
  - connected: [alice, bob]
    via: local
    within: 5s
  - exit: alice
)";

// A home NAT behind a carrier-grade NAT.
const char* kNested = R"(nats:
  cgnat:
    lan: 100.64.0.0/24
    hairpin: true
  home:
    type: full-cone
    behind: cgnat
hosts:
  a:
    behind: home
)";

// Hosts that run several programs (harness/plan/programs.h).
const char* kPrograms = R"(hosts:
  server:
    address: 198.18.0.2
    programs:
      rendezvous:
        run: rendezvous
        daemon: true
      ready:
        after_port: udp/3478
        run: [sh, -c, 'echo ok']
  alice:
    programs:
      peer:
        after_output: server.rendezvous
        matches: 'listening'
        run: peer --server ${server}:3478 --name alice
expect:
  - exit: alice.peer
  - output: server.rendezvous
    matches: 'listening'
)";

std::string with(const std::string& from, const std::string& to, const std::string& base = kGood) {
    std::string s = base;
    auto at = s.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    return s.replace(at, from.size(), to);
}

const BadCase kBad[] = {
    // Several programs on a host.
    {"program port not udp or tcp", with("udp/3478", "sctp/3478", kPrograms), 9, 21,
     "after_port must be udp/PORT or tcp/PORT with 1 <= PORT <= 65535, not 'sctp/3478'"},
    {"program port out of range", with("udp/3478", "udp/65536", kPrograms), 9, 21, "not 'udp/65536'"},
    {"program after an unknown program", with("server.rendezvous\n", "server.web\n", kPrograms), 14, 23,
     "host 'server' has no program named 'web'"},
    {"program after itself", with("server.rendezvous\n", "peer\n", kPrograms), 14, 23,
     "program 'alice.peer' starts after itself: alice.peer -> alice.peer"},
    {"program with two start conditions",
     with("        after_port: udp/3478\n", "        after_port: udp/3478\n        after: rendezvous\n",
          kPrograms),
     9, 21, "program 'server.ready' starts on one condition: give one of after, after_output, after_port"},
    {"matches without after_output",
     with("        after_port: udp/3478\n", "        matches: x\n", kPrograms), 9, 18,
     "matches goes with after_output"},
    {"after_output without matches", with("        matches: 'listening'\n", "", kPrograms), 14, 23,
     "after_output needs matches: REGEX"},
    {"program without run", with("        run: [sh, -c, 'echo ok']\n", "", kPrograms), 8, 7,
     "program 'server.ready' needs run:"},
    {"exit of a daemon", with("exit: alice.peer", "exit: server.rendezvous", kPrograms), 18, 11,
     "program 'server.rendezvous' is a daemon"},
    {"exit of a host with programs", with("exit: alice.peer", "exit: alice", kPrograms), 18, 11,
     "host 'alice' runs several programs: name one, like 'alice.peer'"},
    {"output of an unknown program", with("- output: server.rendezvous", "- output: server.web", kPrograms),
     19, 13, "host 'server' has no program named 'web'"},
    {"run and programs",
     with("    address: 198.18.0.2\n", "    address: 198.18.0.2\n    run: rendezvous\n", kPrograms), 6, 7,
     "host 'server': give either run (one program) or programs (several), not both"},
    {"empty file", "", 1, 1, "scenario is empty"},
    {"syntax error", "hosts: [a, b\n", 2, 1, "YAML syntax error"},
    {"tab indentation", "hosts:\n\ta:\n", 2, 1, "tab character in indentation"},
    {"duplicate key", with("  bob:\n    behind", "  alice:\n    behind"), 12, 3, "duplicate key 'alice'"},
    {"unknown top key", "hosts: {}\ncolour: red\n", 2, 1, "unknown key 'colour' in scenario"},
    {"unknown host key",
     with("    behind: home\n    run: peer --server ${server}:3478 --name alice",
          "    behnid: home\n    run: peer --server ${server}:3478 --name alice"),
     10, 5, "unknown key 'behnid'"},
    {"unknown NAT type", with("type: port-restricted", "type: cone"), 4, 11, "unknown NAT type 'cone'"},
    {"missing NAT", with("    behind: home\n    run: [peer", "    behind: office\n    run: [peer"), 13, 13,
     "behind 'office', which is neither 'internet' nor a NAT"},
    {"bad address", with("198.18.0.2", "198.18.0.256"), 7, 14, "bad address '198.18.0.256'"},
    {"address outside the internet", with("198.18.0.2", "8.8.8.8"), 7, 14, "not in 198.18.0.0/15"},
    {"wrong type", with("type: port-restricted", "type: port-restricted\n    hairpin: maybe"), 5, 14,
     "hairpin must be true or false"},
    {"dangling command reference", with("${server}:3478 --name alice", "${srv}:3478 --name alice"), 11, 10,
     "'${srv}' does not name a host"},
    {"expectation on unknown host", with("exit: alice", "exit: carol"), 19, 11, "no host named 'carol'"},
    {"bad duration", with("within: 5s", "within: soon"), 18, 13, "duration"},
    {"bad path", with("via: local", "via: telepathy"), 17, 10, "unknown path 'telepathy'"},
    {"hosts not a map", "hosts: [a, b]\n", 1, 8, "hosts must be a mapping"},
    // type: linux is the kernel's NAT: the emulator's keys do not apply.
    {"linux with filtering",
     with("type: full-cone", "type: linux\n    filtering: endpoint-independent", kNested), 7, 5,
     "'filtering' does not apply to NAT 'home' of type linux"},
    {"linux with hairpin", with("    lan: 100.64", "    type: linux\n    lan: 100.64", kNested), 5, 5,
     "'hairpin' does not apply to NAT 'cgnat' of type linux"},
    {"linux with two addresses",
     with("type: full-cone", "type: linux\n    addresses: [100.64.0.7, 100.64.0.8]", kNested), 7, 16,
     "NAT 'home' of type linux takes one address, not 2"},
    // Nesting: behind names the internet or a NAT, and never loops.
    {"NAT behind itself", with("behind: cgnat", "behind: home", kNested), 7, 13,
     "NAT 'home' cannot be behind itself"},
    {"NAT behind a cycle", with("hairpin: true", "hairpin: true\n    behind: home", kNested), 5, 13,
     "NAT 'cgnat' is behind itself through a cycle: cgnat -> home -> cgnat"},
    {"NAT behind nothing", with("behind: cgnat", "behind: isp", kNested), 7, 13,
     "NAT 'home' is behind 'isp', which is neither 'internet' nor a NAT"},
    {"LAN overlaps the outer LAN",
     with("type: full-cone", "type: full-cone\n    lan: 100.64.0.0/26", kNested), 7, 10,
     "lan 100.64.0.0/26 of NAT 'home' overlaps lan 100.64.0.0/24 of NAT 'cgnat', which it is behind"},
    {"nested address off the outer LAN",
     with("type: full-cone", "type: full-cone\n    address: 198.18.1.9", kNested), 7, 14,
     "bad address 198.18.1.9 for NAT 'home': not in 100.64.0.0/24"},
    {"LAN in public space", with("lan: 100.64.0.0/24", "lan: 198.19.0.0/24", kNested), 3, 10,
     "must lie in 10.0.0.0/8, 192.168.0.0/16 or 100.64.0.0/10"},
    // Pass-through keys are checked before nat-emu ever sees them.
    {"port range upside down", with("type: full-cone", "type: full-cone\n    port_range: 9000-8000", kNested),
     7, 17, "port_range must be LO-HI with 1 <= LO <= HI <= 65535, not '9000-8000'"},
    {"port range from zero", with("type: full-cone", "type: full-cone\n    port_range: 0-100", kNested), 7,
     17, "not '0-100'"},
    {"port range not a range", with("type: full-cone", "type: full-cone\n    port_range: many", kNested), 7,
     17, "not 'many'"},
    {"unknown port mapping protocol",
     with("type: full-cone", "type: full-cone\n    port_mapping: [pcp, stun]", kNested), 7, 25,
     "unknown port mapping protocol 'stun' (expected one of: nat-pmp, pcp, upnp)"},
    {"port mapping without protocols",
     with("type: full-cone", "type: full-cone\n    port_mapping: {refuse: true}", kNested), 7, 19,
     "port_mapping needs protocols"},
    {"port mapping unknown key",
     with("type: full-cone", "type: full-cone\n    port_mapping: {protocols: [pcp], lease: 5}", kNested), 7,
     38, "unknown key 'lease' in port_mapping"},
    {"upnp_igd not 1 or 2",
     with("type: full-cone", "type: full-cone\n    port_mapping: {protocols: [upnp], upnp_igd: 3}", kNested),
     7, 49, "upnp_igd must be between 1 and 2"},
    {"upnp_igd without upnp",
     with("type: full-cone", "type: full-cone\n    port_mapping: {protocols: [pcp], upnp_igd: 2}", kNested),
     7, 48, "upnp_igd needs upnp in protocols"},
    {"permanent-only leases on IGD:2",
     with("type: full-cone",
          "type: full-cone\n    port_mapping: {protocols: [upnp], upnp_igd: 2, upnp_permanent_only: true}",
          kNested),
     7, 73, "upnp_permanent_only is IGD:1's (725 OnlyPermanentLeasesSupported)"},
    {"refresh_on_inbound not a bool",
     with("type: full-cone", "type: full-cone\n    refresh_on_inbound: sometimes", kNested), 7, 25,
     "refresh_on_inbound must be true or false"},
    {"pooling not a pooling", with("type: full-cone", "type: full-cone\n    pooling: round-robin", kNested),
     7, 14, "unknown address pooling 'round-robin' (expected one of: arbitrary, paired)"},
    {"address and addresses",
     with("type: full-cone", "type: full-cone\n    address: 100.64.0.9\n    addresses: [100.64.0.10]",
          kNested),
     8, 16, "give either address or addresses, not both"},
    {"empty address list", with("type: full-cone", "type: full-cone\n    addresses: []", kNested), 7, 16,
     "addresses must be a non-empty list"},
    // Link impairments.
    {"loss above 100%",
     with("    type: port-restricted", "    type: port-restricted\n    link: {loss: 120%}"), 5, 18,
     "loss must be a percentage from 0% to 100%"},
    {"unknown link key",
     with("    type: port-restricted", "    type: port-restricted\n    link: {latency: 5ms}"), 5, 12,
     "unknown key 'latency' in link of NAT 'home'"},
    {"bad rate", with("    type: port-restricted", "    type: port-restricted\n    link: {rate: fast}"), 5,
     18, "rate must be <n>kbit"},
    {"empty link", with("    type: port-restricted", "    type: port-restricted\n    link: {}"), 5, 11,
     "must set at least one of: delay, jitter, loss, rate"},
    {"bad jitter",
     with("    behind: home\n    run: peer", "    behind: home\n    link: {jitter: lots}\n    run: peer"), 11,
     20, "jitter must be a duration"},
    // Environment and start order.
    {"bad environment name",
     with("    behind: home\n    run: peer", "    behind: home\n    env: {1X: y}\n    run: peer"), 11, 11,
     "environment variable name '1X'"},
    {"after an unknown host",
     with("    behind: home\n    run: peer", "    behind: home\n    after: carol\n    run: peer"), 11, 12,
     "no host named 'carol'"},
    {"after in a cycle",
     with("    behind: home\n    run: [peer", "    behind: home\n    after: alice\n    run: [peer",
          with("    behind: home\n    run: peer", "    behind: home\n    after: bob\n    run: peer")),
     11, 12, "host 'alice' starts after itself: alice -> bob -> alice"},
    // The timeline.
    {"step on an unknown link",
     std::string(kGood) + "timeline:\n  - at: 1s\n    link: carol\n    down: true\n", 22, 11,
     "no host or NAT named 'carol'"},
    {"step both down and up",
     std::string(kGood) + "timeline:\n  - at: 1s\n    link: alice\n    down: true\n    up: true\n", 21, 5,
     "a link step needs exactly one of: down: true, up: true, set: {...}"},
    {"step with an unknown verb", std::string(kGood) + "timeline:\n  - at: 1s\n    unplug: alice\n", 22, 5,
     "unknown key 'unplug' in timeline step"},
    {"restart a NAT", std::string(kGood) + "timeline:\n  - at: 1s\n    restart: home\n", 22, 14,
     "no host named 'home'"},
    {"reboot a host", std::string(kGood) + "timeline:\n  - at: 1s\n    reboot: alice\n", 22, 13,
     "no NAT named 'alice'"},
    {"change without a key", std::string(kGood) + "timeline:\n  - at: 1s\n    change: home\n", 21, 5,
     "a change step needs a behaviour key to change"},
    {"move without to", std::string(kGood) + "timeline:\n  - at: 1s\n    move: alice\n", 21, 5,
     "a move step needs to:"},
    {"flush a host", std::string(kGood) + "timeline:\n  - at: 1s\n    flush: alice\n", 22, 12,
     "no NAT named 'alice'"},
    {"kill a host", std::string(kGood) + "timeline:\n  - at: 1s\n    kill: alice\n", 22, 11,
     "no NAT named 'alice'"},
    {"kill with an unknown signal",
     std::string(kGood) + "timeline:\n  - at: 1s\n    kill: home\n    signal: STOP\n", 23, 13,
     "unknown signal 'STOP' (one of: HUP, INT, QUIT, ABRT, KILL, SEGV, TERM)"},
    {"kill with an unknown key",
     std::string(kGood) + "timeline:\n  - at: 1s\n    kill: home\n    down: true\n", 23, 5,
     "unknown key 'down' in timeline step"},
    {"kill a linux NAT",
     with("type: port-restricted", "type: linux") + "timeline:\n  - at: 1s\n    kill: home\n", 22, 11,
     "NAT 'home' of type linux is the kernel's: no process to kill"},
    {"step after the timeout", std::string(kGood) + "timeline:\n  - at: 40s\n    flush: home\n", 21, 5,
     "comes after the scenario's timeout"},
    {"set without impairments", std::string(kGood) + "timeline:\n  - at: 1s\n    link: home\n    set: {}\n",
     23, 10, "set must set at least one of"},
    // The new expectations.
    {"bad regular expression", std::string(kGood) + "  - output: alice\n    matches: '(['\n", 21, 14,
     "bad regular expression '(['"},
    {"output without a pattern", std::string(kGood) + "  - output: alice\n", 20, 5,
     "output needs matches: REGEX"},
    {"unknown counter", std::string(kGood) + "  - counter: home\n    name: dropped.bogus\n    above: 0\n", 21,
     11, "unknown NAT counter 'dropped.bogus'"},
    {"counter with two bounds",
     std::string(kGood) + "  - counter: home\n    name: dropped_total\n    above: 0\n    below: 9\n", 20, 5,
     "counter needs exactly one of: above, below, equals"},
    {"counter of an unknown NAT",
     std::string(kGood) + "  - counter: office\n    name: dropped_total\n    above: 0\n", 20, 14,
     "no NAT named 'office'"},
    {"counter of a linux NAT",
     with("type: port-restricted", "type: linux") +
         "  - counter: home\n    name: dropped_total\n    above: 0\n",
     20, 14, "NAT 'home' of type linux keeps no counters"},
    {"lossless not a bool", with("within: 5s", "within: 5s\n    lossless: sure"), 19, 15,
     "lossless must be true or false"},
    {"repeat zero", std::string(kGood) + "repeat: 0\n", 20, 9, "repeat must be between 1 and 10000"},
    {"capture not a bool", std::string(kGood) + "capture: maybe\n", 20, 10, "capture must be true or false"},
    {"bad expectation id", std::string(kGood) + "  - {id: Up, exit: alice}\n", 20, 10,
     "expectation id 'Up' must start with a lowercase letter"},
    {"expectation id twice", std::string(kGood) + "  - {id: up, exit: alice}\n  - {id: up, exit: bob}\n", 21,
     10, "expectation id 'up' twice"},
    {"unknown key beside an id", std::string(kGood) + "  - {id: up, exit: alice, colour: red}\n", 20, 27,
     "unknown key 'colour' in expectation"},
    // Verdicts from the wire.
    {"direct with one host", std::string(kGood) + "  - direct: [alice]\n", 20, 13,
     "direct must name two hosts, like [alice, bob]"},
    {"direct on an unknown host", std::string(kGood) + "  - direct: [alice, carol]\n", 20, 13,
     "no host named 'carol'"},
    {"relayed without via", std::string(kGood) + "  - relayed: [alice, bob]\n", 20, 5,
     "relayed needs via: HOST"},
    {"relayed via one of the pair", std::string(kGood) + "  - relayed: [alice, bob]\n    via: bob\n", 21, 10,
     "via must be a third host, not 'bob' of the pair"},
    {"relayed via twice", std::string(kGood) + "  - relayed: [alice, bob, via: server]\n    via: server\n",
     21, 10, "relayed takes via once"},
    {"relayed via nobody", std::string(kGood) + "  - relayed: [alice, bob, via: carol]\n", 20, 32,
     "no host named 'carol'"},
    {"traffic min above max", std::string(kGood) + "  - traffic: {link: home, bytes: {min: 9, max: 1}}\n", 20,
     34, "bytes min 9 is above max 1"},
    {"traffic negative", std::string(kGood) + "  - traffic: {link: home, packets: {max: -1}}\n", 20, 42,
     "packets max must not be negative"},
    {"traffic both between and link",
     std::string(kGood) + "  - traffic: {between: [alice, bob], link: home, packets: {min: 1}}\n", 20, 44,
     "traffic takes between: [X, Y] or link: X, not both"},
    {"traffic of an unknown node", std::string(kGood) + "  - traffic: {link: office, packets: {min: 1}}\n",
     20, 21, "no host or NAT named 'office'"},
    {"traffic without bounds", std::string(kGood) + "  - traffic: {between: [alice, home]}\n", 20, 14,
     "traffic needs packets"},
    {"direct without captures", std::string(kGood) + "  - direct: [alice, bob]\ncapture: false\n", 20, 5,
     "direct is judged from the captures, but the scenario says capture: false"},
    {"reachable by udp without a port",
     std::string(kGood) + "  - reachable: {from: alice, to: bob, by: udp}\n", 20, 43,
     "by must be icmp, udp PORT or tcp PORT, not 'udp'"},
    {"reachable by a port out of range",
     std::string(kGood) + "  - reachable: {from: alice, to: bob, by: tcp 70000}\n", 20, 43,
     "port in by must be 1-65535, not '70000'"},
    {"reachable from nobody", std::string(kGood) + "  - reachable: {from: carol, to: bob}\n", 20, 23,
     "no host named 'carol' (from must be a host)"},
    {"not_reachable to a bad address",
     std::string(kGood) + "  - not_reachable: {from: alice, to: 10.0.0.300}\n", 20, 38,
     "to: '10.0.0.300' is no host or NAT (NAME, NAME.ipv4, NAME.ipv6) nor an IPv4 or IPv6 address"},
    {"reachable without to", std::string(kGood) + "  - reachable: {from: alice}\n", 20, 16,
     "reachable needs to: (a host, a NAT or an address)"},
    {"reachable within nothing", std::string(kGood) + "  - reachable: {from: alice, to: bob, within: 0s}\n",
     20, 47, "within must be above 0"},
    {"reachable with an unknown key",
     std::string(kGood) + "  - reachable: {from: alice, to: bob, every: 1s}\n", 20, 39, "every"},
    {"reachable as a list", std::string(kGood) + "  - reachable: [alice, bob]\n", 20, 16,
     "reachable must be a mapping like {from: alice, to: bob}"},
    {"reachable to itself", std::string(kGood) + "  - reachable: {from: alice, to: alice}\n", 20, 34,
     "to must differ from from"},
    {"address listed twice",
     with("type: full-cone", "type: full-cone\n    addresses: [100.64.0.9, 100.64.0.9]", kNested), 7, 16,
     "address 100.64.0.9 for NAT 'home' is already taken"},  // Profiles and the port keys (RFC 7422 blocks,
                                                             // parity, limits).
    {"unknown profile", with("type: full-cone", "type: tplink", kNested), 6, 11, "unknown NAT type 'tplink'"},
    {"port block bigger than the range",
     with("type: full-cone", "type: full-cone\n    port_range: 9000-9099\n    port_block_size: 200", kNested),
     8, 22, "a block of 200 ports does not fit in port_range 9000-9099"},
    {"blocks per host without blocks",
     with("type: full-cone", "type: full-cone\n    port_blocks_per_host: 2", kNested), 7, 27,
     "port_blocks_per_host needs port_block_size"},
    {"port parity not a bool", with("type: full-cone", "type: full-cone\n    port_parity: odd", kNested), 7,
     18, "port_parity"},
    {"mappings per host negative",
     with("type: full-cone", "type: full-cone\n    mappings_per_host: -1", kNested), 7, 24,
     "mappings_per_host"},
    {"before-inbound timeout not a duration",
     with("type: full-cone", "type: full-cone\n    mapping_timeout_before_inbound: later", kNested), 7, 37,
     "mapping_timeout_before_inbound"},
};

class BadScenario : public ::testing::TestWithParam<BadCase> {};

TEST_P(BadScenario, FailsWithFileLineColumn) {
    expect_rejected(GetParam());
}

INSTANTIATE_TEST_SUITE_P(Table, BadScenario, ::testing::ValuesIn(kBad), case_name);

TEST(Scenario, GoodOneLoads) {
    auto path = write_temp(kGood);
    auto s = load_scenario(path);
    EXPECT_EQ(s.name, "good");
    ASSERT_EQ(s.hosts.size(), 3u);
    EXPECT_EQ(s.hosts[1].behind, "home");
    EXPECT_EQ(s.hosts[2].run.size(), 5u);
    ASSERT_EQ(s.expectations.size(), 2u);
    EXPECT_EQ(s.expectations[0].via, "local");
    EXPECT_EQ(s.expectations[0].within, Millis(5000));
    EXPECT_TRUE(s.capture);
    EXPECT_TRUE(plan_topology(s).capture);
    std::remove(path.c_str());
}

// `id:` names an expectation for a matrix's `when:`; it changes nothing else.
TEST(Scenario, ExpectationIdsLoad) {
    auto path = write_temp(std::string(kGood) + "  - {id: alice-ok, exit: alice, code: 0}\n");
    auto s = load_scenario(path);
    ASSERT_EQ(s.expectations.size(), 3u);
    EXPECT_EQ(s.expectations[0].id, "");
    EXPECT_EQ(s.expectations[2].id, "alice-ok");
    EXPECT_EQ(s.expectations[2].kind, ExpectKind::Exit);
    EXPECT_EQ(s.expectations[2].hosts, std::vector<std::string>{"alice"});
    EXPECT_EQ(s.expectations[2].where.line, 20);
    EXPECT_EQ(s.expectations[2].id_where.column, 10);
    std::remove(path.c_str());
}

TEST(Scenario, CaptureCanBeTurnedOff) {
    auto path = write_temp(std::string(kGood) + "capture: false\n");
    auto s = load_scenario(path);
    EXPECT_FALSE(s.capture);
    EXPECT_FALSE(plan_topology(s).capture);
    std::remove(path.c_str());
}

TEST(Scenario, NestedAndPassThroughKeysLoad) {
    auto path = write_temp(with(
        "type: full-cone",
        "type: symmetric\n    port_range: 20000-20999\n    refresh_on_inbound: true\n    pooling: arbitrary\n"
        "    addresses: [100.64.0.9, 100.64.0.10]",
        kNested));
    auto s = load_scenario(path);
    ASSERT_EQ(s.nats.size(), 2u);
    auto& home = s.nats[1];
    EXPECT_EQ(home.behind, "cgnat");
    EXPECT_EQ(home.port_range, "20000-20999");
    EXPECT_EQ(home.refresh_on_inbound, true);
    EXPECT_EQ(home.pooling, "arbitrary");
    ASSERT_EQ(home.addresses.size(), 2u);
    EXPECT_EQ(home.addresses[1].to_string(), "100.64.0.10");
    EXPECT_EQ(s.nats[0].behind, "internet");
    EXPECT_TRUE(s.nats[0].hairpin);
    std::remove(path.c_str());
}

TEST(Scenario, LinuxNatLoads) {
    auto path = write_temp(with("type: full-cone", "type: linux\n    address: 100.64.0.9", kNested));
    auto s = load_scenario(path);
    EXPECT_TRUE(s.nats[1].is_linux());
    EXPECT_FALSE(s.nats[0].is_linux());
    std::remove(path.c_str());
}

// Every key of docs/scenarios.md's link, timeline and expectation sections.
const char* kFull = R"(nats:
  home:
    link: {loss: 5%}
  kern:
    type: linux
hosts:
  server:
    run: rendezvous
    env: {RUST_LOG: debug, MODE: "a b"}
  alice:
    behind: home
    link: {delay: 50ms, jitter: 10ms, loss: 0.5%, rate: 10mbit}
    after: server
    delay: 1s
    run: peer
  bob:
    behind: kern
    run: peer
timeline:
  - at: 4s
    restart: bob
  - at: 3s
    link: alice
    down: true
  - at: 3500ms
    link: home
    set: {loss: 20%, delay: 10ms}
  - at: 5s
    flush: kern
  - at: 3s
    link: alice
    up: true
expect:
  - connected: [alice, bob]
    lossless: true
  - output: bob
    not_matches: '"paths_lost":[1-9]'
  - counter: home
    name: dropped.filtered
    equals: 0
repeat: 10
)";

TEST(Scenario, LinksTimelineAndNewExpectationsLoad) {
    auto path = write_temp(kFull);
    auto s = load_scenario(path);
    EXPECT_EQ(s.repeat, 10);
    ASSERT_TRUE(s.nats[0].link);
    EXPECT_EQ(s.nats[0].link->loss, 5.0);
    auto& alice = s.hosts[1];
    ASSERT_TRUE(alice.link);
    EXPECT_EQ(alice.link->delay, Millis(50));
    EXPECT_EQ(alice.link->jitter, Millis(10));
    EXPECT_EQ(alice.link->loss, 0.5);
    EXPECT_EQ(alice.link->rate, 10'000'000u);
    EXPECT_EQ(alice.after, "server");
    ASSERT_EQ(s.hosts[0].env.size(), 2u);
    EXPECT_EQ(s.hosts[0].env[1], (std::pair<std::string, std::string>{"MODE", "a b"}));
    // Sorted by time, file order among equal times.
    ASSERT_EQ(s.timeline.size(), 5u);
    EXPECT_EQ(s.timeline[0].kind, StepKind::LinkDown);
    EXPECT_EQ(s.timeline[1].kind, StepKind::LinkUp);
    EXPECT_EQ(s.timeline[2].kind, StepKind::LinkSet);
    EXPECT_EQ(s.timeline[2].set.loss, 20.0);
    EXPECT_EQ(s.timeline[3].kind, StepKind::Restart);
    EXPECT_EQ(s.timeline[4].kind, StepKind::Flush);
    EXPECT_EQ(s.timeline[4].target, "kern");
    EXPECT_TRUE(s.expectations[0].lossless);
    EXPECT_EQ(s.expectations[1].kind, ExpectKind::Output);
    EXPECT_TRUE(s.expectations[1].negate);
    EXPECT_EQ(s.expectations[2].kind, ExpectKind::Counter);
    EXPECT_EQ(s.expectations[2].comparison, Comparison::Equals);
    EXPECT_EQ(s.expectations[2].counter, "dropped.filtered");
    std::remove(path.c_str());
}

TEST(Scenario, KillStepLoads) {
    auto path =
        write_temp(std::string(kGood) +
                   "timeline:\n  - at: 1s\n    kill: home\n  - at: 2s\n    kill: home\n    signal: TERM\n"
                   "  - at: 3s\n    kill: home\n    signal: SIGSEGV\n");
    auto s = load_scenario(path);
    std::remove(path.c_str());
    ASSERT_EQ(s.timeline.size(), 3u);
    EXPECT_EQ(s.timeline[0].kind, StepKind::Kill);
    EXPECT_EQ(s.timeline[0].target, "home");
    EXPECT_EQ(s.timeline[0].signal, 9);
    EXPECT_EQ(s.timeline[1].signal, 15);
    EXPECT_EQ(s.timeline[2].signal, 11);
    EXPECT_EQ(describe(s.timeline[0]), "kill home (SIGKILL)");
    EXPECT_EQ(describe(s.timeline[1]), "kill home (SIGTERM)");
    auto topology = plan_topology(s);
    ASSERT_EQ(topology.timeline.size(), 3u);
    EXPECT_EQ(topology.timeline[1].signal, 15);
    EXPECT_EQ(topology.timeline[1].description, "kill home (SIGTERM)");
}

TEST(Signals, NamesBothWays) {
    EXPECT_EQ(parse_signal("KILL"), 9);
    EXPECT_EQ(parse_signal("SIGTERM"), 15);
    EXPECT_FALSE(parse_signal("kill"));
    EXPECT_FALSE(parse_signal("9"));
    EXPECT_EQ(signal_name(9), "SIGKILL");
    EXPECT_EQ(signal_name(6), "SIGABRT");
}

TEST(Scenario, WireExpectationsLoad) {
    auto path =
        write_temp(std::string(kGood) +
                   "  - direct: [alice, bob]\n"
                   "  - relayed: [alice, bob]\n    via: server\n"
                   "  - relayed: [bob, alice, via: server]\n"
                   "  - traffic: {between: [home, server], packets: {min: 10}, bytes: {min: 1, max: 9000}}\n"
                   "  - traffic:\n      link: alice\n      packets: {max: 0}\n");
    auto s = load_scenario(path);
    ASSERT_EQ(s.expectations.size(), 7u);
    EXPECT_EQ(s.expectations[2].kind, ExpectKind::Direct);
    EXPECT_EQ(s.expectations[2].hosts, (std::vector<std::string>{"alice", "bob"}));
    EXPECT_EQ(s.expectations[3].kind, ExpectKind::Relayed);
    EXPECT_EQ(s.expectations[3].via, "server");
    EXPECT_EQ(s.expectations[4].via, "server");
    EXPECT_EQ(s.expectations[4].hosts, (std::vector<std::string>{"bob", "alice"}));
    auto& t = s.expectations[5];
    EXPECT_EQ(t.kind, ExpectKind::Traffic);
    EXPECT_TRUE(t.hosts.empty());  // the server is not waited for
    EXPECT_EQ(t.nodes, (std::vector<std::string>{"home", "server"}));
    EXPECT_EQ(t.packets.min, 10);
    EXPECT_FALSE(t.packets.max);
    EXPECT_EQ(t.bytes.max, 9000);
    EXPECT_TRUE(s.expectations[6].on_link);
    EXPECT_EQ(s.expectations[6].packets.max, 0);
    auto topo = plan_topology(s);
    EXPECT_FALSE(topo.find_node("server")->waited);
    EXPECT_TRUE(topo.find_node("alice")->waited);
    std::remove(path.c_str());
}

TEST(Scenario, ReachExpectationsLoad) {
    auto path = write_temp(std::string(kGood) +
                           "  - reachable: {from: alice, to: server, by: udp 3478}\n"
                           "  - not_reachable: {from: server, to: home, by: tcp 80, at: 2s, within: 1s}\n"
                           "  - reachable: {from: bob, to: 198.18.0.77}\n");
    auto s = load_scenario(path);
    ASSERT_EQ(s.expectations.size(), 5u);
    auto& udp = s.expectations[2];
    EXPECT_EQ(udp.kind, ExpectKind::Reachable);
    EXPECT_EQ(udp.nodes, (std::vector<std::string>{"alice", "server"}));
    EXPECT_TRUE(udp.hosts.empty());  // the probe runs in alice's namespace: nothing of hers is waited for
    EXPECT_EQ(udp.reach_by, ReachBy::Udp);
    EXPECT_EQ(udp.port, 3478);
    EXPECT_EQ(udp.within, kReachWindow);
    EXPECT_FALSE(udp.negate);
    auto& tcp = s.expectations[3];
    EXPECT_TRUE(tcp.negate);
    EXPECT_EQ(tcp.reach_by, ReachBy::Tcp);
    EXPECT_EQ(tcp.at, Millis(2000));
    EXPECT_EQ(tcp.within, Millis(1000));
    EXPECT_EQ(s.expectations[4].reach_by, ReachBy::Icmp);
    auto topo = plan_topology(s);
    ASSERT_EQ(topo.reach.size(), 3u);
    EXPECT_EQ(topo.reach[0].expectation, 2u);
    EXPECT_EQ(topo.reach[0].to, Ipv4::parse("198.18.0.2"));
    EXPECT_EQ(topo.reach[1].from, "server");
    EXPECT_EQ(topo.reach[1].to, topo.find_node("home")->address);  // a NAT: its outside address
    EXPECT_TRUE(topo.reach[1].negate);
    EXPECT_EQ(topo.reach[2].to, Ipv4::parse("198.18.0.77"));
    std::remove(path.c_str());
}

TEST(Scenario, RunTakesAStringOrAList) {
    auto path = write_temp(kGood);
    auto s = load_scenario(path);
    EXPECT_EQ(s.hosts[1].run, (std::vector<std::string>{"peer", "--server", "${server}:3478", "--name",
                                                        "alice", "--connect", "bob"}));
    EXPECT_EQ(s.hosts[2].run,
              (std::vector<std::string>{"peer", "--server", "${server}:3478", "--name", "bob"}));
    EXPECT_EQ(s.repeat, 1);
    std::remove(path.c_str());
}

TEST(Rate, Spellings) {
    EXPECT_EQ(parse_rate("10mbit"), 10'000'000u);
    EXPECT_EQ(parse_rate("512kbit"), 512'000u);
    EXPECT_EQ(parse_rate("1gbit"), 1'000'000'000u);
    EXPECT_EQ(parse_rate("64000"), 64'000u);
    EXPECT_EQ(parse_rate("1.5mbit"), 1'500'000u);
    EXPECT_FALSE(parse_rate("10MB"));
    EXPECT_FALSE(parse_rate("0"));
}

TEST(Loss, Spellings) {
    EXPECT_EQ(parse_loss("20%"), 20.0);
    EXPECT_EQ(parse_loss("0.5%"), 0.5);
    EXPECT_EQ(parse_loss("20"), 20.0);
    EXPECT_EQ(parse_loss("100%"), 100.0);
    EXPECT_FALSE(parse_loss("101%"));
    EXPECT_FALSE(parse_loss("-1%"));
}

TEST(HostRefs, OneHelperFindsAndReplaces) {
    std::vector<std::string> seen;
    auto out = substitute_refs("${a}:1-${bb}x${}", [&](const std::string& n) {
        seen.push_back(n);
        return "<" + n + ">";
    });
    EXPECT_EQ(out, "<a>:1-<bb>x<>");
    EXPECT_EQ(seen, (std::vector<std::string>{"a", "bb", ""}));
    EXPECT_EQ(substitute_refs("plain", [](auto&) { return std::string("!"); }), "plain");
}

TEST(Counters, NamesCoverEveryDropCode) {
    auto& names = nat_counter_names();
    for (auto* name :
         {"dropped.filtered", "dropped.unsupported-protocol", "dropped.no-mapping", "translated_out",
          "mappings_flushed", "frames_in.outside", "arp.replies_sent", "dropped_total"})
        EXPECT_NE(std::find(names.begin(), names.end(), name), names.end()) << name;
}

TEST(Scenario, MissingFileIsAnError) {
    EXPECT_THROW(load_scenario("/nonexistent/x.yaml"), ScenarioError);
}

TEST(Millis, Spellings) {
    EXPECT_EQ(parse_duration("10s"), Millis(10000));
    EXPECT_EQ(parse_duration("250ms"), Millis(250));
    EXPECT_EQ(parse_duration("1.5"), Millis(1500));
    EXPECT_EQ(parse_duration("2m"), Millis(120000));
    EXPECT_FALSE(parse_duration("-1s"));
    EXPECT_FALSE(parse_duration("s"));
}

}  // namespace

// Several programs on a host: names, start conditions, references resolved
// to full names, daemons never waited for.
TEST(Scenario, ProgramsLoadAndPlan) {
    auto s = load_scenario(write_temp(kPrograms));
    auto* server = s.find_host("server");
    ASSERT_EQ(server->programs.size(), 2u);
    EXPECT_EQ(server->programs[0].name, "server.rendezvous");
    EXPECT_TRUE(server->programs[0].daemon);
    EXPECT_EQ(server->programs[1].start_on, StartOn::Port);
    EXPECT_EQ(server->programs[1].protocol, "udp");
    EXPECT_EQ(server->programs[1].port, 3478);
    auto topo = plan_topology(s);
    auto* alice = topo.find_node("alice");
    ASSERT_EQ(alice->programs.size(), 1u);
    auto& peer = alice->programs[0];
    EXPECT_TRUE(alice->argv.empty());
    EXPECT_EQ(peer.start_on, StartOn::Output);
    EXPECT_EQ(peer.after, "server.rendezvous");
    EXPECT_EQ(peer.pattern, "listening");
    EXPECT_EQ(peer.log_file, "alice.peer.log");
    EXPECT_EQ(peer.argv[2], "198.18.0.2:3478");  // ${server} expanded
    EXPECT_TRUE(peer.waited);
    auto& server_plan = topo.find_node("server")->programs;
    EXPECT_FALSE(server_plan[0].waited);  // a daemon, though an expectation names it
    EXPECT_FALSE(server_plan[1].waited);  // not named while others are
}

// A program of the same host by its own name, another host's by its full
// name; a host's env under each program's own.
TEST(Scenario, ProgramReferencesAndEnvironment) {
    auto yaml = std::string(R"(hosts:
  server:
    run: rendezvous
  a:
    env: {X: host, Y: host}
    programs:
      one:
        after: server
        env: {Y: own}
        run: sleep 1
      two:
        after: one
        run: sleep 1
  b:
    after: a.two
    run: sleep 1
)");
    auto topo = plan_topology(load_scenario(write_temp(yaml)));
    auto& programs = topo.find_node("a")->programs;
    EXPECT_EQ(programs[0].after, "server");
    EXPECT_EQ(programs[1].after, "a.one");
    std::vector<std::pair<std::string, std::string>> want = {{"X", "host"}, {"Y", "own"}};
    EXPECT_EQ(programs[0].env, want);
    EXPECT_EQ(topo.find_node("b")->after, "a.two");
    EXPECT_TRUE(programs[0].waited && programs[1].waited);  // no expectation: every program
}
