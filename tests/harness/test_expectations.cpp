// Judging: peers' own reports and exit codes against the expectations.
#include <gtest/gtest.h>

#include "harness/judge/expectations.h"

using namespace natlab;
using namespace natlab::harness;

namespace {

// What a peer reports when its data went through the server: no punched
// path, the relay as its path.
PeerResult relayed(const std::string& name, const std::string& partner) {
    PeerResult r;
    r.name = name;
    r.partner = partner;
    r.path = "relay";
    r.reason = "no probe was answered";
    return r;
}

PeerResult connected(const std::string& name, const std::string& partner, const std::string& path,
                     double ms) {
    PeerResult r;
    r.name = name;
    r.partner = partner;
    r.connected = true;
    r.path = path;
    r.time_to_connect_ms = ms;
    return r;
}

Evidence of_peers(std::map<std::string, PeerResult> peers) {
    Evidence evidence;
    evidence.peers = std::move(peers);
    return evidence;
}

Expectation pair(ExpectKind kind, std::optional<std::string> via = {}, std::optional<Millis> within = {}) {
    Expectation e;
    e.kind = kind;
    e.hosts = {"alice", "bob"};
    e.via = via;
    e.within = within;
    return e;
}

TEST(ParsePeerResult, TakesTheLastResultLine) {
    auto out =
        std::string("{\"event\":\"registered\"}\nnoise\n") +
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
        {"both local",
         pair(ExpectKind::Connected, "local"),
         {{"alice", connected("alice", "bob", "local", 50)}, {"bob", connected("bob", "alice", "local", 60)}},
         true},
        {"one side public",
         pair(ExpectKind::Connected, "local"),
         {{"alice", connected("alice", "bob", "local", 50)},
          {"bob", connected("bob", "alice", "public", 60)}},
         false},
        {"too slow",
         pair(ExpectKind::Connected, {}, Millis(100)),
         {{"alice", connected("alice", "bob", "local", 50)},
          {"bob", connected("bob", "alice", "local", 160)}},
         false},
        {"wrong partner",
         pair(ExpectKind::Connected),
         {{"alice", connected("alice", "carol", "local", 50)},
          {"bob", connected("bob", "alice", "local", 60)}},
         false},
        {"one result missing",
         pair(ExpectKind::Connected),
         {{"alice", connected("alice", "bob", "local", 5)}},
         false},
        {"expected failure held",
         pair(ExpectKind::NotConnected),
         {{"alice", PeerResult{}}, {"bob", PeerResult{}}},
         true},
        {"expected failure but connected",
         pair(ExpectKind::NotConnected),
         {{"alice", connected("alice", "bob", "public", 5)}, {"bob", PeerResult{}}},
         false},
        {"relayed, relay expected",
         pair(ExpectKind::Connected, "relay"),
         {{"alice", relayed("alice", "bob")}, {"bob", relayed("bob", "alice")}},
         true},
        {"relayed, any path expected",
         pair(ExpectKind::Connected),
         {{"alice", relayed("alice", "bob")}, {"bob", relayed("bob", "alice")}},
         false},
        {"relayed, public expected",
         pair(ExpectKind::Connected, "public"),
         {{"alice", relayed("alice", "bob")}, {"bob", relayed("bob", "alice")}},
         false},
        {"relayed is not a punched path",
         pair(ExpectKind::NotConnected),
         {{"alice", relayed("alice", "bob")}, {"bob", relayed("bob", "alice")}},
         true},
        {"relay expected, punched instead",
         pair(ExpectKind::Connected, "relay"),
         {{"alice", connected("alice", "bob", "public", 5)}, {"bob", connected("bob", "alice", "public", 6)}},
         false},
    };
    for (auto& c : cases) {
        Scenario s;
        s.expectations = {c.e};
        auto v = judge(s, LabFacts{}, of_peers(c.peers));
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
    auto v = judge(s, facts, Evidence{});
    EXPECT_TRUE(v[0].held);
    EXPECT_FALSE(v[1].held) << "a process the lab had to stop did not exit by itself";
}

Expectation output(const std::string& pattern, bool negate) {
    Expectation e;
    e.kind = ExpectKind::Output;
    e.hosts = {"bob"};
    e.pattern = pattern;
    e.negate = negate;
    return e;
}

Expectation counter(const std::string& name, Comparison cmp, std::int64_t value) {
    Expectation e;
    e.kind = ExpectKind::Counter;
    e.hosts = {"home"};
    e.counter = name;
    e.comparison = cmp;
    e.value = value;
    return e;
}

TEST(Judge, OutputAndCounters) {
    Evidence evidence;
    evidence.outputs["bob"] = "{\"event\":\"path\",\"paths_lost\":2}\nbye\n";
    evidence.counters["home"] = nlohmann::json::parse(
        R"({"event":"counters","translated_out":30,"dropped_total":4,"dropped":{"filtered":3,"no-mapping":1}})");
    struct Case {
        const char* what;
        Expectation e;
        bool want;
    } cases[] = {
        {"matches", output(R"("paths_lost":[1-9])", false), true},
        {"does not match", output("paths_lost\":0", false), false},
        {"not_matches held", output("panic", true), true},
        {"not_matches broken", output("^bye$", true), false},
        {"filtered above 0", counter("dropped.filtered", Comparison::Above, 0), true},
        {"filtered below 3", counter("dropped.filtered", Comparison::Below, 3), false},
        {"total equals 4", counter("dropped_total", Comparison::Equals, 4), true},
        {"absent counter", counter("dropped.fragment", Comparison::Equals, 0), false},
    };
    for (auto& c : cases) {
        Scenario s;
        s.expectations = {c.e};
        auto v = judge(s, LabFacts{}, evidence);
        ASSERT_EQ(v.size(), 1u);
        EXPECT_EQ(v[0].held, c.want) << c.what << ": " << v[0].detail;
    }
    Scenario s;
    s.expectations = {output("x", false), counter("dropped_total", Comparison::Above, 0)};
    auto v = judge(s, LabFacts{}, Evidence{});
    EXPECT_FALSE(v[0].held) << "no log, no match";
    EXPECT_FALSE(v[1].held) << "no counters, nothing to compare";
}

TEST(Judge, Lossless) {
    auto full = [](const std::string& a, const std::string& b, int sent, int acked) {
        auto r = connected(a, b, "public", 50);
        r.sent = sent;
        r.acked = acked;
        return r;
    };
    auto e = pair(ExpectKind::Connected);
    e.lossless = true;
    Scenario s;
    s.expectations = {e};
    Evidence all, one_missing, nothing_sent;
    all.peers = {{"alice", full("alice", "bob", 20, 20)}, {"bob", full("bob", "alice", 20, 20)}};
    one_missing.peers = {{"alice", full("alice", "bob", 20, 20)}, {"bob", full("bob", "alice", 20, 19)}};
    nothing_sent.peers = {{"alice", full("alice", "bob", 0, 0)}, {"bob", full("bob", "alice", 20, 20)}};
    EXPECT_TRUE(judge(s, LabFacts{}, all)[0].held);
    EXPECT_FALSE(judge(s, LabFacts{}, one_missing)[0].held);
    EXPECT_FALSE(judge(s, LabFacts{}, nothing_sent)[0].held);
}

// repunched: true needs a recovery on each side; repunch_within bounds the worst.
TEST(Judge, Repunched) {
    auto side = [](const std::string& a, const std::string& b, std::vector<double> repunch_ms) {
        auto r = connected(a, b, "public", 50);
        r.repunched = static_cast<int>(repunch_ms.size());
        r.repunch_ms = std::move(repunch_ms);
        return r;
    };
    struct Row {
        const char* what;
        std::optional<bool> repunched;
        std::optional<Millis> within;
        std::vector<double> alice, bob;
        bool want;
    };
    const Row rows[] = {
        {"both punched again", true, std::nullopt, {812}, {790}, true},
        {"one never did", true, std::nullopt, {812}, {}, false},
        {"within the bound", true, Millis(1000), {812, 300}, {790}, true},
        {"one recovery too slow", true, Millis(1000), {300, 1200}, {790}, false},
        {"never, as wanted", false, std::nullopt, {}, {}, true},
        {"never, but did", false, std::nullopt, {}, {400}, false},
    };
    for (const auto& row : rows) {
        auto e = pair(ExpectKind::Connected);
        e.repunched = row.repunched;
        e.repunch_within = row.within;
        Scenario s;
        s.expectations = {e};
        Evidence evidence;
        evidence.peers = {{"alice", side("alice", "bob", row.alice)}, {"bob", side("bob", "alice", row.bob)}};
        auto v = judge(s, LabFacts{}, evidence);
        EXPECT_EQ(v[0].held, row.want) << row.what << ": " << v[0].detail;
    }
}

// family: the result's own word, else the form of the remote endpoint.
TEST(Judge, Family) {
    struct Row {
        const char* what;
        const char* family;  // the result's `family`; "" when it has none
        const char* remote;
        const char* want_family;
        bool want;
    };
    const Row rows[] = {
        {"ipv6, said", "ipv6", "[2001:2:0:1::2]:4000", "ipv6", true},
        {"ipv4, said", "ipv4", "198.18.1.1:4000", "ipv6", false},
        {"ipv6 by the remote", "", "[2001:2:0:1::2]:4000", "ipv6", true},
        {"ipv4 by the remote", "", "198.18.1.1:4000", "ipv4", true},
        {"ipv4 by the remote, ipv6 wanted", "", "198.18.1.1:4000", "ipv6", false},
    };
    for (const auto& row : rows) {
        auto e = pair(ExpectKind::Connected);
        e.family = row.want_family;
        Scenario s;
        s.expectations = {e};
        auto result = [&](const std::string& name, const std::string& partner) {
            std::string family = *row.family ? std::string(R"(,"family":")") + row.family + "\"" : "";
            return parse_peer_result(R"({"event":"result","name":")" + name + R"(","partner":")" + partner +
                                     R"(","connected":true,"path":"public","remote":")" + row.remote + "\"" +
                                     family + "}");
        };
        auto alice = result("alice", "bob");
        auto bob = result("bob", "alice");
        ASSERT_TRUE(alice && bob) << row.what;
        Evidence evidence;
        evidence.peers = {{"alice", *alice}, {"bob", *bob}};
        auto v = judge(s, LabFacts{}, evidence);
        EXPECT_EQ(v[0].held, row.want) << row.what << ": " << v[0].detail;
        if (!row.want) {
            EXPECT_NE(v[0].detail.find("connected over"), std::string::npos) << v[0].detail;
        }
    }
}

TEST(ParsePeerResult, ReadsTheRepunchTimes) {
    auto r = parse_peer_result(
        R"({"event":"result","name":"alice","connected":true,"repunched":2,"repunch_ms":[812.5,40]})");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->repunched, 2);
    EXPECT_EQ(r->repunch_ms, (std::vector<double>{812.5, 40}));
}

TEST(LastCounters, TakesTheLastCountersLine) {
    auto log = std::string(R"({"event":"started"})") + "\n" + R"({"event":"counters","translated_out":1})" +
               "\n" + R"({"event":"flushed","mappings":2})" + "\n" +
               R"({"event":"counters","translated_out":7,"arp":{"replies_sent":2}})" + "\n";
    auto c = last_counters(log);
    ASSERT_TRUE(c);
    EXPECT_EQ(counter_value(*c, "translated_out"), 7);
    EXPECT_EQ(counter_value(*c, "arp.replies_sent"), 2);
    EXPECT_FALSE(counter_value(*c, "arp.nothing"));
    EXPECT_FALSE(last_counters("{\"event\":\"started\"}\n"));
}

TEST(Judge, TimelineStepsThatFailedAreVerdicts) {
    LabFacts facts;
    facts.timeline = {{3000, 3001, "flush home", ""},
                      {4000, 4002, "link alice down", "netlink: bring down b3: No such device"}};
    auto v = judge(Scenario{}, facts, Evidence{});
    ASSERT_EQ(v.size(), 1u);
    EXPECT_FALSE(v[0].held);
    EXPECT_EQ(v[0].expectation, "timeline step link alice down was done");
    EXPECT_EQ(v[0].detail, "netlink: bring down b3: No such device");
}

ProcessFacts nat(const std::string& name) {
    ProcessFacts p;
    p.node = name;
    p.is_nat = true;
    p.started = true;
    p.started_ms = 100;
    return p;
}

// A component that dies fails the run; what the lab stops at the end does not.
TEST(JudgeComponents, ANatThatDiesDuringTheRunFails) {
    LabFacts facts;
    auto killed = nat("home");
    killed.signal = 9;
    killed.ended_ms = 620;
    auto exited = nat("office");
    exited.exit_code = 2;
    exited.ended_ms = 100;
    auto stopped = nat("cgnat");
    stopped.stopped_by_lab = true;
    stopped.exit_code = 0;  // SIGTERM at teardown: writes its counters and exits
    auto stubborn = nat("slow");
    stubborn.stopped_by_lab = true;
    stubborn.signal = 9;  // the lab's SIGKILL after the grace period
    facts.processes = {killed, exited, stopped, stubborn};
    auto v = judge_components(facts);
    ASSERT_EQ(v.size(), 2u);
    EXPECT_FALSE(v[0].held);
    EXPECT_EQ(v[0].expectation, "NAT home kept running");
    EXPECT_EQ(v[0].detail, "nat-emu was killed by signal 9 (SIGKILL) 520 ms after it started");
    EXPECT_FALSE(v[1].held);
    EXPECT_EQ(v[1].expectation, "NAT office kept running");
    EXPECT_EQ(v[1].detail, "nat-emu exited with code 2");
}

TEST(JudgeComponents, ALinkStageThatDiesFails) {
    LabFacts facts;
    ProcessFacts stage;
    stage.node = "alice";
    stage.started = true;
    stage.signal = 11;
    ProcessFacts stopped = stage;
    stopped.node = "bob";
    stopped.stopped_by_lab = true;
    stopped.signal.reset();
    stopped.exit_code = 0;
    facts.stages = {stage, stopped};
    auto v = judge_components(facts);
    ASSERT_EQ(v.size(), 1u);
    EXPECT_FALSE(v[0].held);
    EXPECT_EQ(v[0].expectation, "link stage of alice kept running");
    EXPECT_EQ(v[0].detail, "link-emu was killed by signal 11 (SIGSEGV)");
}

TEST(JudgeComponents, HostsRestartsAndKernelNatsFailNothing) {
    LabFacts facts;
    ProcessFacts host;  // a host's end is for `exit:` expectations to judge
    host.node = "alice";
    host.started = true;
    host.signal = 9;
    auto restarted = nat("home");  // restarted by the timeline, then stopped by the lab
    restarted.restarts = 1;
    restarted.stopped_by_lab = true;
    restarted.exit_code = 0;
    auto running = nat("office");  // a lab whose facts were taken while it ran (--keep)
    ProcessFacts kernel;           // type linux: nothing was started
    kernel.node = "kern";
    kernel.is_nat = true;
    facts.processes = {host, restarted, running, kernel};
    EXPECT_TRUE(judge_components(facts).empty());
}

TEST(Judge, ADeadNatIsAFailedVerdictAfterTheExpectations) {
    LabFacts facts;
    auto killed = nat("home");
    killed.signal = 9;
    facts.processes = {killed};
    facts.timeline = {{500, 501, "kill home (SIGKILL)", ""}};
    auto v = judge(Scenario{}, facts, Evidence{});
    ASSERT_EQ(v.size(), 1u);
    EXPECT_FALSE(v[0].held);
    EXPECT_EQ(v[0].expectation, "NAT home kept running");
}

}  // namespace

// What the lab's probes saw (reach.h), judged: reachable holds on an answer
// inside its window, not_reachable on none; each says what it saw.
TEST(Judge, Reachability) {
    Scenario s;
    auto reach = [](bool negate) {
        Expectation e;
        e.kind = ExpectKind::Reachable;
        e.nodes = {"alice", "server"};
        e.reach_by = ReachBy::Udp;
        e.port = 3478;
        e.within = Millis(2000);
        e.negate = negate;
        return e;
    };
    s.expectations = {reach(false), reach(true), reach(false), reach(true)};
    LabFacts facts;
    facts.reach = {{0, 3, 620.0, 1, "no answer"},
                   {1, 8, std::nullopt, 0, "port unreachable"},
                   {2, 9, std::nullopt, 0, "connection refused"},
                   {3, 8, 1500.0, 2, "no answer"}};
    auto v = judge(s, facts, Evidence{});
    ASSERT_GE(v.size(), 4u);
    EXPECT_EQ(v[0].expectation, "alice reaches server by udp 3478 within 2s");
    EXPECT_TRUE(v[0].held);
    EXPECT_EQ(v[0].seen, "first answer at t=0.62 s, 1 answer to 3 attempts");
    EXPECT_EQ(v[1].expectation, "alice does not reach server by udp 3478 within 2s");
    EXPECT_TRUE(v[1].held);
    EXPECT_EQ(v[1].seen, "no answer to 8 attempts (last: port unreachable)");
    EXPECT_FALSE(v[2].held);
    EXPECT_EQ(v[2].detail, "no answer to 9 attempts (last: connection refused)");
    EXPECT_FALSE(v[3].held);
    EXPECT_EQ(v[3].detail, "first answer at t=1.50 s, 2 answers to 8 attempts");
}

TEST(Judge, ReachabilityNeverProbed) {
    Scenario s;
    Expectation e;
    e.kind = ExpectKind::Reachable;
    e.nodes = {"alice", "bob"};
    e.at = Millis(3000);
    e.within = Millis(1000);
    s.expectations = {e};
    auto v = judge(s, LabFacts{}, Evidence{});
    EXPECT_FALSE(v[0].held);
    EXPECT_EQ(v[0].detail, "the lab never probed (the run ended before 3s)");
}
