#include "harness/judge/decode.h"

#include <array>
#include <cstdio>

#include "src/net/ipv6.h"
#include "src/stun/rendezvous_protocol.h"
#include "src/stun/stun_codec.h"

namespace natlab::harness {
namespace {

using Bytes = std::span<const std::byte>;

unsigned u8(Bytes b, std::size_t at) {
    return at < b.size() ? std::to_integer<unsigned>(b[at]) : 0;
}
unsigned u16(Bytes b, std::size_t at) {
    return u8(b, at) << 8 | u8(b, at + 1);
}
std::uint32_t u32(Bytes b, std::size_t at) {
    return std::uint32_t(u16(b, at)) << 16 | u16(b, at + 2);
}

std::string ip_text(std::uint32_t ip) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 255, (ip >> 8) & 255, ip & 255);
    return buf;
}

// FNV-1a: enough to tell payloads apart within one run.
std::uint64_t hash(Bytes b) {
    std::uint64_t h = 1469598103934665603ull;
    for (auto c : b) h = (h ^ std::to_integer<unsigned>(c)) * 1099511628211ull;
    return h;
}

// A method of docs/protocol.md by its name, any other by its number.
std::string method_text(std::uint16_t method) {
    if (auto name = proto::known_method_name(method)) return std::string(*name);
    char buf[24];
    std::snprintf(buf, sizeof buf, "method 0x%03x", method);
    return buf;
}

std::string icmp_name(unsigned type, unsigned code) {
    switch (type) {
        case 0:
            return "ICMP echo reply";
        case 3:
            return code == 3 ? "ICMP port unreachable"
                             : "ICMP unreachable (code " + std::to_string(code) + ")";
        case 8:
            return "ICMP echo request";
        case 11:
            return "ICMP time exceeded";
    }
    return "ICMP type " + std::to_string(type) + " code " + std::to_string(code);
}

// RFC 4443 and RFC 4861's message types.
std::string icmp6_name(unsigned type, unsigned code) {
    switch (type) {
        case 1:
            return code == 4 ? "ICMPv6 port unreachable"
                             : "ICMPv6 unreachable (code " + std::to_string(code) + ")";
        case 2:
            return "ICMPv6 packet too big";
        case 3:
            return "ICMPv6 time exceeded";
        case 128:
            return "ICMPv6 echo request";
        case 129:
            return "ICMPv6 echo reply";
        case 133:
            return "ICMPv6 router solicitation";
        case 134:
            return "ICMPv6 router advertisement";
        case 135:
            return "ICMPv6 neighbour solicitation";
        case 136:
            return "ICMPv6 neighbour advertisement";
        case 143:
            return "ICMPv6 multicast listener report";
    }
    return "ICMPv6 type " + std::to_string(type) + " code " + std::to_string(code);
}

std::string ip6_text(Bytes b) {
    Ipv6 address;
    for (std::size_t i = 0; i < 16; ++i) address.bytes[i] = static_cast<std::uint8_t>(u8(b, i));
    return address.to_string();
}

std::string tcp_flags(unsigned flags) {
    static const std::array<const char*, 6> names = {"FIN", "SYN", "RST", "PSH", "ACK", "URG"};
    std::string out;
    for (std::size_t i = 0; i < names.size(); ++i)
        if (flags & (1u << i)) out += (out.empty() ? "" : ",") + std::string(names[i]);
    return out;
}

// "a.b.c.d:port", or "[v6]:port" for IPv6.
void add_ports(Bytes l4, Frame& f) {
    bool v6 = f.src.find(':') != std::string::npos;
    f.src = (v6 ? "[" + f.src + "]" : f.src) + ":" + std::to_string(u16(l4, 0));
    f.dst = (v6 ? "[" + f.dst + "]" : f.dst) + ":" + std::to_string(u16(l4, 2));
}

void decode_udp(Bytes l4, Frame& f) {
    add_ports(l4, f);
    auto payload = l4.size() > 8 ? l4.subspan(8) : Bytes{};
    f.payload_hash = hash(payload);
    auto stun = stun_name(payload);
    f.what = stun.empty() ? "UDP " + std::to_string(payload.size()) + " bytes" : "STUN " + stun;
}

void decode_tcp(Bytes l4, Frame& f) {
    add_ports(l4, f);
    std::size_t offset = (u8(l4, 12) >> 4) * 4;
    f.payload_hash = hash(l4.size() > offset ? l4.subspan(offset) : Bytes{}) ^ u32(l4, 4);
    f.what = "TCP " + tcp_flags(u8(l4, 13)) + " seq " + std::to_string(u32(l4, 4));
}

void decode_icmp(Bytes l4, Frame& f) {
    f.what = icmp_name(u8(l4, 0), u8(l4, 1));
    f.payload_hash = hash(l4.size() > 8 ? l4.subspan(8) : Bytes{}) ^ u8(l4, 0);
}

}  // namespace

std::string stun_name(Bytes p) {
    // RFC 8489 section 6: two zero bits, a length that is a multiple of 4
    // and matches, and the magic cookie.
    if (p.size() < stun::kHeaderSize || (u8(p, 0) & 0xC0) != 0 || u32(p, 4) != stun::kMagicCookie) return {};
    if (u16(p, 2) % 4 != 0 || u16(p, 2) + stun::kHeaderSize != p.size()) return {};
    auto type = static_cast<std::uint16_t>(u16(p, 0));
    return method_text(stun::method_of(type)) + " " + std::string(stun::to_string(stun::class_of(type)));
}

void decode_transport(unsigned protocol, Bytes l4, Frame& f) {
    switch (protocol) {
        case 17:
            f.protocol = "udp";
            return decode_udp(l4, f);
        case 6:
            f.protocol = "tcp";
            return decode_tcp(l4, f);
        case 1:
            f.protocol = "icmp";
            return decode_icmp(l4, f);
        case 58:
            f.protocol = "icmpv6";
            f.what = icmp6_name(u8(l4, 0), u8(l4, 1));
            f.payload_hash = hash(l4.size() > 8 ? l4.subspan(8) : Bytes{}) ^ u8(l4, 0);
            return;
        default:
            f.protocol = "ip-" + std::to_string(protocol);
            f.what = "IP protocol " + std::to_string(protocol);
            f.payload_hash = hash(l4);
    }
}

// IPv6 (RFC 8200): a fixed 40-byte header; packets with extension headers
// are drawn by their first next header. There is no identification: the
// payload hash alone names a packet across links.
std::optional<Frame> decode_ipv6(Bytes ip) {
    if (ip.size() < 40 || (u8(ip, 0) >> 4) != 6) return std::nullopt;
    Frame f;
    f.length = 40 + u16(ip, 4);
    f.ttl = static_cast<std::uint8_t>(u8(ip, 7));
    f.src = f.src_ip = ip6_text(ip.subspan(8, 16));
    f.dst = f.dst_ip = ip6_text(ip.subspan(24, 16));
    auto end = std::min<std::size_t>(ip.size(), f.length);
    decode_transport(u8(ip, 6), ip.subspan(40, end - 40), f);
    return f;
}

std::optional<Frame> decode_frame(Bytes frame) {
    if (frame.size() >= 14 + 40 && u16(frame, 12) == 0x86dd) return decode_ipv6(frame.subspan(14));
    if (frame.size() < 14 + 20 || u16(frame, 12) != 0x0800) return std::nullopt;
    auto ip = frame.subspan(14);
    std::size_t ihl = (u8(ip, 0) & 0x0F) * 4;
    if ((u8(ip, 0) >> 4) != 4 || ihl < 20 || ip.size() < ihl) return std::nullopt;
    Frame f;
    f.length = u16(ip, 2);
    f.ip_id = static_cast<std::uint16_t>(u16(ip, 4));
    f.ttl = static_cast<std::uint8_t>(u8(ip, 8));
    f.src = f.src_ip = ip_text(u32(ip, 12));
    f.dst = f.dst_ip = ip_text(u32(ip, 16));
    auto end = std::min<std::size_t>(ip.size(), std::max<std::size_t>(f.length, ihl));
    auto l4 = ip.subspan(ihl, end - ihl);
    decode_transport(u8(ip, 9), l4, f);
    return f;
}

}  // namespace natlab::harness
