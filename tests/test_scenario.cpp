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

struct BadCase {
    const char* name;
    std::string yaml;
    int line, column;
    const char* says;
};

std::string with(const std::string& from, const std::string& to) {
    std::string s = kGood;
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
