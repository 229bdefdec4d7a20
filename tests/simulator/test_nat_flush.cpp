// Flushing every mapping at once (nat-emu's SIGUSR2, a NAT reboot): what the
// table holds afterwards and what each kind of packet meets.

#include <gtest/gtest.h>

#include "simulator/emu/event_log.h"
#include "tests/simulator/test_nat_support.h"

namespace natlab::nat::testing {
namespace {

// A port-restricted NAT with two external addresses, and one flow of each
// protocol set up before the flush at t=10.
struct Flushed {
    Flushed()
        : nut{NatConfig::preset(NatType::PortRestricted), 1, addresses_of({"198.18.1.1", "198.18.1.2"})} {
        EXPECT_TRUE(nut.out("10.0.1.2:4000", "198.18.0.2:3478", 0));  // 198.18.1.1:4000
        EXPECT_TRUE(nut.out("10.0.1.3:4000", "198.18.0.2:3478", 0));  // 198.18.1.2:4000
        EXPECT_TRUE(nut.tcp_out("10.0.1.2:5000", "198.18.0.2:80", kTcpSyn, 0));
        EXPECT_TRUE(nut.tcp_in("198.18.0.2:80", "198.18.1.1:5000", kTcpSyn | kTcpAck, 0));
        EXPECT_TRUE(nut.send(echo(ip("10.0.1.2"), ip("198.18.0.2"), 9), Direction::Outbound, 0));
        flushed = nut.nat.flush(t(10));
    }
    NatUnderTest nut;
    std::size_t flushed = 0;
};

TEST(NatFlush, ForgetsEveryMappingOfEveryProtocolAndSaysSo) {
    Flushed f;
    EXPECT_EQ(f.flushed, 4u);
    EXPECT_EQ(f.nut.nat.mappings_live(), 0u);
    EXPECT_EQ(f.nut.nat.counters().mappings_flushed, 4u);
    EXPECT_TRUE(f.nut.mapping_events(MappingChange::Expired).empty()) << "one event, not one per mapping";
    ASSERT_FALSE(f.nut.events.empty());
    auto* event = std::get_if<FlushEvent>(&f.nut.events.back());
    ASSERT_TRUE(event);
    EXPECT_EQ(event->at, t(10));
    EXPECT_EQ(event->udp, 2u);
    EXPECT_EQ(event->tcp, 1u);
    EXPECT_EQ(event->icmp, 1u);
    EXPECT_EQ(event_json(*event, t(0)).dump(),
              R"({"t":10.0,"event":"flushed","mappings":4,"udp":2,"tcp":1,"icmp":1})");
}

// After the flush, one packet at t=11: what becomes of it.
struct AfterFlushCase {
    const char* name;
    Direction from;
    Flow flow;
    std::uint8_t tcp_flags;               // 0: UDP
    std::optional<Endpoint> want_source;  // translated; nullopt: dropped with want_drop
    DropCode want_drop;
};

TEST(NatFlush, WhatPacketsMeetAfterwards) {
    const AfterFlushCase cases[] = {
        {"the answer to an old mapping finds none",
         Direction::Inbound,
         {ep("198.18.0.2:3478"), ep("198.18.1.1:4000")},
         0,
         {},
         DropCode::NoMapping},
        {"the same flow outbound gets a new mapping, the freed port again",
         Direction::Outbound,
         {ep("10.0.1.2:4000"), ep("198.18.0.2:3478")},
         0,
         ep("198.18.1.1:4000"),
         DropCode::Malformed},
        {"pairings are gone too: the second host now comes first",
         Direction::Outbound,
         {ep("10.0.1.3:4000"), ep("198.18.0.2:3478")},
         0,
         ep("198.18.1.1:4000"),
         DropCode::Malformed},
        {"a TCP segment of the old connection is not a SYN",
         Direction::Outbound,
         {ep("10.0.1.2:5000"), ep("198.18.0.2:80"), Protocol::Tcp},
         kTcpAck,
         {},
         DropCode::TcpNotSyn},
        {"the server's TCP segment finds no mapping",
         Direction::Inbound,
         {ep("198.18.0.2:80"), ep("198.18.1.1:5000"), Protocol::Tcp},
         kTcpAck,
         {},
         DropCode::NoMapping},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        Flushed f;
        auto result = c.tcp_flags ? (c.from == Direction::Outbound
                                         ? f.nut.tcp_out(c.flow.source.to_string(),
                                                         c.flow.destination.to_string(), c.tcp_flags, 11)
                                         : f.nut.tcp_in(c.flow.source.to_string(),
                                                        c.flow.destination.to_string(), c.tcp_flags, 11))
                                  : f.nut.send(c.flow, c.from, 11);
        if (!c.want_source) {
            ASSERT_FALSE(result);
            EXPECT_EQ(f.nut.nat.last_drop().code, c.want_drop) << f.nut.nat.last_drop().text;
            continue;
        }
        ASSERT_TRUE(result) << f.nut.nat.last_drop().text;
        EXPECT_EQ(result->source, *c.want_source);
        EXPECT_EQ(f.nut.mapping_events(MappingChange::Created).back().at, t(11));
    }
}

TEST(NatFlush, AnEmptyTableFlushesNothingButStillSaysSo) {
    NatUnderTest nut{NatConfig{}};
    EXPECT_EQ(nut.nat.flush(t(1)), 0u);
    ASSERT_EQ(nut.events.size(), 1u);
    EXPECT_EQ(std::get<FlushEvent>(nut.events[0]).total(), 0u);
}

TEST(NatFlush, ManyMappingsAllGoAndTheTableWorksAfterwards) {
    NatUnderTest nut{NatConfig::preset(NatType::Symmetric)};
    for (int port = 2000; port < 7000; ++port)
        ASSERT_TRUE(nut.out("10.0.1.2:" + std::to_string(port), "198.18.0.2:3478", 0));
    EXPECT_EQ(nut.nat.flush(t(1)), 5000u);
    EXPECT_EQ(nut.nat.mappings_live(), 0u);
    for (int port = 2000; port < 7000; ++port)
        ASSERT_TRUE(nut.out("10.0.1.2:" + std::to_string(port), "198.18.0.2:3478", 2));
    EXPECT_EQ(nut.nat.mappings_live(), 5000u);
}

}  // namespace
}  // namespace natlab::nat::testing
