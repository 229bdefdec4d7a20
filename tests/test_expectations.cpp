// Judging: peers' own reports and exit codes against the expectations.
#include <gtest/gtest.h>

#include "expectations.h"

using namespace natlab::harness;

namespace {

PeerResult connected(const std::string& name, const std::string& partner, const std::string& path, double ms) {
    PeerResult r;
    r.name = name;
    r.partner = partner;
    r.connected = true;
    r.path = path;
    r.time_to_connect_ms = ms;
    return r;
}

Expectation pair(ExpectKind kind, std::optional<std::string> via = {}, std::optional<Duration> within = {}) {
    Expectation e;
    e.kind = kind;
    e.hosts = {"alice", "bob"};
    e.via = via;
    e.within = within;
    return e;
}

TEST(ParsePeerResult, TakesTheLastResultLine) {
    auto out = std::string("{\"event\":\"registered\"}\nnoise\n") +
               R"({"event":"result","name":"alice","partner":"bob","connected":true,"path":"local",)" +
               R"("remote":"10.0.1.3:4000","rtt_ms":0.5,"time_to_connect_ms":80,"sent":10,"acked":10,"received":10})" +
               "\n";
    auto r = parse_peer_result(out);
    ASSERT_TRUE(r);
    EXPECT_TRUE(r->connected);
    EXPECT_EQ(r->path, "local");
    EXPECT_EQ(r->acked, 10);
    EXPECT_FALSE(parse_peer_result("{\"event\":\"connected\"}\n{broken\n"));
}

TEST(Judge, Table) {
    struct Case {
        const char* what;
        Expectation e;
        std::map<std::string, PeerResult> peers;
        bool want;
    } cases[] = {
        {"both local", pair(ExpectKind::Connected, "local"),
         {{"alice", connected("alice", "bob", "local", 50)}, {"bob", connected("bob", "alice", "local", 60)}}, true},
        {"one side public", pair(ExpectKind::Connected, "local"),
         {{"alice", connected("alice", "bob", "local", 50)}, {"bob", connected("bob", "alice", "public", 60)}}, false},
        {"too slow", pair(ExpectKind::Connected, {}, Duration(100)),
         {{"alice", connected("alice", "bob", "local", 50)}, {"bob", connected("bob", "alice", "local", 160)}}, false},
        {"wrong partner", pair(ExpectKind::Connected),
         {{"alice", connected("alice", "carol", "local", 50)}, {"bob", connected("bob", "alice", "local", 60)}}, false},
        {"one result missing", pair(ExpectKind::Connected), {{"alice", connected("alice", "bob", "local", 5)}}, false},
        {"expected failure held", pair(ExpectKind::NotConnected), {{"alice", PeerResult{}}, {"bob", PeerResult{}}}, true},
        {"expected failure but connected", pair(ExpectKind::NotConnected),
         {{"alice", connected("alice", "bob", "public", 5)}, {"bob", PeerResult{}}}, false},
    };
    for (auto& c : cases) {
        Scenario s;
        s.expectations = {c.e};
        auto v = judge(s, LabFacts{}, c.peers);
        ASSERT_EQ(v.size(), 1u);
        EXPECT_EQ(v[0].held, c.want) << c.what << ": " << v[0].detail;
    }
}

TEST(Judge, ExitCodes) {
    LabFacts facts;
    ProcessFacts done;
    done.node = "alice";
    done.started = true;
    done.exit_code = 0;
    ProcessFacts stopped;
    stopped.node = "bob";
    stopped.started = true;
    stopped.stopped_by_lab = true;
    stopped.exit_code = 0;
    facts.processes = {done, stopped};
    Scenario s;
    Expectation e;
    e.kind = ExpectKind::Exit;
    e.hosts = {"alice"};
    s.expectations = {e};
    e.hosts = {"bob"};
    s.expectations.push_back(e);
    auto v = judge(s, facts, {});
    EXPECT_TRUE(v[0].held);
    EXPECT_FALSE(v[1].held) << "a process the lab had to stop did not exit by itself";
}

}  // namespace
