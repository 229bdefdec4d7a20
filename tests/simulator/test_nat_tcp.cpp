// TCP through the NAT (RFC 5382, RFC 7857 §2; simulator/tcp_state.cpp, nat.cpp):
// the session state machine, its timeouts on the fake clock, filtering of
// inbound SYNs, and the translation itself.

#include <gtest/gtest.h>

#include "simulator/nat/tcp_state.h"
#include "simulator/wire/bytes.h"
#include "simulator/wire/checksum.h"
#include "tests/simulator/test_nat_support.h"

namespace natlab::nat::testing {
namespace {

using M = MappingBehaviour;
using F = FilteringBehaviour;
using S = TcpState;
constexpr auto Out = Direction::Outbound;
constexpr auto In = Direction::Inbound;
constexpr std::uint8_t SynAck = kTcpSyn | kTcpAck;
constexpr std::uint8_t FinAck = kTcpFin | kTcpAck;

struct StepCase {
    TcpState state;
    Direction from;
    std::uint8_t flags;
    TcpState want;
    bool want_refresh;
};

TEST(TcpState, Table) {
    const StepCase cases[] = {
        // opening
        {S::SynSent, Out, kTcpSyn, S::SynSent, true},     // SYN retransmitted
        {S::SynSent, In, SynAck, S::Established, true},   // three-way handshake
        {S::SynSent, In, kTcpSyn, S::Established, true},  // simultaneous open (RFC 5382 REQ-2)
        {S::SynSent, In, kTcpAck, S::SynSent, true},      // no SYN back yet
        // open
        {S::Established, Out, kTcpAck, S::Established, true},
        {S::Established, In, kTcpAck | kTcpPsh, S::Established, true},
        {S::Established, Out, FinAck, S::FinOutbound, true},
        {S::Established, In, FinAck, S::FinInbound, true},
        // half-closed, then closing
        {S::FinOutbound, In, kTcpAck, S::FinOutbound, true},
        {S::FinOutbound, Out, FinAck, S::FinOutbound, true},  // FIN retransmitted
        {S::FinOutbound, In, FinAck, S::FinBoth, true},
        {S::FinInbound, Out, FinAck, S::FinBoth, true},
        {S::FinBoth, Out, kTcpAck, S::FinBoth, false},  // the last ACK does not refresh
        {S::FinBoth, Out, kTcpSyn, S::SynSent, true},   // the ports reused by a new connection
        // reset (RFC 7857 §2.3, §8)
        {S::Established, In, kTcpRst, S::Reset, true},
        {S::Established, Out, kTcpRst | kTcpAck, S::Reset, false},
        {S::SynSent, In, kTcpRst | kTcpAck, S::Reset, true},
        {S::Reset, Out, kTcpAck, S::Established, true},  // alive after all
        {S::Reset, In, kTcpAck, S::Established, true},
        {S::Reset, In, kTcpRst, S::Reset, true},
        {S::Reset, Out, kTcpSyn, S::SynSent, true},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(std::string{to_string(c.state)} + " " + std::string{to_string(c.from)} + " flags " +
                     std::to_string(c.flags));
        auto step = tcp_step(c.state, c.from, c.flags);
        EXPECT_EQ(to_string(step.next), to_string(c.want));
        EXPECT_EQ(step.refresh, c.want_refresh);
    }
}

TEST(TcpState, TransitoryStates) {
    for (auto s : {S::SynSent, S::FinBoth, S::Reset}) EXPECT_TRUE(tcp_transitory(s)) << to_string(s);
    for (auto s : {S::Established, S::FinOutbound, S::FinInbound})
        EXPECT_FALSE(tcp_transitory(s)) << to_string(s);
}

// Segments between 10.0.1.2:5000 and 198.18.0.2:80 (which sees 198.18.1.1:5000).
struct Segment {
    Direction from;
    std::uint8_t flags;
    double at;
};

struct TimeoutCase {
    const char* name;
    std::vector<Segment> segments;
    double probe_at;  // an inbound ACK: does the mapping still exist?
    bool want_alive;
};

std::vector<Segment> handshake_then(std::vector<Segment> more) {
    std::vector<Segment> all{{Out, kTcpSyn, 0}, {In, SynAck, 1}, {Out, kTcpAck, 2}};
    all.insert(all.end(), more.begin(), more.end());
    return all;
}

TEST(NatTcp, TimeoutsFollowTheConnectionState) {
    const double kEst = 7440, kTrans = 240;  // defaults: 2 h 4 min, 4 min (RFC 5382 REQ-5)
    const TimeoutCase cases[] = {
        {"SYN unanswered: transitory, alive", {{Out, kTcpSyn, 0}}, kTrans - 0.1, true},
        {"SYN unanswered: transitory, gone", {{Out, kTcpSyn, 0}}, kTrans, false},
        {"established: alive just short of 2 h 4 min", handshake_then({}), 2 + kEst - 0.1, true},
        {"established: gone after 2 h 4 min idle", handshake_then({}), 2 + kEst, false},
        {"inbound data refreshes an established mapping", handshake_then({{In, kTcpAck, 5000}}),
         5000 + kEst - 1, true},
        {"one FIN: half-closed stays established", handshake_then({{Out, FinAck, 10}}), 10 + kEst - 1, true},
        {"FIN both ways: transitory", handshake_then({{Out, FinAck, 10}, {In, FinAck, 11}}), 11 + kTrans,
         false},
        {"FIN both ways: alive before", handshake_then({{Out, FinAck, 10}, {In, FinAck, 11}}),
         11 + kTrans - 1, true},
        {"the last ACK does not refresh",
         handshake_then({{Out, FinAck, 10}, {In, FinAck, 11}, {Out, kTcpAck, 100}}), 11 + kTrans, false},
        {"RST from outside: four minutes from the RST", handshake_then({{In, kTcpRst, 10}}), 10 + kTrans - 1,
         true},
        {"RST from outside: then gone", handshake_then({{In, kTcpRst, 10}}), 10 + kTrans, false},
        {"RST from inside does not refresh", handshake_then({{In, kTcpAck, 10}, {Out, kTcpRst, 100}}),
         10 + kTrans, false},
        {"data after a RST: established again", handshake_then({{In, kTcpRst, 10}, {Out, kTcpAck, 20}}),
         20 + kEst - 1, true},
        {"a new SYN after closing reopens",
         handshake_then({{Out, FinAck, 10}, {In, FinAck, 11}, {Out, kTcpSyn, 50}}), 50 + kTrans - 1, true},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        NatUnderTest nut{NatConfig{}};
        for (const auto& s : c.segments) {
            auto r = s.from == Out ? nut.tcp_out("10.0.1.2:5000", "198.18.0.2:80", s.flags, s.at)
                                   : nut.tcp_in("198.18.0.2:80", "198.18.1.1:5000", s.flags, s.at);
            ASSERT_TRUE(r) << "segment at " << s.at << ": " << nut.nat.last_drop().text;
        }
        auto probe = nut.tcp_in("198.18.0.2:80", "198.18.1.1:5000", kTcpAck, c.probe_at);
        EXPECT_EQ(probe.has_value(), c.want_alive) << nut.nat.last_drop().text;
    }
}

TEST(NatTcp, TimeoutsAreConfigurable) {
    NatConfig config;
    config.tcp_transitory_timeout = std::chrono::seconds{10};
    config.tcp_established_timeout = std::chrono::seconds{100};
    NatUnderTest nut{config};
    nut.tcp_out("10.0.1.2:5000", "198.18.0.2:80", kTcpSyn, 0);
    nut.nat.expire(t(9.9));
    EXPECT_EQ(nut.nat.mappings_live(), 1u);
    nut.nat.expire(t(10));
    EXPECT_EQ(nut.nat.mappings_live(), 0u) << "the sweep uses the state's timeout";
    nut.tcp_out("10.0.1.2:5000", "198.18.0.2:80", kTcpSyn, 20);
    nut.tcp_in("198.18.0.2:80", "198.18.1.1:5000", SynAck, 21);
    nut.nat.expire(t(120.9));
    EXPECT_EQ(nut.nat.mappings_live(), 1u);
    nut.nat.expire(t(121));
    EXPECT_EQ(nut.nat.mappings_live(), 0u);
}

TEST(NatTcp, TheStateIsKeptOnTheMapping) {
    NatUnderTest nut{NatConfig{}};
    nut.tcp_out("10.0.1.2:5000", "198.18.0.2:80", kTcpSyn, 0);
    const Mapping* m = nut.nat.mapping_at(ep("198.18.1.1:5000"), Protocol::Tcp);
    ASSERT_TRUE(m);
    EXPECT_EQ(m->tcp, S::SynSent);
    nut.tcp_in("198.18.0.2:80", "198.18.1.1:5000", SynAck, 1);
    EXPECT_EQ(nut.nat.mapping_at(ep("198.18.1.1:5000"), Protocol::Tcp)->tcp, S::Established);
    EXPECT_FALSE(nut.nat.mapping_at(ep("198.18.1.1:5000"), Protocol::Udp))
        << "TCP and UDP mappings are apart";
}

struct SynCase {
    const char* name;
    FilteringBehaviour filtering;
    const char* from;
    const char* to;
    bool want_admitted;
    DropCode want_code;
};

// RFC 5382 REQ-3: an inbound SYN is filtered like anything else; RFC 5382
// REQ-4: one that is refused is dropped silently.
TEST(NatTcp, InboundSynsAreFilteredByTheFilteringBehaviour) {
    const SynCase cases[] = {
        {"simultaneous open from the remote, APDF", F::AddressAndPortDependent, "198.18.0.2:80",
         "198.18.1.1:5000", true, DropCode::Malformed},
        {"another port of the remote, APDF", F::AddressAndPortDependent, "198.18.0.2:81", "198.18.1.1:5000",
         false, DropCode::Filtered},
        {"another port of the remote, ADF", F::AddressDependent, "198.18.0.2:81", "198.18.1.1:5000", true,
         DropCode::Malformed},
        {"another host, ADF", F::AddressDependent, "198.18.0.3:80", "198.18.1.1:5000", false,
         DropCode::Filtered},
        {"another host, EIF", F::EndpointIndependent, "198.18.0.3:80", "198.18.1.1:5000", true,
         DropCode::Malformed},
        {"no mapping at all, EIF", F::EndpointIndependent, "198.18.0.3:80", "198.18.1.1:6000", false,
         DropCode::NoMapping},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        NatUnderTest nut{config_of(M::EndpointIndependent, c.filtering)};
        ASSERT_TRUE(nut.tcp_out("10.0.1.2:5000", "198.18.0.2:80", kTcpSyn, 0));
        auto in = nut.tcp_in(c.from, c.to, kTcpSyn, 1);
        EXPECT_EQ(in.has_value(), c.want_admitted) << nut.nat.last_drop().text;
        if (in) {
            EXPECT_EQ(in->destination, ep("10.0.1.2:5000"));
        } else {
            EXPECT_EQ(nut.nat.last_drop().code, c.want_code);
            EXPECT_TRUE(nut.nat.take_generated().empty()) << "an unsolicited SYN gets no answer";
        }
    }
}

TEST(NatTcp, OnlyASynCreatesAMapping) {
    NatUnderTest nut{NatConfig{}};
    for (std::uint8_t flags : {kTcpAck, std::uint8_t(kTcpAck | kTcpPsh), FinAck, kTcpRst}) {
        EXPECT_FALSE(nut.tcp_out("10.0.1.2:5000", "198.18.0.2:80", flags));
        EXPECT_EQ(nut.nat.last_drop().code, DropCode::TcpNotSyn);
    }
    EXPECT_EQ(
        nut.nat.last_drop().text,
        "tcp not syn: tcp 10.0.1.2:5000 -> 198.18.0.2:80 has no mapping, and only a SYN may create one");
    EXPECT_EQ(nut.nat.mappings_live(), 0u);
    EXPECT_TRUE(nut.tcp_out("10.0.1.2:5000", "198.18.0.2:80", kTcpSyn));
}

TEST(NatTcp, TranslationKeepsTheChecksumAndTouchesNothingElse) {
    NatUnderTest nut{NatConfig{}};
    nut.tcp_out("10.0.1.9:5000", "198.18.0.2:80", kTcpSyn);  // takes port 5000
    TcpSegmentSpec spec;
    spec.flow = {ep("10.0.1.2:5000"), ep("198.18.0.2:80"), Protocol::Tcp};
    spec.flags = kTcpSyn;
    spec.mss = 1460;
    spec.payload = text_bytes("with data");
    Datagram syn{build_tcp_segment(spec)};
    auto out = nut.send(syn, Out, 0);
    ASSERT_TRUE(out) << nut.nat.last_drop().text;
    EXPECT_NE(out->source.port, 5000);
    auto p = nut.last.view();
    EXPECT_EQ(internet_checksum(p.header()), 0);
    EXPECT_EQ(tcp_checksum(p.source().addr, p.destination().addr, p.transport()), p.transport_checksum());
    // Everything but the source address (12..15), the TTL (8), the header
    // checksum (10..11), the source port (20..21) and the TCP checksum (36..37) is as sent.
    for (std::size_t i = 0; i < syn.bytes.size(); ++i) {
        bool rewritten = i == 8 || (i >= 10 && i < 16) || i == 20 || i == 21 || i == 36 || i == 37;
        if (!rewritten) {
            EXPECT_EQ(nut.last.bytes[i], syn.bytes[i]) << "byte " << i << " (MSS option at 40..43)";
        }
    }
}

TEST(NatTcp, UdpAndTcpHaveTheirOwnPorts) {
    NatUnderTest nut{NatConfig{}};
    auto udp = nut.out("10.0.1.2:5000", "198.18.0.2:80");
    auto tcp = nut.tcp_out("10.0.1.3:5000", "198.18.0.2:80", kTcpSyn);
    ASSERT_TRUE(udp && tcp);
    EXPECT_EQ(udp->source, ep("198.18.1.1:5000"));
    EXPECT_EQ(tcp->source, ep("198.18.1.1:5000")) << "port 5000 of UDP does not take port 5000 of TCP";
}

TEST(NatTcp, HairpinnedConnectionsWork) {
    NatConfig config = NatConfig::preset(NatType::FullCone);
    config.hairpin = true;
    NatUnderTest nut{config};
    ASSERT_TRUE(nut.tcp_out("10.0.1.3:8080", "198.18.0.2:80", kTcpSyn, 0));  // the server side has a mapping
    auto syn = nut.tcp_out("10.0.1.2:5000", "198.18.1.1:8080", kTcpSyn, 1);
    ASSERT_TRUE(syn) << nut.nat.last_drop().text;
    EXPECT_EQ(*syn, (Flow{ep("198.18.1.1:5000"), ep("10.0.1.3:8080"), Protocol::Tcp}));
    auto p = nut.last.view();
    EXPECT_EQ(tcp_checksum(p.source().addr, p.destination().addr, p.transport()), p.transport_checksum());
    auto answer = nut.tcp_out("10.0.1.3:8080", "198.18.1.1:5000", SynAck, 2);
    ASSERT_TRUE(answer) << nut.nat.last_drop().text;
    EXPECT_EQ(*answer, (Flow{ep("198.18.1.1:8080"), ep("10.0.1.2:5000"), Protocol::Tcp}));
    EXPECT_EQ(nut.nat.mapping_at(ep("198.18.1.1:5000"), Protocol::Tcp)->tcp, S::Established);
}

}  // namespace
}  // namespace natlab::nat::testing
