// The IPv6 branch of the frame path (simulator/router/datapath6.cpp) on byte
// frames and a fake clock: neighbour discovery, echo, the route, firewall and
// nptv6 modes, ICMPv6 errors, drops, and IPv4 frames left as they were.

#include <gtest/gtest.h>

#include <deque>

#include "simulator/router/counter_table.h"
#include "simulator/router/datapath.h"
#include "simulator/v6/ndp.h"
#include "simulator/wire/bytes.h"
#include "tests/simulator/test_datapath_macs.h"
#include "tests/simulator/test_nat_support.h"

namespace natlab::nat::testing {
namespace {

constexpr std::size_t kEth = kEthernetHeaderSize;

Ipv6 ip6(const char* text) {
    return *Ipv6::parse(text);
}
Endpoint6 ep6(const char* text) {
    return *Endpoint6::parse(text);
}

std::vector<std::byte> frame_to(MacAddress to, MacAddress from, const std::vector<std::byte>& packet) {
    return frame_ipv6(packet, to, from).bytes;
}

std::vector<std::byte> udp6(const char* from, const char* to, std::uint8_t hop_limit = 64) {
    std::vector<std::byte> payload(4, std::byte{0x5a});
    return build_udp6(ep6(from), ep6(to), payload, hop_limit);
}

// A solicitation from `source` (with its link-layer address) for `target`, to the target's group.
std::vector<std::byte> solicitation(MacAddress from, const char* source, const Ipv6& target) {
    return frame_to(v6::multicast_mac(v6::solicited_node(target)), from,
                    v6::build_solicitation(target, ip6(source), from));
}

// What a test reads back of a frame the datapath sent.
struct Sent {
    EthernetHeader ethernet;
    std::vector<std::byte> packet;  // the IPv6 packet, a copy
    std::optional<Ipv6Packet> view() {
        DropReason why;
        return Ipv6Packet::parse(packet, why);
    }
};

Ipv6Config config_for(Ipv6Mode mode) {
    Ipv6Config c;
    c.mode = mode;
    bool npt = mode == Ipv6Mode::Nptv6;
    c.inside = *InterfaceAddress6::parse(npt ? "fd00:0:0:1::1/64" : "2001:2:0:1::1/64");
    c.outside = *InterfaceAddress6::parse("2001:2::101/64");
    c.routes = {*Route6::parse("2001:2:0:2::/64,2001:2::102")};
    if (npt) c.nptv6_prefix = Ipv6Prefix::parse("2001:2:0:11::/64");
    return c;
}

// A NAT with 10.0.1.0/24 and 2001:2:0:1::/64 (or fd00:0:0:1::/64) inside,
// 198.18.0.0/15 and 2001:2::/64 outside; the inside host ::2 and the remote
// 2001:2::5 already known by neighbour discovery.
class Datapath6Test : public ::testing::Test {
protected:
    void make(Ipv6Config ipv6) {
        host = ipv6.inside.prefix.base;
        host.bytes[15] = 2;
        path.emplace(
            DatapathConfig{"test",
                           {*Cidr::parse("10.0.1.0/24"), *Cidr::parse("198.18.0.0/15"), std::nullopt},
                           ip("10.0.1.1"),
                           {ip("198.18.1.1")},
                           kInsideMac,
                           kOutsideMac,
                           NatConfig{},
                           false,
                           ipv6},
            1, [this](const NatEvent& e) { events.push_back(e); });
        receive(Side::Inside, solicitation(kHostMac, host.to_string().c_str(), ipv6.inside.address));
        receive(Side::Outside, solicitation(kRemoteMac, "2001:2::5", ip6("2001:2::101")));
        clear();
    }
    void make(Ipv6Mode mode) { make(config_for(mode)); }

    void receive(Side side, std::vector<std::byte> frame, double at = 0) {
        frames.push_back(std::move(frame));  // kept alive: the batches may point into it
        path->receive(side, frames.back(), {}, t(at));
    }
    // A packet from the host (inside) or a remote (outside), framed to our MAC.
    void from_host(std::vector<std::byte> packet, double at = 0) {
        receive(Side::Inside, frame_to(kInsideMac, kHostMac, packet), at);
    }
    void from_remote(std::vector<std::byte> packet, double at = 0) {
        receive(Side::Outside, frame_to(kOutsideMac, kRemoteMac, packet), at);
    }
    void clear() {
        for (Side s : {Side::Inside, Side::Outside}) path->sent(s, path->outgoing(s).entries().size());
        events.clear();
    }
    std::vector<Sent> sent(Side side) {
        std::vector<Sent> out;
        for (const auto& e : path->outgoing(side).entries())
            out.push_back({*parse_ethernet(e.bytes), {e.bytes.begin() + kEth, e.bytes.end()}});
        return out;
    }
    std::uint64_t dropped(DropCode code) { return path->counters().shell_dropped[code]; }
    std::vector<DropEvent> drops() const {
        std::vector<DropEvent> found;
        for (const auto& e : events)
            if (auto* d = std::get_if<DropEvent>(&e)) found.push_back(*d);
        return found;
    }
    std::vector<StateEvent6> states() const {
        std::vector<StateEvent6> found;
        for (const auto& e : events)
            if (auto* s = std::get_if<StateEvent6>(&e)) found.push_back(*s);
        return found;
    }
    std::string host_at(int port) const { return "[" + host.to_string() + "]:" + std::to_string(port); }

    Ipv6 host;
    std::deque<std::vector<std::byte>> frames;
    std::vector<NatEvent> events;
    std::optional<Datapath> path;
};

TEST_F(Datapath6Test, NeighborSolicitationIsAnsweredForEveryAddressWeOwn) {
    make(Ipv6Mode::Route);
    struct Case {
        Side side;
        Ipv6 target;
        bool want_reply;
    };
    for (auto c :
         {Case{Side::Inside, ip6("2001:2:0:1::1"), true},
          Case{Side::Inside, v6::link_local(kInsideMac), true}, Case{Side::Outside, ip6("2001:2::101"), true},
          Case{Side::Outside, v6::link_local(kOutsideMac), true},
          Case{Side::Inside, ip6("2001:2::101"), false}, Case{Side::Outside, ip6("2001:2::102"), false}}) {
        SCOPED_TRACE(c.target.to_string());
        clear();
        const char* asker = c.side == Side::Inside ? "fe80::10" : "2001:2::9";
        receive(c.side, solicitation(kStrangerMac, asker, c.target));
        auto out = sent(c.side);
        ASSERT_EQ(out.size(), c.want_reply ? 1u : 0u);
        if (!c.want_reply) continue;
        EXPECT_EQ(out[0].ethernet.destination, kStrangerMac);
        auto packet = out[0].view();
        ASSERT_TRUE(packet);
        std::string why;
        auto advert = v6::parse_advertisement(*packet, why);
        ASSERT_TRUE(advert) << why;
        EXPECT_EQ(advert->target, c.target);
        EXPECT_EQ(advert->target_mac, c.side == Side::Inside ? kInsideMac : kOutsideMac);
        EXPECT_TRUE(advert->solicited && advert->router);
        EXPECT_EQ(packet->destination_address(), ip6(asker));
    }
    EXPECT_EQ(path->counters().ipv6.inside_nd.advertisements_sent, 2u + 1u);  // the set-up's own
}

TEST_F(Datapath6Test, EchoToOurAddressesIsAnswered) {
    make(Ipv6Mode::Firewall);
    std::vector<std::byte> data(6, std::byte{0x42});
    from_host(build_echo6(host, ip6("2001:2:0:1::1"), kIcmpv6EchoRequest, 77, data));
    from_host(build_echo6(host, ip6("2001:2::101"), kIcmpv6EchoRequest, 78, data));
    auto out = sent(Side::Inside);
    ASSERT_EQ(out.size(), 2u);
    for (std::size_t i = 0; i < 2; ++i) {
        auto reply = out[i].view();
        ASSERT_TRUE(reply);
        EXPECT_EQ(reply->icmp_type(), kIcmpv6EchoReply);
        EXPECT_EQ(reply->destination(), (Endpoint6{host, static_cast<std::uint16_t>(77 + i)}));
        EXPECT_TRUE(reply->checksum_ok());
        EXPECT_EQ(out[i].ethernet.destination, kHostMac);
    }
    EXPECT_EQ(out[1].view()->source_address(), ip6("2001:2::101"));
    EXPECT_EQ(path->counters().ipv6.echo_replies_sent, 2u);
}

struct FilterCase {
    FilteringBehaviour filtering;
    const char* inbound_from;
    bool want_pass;
};

TEST_F(Datapath6Test, FirewallAdmitsInboundByItsFilteringBehaviour) {
    using F = FilteringBehaviour;
    const FilterCase cases[] = {
        {F::AddressAndPortDependent, "[2001:2::5]:3478", true},
        {F::AddressAndPortDependent, "[2001:2::5]:9999", false},
        {F::AddressAndPortDependent, "[2001:2::6]:3478", false},
        {F::AddressDependent, "[2001:2::5]:9999", true},
        {F::AddressDependent, "[2001:2::6]:3478", false},
        {F::EndpointIndependent, "[2001:2::6]:9999", true},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(std::string{to_string(c.filtering)} + " from " + c.inbound_from);
        auto config = config_for(Ipv6Mode::Firewall);
        config.firewall.filtering = c.filtering;
        make(config);
        from_host(udp6(host_at(4000).c_str(), "[2001:2::5]:3478"));
        ASSERT_EQ(sent(Side::Outside).size(), 1u);
        EXPECT_EQ(sent(Side::Outside)[0].ethernet.destination, kRemoteMac);
        ASSERT_EQ(states().size(), 1u);
        EXPECT_EQ(states()[0].change, StateChange6::Created);
        clear();
        from_remote(udp6(c.inbound_from, host_at(4000).c_str()));
        EXPECT_EQ(sent(Side::Inside).size(), c.want_pass ? 1u : 0u);
        if (c.want_pass) continue;
        ASSERT_EQ(drops().size(), 1u);
        EXPECT_EQ(drops()[0].reason.code, DropCode::Filtered);
        EXPECT_EQ(drops()[0].flow6->source, ep6(c.inbound_from));
    }
}

TEST_F(Datapath6Test, FirewallRefusesWhatTheInsideNeverOpened) {
    make(Ipv6Mode::Firewall);
    from_remote(udp6("[2001:2::5]:3478", host_at(4000).c_str()));
    EXPECT_TRUE(sent(Side::Inside).empty());
    ASSERT_EQ(drops().size(), 1u);
    EXPECT_EQ(drops()[0].reason.code, DropCode::NoState);
    EXPECT_EQ(drops()[0].direction, Direction::Inbound);
    from_host(udp6("[2001:2:0:9::2]:4000", "[2001:2::5]:3478"));  // a spoofed source
    EXPECT_EQ(dropped(DropCode::NotInside), 1u);
}

TEST_F(Datapath6Test, FirewallStateExpiresAfterItsTimeout) {
    auto config = config_for(Ipv6Mode::Firewall);
    config.firewall.udp_timeout = std::chrono::seconds{30};
    make(config);
    from_host(udp6(host_at(4000).c_str(), "[2001:2::5]:3478"), 0);
    EXPECT_EQ(path->counters().ipv6.states_live, 1u);
    from_remote(udp6("[2001:2::5]:3478", host_at(4000).c_str()), 29);
    EXPECT_EQ(sent(Side::Inside).size(), 1u);
    clear();
    path->tick(t(31));
    ASSERT_EQ(states().size(), 1u);
    EXPECT_EQ(states()[0].change, StateChange6::Expired);
    EXPECT_EQ(states()[0].inside, ep6(host_at(4000).c_str()));
    from_remote(udp6("[2001:2::5]:3478", host_at(4000).c_str()), 31);
    EXPECT_TRUE(sent(Side::Inside).empty());
    EXPECT_EQ(dropped(DropCode::NoState), 1u);
    auto c = path->counters().ipv6;
    EXPECT_EQ(c.states_live, 0u);
    EXPECT_EQ(c.states_created, 1u);
    EXPECT_EQ(c.states_expired, 1u);
}

TEST_F(Datapath6Test, FirewallPassesErrorsAboutItsOwnFlowsOnly) {
    make(Ipv6Mode::Firewall);
    auto out = udp6(host_at(4000).c_str(), "[2001:2::5]:3478");
    from_host(out);
    clear();
    // The remote answers the datagram as it left with Destination Unreachable, then one about another flow.
    from_remote(build_icmp6_error(ip6("2001:2::5"), kIcmpv6DestinationUnreachable, 4, out));
    EXPECT_EQ(sent(Side::Inside).size(), 1u);
    from_remote(build_icmp6_error(ip6("2001:2::5"), kIcmpv6DestinationUnreachable, 4,
                                  udp6(host_at(4001).c_str(), "[2001:2::5]:3478")));
    EXPECT_EQ(sent(Side::Inside).size(), 1u);
    EXPECT_EQ(dropped(DropCode::IcmpErrorUnmatched), 1u);
}

TEST_F(Datapath6Test, Nptv6RewritesBothWaysAndChecksumsStayRight) {
    make(Ipv6Mode::Nptv6);
    from_host(udp6("[fd00:0:0:1::2]:4000", "[2001:2::5]:3478"));
    auto out = sent(Side::Outside);
    ASSERT_EQ(out.size(), 1u);
    auto leaving = out[0].view();
    ASSERT_TRUE(leaving);
    EXPECT_TRUE(Ipv6Prefix::parse("2001:2:0:11::/64")->contains(leaving->source_address()));
    EXPECT_EQ(leaving->source().port, 4000);
    EXPECT_TRUE(leaving->checksum_ok());
    EXPECT_EQ(leaving->hop_limit(), 63);
    clear();
    std::string external = "[" + leaving->source_address().to_string() + "]:4000";
    from_remote(udp6("[2001:2::5]:3478", external.c_str()));
    auto in = sent(Side::Inside);
    ASSERT_EQ(in.size(), 1u);
    auto arriving = in[0].view();
    ASSERT_TRUE(arriving);
    EXPECT_EQ(arriving->destination(), ep6("[fd00:0:0:1::2]:4000"));
    EXPECT_TRUE(arriving->checksum_ok());
    EXPECT_EQ(in[0].ethernet.destination, kHostMac);
}

// RFC 6296 translates addresses, so an ICMPv6 error quotes a packet as it was on the other side: the quoted
// address goes back too, and with the rewrite checksum-neutral every checksum stays right.
TEST_F(Datapath6Test, Nptv6RewritesTheAddressAnErrorQuotes) {
    make(Ipv6Mode::Nptv6);
    from_host(udp6("[fd00:0:0:1::2]:4000", "[2001:2::5]:3478"));
    auto out = sent(Side::Outside);
    ASSERT_EQ(out.size(), 1u);
    auto external = out[0].view()->source_address();
    clear();
    from_remote(build_icmp6_error(ip6("2001:2::5"), kIcmpv6DestinationUnreachable, 4, out[0].packet));
    auto in = sent(Side::Inside);
    ASSERT_EQ(in.size(), 1u);
    auto error = in[0].view();
    ASSERT_TRUE(error);
    EXPECT_EQ(error->destination_address(), ip6("fd00:0:0:1::2"));
    EXPECT_EQ(error->quoted_address(true), ip6("fd00:0:0:1::2"));
    EXPECT_EQ(error->quoted_address(false), ip6("2001:2::5"));
    EXPECT_TRUE(error->checksum_ok());
    clear();
    // The host's own error about an inbound datagram leaves quoting the external address it was sent to.
    auto inbound = udp6("[2001:2::5]:3478", ("[" + external.to_string() + "]:4000").c_str());
    from_remote(inbound);
    auto delivered = sent(Side::Inside);
    ASSERT_EQ(delivered.size(), 1u);
    clear();
    from_host(build_icmp6_error(ip6("fd00:0:0:1::2"), kIcmpv6DestinationUnreachable, 4, delivered[0].packet));
    auto leaving = sent(Side::Outside);
    ASSERT_EQ(leaving.size(), 1u);
    EXPECT_EQ(leaving[0].view()->quoted_address(false), external);
    EXPECT_TRUE(leaving[0].view()->checksum_ok());
}

TEST_F(Datapath6Test, NeighbourResolutionQueuesThenReleases) {
    make(Ipv6Mode::Route);
    from_host(udp6(host_at(4000).c_str(), "[2001:2::7]:3478"));
    from_host(udp6(host_at(4000).c_str(), "[2001:2::7]:3479"));
    auto asked = sent(Side::Outside);
    ASSERT_EQ(asked.size(), 1u);  // one solicitation; both datagrams wait
    EXPECT_EQ(asked[0].ethernet.destination, v6::multicast_mac(v6::solicited_node(ip6("2001:2::7"))));
    EXPECT_EQ(asked[0].view()->icmp_type(), v6::kNeighborSolicitation);
    clear();
    v6::Solicitation ours{ip6("2001:2::101"), ip6("2001:2::7"), kOutsideMac};
    receive(Side::Outside, frame_to(kOutsideMac, kStrangerMac,
                                    v6::build_advertisement(ours, ip6("2001:2::7"), kStrangerMac)));
    auto released = sent(Side::Outside);
    ASSERT_EQ(released.size(), 2u);
    EXPECT_EQ(released[0].ethernet.destination, kStrangerMac);
    EXPECT_EQ(released[0].view()->destination().port, 3478);
    EXPECT_EQ(released[1].view()->destination().port, 3479);
}

TEST_F(Datapath6Test, UnansweredResolutionRetriesThenGivesUp) {
    make(Ipv6Mode::Route);
    from_host(udp6(host_at(4000).c_str(), "[2001:2::7]:3478"));
    clear();
    for (int second = 1; second <= 2; ++second) {
        path->tick(t(second));
        EXPECT_EQ(sent(Side::Outside).size(), 1u) << "retry " << second;
        clear();
    }
    path->tick(t(3));
    EXPECT_EQ(dropped(DropCode::NeighbourUnreachable), 1u);
    ASSERT_EQ(drops().size(), 1u);
    EXPECT_EQ(drops()[0].flow6->destination, ep6("[2001:2::7]:3478"));
}

TEST_F(Datapath6Test, HopLimitOneIsTimeExceeded) {
    make(Ipv6Mode::Route);
    from_host(udp6(host_at(4000).c_str(), "[2001:2::5]:3478", 1));
    EXPECT_TRUE(sent(Side::Outside).empty());
    auto back = sent(Side::Inside);
    ASSERT_EQ(back.size(), 1u);
    auto error = back[0].view();
    ASSERT_TRUE(error);
    EXPECT_EQ(error->icmp_type(), kIcmpv6TimeExceeded);
    EXPECT_EQ(error->source_address(), ip6("2001:2:0:1::1"));
    EXPECT_EQ(error->destination_address(), host);
    EXPECT_TRUE(error->checksum_ok());
    EXPECT_EQ(quoted_flow6(error->transport())->destination, ep6("[2001:2::5]:3478"));
    EXPECT_EQ(dropped(DropCode::TtlExpired), 1u);
}

TEST_F(Datapath6Test, NoRouteIsDestinationUnreachable) {
    make(Ipv6Mode::Route);  // no gateway
    from_host(udp6(host_at(4000).c_str(), "[2001:2:ff::1]:3478"));
    auto back = sent(Side::Inside);
    ASSERT_EQ(back.size(), 1u);
    auto error = back[0].view();
    ASSERT_TRUE(error);
    EXPECT_EQ(error->icmp_type(), kIcmpv6DestinationUnreachable);
    EXPECT_EQ(load8(error->transport(), 1), 0);  // code 0: no route
    EXPECT_EQ(dropped(DropCode::NoRoute), 1u);
}

TEST_F(Datapath6Test, ErrorsAreRateLimited) {
    make(Ipv6Mode::Route);
    for (int i = 0; i < 150; ++i) from_host(udp6(host_at(4000).c_str(), "[2001:2::5]:3478", 1));
    EXPECT_EQ(sent(Side::Inside).size(), 100u);
    EXPECT_EQ(path->counters().ipv6.errors_suppressed, 50u);
    clear();
    from_host(udp6(host_at(4000).c_str(), "[2001:2::5]:3478", 1), 1.0);
    EXPECT_EQ(sent(Side::Inside).size(), 1u);  // a second later the bucket is full again
}

TEST_F(Datapath6Test, RoutedPrefixGoesToItsNextHop) {
    make(Ipv6Mode::Route);
    from_host(udp6(host_at(4000).c_str(), "[2001:2:0:2::9]:3478"));
    auto asked = sent(Side::Outside);
    ASSERT_EQ(asked.size(), 1u);
    std::string why;
    DropReason dr;
    auto ns = Ipv6Packet::parse(asked[0].packet, dr);
    ASSERT_TRUE(ns);
    auto s = v6::parse_solicitation(*ns, why);
    ASSERT_TRUE(s) << why;
    EXPECT_EQ(s->target, ip6("2001:2::102"));
}

TEST_F(Datapath6Test, MalformedAndStrayFramesAreDropsWithACode) {
    make(Ipv6Mode::Firewall);
    auto packet = udp6(host_at(4000).c_str(), "[2001:2::5]:3478");
    auto version4 = packet;
    store8(version4, 0, 0x45);
    auto truncated = packet;
    store16(truncated, 4, 500);  // a payload length past the frame
    struct Case {
        const char* name;
        std::vector<std::byte> frame;
        DropCode want;
        bool want_logged;
    };
    const Case cases[] = {
        {"version 4", frame_to(kInsideMac, kHostMac, version4), DropCode::Malformed, true},
        {"truncated", frame_to(kInsideMac, kHostMac, truncated), DropCode::Malformed, true},
        {"another station's", frame_to(kStrangerMac, kHostMac, packet), DropCode::NotOurMac, false},
        {"link-local", frame_to(kInsideMac, kHostMac, udp6("[fe80::10]:4000", "[fe80::1:2]:53")),
         DropCode::NotOurAddress, true},
        {"to the router's UDP",
         frame_to(kInsideMac, kHostMac, udp6(host_at(4000).c_str(), "[2001:2:0:1::1]:53")),
         DropCode::UnsupportedProtocol, true},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        clear();
        auto before = dropped(c.want);
        receive(Side::Inside, c.frame);
        EXPECT_EQ(dropped(c.want), before + 1);
        EXPECT_EQ(drops().size(), c.want_logged ? 1u : 0u);
        EXPECT_TRUE(sent(Side::Outside).empty());
    }
}

TEST_F(Datapath6Test, WithoutAModeIpv6IsIgnoredAsBefore) {
    make(Ipv6Config{});
    clear();
    from_host(udp6("[2001:2:0:1::2]:4000", "[2001:2::5]:3478"));
    EXPECT_TRUE(sent(Side::Outside).empty());
    EXPECT_EQ(dropped(DropCode::UnsupportedEthertype), 1u);
    EXPECT_EQ(dropped(DropCode::NotOurMac), 2u);  // the set-up's solicitations, to groups nobody listens on
    EXPECT_TRUE(events.empty());
}

// The same IPv4 frames through a datapath with IPv6 on and one with it off: the same bytes out.
TEST_F(Datapath6Test, Ipv4FramesAreUnchanged) {
    std::vector<std::vector<std::byte>> out[2];
    for (int v6on = 0; v6on < 2; ++v6on) {
        make(v6on ? config_for(Ipv6Mode::Firewall) : Ipv6Config{});
        auto arp = build_arp_frame({ArpOp::Request, kHostMac, ip("10.0.1.2"), {}, ip("10.0.1.1")},
                                   MacAddress::broadcast());
        receive(Side::Inside, arp.bytes);
        auto arp2 = build_arp_frame({ArpOp::Request, kRemoteMac, ip("198.18.0.2"), {}, ip("198.18.1.1")},
                                    MacAddress::broadcast());
        receive(Side::Outside, arp2.bytes);
        clear();
        Datagram d{{ep("10.0.1.2:4000"), ep("198.18.0.2:3478")}};
        std::vector<std::byte> frame(kEth + d.bytes.size());
        write_ethernet(frame, {kInsideMac, kHostMac, kEtherTypeIpv4});
        std::copy(d.bytes.begin(), d.bytes.end(), frame.begin() + kEth);
        receive(Side::Inside, frame);
        for (const auto& e : path->outgoing(Side::Outside).entries())
            out[v6on].emplace_back(e.bytes.begin(), e.bytes.end());
    }
    ASSERT_EQ(out[0].size(), 1u);
    EXPECT_EQ(out[0], out[1]);
}

TEST_F(Datapath6Test, CountersNameTheIpv6Traffic) {
    make(Ipv6Mode::Firewall);
    from_host(udp6(host_at(4000).c_str(), "[2001:2::5]:3478"));
    std::map<std::string, std::uint64_t> named;
    for (const auto& [name, value] : named_counters(path->counters())) named[name] = value;
    EXPECT_EQ(named["ipv6_frames_in.inside"], 2u);
    EXPECT_EQ(named["ipv6_frames_out.outside"], 2u);  // the set-up's advertisement and the datagram
    EXPECT_EQ(named["ipv6_forwarded.outbound"], 1u);
    EXPECT_EQ(named["ipv6_states_live"], 1u);
    EXPECT_TRUE(named.contains("dropped.no-state"));
}

}  // namespace
}  // namespace natlab::nat::testing
