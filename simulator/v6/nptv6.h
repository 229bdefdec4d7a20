// NPTv6 (RFC 6296): stateless, checksum-neutral IPv6 prefix translation.
//
// Theory of operation
// -------------------
// An NPTv6 translator swaps one prefix for another in every address that
// crosses it: outbound, a source address in the inside prefix (a ULA /64
// of the lab's plan, e.g. fd00:1::/64) leaves in the outside prefix (a /64
// of the lab's internet, 2001:2::/48); inbound, a destination address in
// the outside prefix goes back to the inside one. No state is kept and no
// port changes: one inside host is one outside host, and a packet from
// anywhere reaches it (filtering is a firewall's business, not NPTv6's).
//
// Checksum neutrality (RFC 6296 section 3.1). Transport checksums cover
// the addresses through the pseudo-header. Instead of patching every
// checksum, the translator also changes one 16-bit word of the address so
// that the address's one's-complement sum stays what it was:
//   adjustment = sum(inside prefix) - sum(outside prefix)   (one's complement)
// outbound adds the adjustment to that word, inbound subtracts it. Which
// word (section 3.4, 3.5): for prefixes of 48 bits or shorter, bits 48-63
// (the subnet ID); for longer ones (up to 64), the first word of the
// interface identifier that is not 0xffff. A word that comes out 0xffff is
// written 0x0000 (the same value in one's complement, section 3.3); an
// address whose interface identifier is all 0xffff words cannot be
// translated neutrally and is refused (nullopt), as the RFC says to drop it.
//
// Both prefixes have one length, 1..64, as the RFC's algorithm needs (the
// adjusted word must lie outside both prefixes).
#pragma once

#include <optional>
#include <string>

#include "src/net/ipv6.h"

namespace natlab::v6 {

class Nptv6 {
public:
    // nullopt and `why` when the prefixes cannot be an NPTv6 pair.
    static std::optional<Nptv6> make(const Ipv6Prefix& inside, const Ipv6Prefix& outside, std::string& why);

    // Inside to outside (a source address leaving); nullopt when the
    // address is not in the inside prefix or cannot be translated.
    std::optional<Ipv6> outbound(const Ipv6& address) const;
    // Outside to inside (a destination address arriving).
    std::optional<Ipv6> inbound(const Ipv6& address) const;

    const Ipv6Prefix& inside() const { return inside_; }
    const Ipv6Prefix& outside() const { return outside_; }

private:
    Nptv6(Ipv6Prefix inside, Ipv6Prefix outside);
    std::optional<Ipv6> translate(const Ipv6& address, const Ipv6Prefix& from, const Ipv6Prefix& to,
                                  std::uint16_t adjustment) const;

    Ipv6Prefix inside_, outside_;
    std::uint16_t adjustment_ = 0;  // added outbound; its complement inbound
};

// The one's-complement sum of an address's eight words, folded to 16 bits:
// what the pseudo-header sees of it (0xffff and 0 are the same value).
std::uint16_t address_sum(const Ipv6& address);

}  // namespace natlab::v6
