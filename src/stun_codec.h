// STUN message codec (RFC 8489): header, TLV attributes, and the attribute
// value encodings nat-lab uses. Pure: bytes in, values out; no sockets.
//
// A Message is the decoded form of one datagram: method, class, transaction
// id and the attributes in wire order (repeats kept). decode() accepts only
// a well-formed message and says why it refused any other; encode() produces
// the exact bytes, optionally closed by MESSAGE-INTEGRITY and FINGERPRINT.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "endpoint.h"

namespace natlab::stun {

using Bytes = std::vector<std::byte>;
using TransactionId = std::array<std::byte, 12>;

inline constexpr std::uint32_t kMagicCookie = 0x2112A442;
inline constexpr std::size_t kHeaderSize = 20;
inline constexpr std::uint32_t kFingerprintXor = 0x5354554e;

// RFC 8489 section 5: the two class bits C1 C0.
enum class Class : std::uint8_t { request = 0, indication = 1, success = 2, error = 3 };
std::string_view to_string(Class cls);

// Standard attribute types (RFC 8489 section 18.3, RFC 8445 section 16.1,
// RFC 8656 for DATA).
namespace attr {
inline constexpr std::uint16_t mapped_address = 0x0001;
inline constexpr std::uint16_t username = 0x0006;
inline constexpr std::uint16_t message_integrity = 0x0008;
inline constexpr std::uint16_t error_code = 0x0009;
inline constexpr std::uint16_t data = 0x0013;
inline constexpr std::uint16_t xor_mapped_address = 0x0020;
inline constexpr std::uint16_t priority = 0x0024;
inline constexpr std::uint16_t use_candidate = 0x0025;
inline constexpr std::uint16_t software = 0x8022;
inline constexpr std::uint16_t fingerprint = 0x8028;
inline constexpr std::uint16_t ice_controlled = 0x8029;
inline constexpr std::uint16_t ice_controlling = 0x802A;
}  // namespace attr

struct Attribute {
    std::uint16_t type = 0;
    Bytes value;             // without padding
    std::size_t offset = 0;  // where its TLV header starts in the decoded datagram
};

struct Message {
    std::uint16_t method = 0;  // 12 bits
    Class cls = Class::request;
    std::uint32_t cookie = kMagicCookie;  // anything else marks an RFC 3489 message
    TransactionId transaction{};
    std::vector<Attribute> attributes;

    const Attribute* find(std::uint16_t type) const;
    std::vector<const Attribute*> find_all(std::uint16_t type) const;
    void add(Attribute attribute) { attributes.push_back(std::move(attribute)); }
    bool classic() const { return cookie != kMagicCookie; }
};

// RFC 8489 section 5: the 14-bit type interleaves the class bits into the
// method as M11..M7 C1 M6..M4 C0 M3..M0.
std::uint16_t compose_type(std::uint16_t method, Class cls);
std::uint16_t method_of(std::uint16_t type);
Class class_of(std::uint16_t type);

enum class DecodeError {
    none,
    too_short,           // fewer than 20 bytes
    not_stun,            // the two leading bits are not zero
    length_not_aligned,  // message length is not a multiple of 4
    length_overruns,     // message length claims more bytes than the datagram has
    trailing_bytes,      // the datagram has bytes after the message
    bad_cookie,          // no magic cookie (and RFC 3489 messages not accepted)
    attribute_overruns,  // attribute value (with padding) runs past the message
    after_fingerprint,   // an attribute follows FINGERPRINT
    bad_fingerprint,     // FINGERPRINT is not 4 bytes or its CRC is wrong
};
std::string_view to_string(DecodeError error);

struct DecodeOptions {
    bool accept_classic = false;  // accept RFC 3489 messages (no magic cookie)
};

struct Decoded {
    std::optional<Message> message;  // nullopt: refused, see error
    DecodeError error = DecodeError::none;
};

Decoded decode(std::span<const std::byte> datagram, DecodeOptions options = {});

struct EncodeOptions {
    std::optional<Bytes> integrity_key;  // append MESSAGE-INTEGRITY (HMAC-SHA1)
    bool fingerprint = false;            // append FINGERPRINT
};

Bytes encode(const Message& message, const EncodeOptions& options = {});

// True when `message` (decoded from `datagram`) carries a MESSAGE-INTEGRITY
// that matches `key` (RFC 8489 section 14.5; short-term key = password).
bool verify_message_integrity(std::span<const std::byte> datagram, const Message& message,
                              std::span<const std::byte> key);

// ---- attribute values -----------------------------------------------------

// An address as carried by (XOR-)MAPPED-ADDRESS: IPv4 or IPv6.
struct Address {
    enum class Family : std::uint8_t { ipv4 = 0x01, ipv6 = 0x02 };
    Family family = Family::ipv4;
    std::uint16_t port = 0;
    std::array<std::byte, 16> ip{};  // IPv4 uses the first 4 bytes

    static Address from(Endpoint endpoint);
    std::optional<Endpoint> ipv4() const;  // nullopt for IPv6
    std::string to_string() const;
    bool operator==(const Address&) const = default;
};

Attribute make_address(std::uint16_t type, const Address& address);
Attribute make_xor_address(std::uint16_t type, const Address& address, const TransactionId& id);
std::optional<Address> read_address(const Attribute& attribute);
std::optional<Address> read_xor_address(const Attribute& attribute, const TransactionId& id);
// The IPv4 endpoint in an XOR address attribute; nullopt if malformed or IPv6.
std::optional<Endpoint> read_xor_endpoint(const Attribute& attribute, const TransactionId& id);

// ERROR-CODE (RFC 8489 section 14.8): a code 300..699 and a reason phrase.
struct ErrorCode {
    int code = 0;
    std::string reason;
};
Attribute make_error_code(const ErrorCode& error);
std::optional<ErrorCode> read_error_code(const Attribute& attribute);

Attribute make_bytes(std::uint16_t type, std::span<const std::byte> value);
Attribute make_string(std::uint16_t type, std::string_view text);
Attribute make_u32(std::uint16_t type, std::uint32_t value);
Attribute make_u64(std::uint16_t type, std::uint64_t value);
Attribute make_flag(std::uint16_t type);  // empty value, e.g. USE-CANDIDATE
std::string read_string(const Attribute& attribute);
std::optional<std::uint32_t> read_u32(const Attribute& attribute);
std::optional<std::uint64_t> read_u64(const Attribute& attribute);

Bytes to_bytes(std::string_view text);
std::string to_hex(std::span<const std::byte> bytes);
// Hex digits to bytes; spaces and newlines are ignored. nullopt on any other
// character or an odd digit count.
std::optional<Bytes> from_hex(std::string_view text);

}  // namespace natlab::stun
