#include "simulator/v6/siit.h"

#include <algorithm>
#include <array>

#include "simulator/wire/builder.h"
#include "simulator/wire/bytes.h"
#include "simulator/wire/checksum.h"
#include "simulator/wire/icmp.h"

namespace natlab::v6 {
namespace {

using nat::DropCode;
using nat::DropReason;
using nat::Protocol;

constexpr std::array<int, 6> kLengths{32, 40, 48, 56, 64, 96};

// The byte positions, in order, that hold the IPv4 address under a prefix
// of `length` bits (RFC 6052 section 2.2: byte 8 is skipped).
std::array<int, 4> positions(int length) {
    std::array<int, 4> at{};
    int next = length / 8;
    for (int& p : at) {
        if (next == 8) ++next;
        p = next++;
    }
    return at;
}

DropReason icmp_refused(std::string what) {
    return {DropCode::UnsupportedIcmp, "unsupported icmp: " + what + " is not translated (only echo)"};
}

std::optional<std::uint8_t> echo_type_4to6(std::uint8_t type) {
    if (type == nat::kIcmpEchoRequest) return nat::kIcmpv6EchoRequest;
    if (type == nat::kIcmpEchoReply) return nat::kIcmpv6EchoReply;
    return std::nullopt;
}

std::optional<std::uint8_t> echo_type_6to4(std::uint8_t type) {
    if (type == nat::kIcmpv6EchoRequest) return nat::kIcmpEchoRequest;
    if (type == nat::kIcmpv6EchoReply) return nat::kIcmpEchoReply;
    return std::nullopt;
}

}  // namespace

bool valid_nat64_prefix(const Ipv6Prefix& prefix) {
    return std::find(kLengths.begin(), kLengths.end(), prefix.length) != kLengths.end() &&
           (prefix.length <= 64 || prefix.base.bytes[8] == 0);
}

std::optional<Ipv6> embed(const Ipv6Prefix& prefix, Ipv4 address) {
    if (!valid_nat64_prefix(prefix)) return std::nullopt;
    Ipv6 out = prefix.base;
    auto at = positions(prefix.length);
    for (int i = 0; i < 4; ++i) out.bytes[at[i]] = static_cast<std::uint8_t>(address.value >> (24 - 8 * i));
    return out;
}

std::optional<Ipv4> extract(const Ipv6Prefix& prefix, const Ipv6& address) {
    if (!valid_nat64_prefix(prefix) || !prefix.contains(address) || address.bytes[8] != 0)
        return std::nullopt;
    std::uint32_t value = 0;
    for (int p : positions(prefix.length)) value = value << 8 | address.bytes[p];
    return Ipv4{value};
}

std::optional<std::vector<std::byte>> to_ipv4(const nat::Ipv6Packet& packet, Ipv4 source, Ipv4 destination,
                                              DropReason& why) {
    auto t6 = packet.transport();
    std::optional<std::uint8_t> echo;
    if (packet.protocol() == Protocol::Icmp && !(echo = echo_type_6to4(packet.icmp_type()))) {
        why = icmp_refused("ICMPv6 type " + std::to_string(packet.icmp_type()));
        return std::nullopt;
    }
    auto out = nat::build_ipv4(nat::ip_protocol_number(packet.protocol()), source, destination,
                               packet.hop_limit(), t6.size());
    auto header = std::span{out}.first(nat::kIpv4HeaderSize);
    auto traffic_class = static_cast<std::uint8_t>((nat::load16(packet.bytes(), 0) >> 4) & 0xff);
    nat::store8(header, 1, traffic_class);
    nat::store16(header, 6, 0x4000);  // DF, no fragments
    nat::store16(header, 10, 0);
    nat::store16(header, 10, nat::internet_checksum(header));
    auto t4 = std::span{out}.subspan(nat::kIpv4HeaderSize);
    std::copy(t6.begin(), t6.end(), t4.begin());
    if (packet.protocol() == Protocol::Udp) nat::store16(t4, 6, nat::udp_checksum(source, destination, t4));
    if (packet.protocol() == Protocol::Tcp) nat::store16(t4, 16, nat::tcp_checksum(source, destination, t4));
    if (echo) {
        nat::store8(t4, 0, *echo);
        nat::store16(t4, 2, nat::icmp_checksum(t4));
    }
    return out;
}

std::optional<std::vector<std::byte>> to_ipv6(const nat::Ipv4Packet& packet, const Ipv6& source,
                                              const Ipv6& destination, DropReason& why) {
    auto t4 = packet.transport();
    std::optional<std::uint8_t> echo;
    if (packet.protocol() == Protocol::Icmp && !(echo = echo_type_4to6(packet.icmp_type()))) {
        why = icmp_refused("ICMP type " + std::to_string(packet.icmp_type()));
        return std::nullopt;
    }
    auto out = nat::build_ipv6(packet.protocol(), source, destination, packet.ttl(), t4.size(),
                               nat::load8(packet.bytes(), 1));
    auto t6 = std::span{out}.subspan(nat::kIpv6HeaderSize);
    std::copy(t4.begin(), t4.end(), t6.begin());
    if (echo) nat::store8(t6, 0, *echo);
    std::size_t field = packet.protocol() == Protocol::Tcp ? 16 : packet.protocol() == Protocol::Udp ? 6 : 2;
    nat::store16(t6, field, nat::transport_checksum6(source, destination, packet.protocol(), t6));
    return out;
}

}  // namespace natlab::v6
