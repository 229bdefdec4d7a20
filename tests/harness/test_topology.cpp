// Topology planning: addresses, gateways, links and capture names.
#include <gtest/gtest.h>

#include "harness/plan/topology.h"
#include "tests/harness/scenario_builders.h"

using namespace natlab;
using namespace natlab::harness;
using natlab::Ipv4;
using natlab::harness::test::host;

namespace {

Scenario two_nats() {
    Scenario s;
    s.file = "t.yaml";
    NatSpec a;
    a.name = "a";
    NatSpec b;
    b.name = "b";
    b.lan = natlab::Cidr::parse("192.168.7.0/24");
    s.nats = {a, b};
    HostSpec server;
    server.name = "server";
    server.run = {"rendezvous"};
    HostSpec alice;
    alice.name = "alice";
    alice.behind = "a";
    alice.run = {"peer", "--server", "${server}:3478"};
    HostSpec bob;
    bob.name = "bob";
    bob.behind = "b";
    bob.addresses = {*Ipv4::parse("192.168.7.9")};
    s.hosts = {server, alice, bob};
    return s;
}

NatSpec nat(const std::string& name, const std::string& behind = "internet", const char* lan = nullptr) {
    NatSpec n;
    n.name = name;
    n.behind = behind;
    if (lan) n.lan = natlab::Cidr::parse(lan);
    return n;
}

// Two homes behind a carrier-grade NAT, written inner NATs first.
Scenario cgnat() {
    Scenario s;
    s.file = "t.yaml";
    s.nats = {nat("home-a", "cgnat"), nat("home-b", "cgnat"), nat("cgnat", "internet", "100.64.0.0/24")};
    s.hosts = {host("server", "internet"), host("alice", "home-a"), host("bob", "home-b"),
               host("carol", "cgnat")};
    return s;
}

std::string flag(const NodePlan* node, const std::string& f) {
    auto& argv = node->argv;
    for (std::size_t i = 0; i + 1 < argv.size(); ++i)
        if (argv[i] == f) return argv[i + 1];
    return std::string();
}

std::vector<std::string> flags(const NodePlan* node, const std::string& f) {
    std::vector<std::string> values;
    for (std::size_t i = 0; i + 1 < node->argv.size(); ++i)
        if (node->argv[i] == f) values.push_back(node->argv[i + 1]);
    return values;
}

std::string address_of(const Topology& t, const std::string& node) {
    auto links = t.links_of(node);
    return links.empty() || links[0]->addresses.empty() ? "" : links[0]->addresses[0].to_string();
}

TEST(Topology, AssignsAddressesAndGateways) {
    auto t = plan_topology(two_nats());
    struct Want {
        const char* node;
        const char* address;
        const char* gateway;
    } table[] = {
        {"server", "198.18.0.2/15", ""},           // first open internet address
        {"alice", "10.0.1.2/24", "10.0.1.1"},      // default LAN of the first NAT
        {"bob", "192.168.7.9/24", "192.168.7.1"},  // explicit, inside its LAN
    };
    for (auto& w : table) {
        EXPECT_EQ(address_of(t, w.node), w.address) << w.node;
        auto* node = t.find_node(w.node);
        ASSERT_NE(node, nullptr);
        EXPECT_EQ(node->gateway ? node->gateway->to_string() : "", w.gateway) << w.node;
    }
}

TEST(Topology, NatsGetPublicAddressesAndTwoLinks) {
    auto t = plan_topology(two_nats());
    auto* a = t.find_node("a");
    ASSERT_NE(a, nullptr);
    EXPECT_TRUE(a->is_nat);
    auto& argv = a->argv;
    auto flag = [&](const std::string& f) {
        for (std::size_t i = 0; i + 1 < argv.size(); ++i)
            if (argv[i] == f) return argv[i + 1];
        return std::string();
    };
    EXPECT_EQ(flag("--outside-address"), "198.18.1.1/15");
    EXPECT_EQ(flag("--inside-address"), "10.0.1.1/24");
    EXPECT_EQ(flag("--type"), "port-restricted");
    auto links = t.links_of("a");
    ASSERT_EQ(links.size(), 2u);
    EXPECT_EQ(links[0]->capture_file, "internet.a.pcap");
    EXPECT_EQ(links[1]->capture_file, "a-lan.a.pcap");
    EXPECT_TRUE(links[0]->addresses.empty());
}

// A NAT's port_mapping map becomes nat-emu's flags; the UPnP keys only when given.
TEST(Topology, PortMappingFlags) {
    struct Case {
        const char* name;
        std::optional<int> igd;
        std::optional<bool> permanent_only;
        const char *want_igd, *want_permanent;
    } cases[] = {
        {"neither: nat-emu's defaults", std::nullopt, std::nullopt, "", ""},
        {"IGD:2", 2, std::nullopt, "2", ""},
        {"IGD:1, permanent leases only", 1, true, "1", "on"},
    };
    for (auto& c : cases) {
        auto s = two_nats();
        PortMappingSpec p;
        p.protocols = {"upnp", "pcp"};
        p.upnp_igd = c.igd;
        p.upnp_permanent_only = c.permanent_only;
        s.nats[0].port_mapping = p;
        auto t = plan_topology(s);
        auto* a = t.find_node(s.nats[0].name);
        ASSERT_NE(a, nullptr) << c.name;
        EXPECT_EQ(flag(a, "--port-mapping"), "upnp,pcp") << c.name;
        EXPECT_EQ(flag(a, "--upnp-igd"), c.want_igd) << c.name;
        EXPECT_EQ(flag(a, "--upnp-permanent-only"), c.want_permanent) << c.name;
    }
}

TEST(Topology, ExpandsHostReferencesAndMarksWaited) {
    auto t = plan_topology(two_nats());
    auto* alice = t.find_node("alice");
    ASSERT_NE(alice, nullptr);
    EXPECT_EQ(alice->argv[2], "198.18.0.2:3478");
    EXPECT_TRUE(alice->waited);  // no expectation names anyone: all processes are waited
}

TEST(Topology, RejectsTakenAndOutOfRangeAddresses) {
    auto s = two_nats();
    s.hosts[2].addresses = {*Ipv4::parse("192.168.7.1")};  // the NAT's own
    EXPECT_THROW(plan_topology(s), ScenarioError);
    s.hosts[2].addresses = {*Ipv4::parse("10.0.1.5")};  // wrong LAN
    EXPECT_THROW(plan_topology(s), ScenarioError);
    s = two_nats();
    s.nats[0].lan = natlab::Cidr::parse("198.18.0.0/24");  // LAN in public space
    EXPECT_THROW(plan_topology(s), ScenarioError);
}

TEST(Topology, NestedNatsTakeAddressesFromTheOuterLan) {
    auto t = plan_topology(cgnat());
    struct Want {
        const char* nat;
        const char* outside;  // --outside-address
        const char* gateway;  // --outside-gateway
        const char* segment;  // where out0 is plugged
    } table[] = {
        {"cgnat", "198.18.1.1/15", "", "internet"},
        {"home-a", "100.64.0.2/24", "100.64.0.1", "cgnat-lan"},  // from .2 of the CGNAT's LAN
        {"home-b", "100.64.0.3/24", "100.64.0.1", "cgnat-lan"},
    };
    for (auto& w : table) {
        auto* node = t.find_node(w.nat);
        ASSERT_NE(node, nullptr) << w.nat;
        EXPECT_EQ(flag(node, "--outside-address"), w.outside) << w.nat;
        EXPECT_EQ(flag(node, "--outside-gateway"), w.gateway) << w.nat;
        EXPECT_EQ(t.links_of(w.nat)[0]->segment, w.segment) << w.nat;
    }
    EXPECT_EQ(address_of(t, "alice"), "10.0.1.2/24");  // home-a is the first NAT of the file
    EXPECT_EQ(t.find_node("alice")->gateway->to_string(), "10.0.1.1");
    EXPECT_EQ(address_of(t, "carol"), "100.64.0.4/24");  // after the two home NATs
    EXPECT_EQ(t.find_node("carol")->gateway->to_string(), "100.64.0.1");
    EXPECT_EQ(t.links_of("home-a")[0]->capture_file, "cgnat-lan.home-a.pcap");
}

TEST(Topology, OuterNatsComeFirst) {
    auto t = plan_topology(cgnat());
    std::vector<std::string> nats;
    for (auto& node : t.nodes)
        if (node.is_nat) nats.push_back(node.name);
    EXPECT_EQ(nats, (std::vector<std::string>{"cgnat", "home-a", "home-b"}));
    EXPECT_TRUE(t.nodes[0].is_nat && t.nodes[1].is_nat && t.nodes[2].is_nat) << "NATs before hosts";
}

TEST(Topology, CyclesAreErrors) {
    struct Case {
        const char* what;
        std::vector<NatSpec> nats;
    } cases[] = {
        {"behind itself", {nat("a", "a")}},
        {"two NATs", {nat("a", "b"), nat("b", "a", "10.9.0.0/24")}},
        {"three NATs, entered from outside the loop",
         {nat("x", "a"), nat("a", "b"), nat("b", "c"), nat("c", "a")}},
        {"behind nothing", {nat("a", "nowhere")}},
    };
    for (auto& c : cases) {
        Scenario s;
        s.nats = c.nats;
        EXPECT_THROW(plan_topology(s), ScenarioError) << c.what;
    }
}

TEST(Topology, LinuxNatIsTheKernels) {
    auto s = cgnat();
    s.nats[0].type = "linux";  // home-a, behind the CGNAT
    auto t = plan_topology(s);
    auto* home = t.find_node("home-a");
    EXPECT_TRUE(home->is_nat);
    EXPECT_TRUE(home->kernel_nat);
    EXPECT_TRUE(home->argv.empty()) << "no emulator";
    EXPECT_EQ(home->setup_argv, (std::vector<std::string>{"nft", "-f"}));
    EXPECT_NE(home->ruleset.find("masquerade"), std::string::npos);
    EXPECT_EQ(home->gateway->to_string(), "100.64.0.1");  // default route via the CGNAT
    EXPECT_EQ(home->route_ifname, "out0");
    auto links = t.links_of("home-a");
    ASSERT_EQ(links.size(), 2u);
    EXPECT_EQ(address_of(t, "home-a"), "100.64.0.2/24");  // out0 carries the address
    ASSERT_EQ(links[1]->addresses.size(), 1u);
    EXPECT_EQ(links[1]->addresses[0].to_string(), "10.0.1.1/24");
    EXPECT_FALSE(t.find_node("cgnat")->kernel_nat);
    EXPECT_TRUE(t.links_of("cgnat")[0]->addresses.empty()) << "nat-emu's links carry no address";
}

TEST(Topology, PassThroughKeysReachTheEmulator) {
    auto s = two_nats();
    s.nats[0].port_range = "20000-20999";
    s.nats[0].refresh_on_inbound = true;
    s.nats[0].addresses = {*Ipv4::parse("198.18.1.10"), *Ipv4::parse("198.18.1.11")};
    s.nats[0].hairpin = true;
    s.nats[0].pooling = "arbitrary";
    auto t = plan_topology(s);
    auto* a = t.find_node("a");
    EXPECT_EQ(flag(a, "--port-range"), "20000-20999");
    EXPECT_EQ(flag(a, "--pooling"), "arbitrary");
    EXPECT_EQ(flag(a, "--refresh-on-inbound"), "on");
    EXPECT_EQ(flag(a, "--hairpin"), "on");
    EXPECT_EQ(flags(a, "--outside-address"), (std::vector<std::string>{"198.18.1.10/15", "198.18.1.11/15"}));
    auto* b = t.find_node("b");
    EXPECT_EQ(flag(b, "--port-range"), "") << "absent keys stay nat-emu's defaults";
    EXPECT_EQ(flag(b, "--refresh-on-inbound"), "");
    EXPECT_EQ(flag(b, "--pooling"), "");
    EXPECT_EQ(flags(b, "--outside-address"), (std::vector<std::string>{"198.18.1.1/15"}));
}

TEST(Topology, ExplicitAddressesAreReservedBeforeOpenOnes) {
    auto s = two_nats();
    s.hosts[1].behind = "b";  // alice: open address on b's LAN, listed before bob
    s.hosts[2].addresses = {*Ipv4::parse("192.168.7.2")};
    auto t = plan_topology(s);
    EXPECT_EQ(address_of(t, "bob"), "192.168.7.2/24");
    EXPECT_EQ(address_of(t, "alice"), "192.168.7.3/24");
}

// Impaired links and the timeline's link steps get link-emu between the
// link's switch end and the bridge; the others stay plain veths.
TEST(Topology, ImpairedLinksGetAStage) {
    auto s = two_nats();
    LinkImpairment lossy;
    lossy.loss = 20;
    lossy.delay = Millis(50);
    lossy.rate = 10'000'000;
    s.hosts[1].link = lossy;  // alice
    TimelineStep down;
    down.at = Millis(3000);
    down.kind = StepKind::LinkDown;
    down.target = "b";  // NAT b's outside link
    TimelineStep set;
    set.at = Millis(4000);
    set.kind = StepKind::LinkSet;
    set.target = "b";
    set.set.loss = 0.5;
    TimelineStep flush;
    flush.at = Millis(5000);
    flush.kind = StepKind::Flush;
    flush.target = "a";
    s.timeline = {down, set, flush};
    auto t = plan_topology(s);
    int staged = 0;
    for (auto& link : t.links) {
        if (!link.stage) continue;
        ++staged;
        auto& argv = link.stage->argv;
        EXPECT_EQ(argv[0], "link-emu");
        EXPECT_EQ(argv[2], link.switch_ifname) << "side a is the captured switch end";
        EXPECT_EQ(argv[4], link.stage->stage_ifname);
        EXPECT_NE(link.stage->bridge_ifname, link.switch_ifname);
        if (link.node == "alice") {
            EXPECT_EQ(argv, (std::vector<std::string>{"link-emu", "--a", link.switch_ifname, "--b",
                                                      link.stage->stage_ifname, "--delay", "50ms", "--loss",
                                                      "20", "--rate", "10000000", "--seed", argv.back()}));
            EXPECT_EQ(link.stage->events_file, "alice.link.jsonl");
        } else {
            EXPECT_EQ(link.node, "b");
            EXPECT_EQ(link.node_ifname, "out0") << "a NAT's link is its outside link";
        }
    }
    EXPECT_EQ(staged, 2);
    ASSERT_EQ(t.timeline.size(), 3u);
    EXPECT_EQ(t.links[t.timeline[0].link].node, "b");
    EXPECT_EQ(t.timeline[0].description, "link b down");
    EXPECT_EQ(t.timeline[1].command, "set loss=0.5");
    EXPECT_EQ(t.timeline[2].link, -1);
    EXPECT_EQ(t.timeline[2].description, "flush a");
}

TEST(Topology, CounterExpectationsWaitForEveryHost) {
    auto s = two_nats();
    s.hosts[2].run = {"peer"};
    Expectation e;
    e.kind = ExpectKind::Counter;
    e.hosts = {"a"};
    s.expectations = {e};
    auto t = plan_topology(s);
    EXPECT_TRUE(t.find_node("alice")->waited);
    EXPECT_TRUE(t.find_node("bob")->waited);
    EXPECT_TRUE(t.find_node("server")->waited);
}

TEST(Topology, EnvironmentAndStartOrderReachThePlan) {
    auto s = two_nats();
    s.hosts[1].env = {{"RUST_LOG", "debug"}};
    s.hosts[1].after = "server";
    auto t = plan_topology(s);
    auto* alice = t.find_node("alice");
    EXPECT_EQ(alice->env, s.hosts[1].env);
    EXPECT_EQ(alice->after, "server");
    for (auto& link : t.links) EXPECT_FALSE(link.stage) << "no impairment, no stage";
}

}  // namespace
