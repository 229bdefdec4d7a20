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
#include <vector>

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

// What the link says about a frame besides its bytes: checksum and
// segmentation offload, as Linux hands them to a packet socket in a
// virtio_net_hdr (link.h). A frame a local sender left to "the hardware"
// has checksum_partial set: its transport checksum field holds only the
// pseudo-header sum, and checksum_start/offset (from the start of the
// frame) say where the sum starts and where it goes. A TCP or UDP
// "super-frame" up to 64 KiB, to be cut into gso_size pieces on the way out,
// has a gso_type. A translated frame keeps its meta: the kernel finishes the
// checksum and the segmentation after the NAT, on the other link.
struct FrameMeta {
    bool checksum_partial = false;
    std::uint16_t checksum_start = 0;
    std::uint16_t checksum_offset = 0;
    std::uint8_t gso_type = 0;  // 0: one frame as it is
    std::uint16_t gso_size = 0;
    std::uint16_t header_length = 0;
    auto operator<=>(const FrameMeta&) const = default;
};

// A frame that owns its bytes (ARP messages, queued and generated frames).
struct Frame {
    std::vector<std::byte> bytes;
    FrameMeta meta;
};

MacAddress load_mac(std::span<const std::byte> bytes, std::size_t at);
void store_mac(std::span<std::byte> bytes, std::size_t at, const MacAddress& mac);

}  // namespace natlab::nat
