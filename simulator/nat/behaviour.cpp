#include "simulator/nat/behaviour.h"

#include <array>
#include <charconv>

#include "src/net/enum_names.h"

namespace natlab::nat {
namespace {

using M = MappingBehaviour;
using F = FilteringBehaviour;
using A = PortAllocation;

constexpr std::array kMappingNames{
    EnumName<M>{M::EndpointIndependent, "endpoint-independent"},
    EnumName<M>{M::AddressDependent, "address-dependent"},
    EnumName<M>{M::AddressAndPortDependent, "address-and-port-dependent"},
};
static_assert(names_in_order(kMappingNames, M::AddressAndPortDependent));

constexpr std::array kFilteringNames{
    EnumName<F>{F::EndpointIndependent, "endpoint-independent"},
    EnumName<F>{F::AddressDependent, "address-dependent"},
    EnumName<F>{F::AddressAndPortDependent, "address-and-port-dependent"},
};
static_assert(names_in_order(kFilteringNames, F::AddressAndPortDependent));

constexpr std::array kAllocationNames{
    EnumName<A>{A::Preserve, "preserve"},
    EnumName<A>{A::Sequential, "sequential"},
    EnumName<A>{A::Random, "random"},
};
static_assert(names_in_order(kAllocationNames, A::Random));

constexpr std::array kTypeNames{
    EnumName<NatType>{NatType::FullCone, "full-cone"},
    EnumName<NatType>{NatType::Restricted, "restricted"},
    EnumName<NatType>{NatType::PortRestricted, "port-restricted"},
    EnumName<NatType>{NatType::Symmetric, "symmetric"},
};
static_assert(names_in_order(kTypeNames, NatType::Symmetric));

constexpr std::array kPoolingNames{
    EnumName<AddressPooling>{AddressPooling::Paired, "paired"},
    EnumName<AddressPooling>{AddressPooling::Arbitrary, "arbitrary"},
};
static_assert(names_in_order(kPoolingNames, AddressPooling::Arbitrary));

std::optional<std::uint16_t> parse_port(std::string_view text) {
    std::uint16_t value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
    return value;
}

}  // namespace

std::string_view to_string(MappingBehaviour b) {
    return name_of(kMappingNames, b);
}
std::string_view to_string(FilteringBehaviour b) {
    return name_of(kFilteringNames, b);
}
std::string_view to_string(PortAllocation a) {
    return name_of(kAllocationNames, a);
}
std::string_view to_string(NatType t) {
    return name_of(kTypeNames, t);
}
std::string_view to_string(AddressPooling p) {
    return name_of(kPoolingNames, p);
}

std::optional<MappingBehaviour> parse_mapping_behaviour(std::string_view text) {
    return value_of(kMappingNames, text);
}
std::optional<FilteringBehaviour> parse_filtering_behaviour(std::string_view text) {
    return value_of(kFilteringNames, text);
}
std::optional<PortAllocation> parse_port_allocation(std::string_view text) {
    return value_of(kAllocationNames, text);
}
std::optional<NatType> parse_nat_type(std::string_view text) {
    return value_of(kTypeNames, text);
}
std::optional<AddressPooling> parse_address_pooling(std::string_view text) {
    return value_of(kPoolingNames, text);
}

std::optional<PortRange> PortRange::parse(std::string_view text) {
    auto dash = text.find('-');
    if (dash == std::string_view::npos) return std::nullopt;
    auto first = parse_port(text.substr(0, dash));
    auto last = parse_port(text.substr(dash + 1));
    if (!first || !last || *first == 0 || *first > *last) return std::nullopt;
    return PortRange{*first, *last};
}

std::string PortRange::to_string() const {
    return std::to_string(first) + '-' + std::to_string(last);
}

NatConfig NatConfig::preset(NatType type) {
    NatConfig config;
    switch (type) {
        case NatType::FullCone:
            config.filtering = F::EndpointIndependent;
            break;
        case NatType::Restricted:
            config.filtering = F::AddressDependent;
            break;
        case NatType::PortRestricted:
            config.filtering = F::AddressAndPortDependent;
            break;
        case NatType::Symmetric:
            config.mapping = M::AddressAndPortDependent;
            config.filtering = F::AddressAndPortDependent;
            config.port_allocation = A::Random;
            break;
    }
    return config;
}

}  // namespace natlab::nat
