#include "simulator/v6/nat64.h"

#include "simulator/wire/icmp.h"

namespace natlab::v6 {
namespace {

using nat::DropCode;
using nat::DropReason;
using nat::Protocol;

// RFC 6052 section 3.1: only unicast IPv4 addresses are worth embedding.
bool translatable(Ipv4 address) {
    auto top = address.value >> 24;
    return top != 0 && top != 127 && top < 224;
}

bool is_error6(const nat::Ipv6Packet& packet) {
    return packet.protocol() == Protocol::Icmp &&
           nat::icmp6_kind(packet.icmp_type()) == nat::Icmp6Kind::error;
}

bool is_error4(const nat::Ipv4Packet& packet) {
    return packet.protocol() == Protocol::Icmp && nat::icmp_kind(packet.icmp_type()) == nat::IcmpKind::Error;
}

DropReason error_refused(const char* family, std::uint8_t type) {
    return {DropCode::UnsupportedIcmp, std::string{"unsupported icmp: "} + family + " error type " +
                                           std::to_string(type) + " is not translated by nat64"};
}

}  // namespace

Nat64::Nat64(const Ipv6Prefix& prefix, const Ipv6Prefix& inside, std::size_t capacity)
    : prefix_(prefix), inside_(inside), hosts_(capacity) {}

std::optional<Ipv4> Nat64::remote_of(const Ipv6& destination, DropReason& why) const {
    auto remote = extract(prefix_, destination);
    if (remote && translatable(*remote)) return remote;
    why = {DropCode::NotOurAddress, "not translatable: " + destination.to_string() +
                                        " embeds no unicast IPv4 address under " + prefix_.to_string()};
    return std::nullopt;
}

std::optional<std::vector<std::byte>> Nat64::outbound(const nat::Ipv6Packet& packet, bool checksum_partial,
                                                      DropReason& why) {
    Ipv6 source = packet.source_address();
    if (!inside_.contains(source)) {
        why = {DropCode::NotInside,
               "not inside: " + source.to_string() + " is not in the LAN's prefix " + inside_.to_string()};
        return std::nullopt;
    }
    if (!checksum_partial && !packet.checksum_ok()) {
        why = {DropCode::Malformed, "malformed ipv6: bad transport checksum"};
        return std::nullopt;
    }
    auto remote = remote_of(packet.destination_address(), why);
    if (!remote) return std::nullopt;
    std::string full;
    auto key = hosts_.key_for(source, full);
    if (!key) {
        why = {DropCode::MappingLimit, full};
        return std::nullopt;
    }
    if (is_error6(packet)) return error_to_ipv4(packet, *key, *remote, why);
    return to_ipv4(packet, *key, *remote, why);
}

std::optional<std::vector<std::byte>> Nat64::inbound(const nat::Ipv4Packet& packet, DropReason& why) const {
    auto host = hosts_.host_of(packet.destination().addr);
    if (!host) {
        why = {DropCode::NotOurAddress,
               "not ours: " + packet.destination().addr.to_string() + " is no nat64 host's key"};
        return std::nullopt;
    }
    Ipv6 source = *embed(prefix_, packet.source().addr);
    if (is_error4(packet)) return error_to_ipv6(packet, source, *host, why);
    return to_ipv6(packet, source, *host, why);
}

std::optional<Endpoint6> Nat64::inside6(Endpoint key) const {
    auto host = hosts_.host_of(key.addr);
    if (!host) return std::nullopt;
    return Endpoint6{*host, key.port};
}

// ICMP ERROR TRANSLATION, IPv6 to IPv4 (RFC 7915 section 5.2, the quoted packet too): plugs in here.
std::optional<std::vector<std::byte>> Nat64::error_to_ipv4(const nat::Ipv6Packet& packet, Ipv4, Ipv4,
                                                           DropReason& why) const {
    why = error_refused("ICMPv6", packet.icmp_type());
    return std::nullopt;
}

// ICMP ERROR TRANSLATION, IPv4 to IPv6 (RFC 7915 section 4.2, the quoted packet too): plugs in here.
std::optional<std::vector<std::byte>> Nat64::error_to_ipv6(const nat::Ipv4Packet& packet, const Ipv6&,
                                                           const Ipv6&, DropReason& why) const {
    why = error_refused("ICMP", packet.icmp_type());
    return std::nullopt;
}

}  // namespace natlab::v6
