// Frame decoding for review: byte vectors, one comment per field.
#include <gtest/gtest.h>

#include <vector>

#include "harness/judge/decode.h"

using natlab::harness::decode_frame;
using natlab::harness::stun_name;

namespace {

std::vector<std::byte> bytes(std::initializer_list<int> values) {
    std::vector<std::byte> out;
    for (int v : values) out.push_back(static_cast<std::byte>(v));
    return out;
}

// Ethernet + IPv4 + UDP carrying a STUN Register request (0x00E1).
std::vector<std::byte> register_frame() {
    return bytes({
        0x02, 0,    0,    0,    0, 1, 0x02, 0, 0, 0,  0,  2,   // dst, src MAC
        0x08, 0x00,                                            // EtherType IPv4
        0x45, 0x00, 0x00, 0x30,                                // v4, IHL 5; total length 48
        0xc4, 0x29, 0x40, 0x00,                                // identification 0xc429, DF
        0x40, 0x11, 0x00, 0x00,                                // TTL 64, UDP, checksum (unchecked)
        10,   0,    1,    2,                                   // source 10.0.1.2
        198,  18,   0,    2,                                   // destination 198.18.0.2
        0xdb, 0xf2, 0x0d, 0x96,                                // ports 56306 -> 3478
        0x00, 0x1c, 0x00, 0x00,                                // UDP length 28, checksum
        0x00, 0xe1, 0x00, 0x00,                                // STUN type Register request, length 0
        0x21, 0x12, 0xa4, 0x42,                                // magic cookie
        1,    2,    3,    4,    5, 6, 7,    8, 9, 10, 11, 12,  // transaction id
    });
}

}  // namespace

TEST(Decode, UdpStunRegister) {
    auto f = decode_frame(register_frame());
    ASSERT_TRUE(f);
    EXPECT_EQ(f->protocol, "udp");
    EXPECT_EQ(f->src, "10.0.1.2:56306");
    EXPECT_EQ(f->dst, "198.18.0.2:3478");
    EXPECT_EQ(f->ip_id, 0xc429);
    EXPECT_EQ(f->ttl, 64);
    EXPECT_EQ(f->what, "STUN Register request");
}

// A NAT rewrites the source; identity (id, payload) stays.
TEST(Decode, TranslationKeepsIdentity) {
    auto inside = register_frame();
    auto outside = inside;
    outside[26] = std::byte{198}, outside[27] = std::byte{18}, outside[28] = std::byte{1},
    outside[29] = std::byte{1};
    auto a = decode_frame(inside), b = decode_frame(outside);
    ASSERT_TRUE(a && b);
    EXPECT_EQ(b->src, "198.18.1.1:56306");
    EXPECT_EQ(a->payload_hash, b->payload_hash);
    EXPECT_EQ(a->ip_id, b->ip_id);
}

TEST(Decode, StunMethodsAndClasses) {
    struct Row {
        int type_hi, type_lo;
        const char* want;
    } rows[] = {
        {0x00, 0x01, "Binding request"},      {0x01, 0x01, "Binding success"}, {0x01, 0xf1, "Register error"},
        {0x00, 0xf3, "Introduce indication"}, {0x00, 0xe4, "Probe request"},   {0x01, 0xe5, "Data success"},
        {0x00, 0xf7, "Relay indication"},
    };
    for (auto& r : rows) {
        auto msg =
            bytes({r.type_hi, r.type_lo, 0, 0, 0x21, 0x12, 0xa4, 0x42, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
        EXPECT_EQ(stun_name(msg), r.want);
    }
    // Not STUN: wrong cookie, top bits set, length that does not match.
    EXPECT_EQ(stun_name(bytes({0, 1, 0, 0, 0x21, 0x12, 0xa4, 0x43, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})), "");
    EXPECT_EQ(stun_name(bytes({0xc0, 1, 0, 0, 0x21, 0x12, 0xa4, 0x42, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})),
              "");
    EXPECT_EQ(stun_name(bytes({0, 1, 0, 4, 0x21, 0x12, 0xa4, 0x42, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})), "");
}

TEST(Decode, IgnoresWhatReviewDoesNotDraw) {
    auto arp = register_frame();
    arp[12] = std::byte{0x08}, arp[13] = std::byte{0x06};  // EtherType ARP
    EXPECT_FALSE(decode_frame(arp));
    auto runt = register_frame();
    runt.resize(20);
    EXPECT_FALSE(decode_frame(runt));
    auto truncated = register_frame();
    truncated.resize(14 + 20 + 4);  // IPv4 header, half a UDP header: no throw
    auto f = decode_frame(truncated);
    ASSERT_TRUE(f);
    EXPECT_EQ(f->protocol, "udp");
}

namespace {

// Ethernet + IPv6 + UDP carrying a STUN Binding request.
std::vector<std::byte> binding6_frame() {
    return bytes({
        0x02, 0,    0,    0,    0,    1,    0x02, 0,    0, 0,  0,  2,  // dst, src MAC
        0x86, 0xdd,                                                    // EtherType IPv6
        0x60, 0x00, 0x00, 0x00,                                        // v6, class 0, flow 0
        0x00, 0x1c, 0x11, 0x3f,                                        // payload 28, UDP, hop limit 63
        0x20, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00, 0x01, 0, 0,  0,  0,  0, 0, 0, 2,  // 2001:2:0:1::2
        0x20, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0, 0,  0,  0,  0, 0, 0, 2,  // 2001:2::2
        0xdb, 0xf2, 0x0d, 0x96,                                                     // ports 56306 -> 3478
        0x00, 0x1c, 0x00, 0x00,                                                     // UDP length 28, checksum
        0x00, 0x01, 0x00, 0x00,                                         // Binding request, length 0
        0x21, 0x12, 0xa4, 0x42,                                         // magic cookie
        1,    2,    3,    4,    5,    6,    7,    8,    9, 10, 11, 12,  // transaction id
    });
}

}  // namespace

TEST(Decode, Ipv6UdpStun) {
    auto f = decode_frame(binding6_frame());
    ASSERT_TRUE(f);
    EXPECT_EQ(f->protocol, "udp");
    EXPECT_EQ(f->src, "[2001:2:0:1::2]:56306");
    EXPECT_EQ(f->dst, "[2001:2::2]:3478");
    EXPECT_EQ(f->src_ip, "2001:2:0:1::2");
    EXPECT_EQ(f->ttl, 63);
    EXPECT_EQ(f->length, 68u);
    EXPECT_EQ(f->what, "STUN Binding request");
}

// NPTv6 rewrites the source prefix; the payload hash still names the packet.
TEST(Decode, Ipv6TranslationKeepsThePayload) {
    auto inside = binding6_frame();
    inside[22] = std::byte{0xfd}, inside[23] = std::byte{0x00}, inside[24] = std::byte{0},
    inside[25] = std::byte{0};
    auto a = decode_frame(inside), b = decode_frame(binding6_frame());
    ASSERT_TRUE(a && b);
    EXPECT_EQ(a->src_ip, "fd00:0:0:1::2");
    EXPECT_EQ(a->payload_hash, b->payload_hash);
}

TEST(Decode, Icmpv6Names) {
    struct Row {
        int type, code;
        const char* want;
    } rows[] = {
        {128, 0, "ICMPv6 echo request"},
        {129, 0, "ICMPv6 echo reply"},
        {1, 4, "ICMPv6 port unreachable"},
        {1, 1, "ICMPv6 unreachable (code 1)"},
        {3, 0, "ICMPv6 time exceeded"},
        {135, 0, "ICMPv6 neighbour solicitation"},
        {136, 0, "ICMPv6 neighbour advertisement"},
        {200, 0, "ICMPv6 type 200 code 0"},
    };
    for (auto& r : rows) {
        auto frame = binding6_frame();
        frame[20] = std::byte{58};  // next header ICMPv6
        frame[54] = static_cast<std::byte>(r.type);
        frame[55] = static_cast<std::byte>(r.code);
        auto f = decode_frame(frame);
        ASSERT_TRUE(f);
        EXPECT_EQ(f->protocol, "icmpv6");
        EXPECT_EQ(f->what, r.want);
        EXPECT_EQ(f->src, "2001:2:0:1::2") << "no ports";
    }
    auto runt = binding6_frame();
    runt.resize(14 + 30);
    EXPECT_FALSE(decode_frame(runt));
}
