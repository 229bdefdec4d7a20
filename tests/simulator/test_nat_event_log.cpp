// The JSON-lines event log format (simulator/event_log.cpp).

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

#include "simulator/emu/event_log.h"
#include "src/net/setup_error.h"
#include "tests/simulator/test_nat_support.h"

namespace natlab::nat::testing {
namespace {

TEST(EventLog, MappingEventLine) {
    MappingEvent e{MappingChange::Created, t(0.123), ep("10.0.1.2:4000"), ep("198.18.1.1:4000"),
                   ep("198.18.0.2:3478")};
    EXPECT_EQ(event_json(e, t(0)).dump(),
              R"({"t":0.123,"event":"mapping-created","protocol":"udp","inside":"10.0.1.2:4000",)"
              R"("outside":"198.18.1.1:4000","remote":"198.18.0.2:3478"})");
}

// NAT64: the inside endpoint is a 240/4 key; the line also names the IPv6 host it stands for.
TEST(EventLog, Nat64MappingLineNamesTheIpv6Host) {
    MappingEvent e{MappingChange::Created, t(0.5), ep("240.0.0.1:40000"), ep("198.18.1.1:40000"),
                   ep("198.18.0.2:3478")};
    e.inside6 = Endpoint6::parse("[2001:2:0:1::2]:40000");
    EXPECT_EQ(
        event_json(e, t(0)).dump(),
        R"({"t":0.5,"event":"mapping-created","protocol":"udp","inside":"240.0.0.1:40000",)"
        R"("outside":"198.18.1.1:40000","remote":"198.18.0.2:3478","inside6":"[2001:2:0:1::2]:40000"})");
}

TEST(EventLog, MappingEventsNameTheirProtocol) {
    MappingEvent e{MappingChange::Created, t(0),          ep("10.0.1.2:7"), ep("198.18.1.1:7"),
                   ep("198.18.0.2:0"),     Protocol::Icmp};
    EXPECT_EQ(event_json(e, t(0))["protocol"], "icmp");
}

TEST(EventLog, TcpAndIcmpPacketsAreNamed) {
    DropEvent tcp{t(0),
                  Direction::Outbound,
                  Flow{ep("10.0.1.2:5000"), ep("198.18.0.2:80"), Protocol::Tcp},
                  {DropCode::TcpNotSyn, "tcp not syn"}};
    EXPECT_EQ(event_json(tcp, t(0))["packet"], "tcp 10.0.1.2:5000 -> 198.18.0.2:80");
    DropEvent request{t(0),
                      Direction::Outbound,
                      Flow{ep("10.0.1.2:7"), ep("198.18.0.2:0"), Protocol::Icmp},
                      {DropCode::PortsExhausted, "ports exhausted"}};
    EXPECT_EQ(event_json(request, t(0))["packet"], "icmp 10.0.1.2 id 7 -> 198.18.0.2");
    DropEvent reply{t(0),
                    Direction::Inbound,
                    Flow{ep("198.18.0.2:0"), ep("198.18.1.1:9"), Protocol::Icmp},
                    {DropCode::NoMapping, "no mapping"}};
    EXPECT_EQ(event_json(reply, t(0))["packet"], "icmp 198.18.0.2 -> 198.18.1.1 id 9");
}

TEST(EventLog, DropEventLine) {
    DropEvent e{t(2.5),
                Direction::Inbound,
                Flow{ep("198.18.0.3:40001"), ep("198.18.1.1:4000")},
                {DropCode::Filtered,
                 "filtered (address-and-port-dependent): no mapping has sent to 198.18.0.3:40001"}};
    EXPECT_EQ(
        event_json(e, t(0.5)).dump(),
        R"({"t":2.0,"event":"drop","direction":"inbound","packet":"198.18.0.3:40001 -> 198.18.1.1:4000",)"
        R"("code":"filtered","reason":"filtered (address-and-port-dependent): no mapping has sent to )"
        R"(198.18.0.3:40001"})");
}

TEST(EventLog, Ipv6DropAndStateLines) {
    Flow6 flow{*Endpoint6::parse("[2001:2::6]:3478"), *Endpoint6::parse("[2001:2:0:1::2]:4000"),
               Protocol::Udp};
    DropEvent drop{t(3.5), Direction::Inbound, std::nullopt, {DropCode::NoState, "no state"}, flow};
    EXPECT_EQ(event_json(drop, t(0)).dump(),
              R"({"t":3.5,"event":"drop","direction":"inbound","packet":"udp [2001:2::6]:3478 -> )"
              R"([2001:2:0:1::2]:4000","code":"no-state","reason":"no state"})");
    StateEvent6 created{StateChange6::Created, t(0.5), Protocol::Udp, flow.destination, flow.source};
    EXPECT_EQ(event_json(created, t(0)).dump(),
              R"({"t":0.5,"event":"state6-created","protocol":"udp","inside":"[2001:2:0:1::2]:4000",)"
              R"("remote":"[2001:2::6]:3478"})");
    StateEvent6 expired{StateChange6::Expired, t(301), Protocol::Tcp, flow.destination, std::nullopt};
    EXPECT_EQ(event_json(expired, t(0)).dump(),
              R"({"t":301.0,"event":"state6-expired","protocol":"tcp","inside":"[2001:2:0:1::2]:4000"})");
    EXPECT_EQ(to_string(StateChange6::Opened), "state6-opened");
}

TEST(EventLog, DropWithoutReadableHeadersHasNoPacket) {
    DropEvent e{t(1),
                Direction::Outbound,
                std::nullopt,
                {DropCode::UnsupportedProtocol, "unsupported protocol: IP protocol 47 is not translated"}};
    auto line = event_json(e, t(0));
    EXPECT_FALSE(line.contains("packet"));
    EXPECT_EQ(line["code"], "unsupported-protocol");
}

TEST(EventLog, CountersLineSumsTheNatAndTheShell) {
    CountersSnapshot c;
    c.nat.translated_out = 3;
    c.nat.translated_in = 2;
    c.nat.dropped.add(DropCode::Filtered);
    c.shell_dropped.add(DropCode::Filtered);
    c.shell_dropped.add(DropCode::NoRoute);
    c.mappings_live = 1;
    c.nat.icmp_errors_translated = 5;
    c.nat.icmp_errors_sent = 6;
    c.nat.echo_replies_sent = 8;
    c.inside.frames_in = 7;
    c.outside.arp.replies_sent = 4;
    auto line = counters_json(c, t(0), t(10));
    EXPECT_EQ(line["event"], "counters");
    EXPECT_EQ(line["t"], 10.0);
    EXPECT_EQ(line["translated_out"], 3);
    EXPECT_EQ(line["mappings_live"], 1);
    EXPECT_EQ(line["frames_in"]["inside"], 7);
    EXPECT_EQ(line["arp"]["replies_sent"], 4);
    EXPECT_EQ(line["dropped"]["filtered"], 2);
    EXPECT_EQ(line["dropped"]["no-route"], 1);
    EXPECT_EQ(line["dropped"]["malformed"], 0);
    EXPECT_EQ(line["dropped_total"], 3);
    EXPECT_EQ(line["icmp_errors_translated"], 5);
    EXPECT_EQ(line["icmp_errors_sent"], 6);
    EXPECT_EQ(line["echo_replies_sent"], 8);
    for (const char* code :
         {"unsupported-protocol", "unsupported-icmp", "tcp-not-syn", "icmp-error-unmatched"})
        EXPECT_EQ(line["dropped"][code], 0) << code;
}

TEST(EventLog, StartedLineDescribesTheConfiguration) {
    auto options =
        parse_options({"--name", "nat1", "--inside", "a", "--inside-address", "10.0.1.1/24", "--outside", "b",
                       "--outside-address", "198.18.1.1/15", "--type", "symmetric"});
    auto line = started_json(options);
    EXPECT_EQ(line["event"], "started");
    EXPECT_EQ(line["type"], "symmetric");
    EXPECT_EQ(line["mapping"], "address-and-port-dependent");
    EXPECT_EQ(line["port_allocation"], "random");
    EXPECT_EQ(line["mapping_timeout"], 120.0);
    EXPECT_EQ(line["icmp_timeout"], 60.0);
    EXPECT_EQ(line["tcp_established_timeout"], 7440.0);
    EXPECT_EQ(line["tcp_transitory_timeout"], 240.0);
    EXPECT_EQ(line["pooling"], "paired");
    EXPECT_EQ(line["icmp_errors"], true);
    EXPECT_EQ(line["outside_addresses"], Json::array({"198.18.1.1"}));
    EXPECT_TRUE(line["gateway"].is_null());
}

TEST(EventLog, WritesOneFlushedLinePerEvent) {
    std::string path = ::testing::TempDir() + "nat_event_log_test.jsonl";
    {
        EventLog log{path, t(0)};
        log.write(MappingEvent{MappingChange::Expired, t(1), ep("10.0.1.2:4000"), ep("198.18.1.1:4000"),
                               ep("198.18.0.2:3478")});
        std::ifstream early{path};  // readable before the log is closed
        std::string first;
        ASSERT_TRUE(std::getline(early, first));
        EXPECT_EQ(Json::parse(first)["event"], "mapping-expired");
    }
    std::remove(path.c_str());
}

TEST(EventLog, UnwritablePathIsASetupError) {
    EXPECT_THROW(EventLog("/nonexistent-dir/x.jsonl", t(0)), SetupError);
}

}  // namespace
}  // namespace natlab::nat::testing
