// Behaviour names, presets and port ranges (simulator/behaviour.cpp).

#include <gtest/gtest.h>

#include "simulator/nat/behaviour.h"
#include "simulator/wire/drop_reason.h"

namespace natlab::nat {
namespace {

TEST(Behaviour, NamesRoundTrip) {
    for (auto b : {MappingBehaviour::EndpointIndependent, MappingBehaviour::AddressDependent,
                   MappingBehaviour::AddressAndPortDependent})
        EXPECT_EQ(parse_mapping_behaviour(to_string(b)), b);
    for (auto b : {FilteringBehaviour::EndpointIndependent, FilteringBehaviour::AddressDependent,
                   FilteringBehaviour::AddressAndPortDependent})
        EXPECT_EQ(parse_filtering_behaviour(to_string(b)), b);
    for (auto a : {PortAllocation::Preserve, PortAllocation::Sequential, PortAllocation::Random})
        EXPECT_EQ(parse_port_allocation(to_string(a)), a);
    for (auto t : {NatType::FullCone, NatType::Restricted, NatType::PortRestricted, NatType::Symmetric})
        EXPECT_EQ(parse_nat_type(to_string(t)), t);
}

TEST(Behaviour, SpelledAsInTheRfc) {
    EXPECT_EQ(to_string(MappingBehaviour::EndpointIndependent), "endpoint-independent");
    EXPECT_EQ(to_string(MappingBehaviour::AddressDependent), "address-dependent");
    EXPECT_EQ(to_string(FilteringBehaviour::AddressAndPortDependent), "address-and-port-dependent");
    EXPECT_EQ(to_string(PortAllocation::Sequential), "sequential");
    EXPECT_EQ(to_string(NatType::PortRestricted), "port-restricted");
    EXPECT_FALSE(parse_mapping_behaviour("EIM"));
    EXPECT_FALSE(parse_nat_type("cone"));
}

struct PresetCase {
    NatType type;
    MappingBehaviour want_mapping;
    FilteringBehaviour want_filtering;
    PortAllocation want_allocation;
};

TEST(Behaviour, ClassicTypesArePresets) {
    using M = MappingBehaviour;
    using F = FilteringBehaviour;
    using A = PortAllocation;
    const PresetCase cases[] = {
        {NatType::FullCone, M::EndpointIndependent, F::EndpointIndependent, A::Preserve},
        {NatType::Restricted, M::EndpointIndependent, F::AddressDependent, A::Preserve},
        {NatType::PortRestricted, M::EndpointIndependent, F::AddressAndPortDependent, A::Preserve},
        {NatType::Symmetric, M::AddressAndPortDependent, F::AddressAndPortDependent, A::Random},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(to_string(c.type));
        auto config = NatConfig::preset(c.type);
        EXPECT_EQ(config.mapping, c.want_mapping);
        EXPECT_EQ(config.filtering, c.want_filtering);
        EXPECT_EQ(config.port_allocation, c.want_allocation);
    }
}

TEST(Behaviour, DefaultsAreRfcMinimumsAndPortRestricted) {
    NatConfig config;
    EXPECT_EQ(config, NatConfig::preset(NatType::PortRestricted));
    EXPECT_EQ(config.ports, (PortRange{1024, 65535}));
    EXPECT_EQ(config.mapping_timeout, std::chrono::seconds{120});  // RFC 4787 REQ-5
    EXPECT_FALSE(config.hairpin);
    EXPECT_FALSE(config.refresh_on_inbound);
}

TEST(Behaviour, PortRangeParsing) {
    EXPECT_EQ(PortRange::parse("1024-65535"), (PortRange{1024, 65535}));
    EXPECT_EQ(PortRange::parse("5000-5000"), (PortRange{5000, 5000}));
    for (const char* bad : {"", "5000", "0-10", "10-5", "1-65536", "a-b", "1-2-3", " 1-2"})
        EXPECT_FALSE(PortRange::parse(bad)) << bad;
    EXPECT_EQ(PortRange::parse("2000-2999")->size(), 1000u);
}

TEST(DropReason, EveryCodeHasAName) {
    for (std::size_t i = 0; i < kDropCodeCount; ++i) EXPECT_NE(to_string(static_cast<DropCode>(i)), "?") << i;
    EXPECT_EQ(to_string(DropCode::Filtered), "filtered");
    EXPECT_EQ(to_string(DropCode::TtlExpired), "ttl-expired");
}

}  // namespace
}  // namespace natlab::nat
