// Scenario validation: every bad input gives FILE:LINE:COL and a reason.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "scenario.h"
#include "topology.h"

using namespace natlab::harness;

namespace {

std::string write_temp(const std::string& content) {
    static int counter = 0;
    auto path = ::testing::TempDir() + "scenario_" + std::to_string(::getpid()) + "_" +
                std::to_string(counter++) + ".yaml";
    std::ofstream(path) << content;
    return path;
}

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

struct BadCase {
    const char* name;
    std::string yaml;
    int line, column;
    const char* says;
};

std::string with(const std::string& from, const std::string& to, const std::string& base = kGood) {
    std::string s = base;
    auto at = s.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    return s.replace(at, from.size(), to);
}

const BadCase kBad[] = {
    {"empty file", "", 1, 1, "scenario is empty"},
    {"syntax error", "hosts: [a, b\n", 2, 1, "YAML syntax error"},
    {"tab indentation", "hosts:\n\ta:\n", 2, 1, "tab character in indentation"},
    {"duplicate key", with("  bob:\n    behind", "  alice:\n    behind"), 12, 3, "duplicate key 'alice'"},
    {"unknown top key", "hosts: {}\ncolour: red\n", 2, 1, "unknown key 'colour' in scenario"},
    {"unknown host key", with("    behind: home\n    run: peer --server ${server}:3478 --name alice",
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
    {"bad path", with("via: local", "via: relay"), 17, 10, "unknown path 'relay'"},
    {"hosts not a map", "hosts: [a, b]\n", 1, 8, "hosts must be a mapping"},
    // type: linux is the kernel's NAT: the emulator's keys do not apply.
    {"linux with filtering", with("type: full-cone", "type: linux\n    filtering: endpoint-independent", kNested),
     7, 5, "'filtering' does not apply to NAT 'home' of type linux"},
    {"linux with hairpin", with("    lan: 100.64", "    type: linux\n    lan: 100.64", kNested), 5, 5,
     "'hairpin' does not apply to NAT 'cgnat' of type linux"},
    {"linux with two addresses",
     with("type: full-cone", "type: linux\n    addresses: [100.64.0.7, 100.64.0.8]", kNested), 7, 16,
     "NAT 'home' of type linux takes one address, not 2"},
    // Nesting: behind names the internet or a NAT, and never loops.
    {"NAT behind itself", with("behind: cgnat", "behind: home", kNested), 7, 13, "NAT 'home' cannot be behind itself"},
    {"NAT behind a cycle", with("hairpin: true", "hairpin: true\n    behind: home", kNested), 5, 13,
     "NAT 'cgnat' is behind itself through a cycle: cgnat -> home -> cgnat"},
    {"NAT behind nothing", with("behind: cgnat", "behind: isp", kNested), 7, 13,
     "NAT 'home' is behind 'isp', which is neither 'internet' nor a NAT"},
    {"LAN overlaps the outer LAN", with("type: full-cone", "type: full-cone\n    lan: 100.64.0.0/26", kNested), 7,
     10, "lan 100.64.0.0/26 of NAT 'home' overlaps lan 100.64.0.0/24 of NAT 'cgnat', which it is behind"},
    {"nested address off the outer LAN", with("type: full-cone", "type: full-cone\n    address: 198.18.1.9", kNested),
     7, 14, "bad address 198.18.1.9 for NAT 'home': not in 100.64.0.0/24"},
    {"LAN in public space", with("lan: 100.64.0.0/24", "lan: 198.19.0.0/24", kNested), 3, 10,
     "must lie in 10.0.0.0/8, 192.168.0.0/16 or 100.64.0.0/10"},
    // Pass-through keys are checked before nat-emu ever sees them.
    {"port range upside down", with("type: full-cone", "type: full-cone\n    port_range: 9000-8000", kNested), 7,
     17, "port_range must be LO-HI with 1 <= LO <= HI <= 65535, not '9000-8000'"},
    {"port range from zero", with("type: full-cone", "type: full-cone\n    port_range: 0-100", kNested), 7, 17,
     "not '0-100'"},
    {"port range not a range", with("type: full-cone", "type: full-cone\n    port_range: many", kNested), 7, 17,
     "not 'many'"},
    {"refresh_on_inbound not a bool",
     with("type: full-cone", "type: full-cone\n    refresh_on_inbound: sometimes", kNested), 7, 25,
     "refresh_on_inbound must be true or false"},
    {"address and addresses",
     with("type: full-cone", "type: full-cone\n    address: 100.64.0.9\n    addresses: [100.64.0.10]", kNested),
     8, 16, "give either address or addresses, not both"},
    {"empty address list", with("type: full-cone", "type: full-cone\n    addresses: []", kNested), 7, 16,
     "addresses must be a non-empty list"},
    {"address listed twice",
     with("type: full-cone", "type: full-cone\n    addresses: [100.64.0.9, 100.64.0.9]", kNested), 7, 16,
     "address 100.64.0.9 for NAT 'home' is already taken"},
};

void PrintTo(const BadCase& c, std::ostream* os) { *os << c.name; }

class BadScenario : public ::testing::TestWithParam<BadCase> {};

TEST_P(BadScenario, FailsWithFileLineColumn) {
    auto& c = GetParam();
    auto path = write_temp(c.yaml);
    try {
        plan_topology(load_scenario(path));
        FAIL() << c.name << ": accepted";
    } catch (const ScenarioError& e) {
        std::string want = path + ":" + std::to_string(c.line) + ":" + std::to_string(c.column) + ": ";
        std::string got = e.what();
        EXPECT_EQ(got.rfind(want, 0), 0u) << c.name << ": " << got;
        EXPECT_NE(got.find(c.says), std::string::npos) << c.name << ": " << got;
        EXPECT_EQ(got.find('\n'), std::string::npos) << "one line only";
    }
    std::remove(path.c_str());
}

INSTANTIATE_TEST_SUITE_P(Table, BadScenario, ::testing::ValuesIn(kBad),
                         [](const auto& info) {
                             std::string n = info.param.name;
                             for (auto& ch : n) if (!isalnum(static_cast<unsigned char>(ch))) ch = '_';
                             return n;
                         });

TEST(Scenario, GoodOneLoads) {
    auto path = write_temp(kGood);
    auto s = load_scenario(path);
    EXPECT_EQ(s.name, "good");
    ASSERT_EQ(s.hosts.size(), 3u);
    EXPECT_EQ(s.hosts[1].behind, "home");
    EXPECT_EQ(s.hosts[2].run.size(), 5u);
    ASSERT_EQ(s.expectations.size(), 2u);
    EXPECT_EQ(s.expectations[0].via, "local");
    EXPECT_EQ(s.expectations[0].within, Duration(5000));
    std::remove(path.c_str());
}

TEST(Scenario, NestedAndPassThroughKeysLoad) {
    auto path = write_temp(with("type: full-cone",
                                "type: symmetric\n    port_range: 20000-20999\n    refresh_on_inbound: true\n"
                                "    addresses: [100.64.0.9, 100.64.0.10]",
                                kNested));
    auto s = load_scenario(path);
    ASSERT_EQ(s.nats.size(), 2u);
    auto& home = s.nats[1];
    EXPECT_EQ(home.behind, "cgnat");
    EXPECT_EQ(home.port_range, "20000-20999");
    EXPECT_EQ(home.refresh_on_inbound, true);
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

TEST(Scenario, MissingFileIsAnError) {
    EXPECT_THROW(load_scenario("/nonexistent/x.yaml"), ScenarioError);
}

TEST(Duration, Spellings) {
    EXPECT_EQ(parse_duration("10s"), Duration(10000));
    EXPECT_EQ(parse_duration("250ms"), Duration(250));
    EXPECT_EQ(parse_duration("1.5"), Duration(1500));
    EXPECT_EQ(parse_duration("2m"), Duration(120000));
    EXPECT_FALSE(parse_duration("-1s"));
    EXPECT_FALSE(parse_duration("s"));
}

}  // namespace
