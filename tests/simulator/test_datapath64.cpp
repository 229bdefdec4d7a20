// Stateful NAT64 on the frame path (simulator/v6/nat64.h through
// simulator/router/datapath.cpp) on byte frames and a fake clock: UDP, TCP
// and echo out and back with valid checksums, the IPv4 NAT's mapping and
// filtering behaviours applied to IPv6 hosts, the normal IPv6 route beside
// it, a dual-stack LAN's IPv4 frames, the hop limit, ICMP errors both ways
// with their quoted packets, and the host key table.

#include <gtest/gtest.h>

#include <deque>
#include <map>

#include "simulator/router/counter_table.h"
#include "simulator/router/datapath.h"
#include "simulator/v6/icmp_translate.h"
#include "simulator/v6/nat64.h"
#include "simulator/v6/ndp.h"
#include "simulator/wire/bytes.h"
#include "simulator/wire/checksum.h"
#include "simulator/wire/icmp.h"
#include "tests/simulator/test_datapath_macs.h"
#include "tests/simulator/test_nat_support.h"

namespace natlab::nat::testing {
namespace {

constexpr std::size_t kEth = kEthernetHeaderSize;
const MacAddress kRemote2Mac{{0x02, 0, 0, 0, 0, 0x21}};
const MacAddress kHost2Mac{{0x02, 0, 0, 0, 0, 0x11}};

Ipv6 ip6(const char* text) {
    return *Ipv6::parse(text);
}

// The remote IPv4 address as the LAN sees it: under 64:ff9b::/96.
Ipv6 mapped(const char* v4) {
    return *v6::embed(v6::kNat64WellKnown, ip(v4));
}

// An IPv6 packet with the transport of an IPv4 one (UDP, TCP or echo), for building test packets.
std::vector<std::byte> as_ipv6(Datagram d, const Ipv6& from, const Ipv6& to) {
    DropReason why;
    auto packet = v6::to_ipv6(d.view(), from, to, why);
    EXPECT_TRUE(packet) << why.text;
    return packet.value_or(std::vector<std::byte>{});
}

std::vector<std::byte> udp_from(const Ipv6& host, std::uint16_t port, const char* to,
                                std::uint8_t hops = 64) {
    auto packet = as_ipv6(Datagram{{ep("10.9.9.9:" + std::to_string(port)), ep(to)}}, host, {});
    auto remote = ep(to);
    store_ipv6(packet, 24, *v6::embed(v6::kNat64WellKnown, remote.addr));
    store8(packet, 7, hops);
    auto udp = std::span{packet}.subspan(kIpv6HeaderSize);
    store16(udp, 6, transport_checksum6(host, load_ipv6(packet, 24), Protocol::Udp, udp));
    return packet;
}

bool udp_checksum_ok(Ipv4Packet packet) {
    return packet.transport_checksum() ==
           udp_checksum(packet.source().addr, packet.destination().addr, packet.transport());
}

Ipv6Config nat64_config(bool outside_link = true) {
    Ipv6Config c;
    c.mode = Ipv6Mode::Nat64;
    c.inside = *InterfaceAddress6::parse("2001:2:0:1::1/64");
    c.outside = *InterfaceAddress6::parse("2001:2::101/64");
    c.outside_link = outside_link;
    return c;
}

// 10.0.1.0/24 and 2001:2:0:1::/64 inside, 198.18.1.1 and 2001:2::101 outside;
// IPv6 hosts ::2 and ::3, the IPv4 host 10.0.1.2, remotes 198.18.0.2 and
// 198.18.0.3 and 2001:2::5, all already resolved.
class Datapath64Test : public ::testing::Test {
protected:
    void make(NatConfig nat = {}, Ipv6Config ipv6 = nat64_config()) {
        path.emplace(
            DatapathConfig{"test",
                           {*Cidr::parse("10.0.1.0/24"), *Cidr::parse("198.18.0.0/15"), std::nullopt},
                           ip("10.0.1.1"),
                           {ip("198.18.1.1")},
                           kInsideMac,
                           kOutsideMac,
                           nat,
                           false,
                           ipv6},
            1, [this](const NatEvent& e) { events.push_back(e); });
        solicit(Side::Inside, kHostMac, host, ipv6.inside.address);
        solicit(Side::Inside, kHost2Mac, host2, ipv6.inside.address);
        solicit(Side::Outside, kRemoteMac, ip6("2001:2::5"), ip6("2001:2::101"));
        arp(Side::Inside, kHostMac, "10.0.1.2", "10.0.1.1");
        arp(Side::Outside, kRemoteMac, "198.18.0.2", "198.18.1.1");
        arp(Side::Outside, kRemote2Mac, "198.18.0.3", "198.18.1.1");
        clear();
    }
    void solicit(Side side, MacAddress from, const Ipv6& source, const Ipv6& target) {
        receive(side, frame_ipv6(v6::build_solicitation(target, source, from),
                                 v6::multicast_mac(v6::solicited_node(target)), from)
                          .bytes);
    }
    void arp(Side side, MacAddress from, const char* sender, const char* target) {
        receive(side,
                build_arp_frame({ArpOp::Request, from, ip(sender), {}, ip(target)}, MacAddress::broadcast())
                    .bytes);
    }
    void receive(Side side, std::vector<std::byte> frame, double at = 0) {
        frames.push_back(std::move(frame));  // kept alive: the batches may point into it
        path->receive(side, frames.back(), {}, t(at));
    }
    void from_host(std::vector<std::byte> packet, MacAddress mac = kHostMac, double at = 0) {
        receive(Side::Inside, frame_ipv6(packet, kInsideMac, mac).bytes, at);
    }
    void from_ipv4(Side side, Datagram d, MacAddress mac, double at = 0) {
        std::vector<std::byte> frame(kEth + d.bytes.size());
        write_ethernet(frame, {side == Side::Inside ? kInsideMac : kOutsideMac, mac, kEtherTypeIpv4});
        std::copy(d.bytes.begin(), d.bytes.end(), frame.begin() + kEth);
        receive(side, std::move(frame), at);
    }
    void from_remote(Datagram d, double at = 0) { from_ipv4(Side::Outside, std::move(d), kRemoteMac, at); }
    void clear() {
        for (Side s : {Side::Inside, Side::Outside}) path->sent(s, path->outgoing(s).entries().size());
        events.clear();
    }
    // The frames of one EtherType the datapath sent by `side`: Ethernet header and the packet's bytes.
    std::vector<std::pair<EthernetHeader, std::vector<std::byte>>> sent(Side side, std::uint16_t type) {
        std::vector<std::pair<EthernetHeader, std::vector<std::byte>>> out;
        for (const auto& e : path->outgoing(side).entries()) {
            auto ethernet = *parse_ethernet(e.bytes);
            if (ethernet.ethertype == type)
                out.push_back({ethernet, {e.bytes.begin() + kEth, e.bytes.end()}});
        }
        return out;
    }
    // The one IPv4 datagram sent outside (a test failure when not exactly one).
    std::optional<Datagram> sent4() {
        auto out = sent(Side::Outside, kEtherTypeIpv4);
        EXPECT_EQ(out.size(), 1u);
        if (out.size() != 1) return std::nullopt;
        return Datagram{out[0].second};
    }
    // The one IPv6 packet sent inside.
    std::optional<std::vector<std::byte>> sent6() {
        auto in = sent(Side::Inside, kEtherTypeIpv6);
        EXPECT_EQ(in.size(), 1u);
        if (in.size() != 1) return std::nullopt;
        return in[0].second;
    }
    std::uint16_t public_port_of(std::vector<std::byte> packet, MacAddress mac = kHostMac) {
        clear();
        from_host(std::move(packet), mac);
        auto out = sent4();
        return out ? out->view().source().port : 0;
    }
    std::uint64_t dropped(DropCode code) { return path->counters().shell_dropped[code] + nat_dropped(code); }
    std::uint64_t nat_dropped(DropCode code) { return path->counters().nat.dropped[code]; }
    std::vector<MappingEvent> mappings() const {
        std::vector<MappingEvent> found;
        for (const auto& e : events)
            if (auto* m = std::get_if<MappingEvent>(&e)) found.push_back(*m);
        return found;
    }

    Ipv6 host = ip6("2001:2:0:1::2");
    Ipv6 host2 = ip6("2001:2:0:1::3");
    std::deque<std::vector<std::byte>> frames;
    std::vector<NatEvent> events;
    std::optional<Datapath> path;
};

TEST_F(Datapath64Test, UdpGoesOutAsIpv4AndComesBackAsIpv6) {
    make();
    from_host(udp_from(host, 40000, "198.18.0.2:3478"));
    auto out = sent4();
    ASSERT_TRUE(out);
    auto v4 = out->view();
    EXPECT_EQ(v4.source(), ep("198.18.1.1:40000"));  // the port preserved (RFC 4787 §4.2.1)
    EXPECT_EQ(v4.destination(), ep("198.18.0.2:3478"));
    EXPECT_EQ(v4.ttl(), 63);
    EXPECT_TRUE(udp_checksum_ok(v4));
    EXPECT_EQ(internet_checksum(v4.header()), 0);
    EXPECT_EQ(sent(Side::Outside, kEtherTypeIpv4)[0].first.destination, kRemoteMac);

    clear();
    from_remote(Datagram{{ep("198.18.0.2:3478"), ep("198.18.1.1:40000")}, "answer"});
    auto in = sent6();
    ASSERT_TRUE(in);
    DropReason why;
    auto v6 = Ipv6Packet::parse(*in, why);
    ASSERT_TRUE(v6) << why.text;
    EXPECT_EQ(v6->source(), (Endpoint6{mapped("198.18.0.2"), 3478}));
    EXPECT_EQ(v6->destination(), (Endpoint6{host, 40000}));
    EXPECT_EQ(v6->hop_limit(), 63);
    EXPECT_TRUE(v6->checksum_ok());
    EXPECT_EQ(sent(Side::Inside, kEtherTypeIpv6)[0].first.destination, kHostMac);

    auto c = path->counters().ipv6;
    EXPECT_EQ(c.nat64_outbound, 1u);
    EXPECT_EQ(c.nat64_inbound, 1u);
    EXPECT_EQ(c.nat64_hosts, 1u);
}

TEST_F(Datapath64Test, MappingEventsNameTheIpv6Host) {
    make();
    from_host(udp_from(host, 40000, "198.18.0.2:3478"));
    auto m = mappings();
    ASSERT_EQ(m.size(), 1u);
    EXPECT_EQ(m[0].change, MappingChange::Created);
    EXPECT_TRUE(v6::is_nat64_key(m[0].inside.addr));
    ASSERT_TRUE(m[0].inside6);
    EXPECT_EQ(m[0].inside6->to_string(), "[2001:2:0:1::2]:40000");
    EXPECT_EQ(m[0].outside, ep("198.18.1.1:40000"));
}

TEST_F(Datapath64Test, TcpSynOutAndSynAckBack) {
    make();
    from_host(
        as_ipv6(tcp_segment(ep("10.9.9.9:40001"), ep("198.18.0.2:80"), kTcpSyn), host, mapped("198.18.0.2")));
    auto out = sent4();
    ASSERT_TRUE(out);
    auto v4 = out->view();
    EXPECT_EQ(v4.protocol(), Protocol::Tcp);
    EXPECT_EQ(v4.tcp_flags(), kTcpSyn);
    EXPECT_EQ(v4.transport_checksum(), tcp_checksum(v4.source().addr, v4.destination().addr, v4.transport()));
    clear();
    from_remote(tcp_segment(ep("198.18.0.2:80"), v4.source(), kTcpSyn | kTcpAck));
    auto in = sent6();
    ASSERT_TRUE(in);
    DropReason why;
    auto v6 = Ipv6Packet::parse(*in, why);
    ASSERT_TRUE(v6);
    EXPECT_EQ(v6->destination(), (Endpoint6{host, 40001}));
    EXPECT_EQ(v6->source(), (Endpoint6{mapped("198.18.0.2"), 80}));
    EXPECT_TRUE(v6->checksum_ok());
}

TEST_F(Datapath64Test, EchoOutAndBack) {
    make();
    std::vector<std::byte> data(8, std::byte{0x61});
    from_host(build_echo6(host, mapped("198.18.0.2"), kIcmpv6EchoRequest, 77, data));
    auto out = sent4();
    ASSERT_TRUE(out);
    auto v4 = out->view();
    ASSERT_EQ(v4.protocol(), Protocol::Icmp);
    EXPECT_EQ(v4.icmp_type(), kIcmpEchoRequest);
    EXPECT_EQ(icmp_checksum(v4.transport()), v4.transport_checksum());
    std::uint16_t id = load16(v4.transport(), 4);
    clear();
    auto reply = echo(ip("198.18.0.2"), ip("198.18.1.1"), id, false);
    from_remote(std::move(reply));
    auto in = sent6();
    ASSERT_TRUE(in);
    DropReason why;
    auto v6 = Ipv6Packet::parse(*in, why);
    ASSERT_TRUE(v6);
    EXPECT_EQ(v6->icmp_type(), kIcmpv6EchoReply);
    EXPECT_EQ(load16(v6->transport(), 4), 77);  // the host's identifier again
    EXPECT_EQ(v6->destination_address(), host);
    EXPECT_TRUE(v6->checksum_ok());
}

// RFC 4787 §4.1 on the IPv4 side: the same public port to two destinations, or not.
TEST_F(Datapath64Test, TheIpv4MappingBehaviourApplies) {
    struct Case {
        const char* name;
        MappingBehaviour mapping;
        bool want_same_port;
    };
    const Case cases[] = {
        {"endpoint-independent", MappingBehaviour::EndpointIndependent, true},
        {"address-and-port-dependent", MappingBehaviour::AddressAndPortDependent, false},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        NatConfig nat;
        nat.mapping = c.mapping;
        make(nat);
        auto first = public_port_of(udp_from(host, 40000, "198.18.0.2:3478"));
        auto second = public_port_of(udp_from(host, 40000, "198.18.0.3:3478"));
        EXPECT_EQ(first == second, c.want_same_port) << first << " " << second;
    }
}

TEST_F(Datapath64Test, FilteringRefusesAnUnsolicitedInbound) {
    NatConfig nat;
    nat.filtering = FilteringBehaviour::AddressAndPortDependent;
    make(nat);
    from_host(udp_from(host, 40000, "198.18.0.2:3478"));
    clear();
    from_ipv4(Side::Outside, Datagram{{ep("198.18.0.3:3478"), ep("198.18.1.1:40000")}}, kRemote2Mac);
    EXPECT_TRUE(sent(Side::Inside, kEtherTypeIpv6).empty());
    EXPECT_EQ(nat_dropped(DropCode::Filtered), 1u);
    EXPECT_EQ(path->counters().ipv6.nat64_inbound, 0u);
}

TEST_F(Datapath64Test, OtherIpv6DestinationsTakeTheNormalRoute) {
    make();
    std::vector<std::byte> payload(4, std::byte{1});
    from_host(build_udp6({host, 40000}, {ip6("2001:2::5"), 3478}, payload));
    auto out = sent(Side::Outside, kEtherTypeIpv6);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(load_ipv6(out[0].second, 8), host);  // not translated
    EXPECT_TRUE(sent(Side::Outside, kEtherTypeIpv4).empty());
    auto c = path->counters().ipv6;
    EXPECT_EQ(c.forwarded_outbound, 1u);
    EXPECT_EQ(c.nat64_outbound, 0u);
}

TEST_F(Datapath64Test, TwoHostsGetDistinctPublicPorts) {
    make();
    auto first = public_port_of(udp_from(host, 40000, "198.18.0.2:3478"));
    auto second = public_port_of(udp_from(host2, 40000, "198.18.0.2:3478"), kHost2Mac);
    EXPECT_NE(first, 0);
    EXPECT_NE(second, 0);
    EXPECT_NE(first, second);
    EXPECT_EQ(path->counters().ipv6.nat64_hosts, 2u);
    clear();
    from_remote(Datagram{{ep("198.18.0.2:3478"), Endpoint{ip("198.18.1.1"), second}}});
    auto in = sent(Side::Inside, kEtherTypeIpv6);
    ASSERT_EQ(in.size(), 1u);
    EXPECT_EQ(in[0].first.destination, kHost2Mac);
    EXPECT_EQ(load_ipv6(in[0].second, 24), host2);
}

// A dual-stack LAN: IPv4 hosts' frames leave as without NAT64, and share the public address's ports.
TEST_F(Datapath64Test, Ipv4FramesOfADualStackLanAreUnchanged) {
    std::vector<std::vector<std::byte>> out[2];
    for (int nat64 = 0; nat64 < 2; ++nat64) {
        make({}, nat64 ? nat64_config() : Ipv6Config{});
        from_ipv4(Side::Inside, Datagram{{ep("10.0.1.2:40000"), ep("198.18.0.2:3478")}}, kHostMac);
        for (const auto& e : path->outgoing(Side::Outside).entries())
            if (parse_ethernet(e.bytes)->ethertype == kEtherTypeIpv4)
                out[nat64].emplace_back(e.bytes.begin(), e.bytes.end());
    }
    ASSERT_EQ(out[0].size(), 1u);
    EXPECT_EQ(out[0], out[1]);
    auto v6_port = public_port_of(udp_from(host, 40000, "198.18.0.2:3478"));
    EXPECT_NE(v6_port, 40000);  // the IPv4 host holds 40000 on the shared address
    EXPECT_NE(v6_port, 0);
}

TEST_F(Datapath64Test, HopLimitOneIsTimeExceeded) {
    make();
    from_host(udp_from(host, 40000, "198.18.0.2:3478", 1));
    EXPECT_TRUE(sent(Side::Outside, kEtherTypeIpv4).empty());
    auto back = sent6();
    ASSERT_TRUE(back);
    DropReason why;
    auto error = Ipv6Packet::parse(*back, why);
    ASSERT_TRUE(error);
    EXPECT_EQ(error->icmp_type(), kIcmpv6TimeExceeded);
    EXPECT_EQ(error->source_address(), ip6("2001:2:0:1::1"));
    EXPECT_EQ(error->destination_address(), host);
    EXPECT_EQ(dropped(DropCode::TtlExpired), 1u);
}

// An ICMPv4 error from outside about a packet `out` the NAT sent (type 3, code 3: port unreachable).
Datagram port_unreachable(const Datagram& out, const char* from, const char* to) {
    auto error = build_ipv4(kIpProtocolIcmp, ip(from), ip(to), 64, 8 + out.bytes.size());
    auto icmp = std::span{error}.subspan(kIpv4HeaderSize);
    store8(icmp, 0, 3);
    store8(icmp, 1, 3);
    std::copy(out.bytes.begin(), out.bytes.end(), icmp.begin() + 8);
    store16(icmp, 2, icmp_checksum(icmp));
    return Datagram{std::move(error)};
}

// RFC 6146 section 3.4 with RFC 7915 section 4.2: the IPv4 server's port
// unreachable reaches the host as ICMPv6 1/4 from the server's address under
// the prefix, quoting the datagram as the host sent it.
TEST_F(Datapath64Test, AnInboundIcmpErrorReachesTheHostAsIcmpv6) {
    make();
    from_host(udp_from(host, 40000, "198.18.0.2:3478"));
    auto out = sent4();
    ASSERT_TRUE(out);
    clear();
    from_remote(port_unreachable(*out, "198.18.0.2", "198.18.1.1"));
    auto in = sent6();
    ASSERT_TRUE(in);
    DropReason why;
    auto error = Ipv6Packet::parse(*in, why);
    ASSERT_TRUE(error) << why.text;
    EXPECT_EQ(error->icmp_type(), kIcmpv6DestinationUnreachable);
    EXPECT_EQ(std::to_integer<int>(error->transport()[1]), 4);  // port unreachable
    EXPECT_EQ(error->source_address(), mapped("198.18.0.2"));
    EXPECT_EQ(error->destination_address(), host);
    EXPECT_TRUE(error->checksum_ok());
    auto quoted = v6::quoted_flow(*error, why);
    ASSERT_TRUE(quoted) << why.text;
    EXPECT_EQ(quoted->source, (Endpoint6{host, 40000}));
    EXPECT_EQ(quoted->destination, (Endpoint6{mapped("198.18.0.2"), 3478}));
    EXPECT_EQ(path->counters().nat.icmp_errors_translated, 1u);
}

// RFC 7915 section 5.2 the other way: the host's own port unreachable about
// a datagram it received leaves as ICMPv4 3/3 from the public address,
// quoting the datagram as the server sent it (to the public endpoint).
TEST_F(Datapath64Test, AnOutboundIcmpv6ErrorLeavesAsIcmp) {
    make();
    from_host(udp_from(host, 40000, "198.18.0.2:3478"));
    clear();
    from_remote(Datagram{{ep("198.18.0.2:3478"), ep("198.18.1.1:40000")}, "answer"});
    auto delivered = sent6();
    ASSERT_TRUE(delivered);
    clear();
    from_host(build_icmp6_error(host, kIcmpv6DestinationUnreachable, 4, *delivered));
    auto out = sent4();
    ASSERT_TRUE(out);
    auto v4 = out->view();
    EXPECT_EQ(v4.source().addr, ip("198.18.1.1"));
    EXPECT_EQ(v4.destination().addr, ip("198.18.0.2"));
    EXPECT_EQ(v4.icmp_type(), 3);
    EXPECT_EQ(std::to_integer<int>(v4.transport()[1]), 3);
    EXPECT_EQ(internet_checksum(v4.transport()), 0);
    DropReason why;
    auto quoted = v6::quoted_flow(v4, why);
    ASSERT_TRUE(quoted) << why.text;
    EXPECT_EQ(quoted->source, ep("198.18.0.2:3478"));
    EXPECT_EQ(quoted->destination, ep("198.18.1.1:40000"));
}

// An error about a flow no host of ours sent is refused, whichever side it comes from.
TEST_F(Datapath64Test, ErrorsAboutFlowsNobodySentAreRefused) {
    make();
    from_host(udp_from(host, 40000, "198.18.0.2:3478"));
    clear();
    Datagram stranger{{ep("198.18.1.1:40999"), ep("198.18.0.2:3478")}, "x"};
    from_remote(port_unreachable(stranger, "198.18.0.2", "198.18.1.1"));
    EXPECT_TRUE(sent(Side::Inside, kEtherTypeIpv6).empty());
    EXPECT_EQ(dropped(DropCode::IcmpErrorUnmatched), 1u);
}

TEST_F(Datapath64Test, WithoutOutside6TheOutsideCarriesNoIpv6) {
    make({}, nat64_config(false));
    std::vector<std::byte> payload(4, std::byte{1});
    from_host(build_udp6({host, 40000}, {ip6("2001:2::5"), 3478}, payload));
    EXPECT_TRUE(sent(Side::Outside, kEtherTypeIpv6).empty());
    EXPECT_EQ(dropped(DropCode::NoRoute), 1u);
    clear();
    EXPECT_NE(public_port_of(udp_from(host, 40000, "198.18.0.2:3478")), 0);
}

TEST_F(Datapath64Test, CountersNameTheTranslations) {
    make();
    from_host(udp_from(host, 40000, "198.18.0.2:3478"));
    std::map<std::string, std::uint64_t> named;
    for (const auto& [name, value] : named_counters(path->counters())) named[name] = value;
    EXPECT_EQ(named["nat64_outbound"], 1u);
    EXPECT_EQ(named["nat64_inbound"], 0u);
    EXPECT_EQ(named["nat64_hosts"], 1u);
    EXPECT_EQ(named["mappings_created"], 1u);
}

TEST(Nat64Hosts, KeysAreMadeOnFirstUseAndBounded) {
    v6::Nat64Hosts hosts(2);
    std::string why;
    auto a = hosts.key_for(ip6("2001:2:0:1::2"), why);
    auto b = hosts.key_for(ip6("2001:2:0:1::3"), why);
    ASSERT_TRUE(a && b);
    EXPECT_EQ(a->to_string(), "240.0.0.1");
    EXPECT_EQ(b->to_string(), "240.0.0.2");
    EXPECT_EQ(hosts.key_for(ip6("2001:2:0:1::2"), why), a);  // the same host, the same key
    EXPECT_FALSE(hosts.key_for(ip6("2001:2:0:1::4"), why));
    EXPECT_NE(why.find("nat64 host table full"), std::string::npos) << why;
    EXPECT_EQ(hosts.host_of(*b), ip6("2001:2:0:1::3"));
    EXPECT_FALSE(hosts.host_of(ip("240.0.0.3")));
    EXPECT_FALSE(hosts.host_of(ip("10.0.1.2")));
    EXPECT_EQ(hosts.size(), 2u);
    EXPECT_TRUE(v6::is_nat64_key(ip("255.255.255.254")));
    EXPECT_FALSE(v6::is_nat64_key(ip("239.255.255.255")));
}

TEST(Nat64, RefusesWhatItCannotTranslate) {
    v6::Nat64 nat64(v6::kNat64WellKnown, *Ipv6Prefix::parse("2001:2:0:1::/64"), 1);
    struct Case {
        const char* name;
        std::vector<std::byte> packet;
        DropCode want;
    };
    std::vector<std::byte> payload(4, std::byte{1});
    const Case cases[] = {
        {"a source outside the LAN", udp_from(ip6("2001:2:0:9::2"), 1, "198.18.0.2:3478"),
         DropCode::NotInside},
        {"an embedded multicast address", udp_from(ip6("2001:2:0:1::2"), 1, "224.0.0.1:3478"),
         DropCode::NotOurAddress},
        {"an embedded loopback address", udp_from(ip6("2001:2:0:1::2"), 1, "127.0.0.1:3478"),
         DropCode::NotOurAddress},
        {"a second host beyond the bound", udp_from(ip6("2001:2:0:1::3"), 1, "198.18.0.2:3478"),
         DropCode::MappingLimit},
    };
    std::string ignored;
    auto first = udp_from(ip6("2001:2:0:1::2"), 1, "198.18.0.2:3478");
    DropReason why;
    ASSERT_TRUE(nat64.outbound(*Ipv6Packet::parse(first, why), false, why)) << why.text;
    for (auto c : cases) {
        SCOPED_TRACE(c.name);
        auto packet = Ipv6Packet::parse(c.packet, why);
        ASSERT_TRUE(packet);
        EXPECT_FALSE(nat64.outbound(*packet, false, why));
        EXPECT_EQ(why.code, c.want) << why.text;
    }
}

}  // namespace
}  // namespace natlab::nat::testing
