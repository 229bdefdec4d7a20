// Verdicts from the wire: direct, relayed and traffic judged from packets,
// first hand-made, then read from captures recorded from real runs, then
// from IPv6 captures written here.
#include <gtest/gtest.h>
#include <pcap/pcap.h>

#include <filesystem>
#include <fstream>

#include "harness/judge/wire.h"
#include "harness/plan/scenario.h"
#include "harness/plan/topology.h"

using namespace natlab;
using namespace natlab::harness;

namespace {

const std::string kSource = NATLAB_SOURCE_DIR;

Topology planned(const std::string& scenario) {
    return plan_topology(load_scenario(kSource + "/scenarios/" + scenario + ".yaml"));
}

Expectation direct(const std::string& a, const std::string& b) {
    Expectation e;
    e.kind = ExpectKind::Direct;
    e.hosts = {a, b};
    return e;
}

Expectation relayed(const std::string& a, const std::string& b, const std::string& via) {
    auto e = direct(a, b);
    e.kind = ExpectKind::Relayed;
    e.via = via;
    return e;
}

Expectation traffic(std::vector<std::string> nodes, std::optional<std::int64_t> min,
                    std::optional<std::int64_t> max = std::nullopt) {
    Expectation e;
    e.kind = ExpectKind::Traffic;
    e.nodes = std::move(nodes);
    e.on_link = e.nodes.size() == 1;
    e.packets = {min, max};
    return e;
}

// One UDP datagram as one link saw it.
WirePacket udp(double t, const std::string& node, const std::string& segment, const std::string& src,
               const std::string& dst, std::uint16_t id, const std::string& payload = "datagram") {
    Frame f;
    f.src = src;
    f.dst = dst;
    f.src_ip = src.substr(0, src.find(':'));
    f.dst_ip = dst.substr(0, dst.find(':'));
    f.protocol = "udp";
    f.ip_id = id;
    f.payload_hash = std::hash<std::string>()(payload);
    f.length = 28 + payload.size();
    return {t, node, segment, f, payload};
}

// alice 10.0.1.2 behind home-a 198.18.1.1, bob 10.0.2.2 behind home-b
// 198.18.1.2, server 198.18.0.2 (scenarios/two_nats.yaml).
WireEvidence two_nats(std::vector<WirePacket> packets) {
    WireEvidence ev;
    ev.plan = wire_plan(planned("two_nats"));
    ev.packets = std::move(packets);
    ev.read = true;
    return ev;
}

// The two ends of one direction of the pair: the sender's host, NAT, LAN
// link, inside and public endpoints, then the receiver's.
struct Ends {
    const char *a, *b, *na, *nb, *la, *lb;
    std::string ia, ib, pa, pb;
};

Ends ends(bool to_bob) {
    Ends alice{"alice",      "bob",           "home-a",        "home-b",          "home-a-lan",
               "home-b-lan", "10.0.1.2:4000", "10.0.2.2:4000", "198.18.1.1:5000", "198.18.1.2:6000"};
    if (to_bob) return alice;
    return {alice.b, alice.a, alice.nb, alice.na, alice.lb, alice.la, alice.ib, alice.ia, alice.pb, alice.pa};
}

// alice -> bob through both NATs: on alice's link, home-a's outside
// link, home-b's outside link, bob's link.
void crossing(std::vector<WirePacket>& out, double t, std::uint16_t id, bool to_bob, bool delivered = true) {
    auto [a, b, na, nb, la, lb, ia, ib, pa, pb] = ends(to_bob);
    out.push_back(udp(t, a, la, ia, pb, id));
    out.push_back(udp(t + 0.001, na, "internet", pa, pb, id));
    out.push_back(udp(t + 0.001, nb, "internet", pa, pb, id));
    if (delivered) out.push_back(udp(t + 0.002, b, lb, pa, ib, id));
}

TEST(Wire, PlanGivesEachNodeItsSides) {
    auto plan = wire_plan(planned("two_nats"));
    auto& alice = plan.sides.at("alice");
    ASSERT_EQ(alice.size(), 2u);
    EXPECT_EQ(alice[0].segment, "home-a-lan");
    EXPECT_EQ(alice[0].addresses, std::vector<std::string>{"10.0.1.2"});
    EXPECT_EQ(alice[1].node, "home-a");
    EXPECT_EQ(alice[1].addresses, std::vector<std::string>{"198.18.1.1"});
    auto m = meeting_of(plan, "alice", "bob");
    ASSERT_TRUE(m);
    EXPECT_EQ(m->a.segment, "internet");
    EXPECT_EQ(m->b.node, "home-b");
    EXPECT_EQ(meeting_of(plan, "server", "bob")->a.node, "server");
    EXPECT_EQ(plan.sides.at("home-a")[0].addresses, std::vector<std::string>{"10.0.1.1"});
}

TEST(Wire, NestedNatsMeetOnTheirSharedLan) {
    auto plan = wire_plan(planned("cgnat"));
    auto& alice = plan.sides.at("alice");
    ASSERT_EQ(alice.size(), 3u);
    EXPECT_EQ(alice[1].segment, "cgnat-lan");
    EXPECT_EQ(alice[2].node, "cgnat");
    auto m = meeting_of(plan, "alice", "bob");
    EXPECT_EQ(m->a.segment, "cgnat-lan");
    EXPECT_EQ(m->a.node, "home-a");
    EXPECT_EQ(meeting_of(plan, "alice", "server")->a.node, "cgnat");
}

TEST(Wire, HostsBehindOneNatMeetOnItsLan) {
    auto plan = wire_plan(planned("same_nat"));
    auto m = meeting_of(plan, "alice", "bob");
    EXPECT_EQ(m->a.node, "alice");
    EXPECT_EQ(m->b.node, "bob");
}

TEST(Wire, DirectNeedsDeliveryBothWays) {
    std::vector<WirePacket> p;
    crossing(p, 1.0, 1, true);
    crossing(p, 1.5, 2, false);
    crossing(p, 2.0, 3, true);
    auto j = judge_wire(direct("alice", "bob"), two_nats(p), 0.5);
    EXPECT_TRUE(j.held) << j.detail;
    EXPECT_NE(
        j.seen.find("first direct packet at t=0.50 s (alice -> bob 198.18.1.1:5000 -> 198.18.1.2:6000)"),
        std::string::npos)
        << j.seen;
    EXPECT_NE(j.seen.find("alice -> bob 2 sent, 2 delivered, bob -> alice 1 sent, 1 delivered"),
              std::string::npos)
        << j.seen;
}

// What symmetric NATs leave: each side's probes cross the internet and are
// filtered by the other NAT.
TEST(Wire, ProbesTheNatDroppedAreNotDirect) {
    std::vector<WirePacket> p;
    crossing(p, 1.0, 1, true, false);
    crossing(p, 1.1, 2, false, false);
    auto j = judge_wire(direct("alice", "bob"), two_nats(p), 0);
    EXPECT_FALSE(j.held);
    EXPECT_EQ(j.detail,
              "no UDP from alice's side reached bob directly; no UDP from bob's side reached alice directly");
    EXPECT_NE(j.seen.find("alice -> bob 1 sent, 0 delivered"), std::string::npos) << j.seen;
}

// alice -> server -> bob: the server forwards the datagram wrapped.
void relay(std::vector<WirePacket>& out, double t, std::uint16_t id, bool to_bob, const std::string& data) {
    auto [a, b, na, nb, la, lb, ia, ib, pa, pb] = ends(to_bob);
    auto in = "RELAY-TO:" + data, forwarded = "RELAYED-FROM-" + std::string(a) + ":" + data;
    out.push_back(udp(t, a, la, ia, "198.18.0.2:3478", id, in));
    out.push_back(udp(t + 0.001, na, "internet", pa, "198.18.0.2:3478", id, in));
    out.push_back(udp(t + 0.001, "server", "internet", pa, "198.18.0.2:3478", id, in));
    out.push_back(udp(t + 0.002, "server", "internet", "198.18.0.2:3478", pb, id + 1000, forwarded));
    out.push_back(udp(t + 0.002, nb, "internet", "198.18.0.2:3478", pb, id + 1000, forwarded));
    out.push_back(udp(t + 0.003, b, lb, "198.18.0.2:3478", ib, id + 1000, forwarded));
}

TEST(Wire, RelayedNeedsForwardedDatagramsAndNoDirectDelivery) {
    std::vector<WirePacket> p;
    crossing(p, 0.9, 1, true, false);  // a probe, filtered: allowed
    relay(p, 1.0, 2, true, "data message number one, long enough");
    relay(p, 1.2, 3, false, "acknowledgement of number one, long too");
    auto ev = two_nats(p);
    auto j = judge_wire(relayed("alice", "bob", "server"), ev, 0.5);
    EXPECT_TRUE(j.held) << j.detail;
    EXPECT_NE(j.seen.find("first relayed datagram at t=0.50 s; server forwarded 1 datagrams alice -> bob and "
                          "1 bob -> alice"),
              std::string::npos)
        << j.seen;
    EXPECT_FALSE(judge_wire(direct("alice", "bob"), ev, 0).held);
    // Once a packet is delivered directly, the pair is not only relayed.
    crossing(p, 2.0, 4, false);
    j = judge_wire(relayed("alice", "bob", "server"), two_nats(p), 0);
    EXPECT_FALSE(j.held);
    EXPECT_EQ(j.detail, "1 packets went directly between alice and bob");
}

TEST(Wire, SignallingAloneIsNotRelaying) {
    std::vector<WirePacket> p;
    // A short message whose whole payload does not reach bob (a server's
    // answer to a registration, an introduction) is no forwarded datagram.
    relay(p, 1.0, 2, true, "short");
    auto j = judge_wire(relayed("alice", "bob", "server"), two_nats(p), 0);
    EXPECT_FALSE(j.held);
    EXPECT_EQ(j.detail,
              "server forwarded nothing of alice's to bob; server forwarded nothing of bob's to alice");
    EXPECT_TRUE(carries("xxshortxx", "short"));
    EXPECT_FALSE(carries("0123456789abcdefghij0123", "0123456789abcdefghijXXXX0123"));
    EXPECT_TRUE(carries("..0123456789abcdefghijklmn..", "<0123456789abcdefghijklmn>"));
}

TEST(Wire, TrafficBetweenNatsAndOnALink) {
    std::vector<WirePacket> p;
    for (std::uint16_t i = 0; i < 5; ++i) crossing(p, 1.0 + i, i, i % 2 == 0);
    auto ev = two_nats(p);
    auto j = judge_wire(traffic({"home-a", "home-b"}, 5, 5), ev, 0);
    EXPECT_TRUE(j.held) << j.detail;
    EXPECT_NE(
        j.seen.find("5 packets, 180 bytes on internet between home-a 198.18.1.1 and home-b 198.18.1.2 (3 "
                    "home-a -> home-b, 2 back)"),
        std::string::npos)
        << j.seen;
    j = judge_wire(traffic({"home-a", "home-b"}, 6), ev, 0);
    EXPECT_FALSE(j.held);
    EXPECT_EQ(j.detail, "5 packets, fewer than 6");
    j = judge_wire(traffic({"alice"}, std::nullopt, 4), ev, 0);  // 3 sent + 2 received on alice's link
    EXPECT_FALSE(j.held);
    EXPECT_EQ(j.detail, "5 packets, more than 4");
    auto bytes = traffic({"home-b"}, std::nullopt);
    bytes.bytes = {180, std::nullopt};
    EXPECT_TRUE(judge_wire(bytes, ev, 0).held) << judge_wire(bytes, ev, 0).detail;
}

TEST(Wire, NoCapturesNoVerdict) {
    WireEvidence ev;
    ev.plan = wire_plan(planned("two_nats"));
    auto j = judge_wire(direct("alice", "bob"), ev, 0);
    EXPECT_FALSE(j.held);
    EXPECT_EQ(j.detail, "no captures were read");
}

TEST(Wire, Descriptions) {
    EXPECT_EQ(describe_wire(direct("alice", "bob")), "alice <-> bob direct on the wire");
    EXPECT_EQ(describe_wire(relayed("alice", "bob", "server")),
              "alice <-> bob relayed via server on the wire");
    auto t = traffic({"home-a", "home-b"}, 10, 20);
    t.bytes.max = 5000;
    EXPECT_EQ(describe_wire(t), "traffic between home-a and home-b: packets 10..20, bytes <= 5000");
    EXPECT_EQ(describe_wire(traffic({"alice"}, 1)), "traffic on alice's link: packets >= 1");
}

// ---- recorded captures ------------------------------------------------------
// tests/harness/captures/NAME/ holds the pcaps of one real run of
// scenarios/NAME.yaml (nat-lab run ... --out), trimmed (editcap -r) to the
// first packets of each link, and t0: the run's hosts_start_unix_s.

WireEvidence recorded(const std::string& name, double& t0) {
    auto dir = kSource + "/tests/harness/captures/" + name;
    auto ev = read_wire_evidence(planned(name), dir);
    std::ifstream(dir + "/t0") >> t0;
    return ev;
}

TEST(WireRecorded, TwoNatsIsDirect) {
    double t0 = 0;
    auto ev = recorded("two_nats", t0);
    ASSERT_TRUE(ev.read) << ev.note;
    auto j = judge_wire(direct("alice", "bob"), ev, t0);
    EXPECT_TRUE(j.held) << j.detail << " / " << j.seen;
    EXPECT_NE(j.seen.find("first direct packet at t="), std::string::npos) << j.seen;
    EXPECT_FALSE(judge_wire(relayed("alice", "bob", "server"), ev, t0).held);
    EXPECT_TRUE(judge_wire(traffic({"home-a", "home-b"}, 4), ev, t0).held);
}

TEST(WireRecorded, SymmetricIsRelayed) {
    double t0 = 0;
    auto ev = recorded("symmetric", t0);
    ASSERT_TRUE(ev.read) << ev.note;
    auto j = judge_wire(relayed("alice", "bob", "server"), ev, t0);
    EXPECT_TRUE(j.held) << j.detail << " / " << j.seen;
    auto d = judge_wire(direct("alice", "bob"), ev, t0);
    EXPECT_FALSE(d.held) << d.seen;
    EXPECT_NE(d.seen.find(" sent, 0 delivered"), std::string::npos) << d.seen;  // the filtered probes
}

TEST(WireRecorded, HairpinOffNeverConnects) {
    double t0 = 0;
    auto ev = recorded("hairpin_off", t0);
    ASSERT_TRUE(ev.read) << ev.note;
    auto d = judge_wire(direct("alice", "bob"), ev, t0);
    EXPECT_FALSE(d.held) << d.seen;
    auto r = judge_wire(relayed("alice", "bob", "server"), ev, t0);
    EXPECT_FALSE(r.held) << r.seen;  // registered and introduced, but nothing forwarded
}

}  // namespace

// ---- IPv6: captures written here, as the lab's links would hold them ------
// scenarios/ipv6/firewall_punch.yaml's topology: alice 2001:2:0:1::2 behind
// office-a's firewall, bob 2001:2:0:2::2 behind office-b's, the server
// 2001:2::2; no translation, so each packet carries the same addresses on
// every link it crosses.

namespace v6 {

// Ethernet + IPv6 (RFC 8200 section 3) + UDP (RFC 768) around `payload`.
std::vector<std::uint8_t> frame(const Ipv6& src, const Ipv6& dst, std::uint16_t sport, std::uint16_t dport,
                                const std::string& payload) {
    std::vector<std::uint8_t> f = {
        0x02, 0,    0, 0, 0, 0x02,  // destination MAC
        0x02, 0,    0, 0, 0, 0x01,  // source MAC
        0x86, 0xdd,                 // EtherType IPv6
        0x60, 0,    0, 0,           // version 6, traffic class 0, flow label 0
    };
    auto udp_length = static_cast<std::uint16_t>(8 + payload.size());
    f.insert(f.end(),
             {std::uint8_t(udp_length >> 8), std::uint8_t(udp_length), 17, 64});  // length, UDP, hops
    f.insert(f.end(), src.bytes.begin(), src.bytes.end());
    f.insert(f.end(), dst.bytes.begin(), dst.bytes.end());
    f.insert(f.end(), {std::uint8_t(sport >> 8), std::uint8_t(sport), std::uint8_t(dport >> 8),
                       std::uint8_t(dport), std::uint8_t(udp_length >> 8), std::uint8_t(udp_length), 0, 0});
    f.insert(f.end(), payload.begin(), payload.end());
    return f;
}

struct Sent {
    double t;
    std::vector<std::string> links;  // capture files, in the order the packet crosses them
    std::vector<std::uint8_t> bytes;
};

// One pcap per link of the topology, each holding the frames that crossed
// it, in a directory of the test's own (ctest runs tests side by side).
std::string write_captures(const Topology& topo, const std::vector<Sent>& sent) {
    auto test = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    auto dir = std::filesystem::temp_directory_path() / (std::string("natlab-wire-v6-") + test);
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    for (auto& link : topo.links) {
        auto* dead = pcap_open_dead(DLT_EN10MB, 65535);
        auto* out = pcap_dump_open(dead, (dir / link.capture_file).c_str());
        for (auto& s : sent)
            for (std::size_t hop = 0; hop < s.links.size(); ++hop) {
                if (s.links[hop] != link.capture_file) continue;
                double t = s.t + hop * 0.001;
                pcap_pkthdr h{};
                h.ts.tv_sec = static_cast<time_t>(t);
                h.ts.tv_usec = static_cast<suseconds_t>((t - static_cast<double>(h.ts.tv_sec)) * 1e6);
                h.caplen = h.len = static_cast<bpf_u_int32>(s.bytes.size());
                pcap_dump(reinterpret_cast<u_char*>(out), &h, s.bytes.data());
            }
        pcap_dump_close(out);
        pcap_close(dead);
    }
    return dir.string();
}

std::string capture_of(const Topology& topo, const std::string& node, bool inside = false) {
    for (auto& l : topo.links)
        if (l.node == node && (l.node_ifname == "in0") == inside) return l.capture_file;
    return "";
}

}  // namespace v6

TEST(WireIpv6, FirewallPunchIsDirectOverIpv6) {
    auto topo = planned("ipv6/firewall_punch");
    auto alice = *topo.find_node("alice")->address6, bob = *topo.find_node("bob")->address6;
    auto server = *topo.find_node("server")->address6;
    auto a = v6::capture_of(topo, "alice"), oa = v6::capture_of(topo, "office-a");
    auto b = v6::capture_of(topo, "bob"), ob = v6::capture_of(topo, "office-b");
    auto s = v6::capture_of(topo, "server");
    std::vector<v6::Sent> sent = {
        // alice's first probe: out through office-a, dropped by office-b (no state yet)
        {1000.0, {a, oa, ob}, v6::frame(alice, bob, 4000, 5000, "probe from alice, first")},
        // bob's probe: office-a lets it in (alice sent to exactly this address and port)
        {1000.1, {b, ob, oa, a}, v6::frame(bob, alice, 5000, 4000, "probe from bob")},
        {1000.2, {a, oa, ob, b}, v6::frame(alice, bob, 4000, 5000, "answer from alice")},
        // registration with the server: not between the two
        {1000.3, {a, oa, s}, v6::frame(alice, server, 4000, 3478, "register alice")},
    };
    WireEvidence ev = read_wire_evidence(topo, v6::write_captures(topo, sent));
    ASSERT_TRUE(ev.read) << ev.note;
    auto j = judge_wire(direct("alice", "bob"), ev, 1000.0);
    EXPECT_TRUE(j.held) << j.detail << " / " << j.seen;
    EXPECT_NE(j.seen.find("first direct packet at t=0.10 s (bob -> alice [2001:2:0:2::2]:5000 -> "
                          "[2001:2:0:1::2]:4000)"),
              std::string::npos)
        << j.seen;
    EXPECT_NE(j.seen.find("alice -> bob 2 sent, 1 delivered, bob -> alice 1 sent, 1 delivered"),
              std::string::npos)
        << j.seen;
    EXPECT_NE(j.seen.find("2001:2:0:1::/64"), std::string::npos) << j.seen;  // office-a's side: its LAN
    // 3 packets between the firewalls, 40 + 8 + payload bytes each
    auto t = judge_wire(traffic({"office-a", "office-b"}, 3, 3), ev, 0);
    EXPECT_TRUE(t.held) << t.detail << " / " << t.seen;
    EXPECT_NE(t.seen.find("3 packets, 198 bytes"), std::string::npos) << t.seen;
    EXPECT_TRUE(judge_wire(traffic({"alice", "server"}, 1, 1), ev, 0).held);
}

TEST(WireIpv6, FilteredProbesAreNotDirectAndARelayIsSeen) {
    auto topo = planned("ipv6/firewall_punch");
    auto alice = *topo.find_node("alice")->address6, bob = *topo.find_node("bob")->address6;
    auto server = *topo.find_node("server")->address6;
    auto a = v6::capture_of(topo, "alice"), oa = v6::capture_of(topo, "office-a");
    auto b = v6::capture_of(topo, "bob"), ob = v6::capture_of(topo, "office-b");
    auto s = v6::capture_of(topo, "server");
    std::string data = "data message number one, long enough to be carried";
    std::string back = "acknowledgement of number one, long enough too";
    std::vector<v6::Sent> sent = {
        {10.0, {a, oa, ob}, v6::frame(alice, bob, 4000, 5000, "probe from alice")},
        {10.0, {b, ob, oa}, v6::frame(bob, alice, 5000, 4000, "probe from bob")},
        {10.5, {a, oa, s}, v6::frame(alice, server, 4000, 3478, "RELAY " + data)},
        {10.501, {s, ob, b}, v6::frame(server, bob, 3478, 5000, "FROM alice " + data)},
        {10.6, {b, ob, s}, v6::frame(bob, server, 5000, 3478, "RELAY " + back)},
        {10.601, {s, oa, a}, v6::frame(server, alice, 3478, 4000, "FROM bob " + back)},
    };
    WireEvidence ev = read_wire_evidence(topo, v6::write_captures(topo, sent));
    ASSERT_TRUE(ev.read) << ev.note;
    auto d = judge_wire(direct("alice", "bob"), ev, 0);
    EXPECT_FALSE(d.held) << d.seen;
    EXPECT_EQ(d.detail,
              "no UDP from alice's side reached bob directly; no UDP from bob's side reached alice directly");
    auto r = judge_wire(relayed("alice", "bob", "server"), ev, 0);
    EXPECT_TRUE(r.held) << r.detail << " / " << r.seen;
    EXPECT_NE(r.seen.find("server forwarded 1 datagrams alice -> bob and 1 bob -> alice"), std::string::npos)
        << r.seen;
}

// NPTv6: the LANs are fd00:0:0:k::/64 and show outside as 2001:2:0:k::/64.
TEST(WireIpv6, Nptv6SidesAreTheTranslatedPrefixes) {
    auto plan = wire_plan(planned("ipv6/nptv6"));
    auto& alice = plan.sides.at("alice");
    ASSERT_EQ(alice.size(), 2u);
    EXPECT_EQ(alice[0].addresses, (std::vector<std::string>{"10.0.1.2", "fd00:0:0:1::2"}));
    EXPECT_EQ(alice[1].addresses, (std::vector<std::string>{"198.18.1.1", "2001:2::101", "2001:2:0:1::/64"}));
    auto fw = wire_plan(planned("ipv6/firewall_punch"));
    EXPECT_EQ(fw.sides.at("office-b")[0].addresses, (std::vector<std::string>{"10.0.2.1", "2001:2:0:2::1"}));
}
