#include "simulator/v6/nptv6.h"

namespace natlab::v6 {
namespace {

std::uint16_t fold(std::uint32_t sum) {
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return static_cast<std::uint16_t>(sum);
}

std::uint16_t add(std::uint16_t a, std::uint16_t b) {
    return fold(std::uint32_t{a} + b);
}

// The one's-complement sum of the words that hold the prefix's bits.
std::uint16_t prefix_sum(const Ipv6Prefix& p) {
    std::uint32_t sum = 0;
    for (int i = 0; i < (p.length + 15) / 16; ++i) sum += p.base.group(i);
    return fold(sum);
}

// The word that takes the adjustment, or -1 when none can (RFC 6296 §3.5).
int adjusted_word(const Ipv6& address, int prefix_length) {
    if (prefix_length <= 48) return 3;
    for (int i = 4; i < 8; ++i)
        if (address.group(i) != 0xffff) return i;
    return -1;
}

}  // namespace

std::uint16_t address_sum(const Ipv6& address) {
    std::uint32_t sum = 0;
    for (int i = 0; i < 8; ++i) sum += address.group(i);
    return fold(sum);
}

std::optional<Nptv6> Nptv6::make(const Ipv6Prefix& inside, const Ipv6Prefix& outside, std::string& why) {
    if (inside.length != outside.length)
        why = "the inside and outside prefixes must have one length (" + inside.to_string() + ", " +
              outside.to_string() + ")";
    else if (inside.length < 1 || inside.length > 64)
        why = "an NPTv6 prefix must be /1 to /64, not /" + std::to_string(inside.length);
    else if (inside.overlaps(outside))
        why =
            "the inside prefix " + inside.to_string() + " overlaps the outside prefix " + outside.to_string();
    else
        return Nptv6(inside, outside);
    return std::nullopt;
}

Nptv6::Nptv6(Ipv6Prefix inside, Ipv6Prefix outside)
    : inside_(inside),
      outside_(outside),
      adjustment_(add(prefix_sum(inside), ~prefix_sum(outside) & 0xffff)) {}

std::optional<Ipv6> Nptv6::outbound(const Ipv6& address) const {
    return translate(address, inside_, outside_, adjustment_);
}

std::optional<Ipv6> Nptv6::inbound(const Ipv6& address) const {
    return translate(address, outside_, inside_, static_cast<std::uint16_t>(~adjustment_));
}

std::optional<Ipv6> Nptv6::translate(const Ipv6& address, const Ipv6Prefix& from, const Ipv6Prefix& to,
                                     std::uint16_t adjustment) const {
    if (!from.contains(address)) return std::nullopt;
    int word = adjusted_word(address, from.length);
    if (word < 0) return std::nullopt;
    Ipv6 out = address;
    for (int bit = 0; bit < to.length; ++bit) {
        auto mask = static_cast<std::uint8_t>(0x80 >> (bit % 8));
        out.bytes[bit / 8] =
            static_cast<std::uint8_t>((out.bytes[bit / 8] & ~mask) | (to.base.bytes[bit / 8] & mask));
    }
    auto adjusted = add(out.group(word), adjustment);
    out.set_group(word, adjusted == 0xffff ? 0 : adjusted);
    return out;
}

}  // namespace natlab::v6
