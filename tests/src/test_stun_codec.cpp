// STUN codec wire tests: RFC 5769 vectors, type interleaving, attribute
// encodings, and malformed datagrams that must be refused without a crash.
#include <gtest/gtest.h>

#include <random>

#include "src/stun/stun_codec.h"
#include "src/stun/stun_digest.h"

namespace natlab::stun {
namespace {

Bytes hex(std::string_view text) {
    auto bytes = from_hex(text);
    EXPECT_TRUE(bytes) << "bad hex in test: " << text;
    return bytes.value_or(Bytes{});
}

Bytes key(std::string_view password) {
    return to_bytes(password);
}

// ---- RFC 5769 section 2.1: sample request ----------------------------------
// Short-term credentials: username "evtj:h6vY", password
// "VOkJxbRl1RmTxUk/WvJxBt". Padding is 0x20 in the RFC; receivers ignore it.
const Bytes kSampleRequest =
    hex("0001 0058"                                     // Binding request, message length 88
        "2112a442"                                      // magic cookie
        "b7e7a701 bc34d686 fa87dfae"                    // transaction id
        "8022 0010"                                     // SOFTWARE, 16 bytes
        "5354554e 20746573 7420636c 69656e74"           // "STUN test client"
        "0024 0004"                                     // PRIORITY, 4 bytes
        "6e0001ff"                                      // priority 0x6e0001ff
        "8029 0008"                                     // ICE-CONTROLLED, 8 bytes
        "932ff9b1 51263b36"                             // tie breaker
        "0006 0009"                                     // USERNAME, 9 bytes
        "6576746a 3a683676 59202020"                    // "evtj:h6vY" + 3 bytes padding
        "0008 0014"                                     // MESSAGE-INTEGRITY, 20 bytes
        "9aeaa70c bfd8cb56 781ef2b5 b2d3f249 c1b571a2"  // HMAC-SHA1
        "8028 0004"                                     // FINGERPRINT, 4 bytes
        "e57a3bcf");                                    // CRC-32 ^ 0x5354554e

// ---- RFC 5769 section 2.2: sample IPv4 response ---------------------------
const Bytes kSampleIpv4Response =
    hex("0101 003c"                                     // Binding success response, length 60
        "2112a442"                                      // magic cookie
        "b7e7a701 bc34d686 fa87dfae"                    // transaction id
        "8022 000b"                                     // SOFTWARE, 11 bytes
        "74657374 20766563 746f7220"                    // "test vector" + 1 byte padding
        "0020 0008"                                     // XOR-MAPPED-ADDRESS, 8 bytes
        "0001 a147"                                     // reserved, family IPv4, port 32853 ^ 0x2112
        "e112a643"                                      // 192.0.2.1 ^ 0x2112a442
        "0008 0014"                                     // MESSAGE-INTEGRITY, 20 bytes
        "2b91f599 fd9e90c3 8c7489f9 2af9ba53 f06be7d7"  // HMAC-SHA1
        "8028 0004"                                     // FINGERPRINT, 4 bytes
        "c07d4c96");                                    // CRC-32 ^ 0x5354554e

// ---- RFC 5769 section 2.3: sample IPv6 response ---------------------------
const Bytes kSampleIpv6Response =
    hex("0101 0048"                                     // Binding success response, length 72
        "2112a442"                                      // magic cookie
        "b7e7a701 bc34d686 fa87dfae"                    // transaction id
        "8022 000b"                                     // SOFTWARE, 11 bytes
        "74657374 20766563 746f7220"                    // "test vector" + 1 byte padding
        "0020 0014"                                     // XOR-MAPPED-ADDRESS, 20 bytes
        "0002 a147"                                     // reserved, family IPv6, port 32853 ^ 0x2112
        "0113a9fa a5d3f179 bc25f4b5 bed2b9d9"           // 2001:db8:1234:5678:11:2233:4455:6677 ^ cookie+id
        "0008 0014"                                     // MESSAGE-INTEGRITY, 20 bytes
        "a382954e 4be67bf1 1784c97c 8292c275 bfe3ed41"  // HMAC-SHA1
        "8028 0004"                                     // FINGERPRINT, 4 bytes
        "c8fb0b4c");                                    // CRC-32 ^ 0x5354554e

constexpr std::string_view kPassword = "VOkJxbRl1RmTxUk/WvJxBt";

TEST(StunRfc5769, SampleRequest) {
    auto decoded = decode(kSampleRequest);
    ASSERT_TRUE(decoded.message) << to_string(decoded.error);
    const Message& m = *decoded.message;
    EXPECT_EQ(m.method, 0x001);
    EXPECT_EQ(m.cls, Class::request);
    EXPECT_EQ(to_hex(m.transaction), "b7e7a701bc34d686fa87dfae");
    ASSERT_EQ(m.attributes.size(), 6u);
    EXPECT_EQ(read_string(*m.find(attr::software)), "STUN test client");
    EXPECT_EQ(read_string(*m.find(attr::username)), "evtj:h6vY");
    EXPECT_EQ(read_u32(*m.find(attr::priority)), 0x6e0001ffu);
    EXPECT_EQ(read_u64(*m.find(attr::ice_controlled)), 0x932ff9b151263b36u);
    EXPECT_TRUE(verify_message_integrity(kSampleRequest, m, key(kPassword)));
    EXPECT_FALSE(verify_message_integrity(kSampleRequest, m, key("wrong password")));
}

TEST(StunRfc5769, SampleIpv4Response) {
    auto decoded = decode(kSampleIpv4Response);
    ASSERT_TRUE(decoded.message) << to_string(decoded.error);
    const Message& m = *decoded.message;
    EXPECT_EQ(m.cls, Class::success);
    EXPECT_EQ(read_string(*m.find(attr::software)), "test vector");
    auto mapped = read_xor_endpoint(*m.find(attr::xor_mapped_address), m.transaction);
    ASSERT_TRUE(mapped);
    EXPECT_EQ(mapped->to_string(), "192.0.2.1:32853");
    EXPECT_TRUE(verify_message_integrity(kSampleIpv4Response, m, key(kPassword)));
}

TEST(StunRfc5769, SampleIpv6Response) {
    auto decoded = decode(kSampleIpv6Response);
    ASSERT_TRUE(decoded.message) << to_string(decoded.error);
    const Message& m = *decoded.message;
    auto mapped = read_xor_address(*m.find(attr::xor_mapped_address), m.transaction);
    ASSERT_TRUE(mapped);
    EXPECT_EQ(mapped->family, Address::Family::ipv6);
    EXPECT_EQ(mapped->port, 32853);
    EXPECT_EQ(to_hex(mapped->ip), "20010db8123456780011223344556677");
    EXPECT_FALSE(mapped->ipv4());  // an IPv6 address is not an Endpoint
    EXPECT_FALSE(read_xor_endpoint(*m.find(attr::xor_mapped_address), m.transaction));
    EXPECT_TRUE(verify_message_integrity(kSampleIpv6Response, m, key(kPassword)));
}

// The same vector through the family-tagged endpoint: decoded as an
// IPv6 IpEndpoint, and encoded from one into the RFC's exact bytes.
TEST(StunRfc5769, SampleIpv6ResponseBothWays) {
    Message m = *decode(kSampleIpv6Response).message;
    const IpEndpoint want = *IpEndpoint::parse("[2001:db8:1234:5678:11:2233:4455:6677]:32853");
    EXPECT_EQ(read_xor_ip_endpoint(*m.find(attr::xor_mapped_address), m.transaction), want);
    Attribute built = make_xor_address(attr::xor_mapped_address, Address::from(want), m.transaction);
    EXPECT_EQ(to_hex(built.value),
              "0002"                                // reserved, family IPv6 (RFC 8489 section 14.2)
              "a147"                                // port 32853 ^ 0x2112
              "0113a9faa5d3f179bc25f4b5bed2b9d9");  // the address ^ cookie + transaction id
    m.attributes.resize(1);                         // SOFTWARE
    m.add(built);
    EncodeOptions options;
    options.integrity_key = key(kPassword);
    options.fingerprint = true;
    Bytes out = encode(m, options);
    ASSERT_EQ(out.size(), kSampleIpv6Response.size());
    Bytes prefix(out.begin(), out.begin() + 60);  // header, SOFTWARE, XOR-MAPPED-ADDRESS
    prefix[35] = std::byte{0x20};                 // the RFC's padding byte
    EXPECT_EQ(to_hex(prefix), to_hex(Bytes(kSampleIpv6Response.begin(), kSampleIpv6Response.begin() + 60)));
    auto decoded = decode(out);
    ASSERT_TRUE(decoded.message) << to_string(decoded.error);
    EXPECT_TRUE(verify_message_integrity(out, *decoded.message, key(kPassword)));
    EXPECT_EQ(read_xor_ip_endpoint(*decoded.message->find(attr::xor_mapped_address), m.transaction), want);
}

// The IPv4 vector through IpEndpoint reads the same endpoint as before.
TEST(StunRfc5769, SampleIpv4ResponseAsIpEndpoint) {
    Message m = *decode(kSampleIpv4Response).message;
    auto mapped = read_xor_ip_endpoint(*m.find(attr::xor_mapped_address), m.transaction);
    ASSERT_TRUE(mapped);
    EXPECT_EQ(mapped->family(), Family::ipv4);
    EXPECT_EQ(mapped->to_string(), "192.0.2.1:32853");
}

// Encoding the sample response's SOFTWARE and XOR-MAPPED-ADDRESS lays out
// the same bytes as the RFC up to MESSAGE-INTEGRITY (the RFC pads SOFTWARE
// with a space, RFC 8489 with a zero), and what it appends verifies.
TEST(StunRfc5769, EncodeMatchesLayoutAndVerifies) {
    Message m = *decode(kSampleIpv4Response).message;
    m.attributes.resize(2);  // SOFTWARE, XOR-MAPPED-ADDRESS
    EncodeOptions options;
    options.integrity_key = key(kPassword);
    options.fingerprint = true;
    Bytes out = encode(m, options);
    ASSERT_EQ(out.size(), kSampleIpv4Response.size());
    Bytes prefix(out.begin(), out.begin() + 48);
    prefix[35] = std::byte{0x20};  // the RFC's padding byte
    EXPECT_EQ(to_hex(prefix), to_hex(Bytes(kSampleIpv4Response.begin(), kSampleIpv4Response.begin() + 48)));
    auto decoded = decode(out);
    ASSERT_TRUE(decoded.message) << to_string(decoded.error);
    EXPECT_TRUE(verify_message_integrity(out, *decoded.message, key(kPassword)));
    EXPECT_FALSE(verify_message_integrity(out, *decoded.message, key("other")));
}

// ---- digests --------------------------------------------------------------

TEST(StunDigest, KnownAnswers) {
    // CRC-32 check value of "123456789" (the catalogue's "check" field).
    EXPECT_EQ(crc32(to_bytes("123456789")), 0xCBF43926u);
    // Chained in two pieces, the same value.
    EXPECT_EQ(crc32(to_bytes("6789"), crc32(to_bytes("12345"))), 0xCBF43926u);
    // FIPS 180 example "abc".
    EXPECT_EQ(to_hex(sha1(to_bytes("abc"))), "a9993e364706816aba3e25717850c26c9cd0d89d");
    // Two-block message (56 bytes forces a second padding block).
    EXPECT_EQ(to_hex(sha1(to_bytes("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"))),
              "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
    // RFC 2202 test case 1: key 0x0b x 20, "Hi There".
    Bytes k(20, std::byte{0x0b});
    EXPECT_EQ(to_hex(hmac_sha1(k, to_bytes("Hi There"))), "b617318655057264e28bc0b6fb378c8ef146be00");
    // RFC 2202 test case 6: an 80-byte key is hashed first.
    Bytes long_key(80, std::byte{0xaa});
    EXPECT_EQ(to_hex(hmac_sha1(long_key, to_bytes("Test Using Larger Than Block-Size Key - Hash Key First"))),
              "aa4ae5e15272d00e95705637ce8a3b55ed402112");
}

// ---- header type: RFC 8489 section 5 bit interleaving ---------------------

TEST(StunHeader, TypeInterleavesClassBits) {
    struct Row {
        std::uint16_t method;
        Class cls;
        std::uint16_t type;
    };
    const Row rows[] = {
        {0x001, Class::request, 0x0001},     // Binding request
        {0x001, Class::indication, 0x0011},  // Binding indication
        {0x001, Class::success, 0x0101},     // Binding success response
        {0x001, Class::error, 0x0111},       // Binding error response
        {0x071, Class::request, 0x00E1},     // nat-lab Register request
        {0x071, Class::success, 0x01E1},     // Register success
        {0x072, Class::error, 0x01F2},       // Connect error
        {0x073, Class::indication, 0x00F3},  // Introduce indication
        {0x074, Class::error, 0x01F4},       // Probe error
        {0x075, Class::success, 0x01E5},     // Data success
        {0x076, Class::request, 0x00E6},     // List request
        {0x077, Class::indication, 0x00F7},  // Relay indication
        {0x0C1, Class::request, 0x0281},     // M7 set: first byte 0x02
        {0xC01, Class::request, 0x3001},     // RFC 7983 reserved range
        {0xFFF, Class::error, 0x3FFF},       // every bit set
    };
    for (const auto& r : rows) {
        EXPECT_EQ(compose_type(r.method, r.cls), r.type) << std::hex << r.method;
        EXPECT_EQ(method_of(r.type), r.method) << std::hex << r.type;
        EXPECT_EQ(class_of(r.type), r.cls) << std::hex << r.type;
    }
}

// ---- encode / decode ------------------------------------------------------

TEST(StunCodec, EncodesHeaderAttributesAndPadding) {
    Message m;
    m.method = 0x071;
    m.transaction = {std::byte{1}, std::byte{2}, std::byte{3}, std::byte{4},  std::byte{5},  std::byte{6},
                     std::byte{7}, std::byte{8}, std::byte{9}, std::byte{10}, std::byte{11}, std::byte{12}};
    m.add(make_string(0xC001, "alice"));
    m.add(make_flag(attr::use_candidate));
    EXPECT_EQ(to_hex(encode(m)),
              "00e1"
              "0010"                      // method 0x071 request, 16 bytes of attributes
              "2112a442"                  // magic cookie
              "0102030405060708090a0b0c"  // transaction id
              "c001"
              "0005"
              "616c696365"
              "000000"  // NAME "alice" + 3 bytes padding
              "0025"
              "0000");  // USE-CANDIDATE, empty
}

TEST(StunCodec, FingerprintRoundTrip) {
    Message m;
    m.method = 0x001;
    m.add(make_string(attr::software, "x"));
    Bytes wire = encode(m, {.integrity_key = std::nullopt, .fingerprint = true});
    auto decoded = decode(wire);
    ASSERT_TRUE(decoded.message) << to_string(decoded.error);
    EXPECT_EQ(decoded.message->attributes.back().type, attr::fingerprint);
    wire[wire.size() - 1] ^= std::byte{1};  // corrupt the CRC
    EXPECT_EQ(decode(wire).error, DecodeError::bad_fingerprint);
}

TEST(StunCodec, XorAddressRoundTrip) {
    TransactionId id{};
    id[0] = std::byte{0x42};
    auto e = *Endpoint::parse("198.18.1.1:40000");
    Attribute a = make_xor_address(attr::xor_mapped_address, Address::from(e), id);
    EXPECT_EQ(to_hex(a.value),
              "00"
              "01"          // reserved, family IPv4
              "bd52"        // 40000 (0x9c40) ^ 0x2112
              "e700a543");  // 198.18.1.1 (c6120101) ^ 2112a442
    EXPECT_EQ(read_xor_endpoint(a, id), e);
    EXPECT_EQ(read_address(make_address(attr::mapped_address, Address::from(e)))->ipv4(), e);
}

TEST(StunCodec, ErrorCode) {
    Attribute a = make_error_code({404, "unknown peer"});
    EXPECT_EQ(to_hex(a.value),
              "0000"
              "04"
              "04" +
                  to_hex(to_bytes("unknown peer")));
    auto back = read_error_code(a);
    ASSERT_TRUE(back);
    EXPECT_EQ(back->code, 404);
    EXPECT_EQ(back->reason, "unknown peer");
    EXPECT_FALSE(read_error_code({attr::error_code, hex("0000 02 00")}));  // class 2
    EXPECT_FALSE(read_error_code({attr::error_code, hex("0000 04 64")}));  // number 100
    EXPECT_FALSE(read_error_code({attr::error_code, hex("0000 04")}));     // short
}

TEST(StunCodec, MalformedAddressesAreRefused) {
    TransactionId id{};
    EXPECT_FALSE(read_xor_address({0x20, hex("0001 a147")}, id));                    // short
    EXPECT_FALSE(read_xor_address({0x20, hex("0003 a147 e112a643")}, id));           // family 3
    EXPECT_FALSE(read_xor_address({0x20, hex("0002 a147 e112a643")}, id));           // v6, 4 bytes
    EXPECT_FALSE(read_xor_address({0x20, hex("0001 a147 e112a643 00000000")}, id));  // v4, 8 bytes
}

// ---- malformed datagrams --------------------------------------------------

TEST(StunCodec, RefusesMalformedDatagrams) {
    struct Row {
        const char* what;
        std::string bytes;
        DecodeError want;
    };
    const Row rows[] = {
        {"empty", "", DecodeError::too_short},
        {"19 bytes", "0001 0000 2112a442 0000000000000000000000", DecodeError::too_short},
        {"leading bits 10", "8001 0000 2112a442 000000000000000000000000", DecodeError::not_stun},
        {"leading bits 01", "4001 0000 2112a442 000000000000000000000000", DecodeError::not_stun},
        {"length 3", "0001 0003 2112a442 000000000000000000000000 000000", DecodeError::length_not_aligned},
        {"length 8, body 4", "0001 0008 2112a442 000000000000000000000000 00000000",
         DecodeError::length_overruns},
        {"length 0, body 4", "0001 0000 2112a442 000000000000000000000000 00000000",
         DecodeError::trailing_bytes},
        {"no cookie", "0001 0000 2112a443 000000000000000000000000", DecodeError::bad_cookie},
        {"attribute longer than message",
         "0001 0008 2112a442 000000000000000000000000"
         "8022 0008 41414141",  // SOFTWARE claims 8 bytes, 4 present
         DecodeError::attribute_overruns},
        {"attribute length 0xffff",
         "0001 0004 2112a442 000000000000000000000000"
         "8022 ffff",
         DecodeError::attribute_overruns},
        {"padding missing",
         "0001 0008 2112a442 000000000000000000000000"
         "8022 0005 41414141",  // 5 bytes need 8 with padding, 4 present
         DecodeError::attribute_overruns},
        {"attribute after FINGERPRINT",
         "0001 000c 2112a442 000000000000000000000000"
         "8028 0004 00000000"  // FINGERPRINT
         "8022 0000",          // SOFTWARE, empty, after it
         DecodeError::after_fingerprint},
        {"FINGERPRINT wrong size", "0001 0008 2112a442 000000000000000000000000 8028 0002 0000 0000",
         DecodeError::bad_fingerprint},
        {"FINGERPRINT wrong value", "0001 0008 2112a442 000000000000000000000000 8028 0004 00000000",
         DecodeError::bad_fingerprint},
    };
    for (const auto& r : rows) {
        auto decoded = decode(hex(r.bytes));
        EXPECT_FALSE(decoded.message) << r.what;
        EXPECT_EQ(decoded.error, r.want) << r.what << ": " << to_string(decoded.error);
    }
}

TEST(StunCodec, ClassicMessagesOnlyWhenAsked) {
    Bytes classic = hex("0001 0000 a1b2c3d4 000000000000000000000000");  // RFC 3489 request
    EXPECT_EQ(decode(classic).error, DecodeError::bad_cookie);
    auto decoded = decode(classic, {.accept_classic = true});
    ASSERT_TRUE(decoded.message);
    EXPECT_TRUE(decoded.message->classic());
    EXPECT_EQ(to_hex(encode(*decoded.message)), to_hex(classic));  // cookie field kept
}

// Every prefix of a valid message is refused; so is every suffix-extended one.
TEST(StunCodec, TruncationsAreRefused) {
    for (const Bytes* vector : {&kSampleRequest, &kSampleIpv4Response, &kSampleIpv6Response}) {
        for (std::size_t n = 0; n < vector->size(); ++n)
            EXPECT_FALSE(decode(std::span(vector->data(), n)).message) << n;
        Bytes longer = *vector;
        longer.push_back(std::byte{0});
        EXPECT_FALSE(decode(longer).message);
    }
}

// Random garbage and bit flips in a valid message: no crash, and a flipped
// message that still carries a FINGERPRINT never decodes: the CRC catches
// every 1-bit flip it covers. A flip may only hide the FINGERPRINT (in its
// type, or in a length that makes an earlier attribute swallow it).
TEST(StunCodec, GarbageNeverCrashes) {
    std::mt19937 rng(1234);
    for (int i = 0; i < 20000; ++i) {
        Bytes junk(rng() % 128);
        for (auto& b : junk) b = static_cast<std::byte>(rng());
        if (junk.size() >= 8 && i % 2) {  // make half of them look like STUN
            junk[0] &= std::byte{0x3f};
            junk[4] = std::byte{0x21}, junk[5] = std::byte{0x12};
            junk[6] = std::byte{0xa4}, junk[7] = std::byte{0x42};
        }
        (void)decode(junk, {.accept_classic = (i % 3) == 0});
    }
    std::size_t decoded_count = 0;
    for (std::size_t bit = 0; bit < kSampleRequest.size() * 8; ++bit) {
        Bytes flipped = kSampleRequest;
        flipped[bit / 8] ^= static_cast<std::byte>(1u << (bit % 8));
        auto decoded = decode(flipped);
        if (!decoded.message) continue;
        ++decoded_count;
        EXPECT_FALSE(decoded.message->find(attr::fingerprint)) << "bit " << bit;
    }
    EXPECT_LT(decoded_count, 20u);  // of 864 flips, only those hiding the FINGERPRINT
}

// ---- RFC 5780 and RFC 3489 attributes ---------------------------------------

// An RFC 5780 Binding request asking for both changes and an answer to
// another port, as turnutils_stunclient sends it (its test II).
const Bytes kChangeRequest =
    hex("0001 0010"                 // Binding request, 16 bytes of attributes
        "2112a442"                  // magic cookie
        "144e8caa771f20a2b7d4c13a"  // transaction id
        "0027 0004"                 // RESPONSE-PORT, 4 bytes
        "c717 0000"                 //   port 50967, 2 bytes padding (RFC 5780 section 7.5)
        "0003 0004"                 // CHANGE-REQUEST, 4 bytes
        "00000006");                //   change IP (0x04) | change port (0x02)

TEST(StunRfc5780, ChangeRequestReadsInPlace) {
    auto v = view(kChangeRequest);
    ASSERT_TRUE(v.view) << to_string(v.error);
    EXPECT_EQ(v.view->method(), 0x001);
    EXPECT_EQ(v.view->cls(), Class::request);
    EXPECT_FALSE(v.view->classic());
    EXPECT_EQ(to_hex(*v.view->find(attr::change_request)), "00000006");
    EXPECT_EQ(to_hex(*v.view->find(attr::response_port)), "c7170000");
    EXPECT_FALSE(v.view->find(attr::padding));
    std::vector<std::uint16_t> types;
    v.view->each([&](std::uint16_t type, std::span<const std::byte>) { types.push_back(type); });
    EXPECT_EQ(types, (std::vector<std::uint16_t>{attr::response_port, attr::change_request}));
}

// RESPONSE-ORIGIN and OTHER-ADDRESS use the MAPPED-ADDRESS layout, not xored.
TEST(StunRfc5780, OriginAndOtherAddressBytes) {
    TransactionId id{};
    std::array<std::byte, 128> buffer{};
    Writer w(buffer, compose_type(0x001, Class::success), kMagicCookie, id);
    w.address(attr::response_origin, Address::from(*Endpoint::parse("198.18.0.2:3479")));
    w.address(attr::other_address, Address::from(*Endpoint::parse("198.18.0.1:3478")));
    EXPECT_EQ(to_hex(w.written()),
              to_hex(hex("0101 0018"  // Binding success, 24 bytes so far
                         "2112a442 000000000000000000000000"
                         "802b 0008 0001 0d97 c6120002"      // RESPONSE-ORIGIN 198.18.0.2:3479
                         "802c 0008 0001 0d96 c6120001")));  // OTHER-ADDRESS 198.18.0.1:3478
}

TEST(StunRfc5780, UnknownAttributesList) {
    std::uint16_t types[] = {0x0027, 0x7777};
    Attribute a = make_unknown_attributes(types);
    EXPECT_EQ(a.type, attr::unknown_attributes);
    EXPECT_EQ(to_hex(a.value), "00277777");  // two 16-bit types (RFC 8489 section 14.9)
    EXPECT_EQ(read_unknown_attributes(a), (std::vector<std::uint16_t>{0x0027, 0x7777}));
}

TEST(StunRfc5780, ComprehensionRange) {
    EXPECT_TRUE(attr::comprehension_required(attr::change_request));
    EXPECT_TRUE(attr::comprehension_required(attr::response_port));
    EXPECT_FALSE(attr::comprehension_required(attr::response_origin));
    EXPECT_FALSE(attr::comprehension_required(0xC001));
}

// ---- View and Writer agree with decode and encode -------------------------

TEST(StunCodec, ViewRefusesWhatDecodeRefuses) {
    std::mt19937 rng(11);
    for (int i = 0; i < 5000; ++i) {
        Bytes d = kSampleRequest;
        d[rng() % d.size()] ^= static_cast<std::byte>(1u << (rng() % 8));
        auto decoded = decode(d, {.accept_classic = true});
        auto viewed = view(d, {.accept_classic = true});
        ASSERT_EQ(decoded.error, viewed.error) << to_hex(d);
    }
}

TEST(StunCodec, WriterMatchesEncode) {
    Message m = *decode(kSampleIpv4Response).message;
    m.attributes.resize(2);
    std::array<std::byte, 256> buffer{};
    Writer w(buffer, compose_type(m.method, m.cls), m.cookie, m.transaction);
    for (const auto& a : m.attributes) w.attribute(a.type, a.value);
    w.fingerprint();
    EXPECT_EQ(to_hex(w.written()), to_hex(encode(m, {.integrity_key = std::nullopt, .fingerprint = true})));
    EXPECT_TRUE(decode(w.written()).message);
}

}  // namespace
}  // namespace natlab::stun
