#include "simulator/wire/ethernet.h"

#include <cstdio>

#include "simulator/wire/bytes.h"

namespace natlab::nat {
namespace {

constexpr std::size_t kDestination = 0;
constexpr std::size_t kSource = 6;
constexpr std::size_t kEtherType = 12;

}  // namespace

std::string MacAddress::to_string() const {
    char text[18];
    std::snprintf(text, sizeof text, "%02x:%02x:%02x:%02x:%02x:%02x", octets[0], octets[1], octets[2],
                  octets[3], octets[4], octets[5]);
    return text;
}

MacAddress load_mac(std::span<const std::byte> bytes, std::size_t at) {
    MacAddress mac;
    for (std::size_t i = 0; i < mac.octets.size(); ++i) mac.octets[i] = load8(bytes, at + i);
    return mac;
}

void store_mac(std::span<std::byte> bytes, std::size_t at, const MacAddress& mac) {
    for (std::size_t i = 0; i < mac.octets.size(); ++i) store8(bytes, at + i, mac.octets[i]);
}

std::optional<EthernetHeader> parse_ethernet(std::span<const std::byte> frame) {
    if (frame.size() < kEthernetHeaderSize) return std::nullopt;
    return EthernetHeader{load_mac(frame, kDestination), load_mac(frame, kSource), load16(frame, kEtherType)};
}

void write_ethernet(std::span<std::byte> frame, const EthernetHeader& header) {
    store_mac(frame, kDestination, header.destination);
    store_mac(frame, kSource, header.source);
    store16(frame, kEtherType, header.ethertype);
}

}  // namespace natlab::nat
