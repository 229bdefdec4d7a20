// The JSON-lines event log format (simulator/event_log.cpp).

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

#include "event_log.h"
#include "setup_error.h"
#include "test_nat_support.h"

namespace natlab::nat::testing {
namespace {

TEST(EventLog, MappingEventLine) {
    MappingEvent e{MappingChange::Created, t(0.123), ep("10.0.1.2:4000"), ep("198.18.1.1:4000"),
                   ep("198.18.0.2:3478")};
    EXPECT_EQ(event_json(e, t(0)).dump(),
              R"({"t":0.123,"event":"mapping-created","inside":"10.0.1.2:4000","outside":"198.18.1.1:4000",)"
              R"("remote":"198.18.0.2:3478"})");
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

TEST(EventLog, DropWithoutReadableHeadersHasNoPacket) {
    DropEvent e{t(1),
                Direction::Outbound,
                std::nullopt,
                {DropCode::NotUdp, "not udp: IP protocol 6 is not translated"}};
    auto line = event_json(e, t(0));
    EXPECT_FALSE(line.contains("packet"));
    EXPECT_EQ(line["code"], "not-udp");
}

TEST(EventLog, CountersLineSumsTheNatAndTheShell) {
    CountersSnapshot c;
    c.nat.translated_out = 3;
    c.nat.translated_in = 2;
    c.nat.dropped.add(DropCode::Filtered);
    c.shell_dropped.add(DropCode::Filtered);
    c.shell_dropped.add(DropCode::NoRoute);
    c.mappings_live = 1;
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
