#include "simulator/nat/profile.h"

#include <array>

#include "src/net/enum_names.h"

namespace natlab::nat {
namespace {

using P = NatProfile;
using std::chrono::seconds;

constexpr std::array kProfileNames{
    EnumName<P>{P::LinuxMasquerade, "linux-masquerade"},
    EnumName<P>{P::Pfsense, "pfsense"},
    EnumName<P>{P::CloudNatSymmetric, "cloud-nat-symmetric"},
    EnumName<P>{P::CloudNatEim, "cloud-nat-eim"},
    EnumName<P>{P::CgnatPortBlock, "cgnat-port-block"},
    EnumName<P>{P::MobileSymmetric, "mobile-symmetric"},
};
static_assert(names_in_order(kProfileNames, P::MobileSymmetric));

constexpr std::array kSummaries{
    EnumName<P>{P::LinuxMasquerade,
                "Linux MASQUERADE with conntrack (OpenWrt): port-preserving EIM, APDF, "
                "UDP 30 s unreplied / 120 s replied"},
    EnumName<P>{P::Pfsense,
                "pfSense/OPNsense automatic outbound NAT: random port per flow (APDM), APDF, "
                "ports 50001-65535, UDP 30 s / 60 s"},
    EnumName<P>{P::CloudNatSymmetric,
                "cloud NAT gateway mapping per destination (AWS NAT gateway): APDM, "
                "APDF, random ports, 350 s idle timeout"},
    EnumName<P>{P::CloudNatEim,
                "cloud NAT with endpoint-independent mapping (GCP Cloud NAT, EIM on): "
                "64-port block per VM, APDF, UDP 30 s"},
    EnumName<P>{P::CgnatPortBlock,
                "carrier-grade NAT (RFC 6888, RFC 7422): EIM, EIF, hairpin, 2 blocks "
                "of 512 ports per subscriber, parity, UDP 30 s / 120 s"},
    EnumName<P>{P::MobileSymmetric, "mobile carrier NAT: APDM, APDF, random ports, UDP 30 s"},
};
static_assert(names_in_order(kSummaries, P::MobileSymmetric));

NatConfig linux_masquerade() {
    NatConfig c = NatConfig::preset(NatType::PortRestricted);  // EIM + APDF, preserve
    c.mapping_timeout_before_inbound = seconds{30};            // nf_conntrack_udp_timeout
    c.mapping_timeout = seconds{120};                          // nf_conntrack_udp_timeout_stream
    c.refresh_on_inbound = true;                               // conntrack refreshes either way
    c.icmp_timeout = seconds{30};                              // nf_conntrack_icmp_timeout
    c.tcp_established_timeout = seconds{432000};               // nf_conntrack_tcp_timeout_established
    c.tcp_transitory_timeout = seconds{120};                   // nf_conntrack_tcp_timeout_syn_sent
    return c;
}

NatConfig pfsense() {
    NatConfig c = NatConfig::preset(NatType::Symmetric);  // APDM + APDF, random
    c.ports = {50001, 65535};                             // pf's default NAT port range
    c.mapping_timeout_before_inbound = seconds{30};       // udp.single
    c.mapping_timeout = seconds{60};                      // udp.multiple
    c.refresh_on_inbound = true;                          // pf states advance on either side
    return c;
}

NatConfig cloud_nat_symmetric() {
    NatConfig c = NatConfig::preset(NatType::Symmetric);
    c.mapping_timeout = seconds{350};  // the gateway's fixed idle timeout
    c.refresh_on_inbound = true;
    return c;
}

NatConfig cloud_nat_eim() {
    NatConfig c = NatConfig::preset(NatType::PortRestricted);
    c.port_allocation = PortAllocation::Sequential;
    c.port_block_size = 64;  // minPortsPerVm's default
    c.port_blocks_per_host = 1;
    c.mapping_timeout = seconds{30};  // udpIdleTimeoutSec's default
    c.icmp_timeout = seconds{30};     // icmpIdleTimeoutSec's default
    c.tcp_established_timeout = seconds{1200};
    c.tcp_transitory_timeout = seconds{30};
    c.refresh_on_inbound = true;
    return c;
}

NatConfig cgnat_port_block() {
    NatConfig c = NatConfig::preset(NatType::FullCone);  // EIM + EIF (RFC 4787 REQ-1, REQ-8)
    c.port_allocation = PortAllocation::Random;          // inside the block
    c.port_block_size = 512;
    c.port_blocks_per_host = 2;
    c.port_parity = true;                            // RFC 4787 REQ-4
    c.hairpin = true;                                // RFC 4787 REQ-9, RFC 6888 REQ-1
    c.mapping_timeout_before_inbound = seconds{30};  // short for unanswered flows
    c.mapping_timeout = seconds{120};                // RFC 4787 REQ-5
    return c;
}

NatConfig mobile_symmetric() {
    NatConfig c = NatConfig::preset(NatType::Symmetric);
    c.mapping_timeout = seconds{30};
    return c;
}

}  // namespace

std::string_view to_string(NatProfile p) {
    return name_of(kProfileNames, p);
}

std::optional<NatProfile> parse_nat_profile(std::string_view text) {
    return value_of(kProfileNames, text);
}

std::string_view summary_of(NatProfile p) {
    return name_of(kSummaries, p);
}

NatConfig profile_config(NatProfile p) {
    switch (p) {
        case P::LinuxMasquerade:
            return linux_masquerade();
        case P::Pfsense:
            return pfsense();
        case P::CloudNatSymmetric:
            return cloud_nat_symmetric();
        case P::CloudNatEim:
            return cloud_nat_eim();
        case P::CgnatPortBlock:
            return cgnat_port_block();
        case P::MobileSymmetric:
            return mobile_symmetric();
    }
    return {};
}

std::optional<NatConfig> config_of_type(std::string_view type) {
    if (auto preset = parse_nat_type(type)) return NatConfig::preset(*preset);
    if (auto profile = parse_nat_profile(type)) return profile_config(*profile);
    return std::nullopt;
}

std::vector<std::string> emulator_type_names() {
    auto names = names_of<NatType>();
    for (auto& p : names_of<NatProfile>()) names.push_back(p);
    return names;
}

}  // namespace natlab::nat
