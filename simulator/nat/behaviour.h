// The behaviours a NAT can have, and the configuration that selects them.
//
// RFC 4787 describes a NAT's UDP treatment along independent axes; nat-lab
// lets each one be chosen on its own:
//
//  - Mapping (RFC 4787 §4.1): when an inside endpoint sends to remotes, does
//    it keep one external endpoint for all of them (endpoint-independent),
//    one per remote address (address-dependent), or one per remote address
//    and port (address-and-port-dependent)? Only the first lets a peer learn
//    its public endpoint from a server and hand it to another peer.
//  - Filtering (RFC 4787 §5): once a mapping exists, who may send in through
//    it? Anyone (endpoint-independent), any port of an address the mapping
//    has sent to (address-dependent), or only the exact address and port it
//    has sent to (address-and-port-dependent).
//  - Port assignment (RFC 4787 §4.2): keep the inside source port when it is
//    free (preserve), else take the next free one (sequential) or any free
//    one (random). Random allocation defeats port prediction.
//  - Refresh and timeout (RFC 4787 §4.3): a mapping that carries no traffic
//    for the timeout disappears; outbound packets always refresh it, inbound
//    ones only if refresh-on-inbound is set. The RFC asks for at least two
//    minutes, which is the default here. A NAT may keep a mapping that has
//    never carried an inbound packet for a shorter time than one that has
//    (Linux conntrack: 30 s unreplied, 120 s once answered): §4.3 asks only
//    that the two minutes hold for a mapping in use, and REQ-5 lets a NAT
//    use shorter timers for ports it knows; `mapping_timeout_before_inbound`
//    is that first timer, `mapping_timeout` the one after the first inbound
//    packet the filter admitted. UDP only.
//  - Hairpinning (RFC 4787 §6): an inside host sending to the NAT's own
//    external endpoint is looped back inside, with the sender's external
//    endpoint as source. Off by default.
//  - IP address pooling (RFC 4787 §4.1, REQ-2): with several external
//    addresses, "paired" gives every inside host one external address for
//    all its mappings, of every protocol (RFC 7857 §4); "arbitrary" lets
//    each new mapping take any address. Paired by default, as the RFC
//    recommends.
//  - Port parity (RFC 4787 §4.2.2, REQ-4 recommends it): an even inside
//    port gets an even external port, an odd one an odd one.
//  - Port blocks (RFC 6888 REQ-4, RFC 7422, RFC 7753): the first mapping
//    of an inside host reserves a block of `port_block_size` contiguous
//    external ports on its external address; its later mappings take ports
//    of its blocks, and it may hold at most `port_blocks_per_host` blocks
//    (port_blocks.h). Off (size 0) by default.
//  - A limit of mappings per inside host (RFC 6888 REQ-4: a CGN must be able
//    to limit how many ports a subscriber holds): a new mapping beyond
//    `mappings_per_host` live ones is refused ("mapping limit"). Off (0) by
//    default.
//
// The same mapping and filtering behaviours apply to TCP (RFC 5382) and to
// ICMP queries (RFC 5508), each with its own timeouts: an ICMP query mapping
// lives 60 s (RFC 5508 REQ-2), a TCP mapping 2 h 4 min while its connection
// is established and 4 min while it opens or closes (RFC 5382 REQ-5; see
// tcp_state.h).
//
// The classic names are presets over these axes: full-cone = EIM + EIF,
// restricted = EIM + ADF, port-restricted = EIM + APDF, symmetric = APDM +
// APDF with random ports. Names on the command line and in the event log are
// the lower-case, hyphenated words of the RFC ("address-and-port-dependent").
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "src/net/clock.h"

namespace natlab::nat {

enum class MappingBehaviour : std::uint8_t { EndpointIndependent, AddressDependent, AddressAndPortDependent };
enum class FilteringBehaviour : std::uint8_t {
    EndpointIndependent,
    AddressDependent,
    AddressAndPortDependent
};
enum class PortAllocation : std::uint8_t { Preserve, Sequential, Random };
enum class NatType : std::uint8_t { FullCone, Restricted, PortRestricted, Symmetric };
enum class AddressPooling : std::uint8_t { Paired, Arbitrary };

std::string_view to_string(MappingBehaviour b);
std::string_view to_string(FilteringBehaviour b);
std::string_view to_string(PortAllocation a);
std::string_view to_string(NatType t);
std::string_view to_string(AddressPooling p);

// The names of every value of one of the enums above, in declaration order
// (to_string names each value and answers "?" past the last).
template <typename E>
std::vector<std::string> names_of() {
    std::vector<std::string> names;
    for (int i = 0;; ++i) {
        auto text = to_string(static_cast<E>(i));
        if (text == "?") return names;
        names.emplace_back(text);
    }
}

std::optional<MappingBehaviour> parse_mapping_behaviour(std::string_view text);
std::optional<FilteringBehaviour> parse_filtering_behaviour(std::string_view text);
std::optional<PortAllocation> parse_port_allocation(std::string_view text);
std::optional<NatType> parse_nat_type(std::string_view text);
std::optional<AddressPooling> parse_address_pooling(std::string_view text);

// An inclusive range of external ports, "LO-HI" on the command line.
struct PortRange {
    std::uint16_t first = 1024;
    std::uint16_t last = 65535;

    static std::optional<PortRange> parse(std::string_view text);  // 1 <= LO <= HI
    std::string to_string() const;
    std::size_t size() const { return std::size_t{last} - first + 1; }
    bool contains(std::uint16_t port) const { return port >= first && port <= last; }
    auto operator<=>(const PortRange&) const = default;
};

struct NatConfig {
    MappingBehaviour mapping = MappingBehaviour::EndpointIndependent;
    FilteringBehaviour filtering = FilteringBehaviour::AddressAndPortDependent;
    PortAllocation port_allocation = PortAllocation::Preserve;
    PortRange ports;
    Millis mapping_timeout = std::chrono::seconds{120};          // UDP (RFC 4787 REQ-5)
    Millis icmp_timeout = std::chrono::seconds{60};              // RFC 5508 REQ-2
    Millis tcp_established_timeout = std::chrono::minutes{124};  // RFC 5382 REQ-5
    Millis tcp_transitory_timeout = std::chrono::minutes{4};     // RFC 5382 REQ-5
    AddressPooling pooling = AddressPooling::Paired;
    bool hairpin = false;
    bool refresh_on_inbound = false;  // UDP and ICMP; TCP is refreshed both ways
    bool icmp_errors = true;          // originate time exceeded and "prohibited" errors
    Millis mapping_timeout_before_inbound{
        0};                             // UDP until the first admitted inbound packet; 0: mapping_timeout
    bool port_parity = false;           // §4.2.2: external port has the inside port's parity
    std::uint16_t port_block_size = 0;  // RFC 7422 port blocks; 0: none
    std::uint16_t port_blocks_per_host = 1;  // blocks one inside host may hold
    std::uint32_t mappings_per_host = 0;     // live mappings one inside host may hold; 0: no limit

    // The classic type's mapping, filtering and port allocation; the other
    // fields keep their defaults. The default NatConfig is port-restricted.
    static NatConfig preset(NatType type);
    auto operator<=>(const NatConfig&) const = default;
};

}  // namespace natlab::nat
