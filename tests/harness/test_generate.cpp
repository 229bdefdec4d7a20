// Generated scenarios (harness/plan/generate.h): a counted entry stands for
// its copies, `${i}` is each copy's number, and an error in a copy points at
// the text it came from.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "harness/plan/generate.h"
#include "harness/plan/scenario.h"
#include "tests/harness/bad_case.h"

namespace natlab::harness::test {
namespace {

// Three pairs, each peer behind its own NAT, one server.
const char* kSwarm = R"(name: swarm
nats:
  na-${i}:
    count: 3
    type: port-restricted
  nb-${i}:
    count: 3
    type: port-restricted
hosts:
  server:
    address: 198.18.0.2
    run: rendezvous --listen 0.0.0.0:3478
  a-${i}:
    count: 3
    behind: na-${i}
    run: peer --server ${server}:3478 --name a-${i} --connect b-${i}
  b-${i}:
    count: 3
    behind: nb-${i}
    run: peer --server ${server}:3478 --name b-${i}
expect:
  - count: 3
    connected: ["a-${i}", "b-${i}"]
  - exit: server
    code: 0
)";

TEST(Generate, CopiesAreNumberedFromOne) {
    auto path = write_temp(kSwarm);
    auto s = load_scenario(path);
    ASSERT_EQ(s.nats.size(), 6u);
    EXPECT_EQ(s.nats[0].name, "na-1");
    EXPECT_EQ(s.nats[3].name, "nb-1");
    ASSERT_EQ(s.hosts.size(), 7u);
    EXPECT_EQ(s.hosts[0].name, "server");
    EXPECT_EQ(s.hosts[3].name, "a-3");
    EXPECT_EQ(s.hosts[3].behind, "na-3");
    EXPECT_EQ(s.hosts[3].run.back(), "b-3");
    ASSERT_EQ(s.expectations.size(), 4u);
    EXPECT_EQ(s.expectations[1].hosts, (std::vector<std::string>{"a-2", "b-2"}));
    EXPECT_EQ(s.expectations[3].hosts, (std::vector<std::string>{"server"}));
    EXPECT_EQ(plan_topology(s).nodes.size(), 13u);
    std::remove(path.c_str());
}

TEST(Generate, SubstitutesEveryIndex) {
    struct Row {
        const char* text;
        int number;
        const char* want;
    } rows[] = {
        {"peer-${i}", 7, "peer-7"},
        {"${i}${i}", 12, "1212"},
        {"no index", 3, "no index"},
        {"${j} stays", 3, "${j} stays"},
    };
    for (auto& row : rows) EXPECT_EQ(substitute_index(row.text, row.number), row.want) << row.text;
}

const char* kOne = R"(hosts:
  h-${i}:
    count: 2
    run: sleep 1
)";

std::string with(const std::string& from, const std::string& to) {
    std::string s = kOne;
    s.replace(s.find(from), from.size(), to);
    return s;
}

const BadCase kBad[] = {
    {"count zero", with("count: 2", "count: 0"), 3, 12, "count must be between 1 and 4096"},
    {"count too large", with("count: 2", "count: 4097"), 3, 12, "count must be between 1 and 4096"},
    {"count not a number", with("count: 2", "count: many"), 3, 12, "count must be an integer, not 'many'"},
    {"counted name without index", with("h-${i}:", "h:"), 2, 3, "a counted entry's name needs ${i}"},
    {"index outside a counted entry", with("    count: 2\n", ""), 2, 3, "${i} outside a counted entry"},
    {"error in a copy points at its text", with("run: sleep 1", "run: sleep 1\n    colour: red"), 5, 5,
     "unknown key 'colour'"},
    {"copies clash", with("h-${i}:", "h-${i}${i}:\n    count: 11\n  h-11:\n    run: sleep 1\n  h-${i}x:"), 4,
     3, "duplicate key 'h-11'"},
    {"segment past the lab's limit", with("count: 2", "count: 2500"), 2, 3,
     "segment 'internet' would have more than 2001 links: 'h-2002' is one too many"},
};

class BadCount : public ::testing::TestWithParam<BadCase> {};

TEST_P(BadCount, FailsWithFileLineColumn) {
    expect_rejected(GetParam());
}

INSTANTIATE_TEST_SUITE_P(Table, BadCount, ::testing::ValuesIn(kBad), case_name);

}  // namespace
}  // namespace natlab::harness::test
