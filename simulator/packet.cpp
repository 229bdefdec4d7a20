#include "packet.h"

#include <algorithm>

#include "bytes.h"
#include "checksum.h"

namespace natlab::nat {
namespace {

// IPv4 header fields (RFC 791 §3.1), byte offsets.
constexpr std::size_t kVersionIhl = 0;
constexpr std::size_t kTotalLength = 2;
constexpr std::size_t kFlagsFragment = 6;
constexpr std::size_t kTtl = 8;
constexpr std::size_t kProtocol = 9;
constexpr std::size_t kHeaderChecksum = 10;
constexpr std::size_t kSourceAddress = 12;
constexpr std::size_t kDestinationAddress = 16;
constexpr std::size_t kMinHeader = 20;
constexpr std::uint16_t kMoreFragments = 0x2000;
constexpr std::uint16_t kFragmentOffsetMask = 0x1fff;

// UDP header fields (RFC 768), offsets from the start of the UDP header.
constexpr std::size_t kSourcePort = 0;
constexpr std::size_t kDestinationPort = 2;
constexpr std::size_t kUdpLength = 4;
constexpr std::size_t kUdpChecksum = 6;
constexpr std::size_t kUdpHeader = 8;

std::optional<DropReason> malformed(std::string text) {
    return DropReason{DropCode::Malformed, "malformed: " + std::move(text)};
}

// Version and header length; on success `header_size` is set.
std::optional<DropReason> check_header(std::span<const std::byte> b, std::size_t& header_size) {
    if (b.size() < kMinHeader)
        return malformed("only " + std::to_string(b.size()) + " bytes, less than an IPv4 header");
    if (auto version = load8(b, kVersionIhl) >> 4; version != 4)
        return malformed("IP version " + std::to_string(version) + ", not 4");
    header_size = std::size_t{load8(b, kVersionIhl) & 0x0fu} * 4;
    if (header_size < kMinHeader)
        return malformed("header length " + std::to_string(header_size) + " bytes, less than 20");
    if (header_size > b.size())
        return malformed("header length " + std::to_string(header_size) + " bytes but " +
                         std::to_string(b.size()) + " received");
    return std::nullopt;
}

// Total length and header checksum; on success `total` is set.
std::optional<DropReason> check_total(std::span<const std::byte> b, std::size_t header_size,
                                      std::size_t& total) {
    total = load16(b, kTotalLength);
    if (total < header_size)
        return malformed("total length " + std::to_string(total) + " is less than the header");
    if (total > b.size())
        return malformed("total length " + std::to_string(total) + " but " + std::to_string(b.size()) +
                         " bytes received");
    if (internet_checksum(b.first(header_size)) != 0) return malformed("bad IPv4 header checksum");
    return std::nullopt;
}

std::optional<DropReason> check_not_fragment(std::span<const std::byte> b) {
    auto flags = load16(b, kFlagsFragment);
    if ((flags & kMoreFragments) || (flags & kFragmentOffsetMask))
        return DropReason{DropCode::Fragment, "fragment: IPv4 fragments are not reassembled"};
    return std::nullopt;
}

std::optional<DropReason> check_udp(std::span<const std::byte> b, std::size_t header_size, std::size_t total,
                                    std::size_t& udp_size) {
    if (auto protocol = load8(b, kProtocol); protocol != kIpProtocolUdp)
        return DropReason{DropCode::NotUdp,
                          "not udp: IP protocol " + std::to_string(protocol) + " is not translated"};
    std::size_t room = total - header_size;
    if (room < kUdpHeader) return malformed("no room for a UDP header");
    udp_size = load16(b, header_size + kUdpLength);
    if (udp_size < kUdpHeader || udp_size > room)
        return malformed("UDP length " + std::to_string(udp_size) + " but IP payload " +
                         std::to_string(room));
    return std::nullopt;
}

}  // namespace

std::string Flow::to_string() const {
    return source.to_string() + " -> " + destination.to_string();
}

std::optional<Ipv4Packet> Ipv4Packet::parse(std::span<std::byte> bytes, DropReason& why) {
    std::size_t header_size = 0, total = 0, udp_size = 0;
    auto problem = check_header(bytes, header_size);
    if (!problem) problem = check_total(bytes, header_size, total);
    if (!problem) problem = check_not_fragment(bytes);
    if (!problem) problem = check_udp(bytes, header_size, total, udp_size);
    if (problem) {
        why = std::move(*problem);
        return std::nullopt;
    }
    return Ipv4Packet{bytes.first(total), header_size, udp_size};
}

Endpoint Ipv4Packet::source() const {
    return {Ipv4{load32(bytes_, kSourceAddress)}, load16(bytes_, header_size_ + kSourcePort)};
}

Endpoint Ipv4Packet::destination() const {
    return {Ipv4{load32(bytes_, kDestinationAddress)}, load16(bytes_, header_size_ + kDestinationPort)};
}

std::uint8_t Ipv4Packet::ttl() const {
    return load8(bytes_, kTtl);
}

std::uint16_t Ipv4Packet::header_checksum() const {
    return load16(bytes_, kHeaderChecksum);
}

std::uint16_t Ipv4Packet::udp_checksum_field() const {
    return load16(bytes_, header_size_ + kUdpChecksum);
}

void Ipv4Packet::set_source(Endpoint to) {
    rewrite(kSourceAddress, kSourcePort, to);
}

void Ipv4Packet::set_destination(Endpoint to) {
    rewrite(kDestinationAddress, kDestinationPort, to);
}

void Ipv4Packet::decrement_ttl() {
    // TTL shares a 16-bit checksum word with the protocol field.
    std::uint16_t old_word = load16(bytes_, kTtl);
    store8(bytes_, kTtl, static_cast<std::uint8_t>(ttl() - 1));
    store16(bytes_, kHeaderChecksum, checksum_adjust(header_checksum(), old_word, load16(bytes_, kTtl)));
}

void Ipv4Packet::finish_udp_checksum() {
    store16(bytes_, header_size_ + kUdpChecksum,
            udp_checksum(source().addr, destination().addr, udp_segment()));
}

void Ipv4Packet::rewrite(std::size_t address_at, std::size_t port_at, Endpoint to) {
    std::uint32_t old_address = load32(bytes_, address_at);
    std::uint16_t old_port = load16(bytes_, header_size_ + port_at);
    store32(bytes_, address_at, to.addr.value);
    store16(bytes_, header_size_ + port_at, to.port);
    store16(bytes_, kHeaderChecksum, checksum_adjust32(header_checksum(), old_address, to.addr.value));
    patch_udp_checksum(old_address, old_port, to);
}

void Ipv4Packet::patch_udp_checksum(std::uint32_t old_address, std::uint16_t old_port, Endpoint to) {
    std::uint16_t sum = udp_checksum_field();
    if (sum == 0) return;  // RFC 768: the sender computed none; "none" must survive the NAT.
    sum = checksum_adjust32(sum, old_address, to.addr.value);  // the pseudo-header
    sum = checksum_adjust(sum, old_port, to.port);
    store16(bytes_, header_size_ + kUdpChecksum, sum == 0 ? 0xffff : sum);
}

namespace {

void write_ipv4_header(std::span<std::byte> s, const UdpDatagramSpec& spec) {
    store8(s, kVersionIhl, 0x45);
    store16(s, kTotalLength, static_cast<std::uint16_t>(s.size()));
    store8(s, kTtl, spec.ttl);
    store8(s, kProtocol, kIpProtocolUdp);
    store32(s, kSourceAddress, spec.flow.source.addr.value);
    store32(s, kDestinationAddress, spec.flow.destination.addr.value);
    store16(s, kHeaderChecksum, internet_checksum(s.first(kMinHeader)));
}

void write_udp(std::span<std::byte> udp, const UdpDatagramSpec& spec) {
    store16(udp, kSourcePort, spec.flow.source.port);
    store16(udp, kDestinationPort, spec.flow.destination.port);
    store16(udp, kUdpLength, static_cast<std::uint16_t>(udp.size()));
    std::copy(spec.payload.begin(), spec.payload.end(), udp.begin() + kUdpHeader);
    if (spec.udp_checksum)
        store16(udp, kUdpChecksum, udp_checksum(spec.flow.source.addr, spec.flow.destination.addr, udp));
}

}  // namespace

std::vector<std::byte> build_udp_datagram(const UdpDatagramSpec& spec) {
    std::vector<std::byte> bytes(kMinHeader + kUdpHeader + spec.payload.size());
    write_ipv4_header(bytes, spec);
    write_udp(std::span{bytes}.subspan(kMinHeader), spec);
    return bytes;
}

}  // namespace natlab::nat
