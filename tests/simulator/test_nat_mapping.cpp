// Mapping behaviour, RFC 4787 §4.1, and the translation itself (simulator/nat.cpp).

#include <gtest/gtest.h>

#include "simulator/wire/checksum.h"
#include "tests/simulator/test_nat_support.h"

namespace natlab::nat::testing {
namespace {

using M = MappingBehaviour;
using F = FilteringBehaviour;

struct Send {
    const char* inside;
    const char* remote;
    const char* want_outside;
    bool want_new_mapping;
};

struct MappingCase {
    const char* name;
    MappingBehaviour mapping;
    std::vector<Send> sends;
};

TEST(NatMapping, Table) {
    const MappingCase cases[] = {
        {"endpoint-independent: one external endpoint for every remote",
         M::EndpointIndependent,
         {{"10.0.1.2:4000", "198.18.0.2:3478", "198.18.1.1:4000", true},
          {"10.0.1.2:4000", "198.18.0.3:5000", "198.18.1.1:4000", false},
          {"10.0.1.2:4000", "198.18.0.2:9999", "198.18.1.1:4000", false}}},
        {"endpoint-independent: another inside port is another mapping",
         M::EndpointIndependent,
         {{"10.0.1.2:4000", "198.18.0.2:3478", "198.18.1.1:4000", true},
          {"10.0.1.2:4001", "198.18.0.2:3478", "198.18.1.1:4001", true}}},
        {"endpoint-independent: same port on two hosts collides, second falls back",
         M::EndpointIndependent,
         {{"10.0.1.2:4000", "198.18.0.2:3478", "198.18.1.1:4000", true},
          {"10.0.1.3:4000", "198.18.0.2:3478", "198.18.1.1:1024", true}}},
        {"address-dependent: same address shares, new address does not",
         M::AddressDependent,
         {{"10.0.1.2:4000", "198.18.0.2:3478", "198.18.1.1:4000", true},
          {"10.0.1.2:4000", "198.18.0.2:9999", "198.18.1.1:4000", false},
          {"10.0.1.2:4000", "198.18.0.3:3478", "198.18.1.1:1024", true}}},
        {"address-and-port-dependent: every remote endpoint its own mapping",
         M::AddressAndPortDependent,
         {{"10.0.1.2:4000", "198.18.0.2:3478", "198.18.1.1:4000", true},
          {"10.0.1.2:4000", "198.18.0.2:3479", "198.18.1.1:1024", true},
          {"10.0.1.2:4000", "198.18.0.3:3478", "198.18.1.1:1025", true},
          {"10.0.1.2:4000", "198.18.0.2:3478", "198.18.1.1:4000", false}}},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        NatUnderTest nut{config_of(c.mapping, F::AddressAndPortDependent)};
        for (const auto& s : c.sends) {
            SCOPED_TRACE(std::string{s.inside} + " -> " + s.remote);
            auto created_before = nut.nat.counters().mappings_created;
            auto out = nut.out(s.inside, s.remote);
            ASSERT_TRUE(out) << nut.nat.last_drop().text;
            EXPECT_EQ(*out, (Flow{ep(s.want_outside), ep(s.remote)}));
            EXPECT_EQ(nut.nat.counters().mappings_created - created_before, s.want_new_mapping ? 1u : 0u);
        }
    }
}

TEST(NatMapping, CreationIsReportedWithAllThreeEndpoints) {
    NatUnderTest nut{NatConfig{}};
    nut.out("10.0.1.2:4000", "198.18.0.2:3478", 1.5);
    auto created = nut.mapping_events(MappingChange::Created);
    ASSERT_EQ(created.size(), 1u);
    EXPECT_EQ(created[0].inside, ep("10.0.1.2:4000"));
    EXPECT_EQ(created[0].outside, ep("198.18.1.1:4000"));
    EXPECT_EQ(created[0].remote, ep("198.18.0.2:3478"));
    EXPECT_EQ(created[0].at, t(1.5));
}

TEST(NatMapping, ReuseTowardANewRemoteIsReportedOnceAsRefreshed) {
    NatUnderTest nut{NatConfig{}};
    nut.out("10.0.1.2:4000", "198.18.0.2:3478");
    nut.out("10.0.1.2:4000", "198.18.0.2:3478", 1);  // same remote: timer only
    nut.out("10.0.1.2:4000", "198.18.0.3:5000", 2);  // new remote: the filter opens
    nut.out("10.0.1.2:4000", "198.18.0.3:5000", 3);
    auto refreshed = nut.mapping_events(MappingChange::Refreshed);
    ASSERT_EQ(refreshed.size(), 1u);
    EXPECT_EQ(refreshed[0].remote, ep("198.18.0.3:5000"));
    EXPECT_EQ(refreshed[0].outside, ep("198.18.1.1:4000"));
    EXPECT_EQ(nut.nat.counters().refreshes, 3u);
}

TEST(NatMapping, RepliesAreTranslatedBackToTheInsideEndpoint) {
    NatUnderTest nut{NatConfig{}};
    nut.out("10.0.1.2:4000", "198.18.0.2:3478");
    auto reply = nut.in("198.18.0.2:3478", "198.18.1.1:4000");
    ASSERT_TRUE(reply) << nut.nat.last_drop().text;
    EXPECT_EQ(*reply, (Flow{ep("198.18.0.2:3478"), ep("10.0.1.2:4000")}));
    EXPECT_EQ(nut.nat.counters().translated_out, 1u);
    EXPECT_EQ(nut.nat.counters().translated_in, 1u);
}

TEST(NatMapping, TranslatedPacketsCarryCorrectChecksums) {
    NatUnderTest nut{NatConfig{}};
    Datagram out{{ep("10.0.1.2:4000"), ep("198.18.0.2:3478")}, "checksum me"};
    auto sent = nut.nat.handle(out.view(), Direction::Outbound, t(0));
    ASSERT_TRUE(sent);
    EXPECT_EQ(internet_checksum(sent->header()), 0);
    EXPECT_EQ(udp_checksum(sent->source().addr, sent->destination().addr, sent->transport()),
              sent->transport_checksum());
    Datagram in{{ep("198.18.0.2:3478"), ep("198.18.1.1:4000")}, "and me", 64, false};
    auto received = nut.nat.handle(in.view(), Direction::Inbound, t(1));
    ASSERT_TRUE(received);
    EXPECT_EQ(internet_checksum(received->header()), 0);
    EXPECT_EQ(received->transport_checksum(), 0) << "no UDP checksum stays no checksum";
}

struct TtlCase {
    std::uint8_t ttl;
    bool want_forwarded;
    std::uint8_t want_ttl;
};

TEST(NatMapping, TtlIsDecrementedAndExpiresAtOne) {
    const TtlCase cases[] = {{64, true, 63}, {2, true, 1}, {1, false, 0}, {0, false, 0}};
    for (const auto& c : cases) {
        SCOPED_TRACE(int{c.ttl});
        NatUnderTest nut{NatConfig{}};
        Datagram d{{ep("10.0.1.2:4000"), ep("198.18.0.2:3478")}, "x", c.ttl};
        auto out = nut.nat.handle(d.view(), Direction::Outbound, t(0));
        ASSERT_EQ(out.has_value(), c.want_forwarded);
        if (out) {
            EXPECT_EQ(out->ttl(), c.want_ttl);
            EXPECT_EQ(internet_checksum(out->header()), 0);
        } else {
            EXPECT_EQ(nut.nat.last_drop().code, DropCode::TtlExpired);
            EXPECT_EQ(nut.nat.last_drop().text, "ttl expired");
            EXPECT_EQ(nut.nat.mappings_live(), 0u) << "an expired packet creates no mapping";
        }
    }
}

TEST(NatMapping, PortsExhaustedIsADropWithTheRange) {
    NatConfig config;
    config.ports = {5000, 5000};
    NatUnderTest nut{config};
    ASSERT_TRUE(nut.out("10.0.1.2:5000", "198.18.0.2:3478"));
    EXPECT_FALSE(nut.out("10.0.1.3:5000", "198.18.0.2:3478"));
    EXPECT_EQ(nut.nat.last_drop().code, DropCode::PortsExhausted);
    EXPECT_EQ(nut.nat.last_drop().text, "ports exhausted: no free external udp port in 5000-5000");
    ASSERT_EQ(nut.drops().size(), 1u);
    EXPECT_EQ(nut.drops()[0].direction, Direction::Outbound);
}

TEST(NatMapping, SequentialSymmetricNatIsPredictable) {
    NatUnderTest nut{
        config_of(M::AddressAndPortDependent, F::AddressAndPortDependent, PortAllocation::Sequential)};
    auto first = nut.out("10.0.1.2:4000", "198.18.0.2:3478");
    auto second = nut.out("10.0.1.2:4000", "198.18.0.9:7000");
    ASSERT_TRUE(first && second);
    EXPECT_EQ(second->source.port, first->source.port + 1);
}

}  // namespace
}  // namespace natlab::nat::testing
