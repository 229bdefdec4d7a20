// The fuzzer's input format: a short configuration, then a sequence of
// frames, each on one side of the NAT, with its offload metadata and a pause
// before it (so that mappings, permissions and ARP entries can expire).
//
//   byte 0         configuration: bits 0-1 mapping, 2-3 filtering (values
//                  above 2 wrap), bit 4 hairpin, bit 5 arbitrary pooling,
//                  bit 6 refresh on inbound, bit 7 ICMP errors off;
//                  IPv6 is on (firewall with the same filtering), as
//                  nptv6 when bits 0-1 are 3 and as route when bits 2-3
//                  are 3 (values IPv4 reads as 0 anyway)
//   then records:  byte 0  bit 0 side (0 inside, 1 outside),
//                          bit 1 checksum partial, bit 2 VLAN tag seen,
//                          bit 3 truncated, bits 4-7 pause (x16 s)
//                  byte 1  checksum start, from the frame start
//                  byte 2  checksum offset / GSO type (low / high nibble)
//                  bytes 3-4  frame length, big-endian
//                  then that many frame bytes (fewer if the input ends)
//
// fuzz_frame.cpp reads it; fuzz_seeds.cpp writes the seed corpus with it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "simulator/router/datapath.h"

namespace natlab::nat::fuzz {

struct Record {
    Side side = Side::Inside;
    RxInfo info;
    int pause_seconds = 0;
    std::vector<std::byte> frame;
};

inline NatConfig config_from(std::uint8_t b) {
    NatConfig c;
    c.mapping = static_cast<MappingBehaviour>((b & 3) % 3);
    c.filtering = static_cast<FilteringBehaviour>(((b >> 2) & 3) % 3);
    c.hairpin = b & 0x10;
    c.pooling = (b & 0x20) ? AddressPooling::Arbitrary : AddressPooling::Paired;
    c.refresh_on_inbound = b & 0x40;
    c.icmp_errors = !(b & 0x80);
    c.ports = {5000, 5063};  // small, so that exhaustion is reachable
    return c;
}

// Reads the next record from `in`; false at the end.
// The frame's metadata from a record's first three bytes.
inline void read_info(const std::uint8_t* head, Record& r) {
    std::uint8_t flags = head[0];
    r.side = (flags & 1) ? Side::Outside : Side::Inside;
    r.info = {};
    r.info.meta.checksum_partial = flags & 2;
    r.info.meta.checksum_start = head[1];
    r.info.meta.checksum_offset = head[2] & 0x0f;
    r.info.meta.gso_type = head[2] >> 4;
    r.info.meta.gso_size = r.info.meta.gso_type ? 1448 : 0;
    r.info.vlan_tagged = flags & 4;
    r.info.truncated = flags & 8;
    r.pause_seconds = (flags >> 4) * 16;
}

inline bool next_record(std::span<const std::uint8_t>& in, Record& r) {
    if (in.size() < 5) return false;
    read_info(in.data(), r);
    std::size_t length = std::min<std::size_t>((std::size_t{in[3]} << 8) | in[4], in.size() - 5);
    r.frame.assign(reinterpret_cast<const std::byte*>(in.data() + 5),
                   reinterpret_cast<const std::byte*>(in.data() + 5 + length));
    in = in.subspan(5 + length);
    return true;
}

inline void append_record(std::vector<std::uint8_t>& out, const Record& r) {
    auto flags = static_cast<std::uint8_t>(
        (r.side == Side::Outside ? 1 : 0) | (r.info.meta.checksum_partial ? 2 : 0) |
        (r.info.vlan_tagged ? 4 : 0) | (r.info.truncated ? 8 : 0) | ((r.pause_seconds / 16) << 4));
    out.push_back(flags);
    out.push_back(static_cast<std::uint8_t>(r.info.meta.checksum_start));
    out.push_back(
        static_cast<std::uint8_t>((r.info.meta.gso_type << 4) | (r.info.meta.checksum_offset & 0x0f)));
    out.push_back(static_cast<std::uint8_t>(r.frame.size() >> 8));
    out.push_back(static_cast<std::uint8_t>(r.frame.size() & 0xff));
    for (auto b : r.frame) out.push_back(static_cast<std::uint8_t>(b));
}

// IPv6 as byte 0 asks: 2001:2:0:1::1/64 (fd00:0:0:1::1/64 for nptv6) inside,
// 2001:2::101/64 outside, 2001:2:0:2::/64 via 2001:2::102, gateway 2001:2::1;
// nat64 (bits 4-5 both set) translates 64:ff9b::/96 onto the IPv4 NAT.
inline Ipv6Config ipv6_config_from(std::uint8_t b) {
    Ipv6Config c;
    c.mode = (b & 3) == 3          ? Ipv6Mode::Nptv6
             : ((b >> 2) & 3) == 3 ? Ipv6Mode::Route
             : ((b >> 4) & 3) == 3 ? Ipv6Mode::Nat64
                                   : Ipv6Mode::Firewall;
    bool npt = c.mode == Ipv6Mode::Nptv6;
    c.inside = *InterfaceAddress6::parse(npt ? "fd00:0:0:1::1/64" : "2001:2:0:1::1/64");
    c.outside = *InterfaceAddress6::parse("2001:2::101/64");
    c.routes = {*Route6::parse("2001:2:0:2::/64,2001:2::102")};
    c.gateway = Ipv6::parse("2001:2::1");
    c.firewall.filtering = static_cast<FilteringBehaviour>(((b >> 2) & 3) % 3);
    c.firewall.udp_timeout = std::chrono::seconds{120};
    if (npt) c.nptv6_prefix = Ipv6Prefix::parse("2001:2:0:11::/64");
    return c;
}

// The lab the fuzzer runs: 10.0.1.0/24 inside, two external addresses, IPv6 as above.
inline DatapathConfig lab_config(NatConfig nat, Ipv6Config ipv6 = {}) {
    return {"fuzz",
            {Cidr{Ipv4{0x0a000100}, 24}, Cidr{Ipv4{0xc6120000}, 15}, Ipv4{0xc6120001}},
            Ipv4{0x0a000101},
            {Ipv4{0xc6120101}, Ipv4{0xc6120102}},
            MacAddress{{0x02, 0, 0, 0, 0, 0x01}},
            MacAddress{{0x02, 0, 0, 0, 0, 0x02}},
            nat,
            false,
            std::move(ipv6)};
}

}  // namespace natlab::nat::fuzz
