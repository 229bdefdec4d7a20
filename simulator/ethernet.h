// Ethernet II framing: MAC addresses and the 14-byte header.
//
// The emulator only ever sees untagged Ethernet II frames on veth links; a
// VLAN tag or an 802.3 length field simply reads as an unsupported ethertype.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

namespace natlab::nat {

struct MacAddress {
    std::array<std::uint8_t, 6> octets{};

    static constexpr MacAddress broadcast() { return {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}}; }
    std::string to_string() const;  // "02:00:0a:00:01:01"
    auto operator<=>(const MacAddress&) const = default;
};

inline constexpr std::uint16_t kEtherTypeIpv4 = 0x0800;
inline constexpr std::uint16_t kEtherTypeArp = 0x0806;
inline constexpr std::size_t kEthernetHeaderSize = 14;
inline constexpr std::size_t kEthernetMinFrame = 60;  // without the FCS

struct EthernetHeader {
    MacAddress destination;
    MacAddress source;
    std::uint16_t ethertype = 0;
};

std::optional<EthernetHeader> parse_ethernet(std::span<const std::byte> frame);
void write_ethernet(std::span<std::byte> frame, const EthernetHeader& header);

MacAddress load_mac(std::span<const std::byte> bytes, std::size_t at);
void store_mac(std::span<std::byte> bytes, std::size_t at, const MacAddress& mac);

}  // namespace natlab::nat
