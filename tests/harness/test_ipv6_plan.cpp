// The IPv6 plan: prefixes, mirrored addresses, routes, nat-emu's options.
#include <gtest/gtest.h>

#include "harness/plan/ipv6_plan.h"
#include "harness/plan/topology.h"
#include "tests/harness/scenario_builders.h"

using namespace natlab;
using namespace natlab::harness;
using natlab::harness::test::host;
using natlab::harness::test::nat6;

namespace {

// A dual-stack internet; LANs behind a firewall, an NPTv6 NAT, an
// IPv6-only LAN and an IPv4-only one.
Scenario lab() {
    Scenario s;
    s.file = "t.yaml";
    s.stack = Stack::dual;
    s.nats = {nat6("fw", Stack::dual), nat6("npt", Stack::dual, "nptv6"), nat6("only6", Stack::ipv6),
              nat6("old", Stack::ipv4)};
    s.hosts = {host("server", "internet"), host("alice", "fw"), host("bob", "npt"), host("carol", "only6"),
               host("dave", "old")};
    return s;
}

std::string address6_of(const Topology& t, const std::string& node, std::size_t link = 0) {
    auto links = t.links_of(node);
    return links.size() <= link || links[link]->addresses6.empty() ? ""
                                                                   : links[link]->addresses6[0].to_string();
}

std::vector<std::string> values(const NodePlan* node, const std::string& flag) {
    std::vector<std::string> out;
    for (std::size_t i = 0; i + 1 < node->argv.size(); ++i)
        if (node->argv[i] == flag) out.push_back(node->argv[i + 1]);
    return out;
}

TEST(Ipv6Plan, AddressesMirrorTheIpv4Ones) {
    auto t = plan_topology(lab());
    struct Want {
        const char* node;
        const char* address6;
        const char* gateway6;
    } table[] = {
        {"server", "2001:2::2/64", ""},                  // 198.18.0.2
        {"alice", "2001:2:0:1::2/64", "2001:2:0:1::1"},  // 10.0.1.2, routed /64 of NAT 1
        {"bob", "fd00:0:0:2::2/64", "fd00:0:0:2::1"},    // ULA under NPTv6
        {"carol", "2001:2:0:3::2/64", "2001:2:0:3::1"},
        {"dave", "", ""},  // an IPv4-only LAN
    };
    for (auto& w : table) {
        EXPECT_EQ(address6_of(t, w.node), w.address6) << w.node;
        auto* n = t.find_node(w.node);
        EXPECT_EQ(n->gateway6 ? n->gateway6->to_string() : "", w.gateway6) << w.node;
        EXPECT_EQ(n->ipv6, std::string(w.address6) != "") << w.node;
    }
    EXPECT_EQ(t.find_node("fw")->address6->to_string(), "2001:2::101");  // 198.18.1.1
    EXPECT_FALSE(t.find_node("old")->address6);
}

TEST(Ipv6Plan, AnIpv6OnlyHostLosesItsIpv4) {
    auto t = plan_topology(lab());
    auto* carol = t.find_node("carol");
    EXPECT_FALSE(carol->address);
    EXPECT_FALSE(carol->gateway);
    EXPECT_TRUE(t.links_of("carol")[0]->addresses.empty());
    EXPECT_NE(t.hosts_file.find("2001:2:0:3::2\tcarol"), std::string::npos) << t.hosts_file;
    EXPECT_EQ(t.hosts_file.find("10.0.3.2\tcarol"), std::string::npos) << t.hosts_file;
}

TEST(Ipv6Plan, InternetHostsRouteEveryLanViaItsNat) {
    auto t = plan_topology(lab());
    auto& routes = t.find_node("server")->routes6;
    ASSERT_EQ(routes.size(), 3u);
    EXPECT_EQ(routes[0].to.to_string(), "2001:2:0:1::/64");
    EXPECT_EQ(routes[0].via.to_string(), "2001:2::101");
    EXPECT_EQ(routes[1].to.to_string(), "2001:2:0:2::/64") << "NPTv6: the outside prefix";
    EXPECT_EQ(routes[1].via.to_string(), "2001:2::102");
}

TEST(Ipv6Plan, EmulatorOptions) {
    auto t = plan_topology(lab());
    auto* npt = t.find_node("npt");
    EXPECT_EQ(values(npt, "--ipv6"), std::vector<std::string>{"nptv6"});
    EXPECT_EQ(values(npt, "--inside6"), std::vector<std::string>{"fd00:0:0:2::1/64"});
    EXPECT_EQ(values(npt, "--outside6"), std::vector<std::string>{"2001:2::102/64"});
    EXPECT_EQ(values(npt, "--nptv6-prefix"), std::vector<std::string>{"2001:2:0:2::/64"});
    EXPECT_EQ(values(npt, "--route6"),
              (std::vector<std::string>{"2001:2:0:1::/64,2001:2::101", "2001:2:0:3::/64,2001:2::103"}));
    EXPECT_EQ(values(t.find_node("fw"), "--ipv6"), std::vector<std::string>{"firewall"});
    EXPECT_TRUE(values(t.find_node("old"), "--ipv6").empty());
}

TEST(Ipv6Plan, KernelNatCarriesAddressesAndRuleset) {
    auto s = lab();
    s.nats[0].type = "linux";
    auto t = plan_topology(s);
    auto* fw = t.find_node("fw");
    EXPECT_TRUE(fw->ipv6);
    EXPECT_EQ(address6_of(t, "fw", 0), "2001:2::101/64");
    EXPECT_EQ(address6_of(t, "fw", 1), "2001:2:0:1::1/64");
    EXPECT_EQ(fw->routes6.size(), 2u);
    EXPECT_NE(fw->ruleset.find("table ip6 natlab6"), std::string::npos);
    EXPECT_NE(fw->ruleset.find("ct state established,related accept"), std::string::npos);
    EXPECT_NE(linux_ipv6_ruleset("x", "route").find("policy accept"), std::string::npos);
}

TEST(Ipv6Plan, ExplicitAddressesAndTheirFaults) {
    auto s = lab();
    s.hosts[1].address6 = Ipv6::parse("2001:2:0:1::77");
    auto t = plan_topology(s);
    EXPECT_EQ(address6_of(t, "alice"), "2001:2:0:1::77/64");
    struct Bad {
        const char* address;
        const char* complaint;
    } table[] = {
        {"2001:2:0:9::5", "not in 2001:2:0:1::/64"},
        {"2001:2:0:1::", "subnet-router anycast"},
        {"2001:2:0:1::1", "already taken"},  // the NAT's
    };
    for (auto& b : table) {
        s.hosts[1].address6 = Ipv6::parse(b.address);
        try {
            plan_topology(s);
            ADD_FAILURE() << b.address << " accepted";
        } catch (const ScenarioError& e) {
            EXPECT_NE(std::string(e.what()).find(b.complaint), std::string::npos) << e.what();
        }
    }
}

TEST(Ipv6Plan, BlackholedIpv4RoutesNowhere) {
    auto s = lab();
    s.nats[0].ipv6.ipv4_blackhole = true;
    auto t = plan_topology(s);
    EXPECT_EQ(t.find_node("alice")->gateway->to_string(), "10.0.1.254");
    EXPECT_EQ(t.find_node("alice")->gateway6->to_string(), "2001:2:0:1::1");
}

TEST(Ipv6Plan, ReferencesNameAFamily) {
    auto s = lab();
    s.hosts[1].run = {"ping", "${server.ipv6}", "${server.ipv4}", "${server}", "${carol}", "${dave.ipv6}"};
    auto t = plan_topology(s);
    EXPECT_EQ(t.find_node("alice")->argv, (std::vector<std::string>{"ping", "2001:2::2", "198.18.0.2",
                                                                    "198.18.0.2", "2001:2:0:3::2", ""}));
}

TEST(Ipv6Plan, ReachProbesTakeAFamily) {
    auto s = lab();
    struct Row {
        const char* to;
        const char* v4;  // "" when the probe goes over IPv6
        const char* v6;
    } rows[] = {
        {"server", "198.18.0.2", ""},     {"server.ipv4", "198.18.0.2", ""},
        {"server.ipv6", "", "2001:2::2"}, {"carol", "", "2001:2:0:3::2"},  // IPv6-only
        {"2001:2::99", "", "2001:2::99"}, {"198.18.0.99", "198.18.0.99", ""},
    };
    for (auto& row : rows) {
        Expectation e;
        e.kind = ExpectKind::Reachable;
        e.nodes = {"alice", row.to};
        e.within = Millis{1000};
        s.expectations = {e};
        auto t = plan_topology(s);
        ASSERT_EQ(t.reach.size(), 1u);
        auto& r = t.reach[0];
        EXPECT_EQ(r.to6 ? r.to6->to_string() : "", row.v6) << row.to;
        if (!r.to6) {
            EXPECT_EQ(r.to.to_string(), row.v4) << row.to;
        }
    }
    Expectation none;
    none.kind = ExpectKind::Reachable;
    none.nodes = {"alice", "dave.ipv6"};  // an IPv4-only host
    none.within = Millis{1000};
    s.expectations = {none};
    EXPECT_THROW(plan_topology(s), ScenarioError);
}

TEST(Ipv6Plan, Ipv4OnlyScenariosAreUntouched) {
    auto s = lab();
    s.stack = Stack::ipv4;
    for (auto& n : s.nats) n.ipv6.stack = Stack::ipv4;
    auto t = plan_topology(s);
    for (auto& node : t.nodes) {
        EXPECT_FALSE(node.ipv6) << node.name;
        EXPECT_TRUE(node.argv6.empty()) << node.name;
    }
    EXPECT_EQ(t.hosts_file.find("2001:"), std::string::npos);
}

}  // namespace
