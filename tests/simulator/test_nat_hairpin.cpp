// Hairpinning, RFC 4787 §6: an inside host to another inside host's external endpoint.

#include <gtest/gtest.h>

#include "tests/simulator/test_nat_support.h"

namespace natlab::nat::testing {
namespace {

NatConfig hairpin(NatType type, bool on) {
    NatConfig config = NatConfig::preset(type);
    config.hairpin = on;
    return config;
}

// B (10.0.1.3:5000) first registers with the server, so it owns 198.18.1.1:5000.
// Then A (10.0.1.2:4000) sends to 198.18.1.1:5000.
struct HairpinCase {
    const char* name;
    NatConfig config;
    bool b_sends_to_a_first;   // B's packet toward A's external endpoint, before A's
    std::optional<Flow> want;  // what B receives
    const char* want_drop;
};

TEST(NatHairpin, Table) {
    const Flow delivered{ep("198.18.1.1:4000"), ep("10.0.1.3:5000")};
    const HairpinCase cases[] = {
        {"off: dropped", hairpin(NatType::FullCone, false), false, std::nullopt, "hairpinning is off"},
        {"on, full cone: delivered with A's external source", hairpin(NatType::FullCone, true), false,
         delivered, nullptr},
        {"on, port-restricted, B never sent to A: filtered", hairpin(NatType::PortRestricted, true), false,
         std::nullopt, "filtered (address-and-port-dependent): no mapping has sent to 198.18.1.1:4000"},
        {"on, port-restricted, B sent to A first: delivered", hairpin(NatType::PortRestricted, true), true,
         delivered, nullptr},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        NatUnderTest nut{c.config};
        ASSERT_TRUE(nut.out("10.0.1.3:5000", "198.18.0.2:3478", 0));
        // B's probe toward A's future external endpoint is itself dropped (A has
        // no mapping yet) but opens B's filter for it, as in hole punching.
        if (c.b_sends_to_a_first) nut.out("10.0.1.3:5000", "198.18.1.1:4000", 1);
        auto got = nut.out("10.0.1.2:4000", "198.18.1.1:5000", 2);
        EXPECT_EQ(got, c.want) << nut.nat.last_drop().text;
        if (c.want_drop) {
            EXPECT_EQ(nut.nat.last_drop().text, c.want_drop);
        }
    }
}

TEST(NatHairpin, CountsAndMappingsOfAHairpinnedPacket) {
    NatUnderTest nut{hairpin(NatType::FullCone, true)};
    nut.out("10.0.1.3:5000", "198.18.0.2:3478", 0);
    ASSERT_TRUE(nut.out("10.0.1.2:4000", "198.18.1.1:5000", 1));
    EXPECT_EQ(nut.nat.counters().hairpinned, 1u);
    EXPECT_EQ(nut.nat.mappings_live(), 2u) << "the sender got its own mapping";
    auto created = nut.mapping_events(MappingChange::Created);
    ASSERT_EQ(created.size(), 2u);
    EXPECT_EQ(created[1].inside, ep("10.0.1.2:4000"));
    EXPECT_EQ(created[1].remote, ep("198.18.1.1:5000"));
}

TEST(NatHairpin, DropIsReportedAsOutboundWithTheOriginalPacket) {
    NatUnderTest nut{hairpin(NatType::FullCone, false)};
    nut.out("10.0.1.2:4000", "198.18.1.1:5000", 0);
    auto drops = nut.drops();
    ASSERT_EQ(drops.size(), 1u);
    EXPECT_EQ(drops[0].direction, Direction::Outbound);
    EXPECT_EQ(drops[0].flow->to_string(), "10.0.1.2:4000 -> 198.18.1.1:5000");
    EXPECT_EQ(drops[0].reason.code, DropCode::HairpinOff);
}

}  // namespace
}  // namespace natlab::nat::testing
