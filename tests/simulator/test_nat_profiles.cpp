// Port blocks (RFC 7422), port parity (RFC 4787 §4.2.2), UDP timeouts before
// and after the first inbound packet (§4.3), the limit of mappings per host
// (RFC 6888 REQ-4), and the profiles built from them, on the fake clock.

#include <gtest/gtest.h>

#include "simulator/nat/port_blocks.h"
#include "simulator/nat/profile.h"
#include "tests/simulator/test_nat_support.h"

namespace natlab::nat::testing {
namespace {

NatConfig blocks_of(std::uint16_t size, std::uint16_t per_host,
                    PortAllocation a = PortAllocation::Sequential) {
    NatConfig c = NatConfig::preset(NatType::FullCone);
    c.port_allocation = a;
    c.ports = {10000, 10999};
    c.port_block_size = size;
    c.port_blocks_per_host = per_host;
    return c;
}

// Each row: which inside endpoint opens a mapping, and the external port it must get (0: refused).
struct BlockStep {
    const char* inside;
    std::uint16_t want_port;
};

struct BlockCase {
    const char* name;
    NatConfig config;
    std::vector<BlockStep> steps;
    std::uint64_t want_reserved;
};

TEST(NatPortBlocks, Table) {
    const BlockCase cases[] = {
        {"the first mapping reserves the lowest block, later ones fill it",
         blocks_of(4, 1),
         {{"10.0.1.2:5000", 10000}, {"10.0.1.2:5001", 10001}, {"10.0.1.2:5002", 10002}},
         1},
        {"a second host gets the next block",
         blocks_of(4, 1),
         {{"10.0.1.2:5000", 10000}, {"10.0.1.3:5000", 10004}, {"10.0.1.2:5001", 10001}},
         2},
        {"a full block opens the next one, up to the limit; then refused",
         blocks_of(2, 2),
         {{"10.0.1.2:1", 10000},
          {"10.0.1.2:2", 10001},
          {"10.0.1.2:3", 10002},
          {"10.0.1.2:4", 10003},
          {"10.0.1.2:5", 0},
          {"10.0.1.3:5", 10004}},
         3},
        {"preserve keeps the wanted port when it lies in the host's block",
         [] {
             auto c = blocks_of(100, 1, PortAllocation::Preserve);
             return c;
         }(),
         {{"10.0.1.2:10050", 10050}, {"10.0.1.2:7000", 10000}, {"10.0.1.3:10050", 10100}},
         2},
        {"no block left: refused",
         blocks_of(500, 1),
         {{"10.0.1.2:1", 10000}, {"10.0.1.3:1", 10500}, {"10.0.1.4:1", 0}},
         2},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        NatUnderTest nut{c.config};
        for (const auto& step : c.steps) {
            auto got = nut.out(step.inside, "198.18.0.2:3478");
            if (step.want_port == 0) {
                EXPECT_FALSE(got) << step.inside;
                EXPECT_EQ(nut.nat.last_drop().code, DropCode::PortsExhausted);
                continue;
            }
            ASSERT_TRUE(got) << step.inside << ": " << nut.nat.last_drop().text;
            EXPECT_EQ(got->source.port, step.want_port) << step.inside;
        }
        EXPECT_EQ(nut.nat.counters().port_blocks_reserved, c.want_reserved);
    }
}

TEST(NatPortBlocks, TheRefusalNamesTheHostAndItsBlocks) {
    NatUnderTest nut{blocks_of(1, 1)};
    ASSERT_TRUE(nut.out("10.0.1.2:1", "198.18.0.2:3478"));
    EXPECT_FALSE(nut.out("10.0.1.2:2", "198.18.0.2:3478"));
    EXPECT_EQ(nut.nat.last_drop().text,
              "ports exhausted: 10.0.1.2 holds 1 1-port block (the most it may), every port in use");
    EXPECT_EQ(nut.nat.counters().dropped[DropCode::PortsExhausted], 1u);
}

TEST(NatPortBlocks, ABlockIsReleasedWithItsLastMappingAndReusable) {
    auto config = blocks_of(4, 1);
    config.mapping_timeout = std::chrono::seconds{30};
    NatUnderTest nut{config};
    ASSERT_TRUE(nut.out("10.0.1.2:1", "198.18.0.2:3478", 0));
    ASSERT_TRUE(nut.out("10.0.1.2:2", "198.18.0.2:3478", 10));
    nut.nat.expire(t(35));  // the first is gone, the second keeps the block
    EXPECT_EQ(nut.nat.counters().port_blocks_released, 0u);
    nut.nat.expire(t(45));
    EXPECT_EQ(nut.nat.counters().port_blocks_released, 1u);
    auto again = nut.out("10.0.1.3:1", "198.18.0.2:3478", 50);
    ASSERT_TRUE(again);
    EXPECT_EQ(again->source.port, 10000) << "the freed block is the lowest again";
}

TEST(NatPortBlocks, RandomAllocationStaysInsideTheBlock) {
    NatUnderTest nut{blocks_of(64, 1, PortAllocation::Random), 7};
    auto first = nut.out("10.0.1.2:1", "198.18.0.2:3478");
    ASSERT_TRUE(first);
    std::uint16_t lo = static_cast<std::uint16_t>(10000 + (first->source.port - 10000) / 64 * 64);
    for (int i = 2; i <= 64; ++i) {
        auto got = nut.out("10.0.1.2:" + std::to_string(i), "198.18.0.2:3478");
        ASSERT_TRUE(got) << i;
        EXPECT_GE(got->source.port, lo);
        EXPECT_LT(got->source.port, lo + 64);
    }
    EXPECT_FALSE(nut.out("10.0.1.2:65", "198.18.0.2:3478")) << "64 ports, one block";
}

TEST(PortBlocks, PortsClaimedOutsideBlocksAreNotCounted) {
    PortAllocator ports{PortAllocation::Sequential, {100, 107}, 1};
    PortBlocks blocks{{100, 107}, 4, 1};
    ASSERT_TRUE(ports.claim(106));  // a grant's exact port, in the second block
    DropReason why;
    auto a = blocks.allocate(ip("10.0.1.2"), 1, ports, why);
    ASSERT_TRUE(a);
    EXPECT_EQ(*a, 100);
    blocks.release(106, ports);  // the grant dies: no block loses a mapping
    EXPECT_EQ(blocks.blocks_of(ip("10.0.1.2")), 1u);
    EXPECT_FALSE(ports.in_use(106));
    blocks.release(100, ports);
    EXPECT_EQ(blocks.blocks_of(ip("10.0.1.2")), 0u);
    EXPECT_EQ(blocks.released(), 1u);
}

struct ParityCase {
    const char* name;
    PortAllocation allocation;
    std::vector<std::uint16_t> inside_ports;
    bool parity;
    std::vector<std::uint16_t> want;  // 0: refused
};

TEST(NatPortParity, Table) {
    const ParityCase cases[] = {
        {"sequential without parity takes the next port",
         PortAllocation::Sequential,
         {5001, 5003},
         false,
         {2000, 2001}},
        {"sequential with parity skips to an odd port",
         PortAllocation::Sequential,
         {5000, 5003, 5004},
         true,
         {2000, 2001, 2002}},
        {"odd after odd skips the even port between",
         PortAllocation::Sequential,
         {5001, 5003},
         true,
         {2001, 2003}},
        {"preserve keeps the port, and with it the parity",
         PortAllocation::Preserve,
         {2002, 2003},
         true,
         {2002, 2003}},
        {"a taken preserved port falls back to the same parity",
         PortAllocation::Preserve,
         {2001, 2001},
         true,
         {2001, 2003}},
        {"no free port of the parity: refused",
         PortAllocation::Sequential,
         {5000, 5002, 5004},
         true,
         {2000, 2002, 0}},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        NatConfig config = NatConfig::preset(NatType::FullCone);
        config.port_allocation = c.allocation;
        config.ports = {2000, 2003};
        config.port_parity = c.parity;
        NatUnderTest nut{config};
        for (std::size_t i = 0; i < c.inside_ports.size(); ++i) {
            auto inside = "10.0.1." + std::to_string(2 + i) + ":" + std::to_string(c.inside_ports[i]);
            auto got = nut.out(inside, "198.18.0.2:3478");
            if (c.want[i] == 0) {
                EXPECT_FALSE(got) << inside;
                continue;
            }
            ASSERT_TRUE(got) << inside << ": " << nut.nat.last_drop().text;
            EXPECT_EQ(got->source.port, c.want[i]) << inside;
        }
    }
}

TEST(NatPortParity, RandomKeepsParity) {
    NatConfig config = NatConfig::preset(NatType::Symmetric);
    config.port_parity = true;
    NatUnderTest nut{config, 3};
    for (int i = 0; i < 200; ++i) {
        std::uint16_t port = static_cast<std::uint16_t>(4000 + i);
        auto got = nut.out("10.0.1.2:" + std::to_string(port), "198.18.0.2:" + std::to_string(3000 + i));
        ASSERT_TRUE(got);
        EXPECT_EQ(got->source.port % 2, port % 2) << port;
    }
}

// One outbound packet at 0; inbound packets at `inbound_at`; is the mapping alive at `probe_at`?
struct BeforeInboundCase {
    const char* name;
    std::vector<double> inbound_at;
    double probe_at;  // an outbound packet: does it reuse the mapping?
    bool want_same;
};

TEST(NatTimeoutBeforeInbound, Table) {
    const BeforeInboundCase cases[] = {
        {"unanswered: alive before the short timeout", {}, 29, true},
        {"unanswered: gone at the short timeout", {}, 30, false},
        {"answered: the long timeout applies", {5}, 100, true},
        {"answered: gone at the long timeout", {5}, 120, false},
        {"an inbound packet after the short timeout finds nothing", {31}, 40, false},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        NatConfig config = NatConfig::preset(NatType::PortRestricted);
        config.mapping_timeout_before_inbound = std::chrono::seconds{30};
        config.mapping_timeout = std::chrono::seconds{120};
        NatUnderTest nut{config};
        auto first = nut.out("10.0.1.2:4000", "198.18.0.2:3478", 0);
        ASSERT_TRUE(first);
        for (double at : c.inbound_at) nut.in("198.18.0.2:3478", first->source.to_string(), at);
        nut.out("10.0.1.2:4000", "198.18.0.2:3478", c.probe_at);
        EXPECT_EQ(nut.mapping_events(MappingChange::Created).size(), c.want_same ? 1u : 2u);
    }
}

TEST(NatTimeoutBeforeInbound, ZeroMeansTheMappingTimeout) {
    NatConfig config = NatConfig::preset(NatType::FullCone);
    config.mapping_timeout = std::chrono::seconds{50};
    NatUnderTest nut{config};
    nut.out("10.0.1.2:4000", "198.18.0.2:3478", 0);
    EXPECT_TRUE(nut.in("198.18.0.3:1", "198.18.1.1:4000", 49));
    EXPECT_FALSE(nut.in("198.18.0.3:1", "198.18.1.1:4000", 100));
}

struct LimitCase {
    const char* name;
    std::uint32_t limit;
    int mappings;  // opened by 10.0.1.2, each to its own remote (APDM)
    int want_made;
};

TEST(NatMappingsPerHost, Table) {
    const LimitCase cases[] = {
        {"no limit", 0, 10, 10},
        {"the limit holds", 3, 10, 3},
        {"exactly the limit", 4, 4, 4},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        NatConfig config = NatConfig::preset(NatType::Symmetric);
        config.mappings_per_host = c.limit;
        NatUnderTest nut{config};
        for (int i = 0; i < c.mappings; ++i)
            nut.out("10.0.1.2:4000", "198.18.0.2:" + std::to_string(1000 + i));
        EXPECT_EQ(nut.nat.counters().mappings_created, static_cast<std::uint64_t>(c.want_made));
        EXPECT_EQ(nut.nat.counters().dropped[DropCode::MappingLimit],
                  static_cast<std::uint64_t>(c.mappings - c.want_made));
    }
}

TEST(NatMappingsPerHost, OtherHostsAndExpiryFreeRoom) {
    NatConfig config = NatConfig::preset(NatType::Symmetric);
    config.mappings_per_host = 1;
    config.mapping_timeout = std::chrono::seconds{30};
    NatUnderTest nut{config};
    ASSERT_TRUE(nut.out("10.0.1.2:4000", "198.18.0.2:1", 0));
    EXPECT_FALSE(nut.out("10.0.1.2:4000", "198.18.0.2:2", 1));
    EXPECT_EQ(nut.nat.last_drop().text, "mapping limit: 10.0.1.2 already holds 1 mappings, the most it may");
    EXPECT_EQ(nut.drops().back().reason.code, DropCode::MappingLimit) << "logged";
    EXPECT_TRUE(nut.out("10.0.1.3:4000", "198.18.0.2:2", 2)) << "the limit is per host";
    nut.nat.expire(t(31));
    EXPECT_TRUE(nut.out("10.0.1.2:4000", "198.18.0.2:2", 32)) << "an expired mapping frees its place";
    nut.nat.flush(t(33));
    EXPECT_TRUE(nut.out("10.0.1.2:4000", "198.18.0.2:3", 34)) << "so does a flush";
}

TEST(NatMappingsPerHost, TheSenderHearsAdministrativelyProhibited) {
    NatConfig config = NatConfig::preset(NatType::Symmetric);
    config.mappings_per_host = 1;
    NatUnderTest nut{config};
    nut.out("10.0.1.2:4000", "198.18.0.2:1");
    nut.nat.take_generated();
    nut.out("10.0.1.2:4000", "198.18.0.2:2");
    EXPECT_EQ(nut.nat.take_generated().size(), 1u);
}

// Profiles: the behaviours that decide a punch, and what each is known for.
struct ProfileCase {
    const char* name;
    MappingBehaviour mapping;
    FilteringBehaviour filtering;
    PortAllocation allocation;
    int before_inbound_s, after_inbound_s;
    bool hairpin;
    std::uint16_t block;
};

TEST(NatProfiles, Table) {
    using M = MappingBehaviour;
    using F = FilteringBehaviour;
    using A = PortAllocation;
    const ProfileCase cases[] = {
        {"linux-masquerade", M::EndpointIndependent, F::AddressAndPortDependent, A::Preserve, 30, 120, false,
         0},
        {"pfsense", M::AddressAndPortDependent, F::AddressAndPortDependent, A::Random, 30, 60, false, 0},
        {"cloud-nat-symmetric", M::AddressAndPortDependent, F::AddressAndPortDependent, A::Random, 0, 350,
         false, 0},
        {"cloud-nat-eim", M::EndpointIndependent, F::AddressAndPortDependent, A::Sequential, 0, 30, false,
         64},
        {"cgnat-port-block", M::EndpointIndependent, F::EndpointIndependent, A::Random, 30, 120, true, 512},
        {"mobile-symmetric", M::AddressAndPortDependent, F::AddressAndPortDependent, A::Random, 0, 30, false,
         0},
    };
    EXPECT_EQ(std::size(cases), names_of<NatProfile>().size()) << "every profile has a row";
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        auto profile = parse_nat_profile(c.name);
        ASSERT_TRUE(profile);
        EXPECT_EQ(to_string(*profile), c.name);
        auto config = config_of_type(c.name);
        ASSERT_TRUE(config);
        EXPECT_EQ(config->mapping, c.mapping);
        EXPECT_EQ(config->filtering, c.filtering);
        EXPECT_EQ(config->port_allocation, c.allocation);
        EXPECT_EQ(config->mapping_timeout_before_inbound, std::chrono::seconds{c.before_inbound_s});
        EXPECT_EQ(config->mapping_timeout, std::chrono::seconds{c.after_inbound_s});
        EXPECT_EQ(config->hairpin, c.hairpin);
        EXPECT_EQ(config->port_block_size, c.block);
        EXPECT_FALSE(summary_of(*profile).empty());
    }
    EXPECT_FALSE(config_of_type("tplink"));
    EXPECT_EQ(config_of_type("symmetric"), NatConfig::preset(NatType::Symmetric));
}

TEST(NatProfiles, PfsenseRandomisesIntoPfsPortRange) {
    NatUnderTest nut{profile_config(NatProfile::Pfsense), 5};
    for (int i = 0; i < 50; ++i) {
        auto got = nut.out("10.0.1.2:4000", "198.18.0.2:" + std::to_string(1000 + i));
        ASSERT_TRUE(got);
        EXPECT_GE(got->source.port, 50001);
    }
    EXPECT_EQ(nut.nat.counters().mappings_created, 50u) << "one mapping per destination";
}

}  // namespace
}  // namespace natlab::nat::testing
