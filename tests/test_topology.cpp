// Topology planning: addresses, gateways, links and capture names.
#include <gtest/gtest.h>

#include "topology.h"

using namespace natlab::harness;
using natlab::Ipv4;

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
        {"server", "198.18.0.2/15", ""},     // first open internet address
        {"alice", "10.0.1.2/24", "10.0.1.1"},  // default LAN of the first NAT
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

}  // namespace
