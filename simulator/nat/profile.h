// Profiles of real NATs: named sets of behaviours over the axes of behaviour.h.
//
// A preset (full-cone ... symmetric) picks only mapping, filtering and port
// allocation. A profile sets every behaviour the NAT it is named after is
// documented or measured to have: mapping, filtering, port allocation and
// range, UDP timeouts before and after the first inbound packet, refresh on
// inbound, hairpinning, port blocks, a limit per host. docs/nat.md gives
// each value with its source; `nat-lab profiles` lists them.
//
//  - linux-masquerade: the Linux kernel's MASQUERADE / SNAT with conntrack,
//    as OpenWrt and most home routers run it.
//  - pfsense: pf's outbound NAT as pfSense and OPNsense ship it (automatic
//    rules, no static port): every flow gets a random port.
//  - cloud-nat-symmetric: a cloud NAT gateway that maps per destination
//    (AWS NAT gateway).
//  - cloud-nat-eim: a cloud NAT with endpoint-independent mapping and a
//    fixed block of ports per VM (Google Cloud NAT with EIM on).
//  - cgnat-port-block: a carrier-grade NAT after RFC 6888 and RFC 7422.
//  - mobile-symmetric: the hard NAT of a mobile carrier.
//
// A scenario's other keys override a profile's values, as they override a
// preset's: the profile is where the NAT starts, not a lock.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "simulator/nat/behaviour.h"

namespace natlab::nat {

enum class NatProfile : std::uint8_t {
    LinuxMasquerade,
    Pfsense,
    CloudNatSymmetric,
    CloudNatEim,
    CgnatPortBlock,
    MobileSymmetric,
};

std::string_view to_string(NatProfile p);
std::optional<NatProfile> parse_nat_profile(std::string_view text);
// One line: what the profile is of, for `nat-lab profiles`.
std::string_view summary_of(NatProfile p);

NatConfig profile_config(NatProfile p);

// The configuration a `type:` names: a preset or a profile; nullopt for any other word.
std::optional<NatConfig> config_of_type(std::string_view type);
// Every word `type:` takes from the emulator: the presets, then the profiles.
std::vector<std::string> emulator_type_names();

}  // namespace natlab::nat
