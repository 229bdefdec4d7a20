// NAT64 in the plan (nat-emu's options), and the lab's DNS
// server: its host, its zone, resolv.conf, unbound's configuration, the
// query that asks whether it is up; the keys' faults.
#include <gtest/gtest.h>

#include "harness/judge/expectations.h"
#include "harness/lab/dns_server.h"
#include "harness/plan/dns_plan.h"
#include "harness/plan/ipv6_plan.h"
#include "tests/harness/bad_case.h"
#include "tests/harness/scenario_builders.h"

using namespace natlab;
using namespace natlab::harness;
using natlab::harness::test::BadCase;
using natlab::harness::test::host;
using natlab::harness::test::nat6;

namespace {

// An IPv4-only internet, an IPv6-only LAN behind NAT64, DNS64 on.
Scenario nat64_lab() {
    Scenario s;
    s.file = "t.yaml";
    s.nats = {nat6("mobile", Stack::ipv6, "nat64")};
    s.hosts = {host("server", "internet"), host("phone", "mobile")};
    s.dns = DnsSpec{};
    s.dns->dns64 = true;
    return s;
}

// A dual-stack internet: NPTv6 beside a firewall.
Scenario dual_lab() {
    Scenario s;
    s.file = "t.yaml";
    s.stack = Stack::dual;
    s.nats = {nat6("fw", Stack::dual, "firewall"), nat6("hide", Stack::dual, "nptv6")};
    s.hosts = {host("server", "internet"), host("alice", "fw"), host("bob", "hide")};
    return s;
}

std::vector<std::string> values(const NodePlan* node, const std::string& flag) {
    std::vector<std::string> out;
    for (std::size_t i = 0; i + 1 < node->argv.size(); ++i)
        if (node->argv[i] == flag) out.push_back(node->argv[i + 1]);
    return out;
}

bool has(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

TEST(Nat64Plan, EmulatorOptionsOnAnIpv4OnlyInternet) {
    auto t = plan_topology(nat64_lab());
    auto* mobile = t.find_node("mobile");
    struct Want {
        const char* flag;
        std::vector<std::string> values;
    } table[] = {
        {"--ipv6", {"nat64"}},
        {"--inside6", {"2001:2:0:1::1/64"}},  // the routed /64 of NAT 1
        {"--outside6", {}},                   // the internet has no IPv6
        {"--nat64-prefix", {"64:ff9b::/96"}},
        {"--route6", {}},
    };
    for (auto& w : table) EXPECT_EQ(values(mobile, w.flag), w.values) << w.flag;
    EXPECT_FALSE(mobile->address6);
    auto* phone = t.find_node("phone");
    EXPECT_FALSE(phone->address) << "an IPv6-only host";
    EXPECT_EQ(phone->address6->to_string(), "2001:2:0:1::2");
    EXPECT_EQ(phone->gateway6->to_string(), "2001:2:0:1::1") << "its default route covers 64:ff9b::/96";
    EXPECT_FALSE(t.find_node("server")->ipv6);
}

TEST(Nat64Plan, OwnPrefixAndADualStackInternet) {
    auto s = nat64_lab();
    s.stack = Stack::dual;
    s.nats[0].ipv6.nat64_prefix = Ipv6Prefix::parse("2001:2:64::/48");
    auto t = plan_topology(s);
    auto* mobile = t.find_node("mobile");
    EXPECT_EQ(values(mobile, "--nat64-prefix"), std::vector<std::string>{"2001:2:64::/48"});
    EXPECT_EQ(values(mobile, "--outside6"), std::vector<std::string>{"2001:2::101/64"});
    EXPECT_EQ(t.dns->dns64_prefix->to_string(), "2001:2:64::/48") << "DNS64 follows the NAT64";
}

TEST(DnsPlan, TheServerIsAnInternetHost) {
    auto s = dual_lab();
    s.dns = DnsSpec{};
    auto t = plan_topology(s);
    auto* dns = t.find_node("dns");
    ASSERT_TRUE(dns);
    EXPECT_EQ(dns->address->to_string(), "198.18.0.53");
    EXPECT_EQ(dns->address6->to_string(), "2001:2::53");
    EXPECT_TRUE(dns->argv.empty()) << "the lab starts it, not the schedule";
    EXPECT_EQ(t.dns->listen, (std::vector<std::string>{"198.18.0.53", "2001:2::53"}));
    EXPECT_FALSE(t.dns->dns64_prefix);
    EXPECT_EQ(t.find_node("server")->address->to_string(), "198.18.0.2") << "other hosts keep their place";
}

TEST(DnsPlan, ZoneHasEveryAddress) {
    auto s = dual_lab();
    s.dns = DnsSpec{};
    auto zone = plan_topology(s).dns->zone_text;
    for (auto* line : {"$ORIGIN lab.test.", "server\tIN\tA\t198.18.0.2", "server\tIN\tAAAA\t2001:2::2",
                       "alice\tIN\tA\t10.0.1.2", "alice\tIN\tAAAA\t2001:2:0:1::2", "hide\tIN\tA\t198.18.1.2",
                       "hide\tIN\tAAAA\t2001:2::102", "dns\tIN\tA\t198.18.0.53", "dns\tIN\tAAAA\t2001:2::53"})
        EXPECT_TRUE(has(zone, line)) << line << "\n" << zone;
}

TEST(DnsPlan, Ipv6OnlyHostsHaveOnlyAaaa) {
    auto zone = plan_topology(nat64_lab()).dns->zone_text;
    EXPECT_TRUE(has(zone, "phone\tIN\tAAAA\t2001:2:0:1::2"));
    EXPECT_FALSE(has(zone, "phone\tIN\tA\t"));
    EXPECT_TRUE(has(zone, "server\tIN\tA\t198.18.0.2"));
    EXPECT_FALSE(has(zone, "server\tIN\tAAAA")) << "DNS64 makes that one up";
}

TEST(DnsPlan, ResolvConfNamesEveryWayToTheServer) {
    struct Want {
        Stack internet;
        const char* nameservers;
    } table[] = {
        {Stack::ipv4, "nameserver 198.18.0.53\nnameserver 64:ff9b::c612:35\n"},  // via the NAT64
        {Stack::dual, "nameserver 198.18.0.53\nnameserver 2001:2::53\nnameserver 64:ff9b::c612:35\n"},
    };
    for (auto& w : table) {
        auto s = nat64_lab();
        s.stack = w.internet;
        auto t = plan_topology(s);
        EXPECT_TRUE(has(t.resolv_conf, "search lab.test\n")) << t.resolv_conf;
        EXPECT_TRUE(has(t.resolv_conf, w.nameservers)) << t.resolv_conf;
        EXPECT_FALSE(has(t.hosts_file, ".lab.test")) << "names under the zone are DNS's only";
    }
    EXPECT_TRUE(plan_topology(dual_lab()).resolv_conf.empty()) << "no dns: no server";
}

TEST(DnsPlan, UnboundConfig) {
    auto t = plan_topology(nat64_lab());
    auto config = unbound_config(*t.dns, "/run/x/dns");
    for (auto* line :
         {"interface: 198.18.0.53\n", "module-config: \"dns64 iterator\"\n", "dns64-prefix: 64:ff9b::/96\n",
          "zonefile: \"/run/x/dns/lab.test.zone\"\n", "for-upstream: yes\n", "local-zone: \".\" refuse\n",
          "do-not-query-address: 0.0.0.0/0\n", "do-not-query-address: ::/0\n", "control-enable: no\n"})
        EXPECT_TRUE(has(config, line)) << line;
    auto plain = *t.dns;
    plain.dns64_prefix.reset();
    EXPECT_TRUE(has(unbound_config(plain, "/d"), "module-config: \"iterator\"\n"));
    EXPECT_FALSE(has(unbound_config(plain, "/d"), "dns64"));
}

// RFC 1035 section 4.1: header, then the name as labels, type, class.
TEST(DnsServer, QueryBytes) {
    auto q = dns_query(0x1234, "dns.lab.test", 1);
    std::vector<std::uint8_t> want = {
        0x12, 0x34,                                                                // ID
        0x01, 0x00,                                                                // RD
        0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,                            // one question
        3,    'd',  'n',  's',  3,    'l',  'a',  'b',  4, 't', 'e', 's', 't', 0,  // QNAME
        0x00, 0x01,                                                                // QTYPE A
        0x00, 0x01,                                                                // QCLASS IN
    };
    EXPECT_EQ(q, want);
}

TEST(DnsServer, WhatCountsAsAnAnswer) {
    std::vector<std::uint8_t> reply = {0x12, 0x34, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0};
    struct Want {
        std::size_t byte;
        std::uint8_t value;
        bool answered;
    } table[] = {
        {0, 0x12, true},   // as it is
        {1, 0x35, false},  // another ID
        {2, 0x01, false},  // a query, not a response
        {3, 0x83, false},  // NXDOMAIN
        {7, 0x00, false},  // no answer record
    };
    for (auto& w : table) {
        auto r = reply;
        r[w.byte] = w.value;
        EXPECT_EQ(dns_answered(r, 0x1234), w.answered) << w.byte;
    }
    EXPECT_FALSE(dns_answered(std::span(reply).first(11), 0x1234)) << "short";
}

// The server's end during the run fails it; the lab's stop does not.
TEST(DnsServer, ItsDeathFailsTheRun) {
    struct Want {
        bool stopped_by_lab;
        std::size_t failed;
    } table[] = {{false, 1}, {true, 0}};
    for (auto& w : table) {
        LabFacts facts;
        ProcessFacts dns;
        dns.node = "dns";
        dns.is_dns = dns.started = true;
        dns.exit_code = 1;
        dns.stopped_by_lab = w.stopped_by_lab;
        facts.processes = {dns};
        auto verdicts = judge_components(facts);
        ASSERT_EQ(verdicts.size(), w.failed);
        if (w.failed) {
            EXPECT_EQ(verdicts[0].expectation, "the lab's DNS server kept running");
        }
    }
}

const char* kDnsHosts = "hosts:\n  a: {}\n";

const BadCase kBad[] = {
    {"nat64 without an IPv6 LAN", "nats:\n  n:\n    ipv6: nat64\nhosts:\n  a: {behind: n}\n", 3, 11,
     "NAT64 without an IPv6 LAN"},
    {"nat64 prefix not RFC 6052",
     "nats:\n  n:\n    stack: ipv6\n    ipv6: nat64\n    nat64_prefix: 64:ff9b::/80\nhosts:\n  a: {behind: "
     "n}\n",
     5, 19, "is not an RFC 6052 prefix"},
    {"nat64 prefix with the u octet set",
     "nats:\n  n:\n    stack: ipv6\n    ipv6: nat64\n    nat64_prefix: 64:ff9b:0:0:100::/96\nhosts:\n  a: "
     "{behind: n}\n",
     5, 19, "bits 64-71 zero"},
    {"nat64 prefix not a prefix",
     "nats:\n  n:\n    stack: ipv6\n    ipv6: nat64\n    nat64_prefix: nowhere\nhosts:\n  a: {behind: n}\n",
     5, 19, "bad prefix 'nowhere' for nat64_prefix"},
    {"nat64 prefix without nat64",
     "stack: dual\nnats:\n  n:\n    stack: dual\n    nat64_prefix: 64:ff9b::/96\nhosts:\n  a: {behind: n}\n",
     5, 19, "nat64_prefix of NAT 'n' needs ipv6: nat64"},
    {"nptv6 lan6 routed",
     "stack: dual\nnats:\n  n:\n    stack: dual\n    ipv6: nptv6\n    lan6: 2001:2:0:9::/64\nhosts:\n  a: "
     "{behind: n}\n",
     6, 11, "must lie in fd00::/8: NPTv6"},
    {"dns not a bool", std::string("dns: maybe\n") + kDnsHosts, 1, 6, "dns"},
    {"dns64 prefix not RFC 6052",
     std::string("dns:\n  dns64: true\n  dns64_prefix: 64:ff9b::/100\n") + kDnsHosts, 3, 17,
     "is not an RFC 6052 prefix"},
    {"dns64 prefix without dns64", std::string("dns:\n  dns64_prefix: 64:ff9b::/96\n") + kDnsHosts, 2, 17,
     "dns64_prefix needs dns64: true"},
    {"a NAT named dns", "dns: true\nnats:\n  dns: {}\nhosts:\n  a: {behind: dns}\n", 3, 3,
     "is the lab's DNS server's"},
};

class BadDnsScenario : public ::testing::TestWithParam<BadCase> {};

TEST_P(BadDnsScenario, FailsWithFileLineColumn) {
    natlab::harness::test::expect_rejected(GetParam());
}

INSTANTIATE_TEST_SUITE_P(Table, BadDnsScenario, ::testing::ValuesIn(kBad), natlab::harness::test::case_name);

}  // namespace
