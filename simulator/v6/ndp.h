// IPv6 Neighbor Discovery (RFC 4861) for the emulated router: what IPv4's
// ARP is to nat-emu, plus the Router Advertisement that tells a LAN's
// hosts their prefix and default router.
//
// Theory of operation
// -------------------
// The router answers for its own addresses and asks for its neighbours':
//   - A Neighbor Solicitation (type 135) for one of its addresses gets a
//     Neighbor Advertisement (type 136) with the Router, Solicited and
//     Override flags and its link-layer address, sent to the solicitor (to
//     all-nodes, ff02::1, when the solicitor has no address yet: duplicate
//     address detection, section 7.2.4).
//   - To reach a neighbour it sends a solicitation to the target's
//     solicited-node multicast address, ff02::1:ffXX:XXXX from the target's
//     low 24 bits (RFC 4291 section 2.7.1), and learns the link-layer
//     address from the advertisement (`parse_advertisement`).
//   - A Router Advertisement (type 134) carries the LAN's /64 in a Prefix
//     Information option with the on-link and autonomous flags (section
//     4.6.2; SLAAC, RFC 4862), a router lifetime, and the router's
//     link-layer address.
// Validity (sections 6.1, 7.1): every ND message has hop limit 255 (so it
// cannot have come through a router), ICMP code 0 and a correct checksum;
// a solicitation's target is not multicast, and one from the unspecified
// address carries no link-layer option. Anything else is ignored, with
// the reason.
//
// Messages are whole IPv6 packets (simulator/wire/ipv6_packet.h); the
// Ethernet destination of a multicast packet is 33:33 and the address's
// low 32 bits (RFC 2464 section 7).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "simulator/wire/ethernet.h"
#include "simulator/wire/ipv6_packet.h"
#include "src/net/ipv6.h"

namespace natlab::v6 {

inline constexpr std::uint8_t kRouterAdvertisement = 134;
inline constexpr std::uint8_t kNeighborSolicitation = 135;
inline constexpr std::uint8_t kNeighborAdvertisement = 136;

Ipv6 solicited_node(const Ipv6& target);
Ipv6 all_nodes();  // ff02::1
nat::MacAddress multicast_mac(const Ipv6& group);
// fe80::/64 with an interface identifier from the MAC (modified EUI-64, RFC 4291 appendix A).
Ipv6 link_local(const nat::MacAddress& mac);

struct Solicitation {
    Ipv6 source;  // :: for duplicate address detection
    Ipv6 target;
    std::optional<nat::MacAddress> source_mac;  // the source link-layer address option
};

// A valid Neighbor Solicitation, or nullopt and `why`.
std::optional<Solicitation> parse_solicitation(const nat::Ipv6Packet& packet, std::string& why);
// The advertisement answering `s`, from the router's `own` address and `mac`.
std::vector<std::byte> build_advertisement(const Solicitation& s, const Ipv6& own,
                                           const nat::MacAddress& mac);
// A solicitation for `target`, from `own` and `mac`, to the target's solicited-node group.
std::vector<std::byte> build_solicitation(const Ipv6& target, const Ipv6& own, const nat::MacAddress& mac);

struct Advertisement {
    Ipv6 target;
    std::optional<nat::MacAddress> target_mac;
    bool router = false, solicited = false, override_ = false;
};
std::optional<Advertisement> parse_advertisement(const nat::Ipv6Packet& packet, std::string& why);

struct RouterAdvertisementSpec {
    Ipv6 source;  // the router's link-local address (section 4.2: RAs come from one)
    nat::MacAddress mac;
    Ipv6Prefix prefix;  // the LAN's /64
    std::uint16_t router_lifetime = 1800;
    std::uint32_t valid_lifetime = 86400, preferred_lifetime = 14400;
};
std::vector<std::byte> build_router_advertisement(const RouterAdvertisementSpec& spec);

}  // namespace natlab::v6
