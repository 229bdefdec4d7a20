#include "simulator/v6/nat64.h"

#include "simulator/v6/icmp_translate.h"
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
    if (is_icmp_error(packet)) return error_to_ipv4(packet, *key, *remote, why);
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
    if (is_icmp_error(packet)) return error_to_ipv6(packet, source, *host, why);
    return to_ipv6(packet, source, *host, why);
}

std::optional<Endpoint6> Nat64::inside6(Endpoint key) const {
    auto host = hosts_.host_of(key.addr);
    if (!host) return std::nullopt;
    return Endpoint6{*host, key.port};
}

// An ICMPv6 error from the LAN (RFC 7915 section 5.2) is about a packet the
// host received through us: its quote runs from a remote under the prefix
// to the host, and becomes IPv4 from the embedded remote to the host's key,
// so that the NAT core turns the quoted key into the public endpoint
// (RFC 5508 REQ-5) as for an IPv4 host's error.
std::optional<std::vector<std::byte>> Nat64::error_to_ipv4(const nat::Ipv6Packet& packet, Ipv4 source,
                                                           Ipv4 destination, DropReason& why) const {
    auto quoted = quoted_flow(packet, why);
    if (!quoted) return std::nullopt;
    auto remote = remote_of(quoted->source.addr, why);
    if (!remote) return std::nullopt;
    auto key = hosts_.key_of(quoted->destination.addr);
    if (!key) {
        why = {DropCode::IcmpErrorUnmatched,
               "icmp error unmatched: " + quoted->to_string() + " was not sent to a nat64 host"};
        return std::nullopt;
    }
    QuotedAddresses4 quote{{*remote, quoted->source.port}, {*key, quoted->destination.port}};
    return icmp_error_to_ipv4(packet, source, destination, quote, why);
}

// An ICMPv4 error the NAT core has already turned back to a key (RFC 5508
// REQ-4: its quote runs from the key's endpoint to the remote) becomes an
// ICMPv6 error to the host, quoting the packet as the host sent it: from the
// host to the remote under the prefix (RFC 7915 section 4.2).
std::optional<std::vector<std::byte>> Nat64::error_to_ipv6(const nat::Ipv4Packet& packet, const Ipv6& source,
                                                           const Ipv6& destination, DropReason& why) const {
    auto quoted = quoted_flow(packet, why);
    if (!quoted) return std::nullopt;
    auto host = hosts_.host_of(quoted->source.addr);
    auto remote = embed(prefix_, quoted->destination.addr);
    if (!host || !remote) {
        why = {DropCode::IcmpErrorUnmatched,
               "icmp error unmatched: " + quoted->to_string() + " was not sent by a nat64 host"};
        return std::nullopt;
    }
    QuotedAddresses6 quote{{*host, quoted->source.port}, {*remote, quoted->destination.port}};
    return icmp_error_to_ipv6(packet, source, destination, quote, why);
}

}  // namespace natlab::v6
