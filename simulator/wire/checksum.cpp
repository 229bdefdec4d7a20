#include "simulator/wire/checksum.h"

#include <array>

#include "simulator/wire/bytes.h"

namespace natlab::nat {
namespace {

constexpr std::uint8_t kProtocolTcp = 6;
constexpr std::uint8_t kProtocolUdp = 17;
constexpr std::size_t kUdpChecksumOffset = 6;
constexpr std::size_t kTcpChecksumOffset = 16;
constexpr std::size_t kIcmpChecksumOffset = 2;

std::uint32_t fold(std::uint32_t sum) {
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return sum;
}

// The sum of `bytes` with the 16-bit checksum field at `field` left out.
std::uint32_t sum_without_field(std::span<const std::byte> bytes, std::size_t field, std::uint32_t sum) {
    sum = checksum_add(bytes.first(field), sum);
    return checksum_add(bytes.subspan(field + 2), sum);
}

}  // namespace

std::uint32_t checksum_add(std::span<const std::byte> bytes, std::uint32_t sum) {
    std::size_t i = 0;
    for (; i + 1 < bytes.size(); i += 2) sum = fold(sum + load16(bytes, i));
    if (i < bytes.size()) sum = fold(sum + (std::uint32_t{load8(bytes, i)} << 8));
    return sum;
}

std::uint16_t checksum_finish(std::uint32_t sum) {
    return static_cast<std::uint16_t>(~fold(sum) & 0xffff);
}

std::uint16_t internet_checksum(std::span<const std::byte> bytes) {
    return checksum_finish(checksum_add(bytes));
}

std::uint32_t pseudo_header_sum(Ipv4 source, Ipv4 destination, std::uint8_t protocol, std::size_t length) {
    std::array<std::byte, 12> header{};
    store32(header, 0, source.value);
    store32(header, 4, destination.value);
    store8(header, 9, protocol);
    store16(header, 10, static_cast<std::uint16_t>(length));
    return checksum_add(header);
}

std::uint16_t udp_checksum(Ipv4 source, Ipv4 destination, std::span<const std::byte> segment) {
    std::uint32_t sum = pseudo_header_sum(source, destination, kProtocolUdp, segment.size());
    std::uint16_t result = checksum_finish(sum_without_field(segment, kUdpChecksumOffset, sum));
    return result == 0 ? 0xffff : result;
}

std::uint16_t tcp_checksum(Ipv4 source, Ipv4 destination, std::span<const std::byte> segment) {
    std::uint32_t sum = pseudo_header_sum(source, destination, kProtocolTcp, segment.size());
    return checksum_finish(sum_without_field(segment, kTcpChecksumOffset, sum));
}

std::uint16_t icmp_checksum(std::span<const std::byte> message) {
    return checksum_finish(sum_without_field(message, kIcmpChecksumOffset, 0));
}

std::uint16_t checksum_adjust(std::uint16_t checksum, std::uint16_t old_word, std::uint16_t new_word) {
    std::uint32_t sum = std::uint32_t{static_cast<std::uint16_t>(~checksum)} +
                        static_cast<std::uint16_t>(~old_word) + new_word;
    return checksum_finish(sum);
}

std::uint16_t checksum_adjust32(std::uint16_t checksum, std::uint32_t old_value, std::uint32_t new_value) {
    checksum = checksum_adjust(checksum, static_cast<std::uint16_t>(old_value >> 16),
                               static_cast<std::uint16_t>(new_value >> 16));
    return checksum_adjust(checksum, static_cast<std::uint16_t>(old_value & 0xffff),
                           static_cast<std::uint16_t>(new_value & 0xffff));
}

std::uint16_t partial_adjust32(std::uint16_t partial, std::uint32_t old_value, std::uint32_t new_value) {
    return static_cast<std::uint16_t>(
        ~checksum_adjust32(static_cast<std::uint16_t>(~partial), old_value, new_value));
}

}  // namespace natlab::nat
