#include "simulator/wire/icmp.h"

#include <algorithm>

#include "simulator/wire/builder.h"
#include "simulator/wire/bytes.h"
#include "simulator/wire/checksum.h"

namespace natlab::nat {
namespace {

constexpr std::size_t kTypeCode = 0;
constexpr std::size_t kChecksum = 2;
constexpr std::uint8_t kAnswerTtl = 64;

bool unicast_host(Ipv4 a) {
    auto first = a.value >> 24;
    return a.value != 0 && first != 127 && first < 224;  // not 0.0.0.0, loopback, multicast, class E
}

}  // namespace

IcmpKind icmp_kind(std::uint8_t type) {
    switch (type) {
        case kIcmpEchoRequest:
            return IcmpKind::EchoRequest;
        case kIcmpEchoReply:
            return IcmpKind::EchoReply;
        case kIcmpDestinationUnreachable:
        case kIcmpTimeExceeded:
        case kIcmpParameterProblem:
            return IcmpKind::Error;
    }
    return IcmpKind::Other;
}

std::optional<QuotedPacket> quoted_packet_of(Ipv4Packet& error, DropReason& why) {
    auto message = error.transport_bytes();
    if (internet_checksum(message) != 0) {  // RFC 5508 REQ-3
        why = {DropCode::Malformed, "malformed: bad ICMP checksum"};
        return std::nullopt;
    }
    return QuotedPacket::parse(message.subspan(kIcmpHeaderSize), why);
}

void refresh_icmp_checksum(Ipv4Packet& packet) {
    auto message = packet.transport_bytes();
    store16(message, kChecksum, icmp_checksum(message));
}

bool may_send_error_about(const Ipv4Packet& packet) {
    if (packet.protocol() == Protocol::Icmp && icmp_kind(packet.icmp_type()) == IcmpKind::Error) return false;
    return unicast_host(packet.source().addr) && unicast_host(packet.destination().addr);
}

std::vector<std::byte> build_icmp_error(Ipv4 from, std::uint8_t type, std::uint8_t code,
                                        std::span<const std::byte> original) {
    auto quote =
        original.first(std::min(original.size(), kIcmpErrorMaxSize - kIpv4HeaderSize - kIcmpHeaderSize));
    Ipv4 to{load32(original, 12)};  // the original's source address
    auto bytes = build_ipv4(kIpProtocolIcmp, from, to, kAnswerTtl, kIcmpHeaderSize + quote.size());
    auto message = std::span{bytes}.subspan(kIpv4HeaderSize);
    store8(message, 0, type);
    store8(message, 1, code);
    std::copy(quote.begin(), quote.end(), message.begin() + kIcmpHeaderSize);
    store16(message, kChecksum, icmp_checksum(message));
    return bytes;
}

void answer_echo(Ipv4Packet& packet) {
    Ipv4 asker = packet.source().addr, us = packet.destination().addr;
    packet.set_source_address(us);
    packet.set_destination_address(asker);
    auto message = packet.transport_bytes();
    std::uint16_t old_word = load16(message, kTypeCode);
    store8(message, kTypeCode, kIcmpEchoReply);
    store16(message, kChecksum,
            checksum_adjust(load16(message, kChecksum), old_word, load16(message, kTypeCode)));
    packet.set_ttl(kAnswerTtl);
}

}  // namespace natlab::nat
