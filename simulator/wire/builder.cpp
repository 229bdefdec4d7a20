#include "simulator/wire/builder.h"

#include <algorithm>
#include <span>

#include "simulator/wire/bytes.h"
#include "simulator/wire/checksum.h"

namespace natlab::nat {
namespace {

constexpr std::size_t kUdpHeader = 8;
constexpr std::size_t kTcpHeader = 20;
constexpr std::size_t kMssOption = 4;
constexpr std::size_t kIcmpHeader = 8;

void copy_payload(const std::vector<std::byte>& payload, std::span<std::byte> to) {
    std::copy(payload.begin(), payload.end(), to.begin());
}

void write_tcp(std::span<std::byte> tcp, const TcpSegmentSpec& spec, std::size_t header_size) {
    store16(tcp, 0, spec.flow.source.port);
    store16(tcp, 2, spec.flow.destination.port);
    store32(tcp, 4, spec.seq);
    store32(tcp, 8, spec.ack);
    store8(tcp, 12, static_cast<std::uint8_t>((header_size / 4) << 4));
    store8(tcp, 13, spec.flags);
    store16(tcp, 14, 64240);  // window
    if (spec.mss) {
        store8(tcp, kTcpHeader, 2);  // kind: maximum segment size
        store8(tcp, kTcpHeader + 1, kMssOption);
        store16(tcp, kTcpHeader + 2, spec.mss);
    }
    copy_payload(spec.payload, tcp.subspan(header_size));
    store16(tcp, 16, tcp_checksum(spec.flow.source.addr, spec.flow.destination.addr, tcp));
}

}  // namespace

std::vector<std::byte> build_ipv4(std::uint8_t protocol, Ipv4 source, Ipv4 destination, std::uint8_t ttl,
                                  std::size_t payload_size) {
    std::vector<std::byte> bytes(kIpv4HeaderSize + payload_size);
    store8(bytes, 0, 0x45);  // version 4, IHL 5
    store16(bytes, 2, static_cast<std::uint16_t>(bytes.size()));
    store8(bytes, 8, ttl);
    store8(bytes, 9, protocol);
    store32(bytes, 12, source.value);
    store32(bytes, 16, destination.value);
    store16(bytes, 10, internet_checksum(std::span{bytes}.first(kIpv4HeaderSize)));
    return bytes;
}

std::vector<std::byte> build_udp_datagram(const UdpDatagramSpec& spec) {
    auto bytes = build_ipv4(kIpProtocolUdp, spec.flow.source.addr, spec.flow.destination.addr, spec.ttl,
                            kUdpHeader + spec.payload.size());
    auto udp = std::span{bytes}.subspan(kIpv4HeaderSize);
    store16(udp, 0, spec.flow.source.port);
    store16(udp, 2, spec.flow.destination.port);
    store16(udp, 4, static_cast<std::uint16_t>(udp.size()));
    copy_payload(spec.payload, udp.subspan(kUdpHeader));
    if (spec.udp_checksum)
        store16(udp, 6, udp_checksum(spec.flow.source.addr, spec.flow.destination.addr, udp));
    return bytes;
}

std::vector<std::byte> build_tcp_segment(const TcpSegmentSpec& spec) {
    std::size_t header_size = kTcpHeader + (spec.mss ? kMssOption : 0);
    auto bytes = build_ipv4(kIpProtocolTcp, spec.flow.source.addr, spec.flow.destination.addr, spec.ttl,
                            header_size + spec.payload.size());
    write_tcp(std::span{bytes}.subspan(kIpv4HeaderSize), spec, header_size);
    return bytes;
}

std::vector<std::byte> build_icmp_echo(const IcmpEchoSpec& spec) {
    auto bytes = build_ipv4(kIpProtocolIcmp, spec.source, spec.destination, spec.ttl,
                            kIcmpHeader + spec.payload.size());
    auto icmp = std::span{bytes}.subspan(kIpv4HeaderSize);
    store8(icmp, 0, spec.request ? 8 : 0);  // type: echo request 8, echo reply 0; code 0
    store16(icmp, 4, spec.identifier);
    store16(icmp, 6, spec.sequence);
    copy_payload(spec.payload, icmp.subspan(kIcmpHeader));
    store16(icmp, 2, icmp_checksum(icmp));
    return bytes;
}

}  // namespace natlab::nat
