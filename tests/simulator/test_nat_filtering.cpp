// Inbound filtering, RFC 4787 §5 (simulator/filter.cpp through simulator/nat.cpp).

#include <gtest/gtest.h>

#include "tests/simulator/test_nat_support.h"

namespace natlab::nat::testing {
namespace {

using M = MappingBehaviour;
using F = FilteringBehaviour;

// The inside host 10.0.1.2:4000 sends to every `sent_to` remote, then
// `inbound_from` sends to its external endpoint 198.18.1.1:4000.
struct FilterCase {
    FilteringBehaviour filtering;
    std::vector<const char*> sent_to;
    const char* inbound_from;
    const char* want_drop;  // nullptr: admitted
};

TEST(NatFiltering, Table) {
    const FilterCase cases[] = {
        // Endpoint-independent: the mapping alone opens the door.
        {F::EndpointIndependent, {"198.18.0.2:3478"}, "198.18.0.2:3478", nullptr},
        {F::EndpointIndependent, {"198.18.0.2:3478"}, "198.18.0.3:40001", nullptr},
        // Address-dependent: any port of an address we sent to.
        {F::AddressDependent, {"198.18.0.2:3478"}, "198.18.0.2:3478", nullptr},
        {F::AddressDependent, {"198.18.0.2:3478"}, "198.18.0.2:40001", nullptr},
        {F::AddressDependent,
         {"198.18.0.2:3478"},
         "198.18.0.3:3478",
         "filtered (address-dependent): no mapping has sent to 198.18.0.3"},
        {F::AddressDependent, {"198.18.0.2:3478", "198.18.0.3:9"}, "198.18.0.3:3478", nullptr},
        // Address-and-port-dependent: exactly the endpoints we sent to.
        {F::AddressAndPortDependent, {"198.18.0.2:3478"}, "198.18.0.2:3478", nullptr},
        {F::AddressAndPortDependent,
         {"198.18.0.2:3478"},
         "198.18.0.2:40001",
         "filtered (address-and-port-dependent): no mapping has sent to 198.18.0.2:40001"},
        {F::AddressAndPortDependent,
         {"198.18.0.2:3478"},
         "198.18.0.3:40001",
         "filtered (address-and-port-dependent): no mapping has sent to 198.18.0.3:40001"},
        {F::AddressAndPortDependent, {"198.18.0.2:3478", "198.18.0.3:40001"}, "198.18.0.3:40001", nullptr},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(std::string{to_string(c.filtering)} + " from " + c.inbound_from);
        NatUnderTest nut{config_of(M::EndpointIndependent, c.filtering)};
        for (const char* remote : c.sent_to) ASSERT_TRUE(nut.out("10.0.1.2:4000", remote));
        auto in = nut.in(c.inbound_from, "198.18.1.1:4000", 1);
        if (!c.want_drop) {
            ASSERT_TRUE(in) << nut.nat.last_drop().text;
            EXPECT_EQ(in->destination, ep("10.0.1.2:4000"));
            continue;
        }
        EXPECT_FALSE(in);
        EXPECT_EQ(nut.nat.last_drop().code, DropCode::Filtered);
        EXPECT_EQ(nut.nat.last_drop().text, c.want_drop);
    }
}

struct UnmappedCase {
    const char* name;
    const char* destination;
    DropCode want_code;
    const char* want_text;
};

TEST(NatFiltering, InboundWithoutAMappingIsDropped) {
    const UnmappedCase cases[] = {
        {"no mapping on that port", "198.18.1.1:4001", DropCode::NoMapping, "no mapping for 198.18.1.1:4001"},
        {"another address", "198.18.1.2:4000", DropCode::NotOurAddress,
         "not our address: 198.18.1.2 is not 198.18.1.1"},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        NatUnderTest nut{NatConfig::preset(NatType::FullCone)};
        ASSERT_TRUE(nut.out("10.0.1.2:4000", "198.18.0.2:3478"));
        EXPECT_FALSE(nut.in("198.18.0.2:3478", c.destination));
        EXPECT_EQ(nut.nat.last_drop().code, c.want_code);
        EXPECT_EQ(nut.nat.last_drop().text, c.want_text);
    }
}

TEST(NatFiltering, DropEventNamesDirectionPacketAndReason) {
    NatUnderTest nut{NatConfig{}};
    nut.out("10.0.1.2:4000", "198.18.0.2:3478");
    nut.in("198.18.0.3:40001", "198.18.1.1:4000", 2);
    auto drops = nut.drops();
    ASSERT_EQ(drops.size(), 1u);
    EXPECT_EQ(drops[0].direction, Direction::Inbound);
    ASSERT_TRUE(drops[0].flow);
    EXPECT_EQ(drops[0].flow->to_string(), "198.18.0.3:40001 -> 198.18.1.1:4000");
    EXPECT_EQ(drops[0].at, t(2));
    EXPECT_EQ(nut.nat.counters().dropped[DropCode::Filtered], 1u);
}

// The hole punching move: both sides send first, then each admits the other.
TEST(NatFiltering, PortRestrictedOpensOnlyAfterSendingToThePeer) {
    NatUnderTest nut{NatConfig::preset(NatType::PortRestricted)};
    nut.out("10.0.1.2:4000", "198.18.0.2:3478");  // to the server
    EXPECT_FALSE(nut.in("198.18.5.5:6000", "198.18.1.1:4000", 1)) << "peer's probe arrives too early";
    nut.out("10.0.1.2:4000", "198.18.5.5:6000", 2);  // our probe to the peer
    EXPECT_TRUE(nut.in("198.18.5.5:6000", "198.18.1.1:4000", 3)) << "now the peer is let in";
}

}  // namespace
}  // namespace natlab::nat::testing
