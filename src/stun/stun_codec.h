// STUN message codec (RFC 8489): header, TLV attributes, and the attribute
// value encodings nat-lab uses. Pure: bytes in, values out; no sockets.
//
// A Message is the decoded form of one datagram: method, class, transaction
// id and the attributes in wire order (repeats kept). decode() accepts only
// a well-formed message and says why it refused any other; encode() produces
// the exact bytes, optionally closed by MESSAGE-INTEGRITY and FINGERPRINT.
//
// Two allocation-free forms serve the server's hot path (a Binding request
// in, a Binding response out): view() checks a datagram exactly as decode()
// does and reads it in place, and Writer builds a message straight into a
// caller's buffer. decode() and encode() are built on them, so there is one
// parser and one encoder.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "src/net/address.h"
#include "src/net/endpoint.h"

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
// RFC 8656 for DATA, RFC 5780 for NAT behaviour discovery, RFC 3489 for the
// classic attributes its clients still read).
namespace attr {
inline constexpr std::uint16_t mapped_address = 0x0001;
inline constexpr std::uint16_t change_request = 0x0003;   // RFC 5780 section 7.2
inline constexpr std::uint16_t source_address = 0x0004;   // RFC 3489 section 11.2.5
inline constexpr std::uint16_t changed_address = 0x0005;  // RFC 3489 section 11.2.3
inline constexpr std::uint16_t username = 0x0006;
inline constexpr std::uint16_t message_integrity = 0x0008;
inline constexpr std::uint16_t error_code = 0x0009;
inline constexpr std::uint16_t unknown_attributes = 0x000A;
inline constexpr std::uint16_t data = 0x0013;
inline constexpr std::uint16_t message_integrity_sha256 = 0x001C;
inline constexpr std::uint16_t xor_mapped_address = 0x0020;
inline constexpr std::uint16_t priority = 0x0024;
inline constexpr std::uint16_t use_candidate = 0x0025;
inline constexpr std::uint16_t padding = 0x0026;        // RFC 5780 section 7.6
inline constexpr std::uint16_t response_port = 0x0027;  // RFC 5780 section 7.5
inline constexpr std::uint16_t software = 0x8022;
inline constexpr std::uint16_t fingerprint = 0x8028;
inline constexpr std::uint16_t ice_controlled = 0x8029;
inline constexpr std::uint16_t ice_controlling = 0x802A;
inline constexpr std::uint16_t response_origin = 0x802B;  // RFC 5780 section 7.3
inline constexpr std::uint16_t other_address = 0x802C;    // RFC 5780 section 7.4

// RFC 8489 section 14: 0x0000-0x7FFF must be understood by the receiver
// (else it answers 420); 0x8000-0xFFFF may be skipped.
constexpr bool comprehension_required(std::uint16_t type) {
    return type < 0x8000;
}
}  // namespace attr

// CHANGE-REQUEST flags (RFC 5780 section 7.2, as in RFC 3489 section 11.2.4).
inline constexpr std::uint32_t kChangeIp = 0x04;
inline constexpr std::uint32_t kChangePort = 0x02;

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

// A datagram that passed the same checks as decode(), read in place: header
// fields and attribute values are spans into it. Valid only while the
// datagram's bytes are.
class View {
public:
    explicit View(std::span<const std::byte> datagram) : d_(datagram) {}

    std::uint16_t type() const;
    std::uint16_t method() const { return method_of(type()); }
    Class cls() const { return class_of(type()); }
    std::uint32_t cookie() const;
    bool classic() const { return cookie() != kMagicCookie; }
    TransactionId transaction() const;
    std::span<const std::byte> bytes() const { return d_; }

    // The value of the first attribute of `type`, if there is one.
    std::optional<std::span<const std::byte>> find(std::uint16_t type) const;
    // Calls f(type, value) for each attribute in wire order.
    template <class F>
    void each(F&& f) const {
        for (std::size_t at = kHeaderSize; at < d_.size(); at = next(at)) f(type_at(at), value_at(at));
    }

private:
    std::uint16_t type_at(std::size_t at) const;
    std::span<const std::byte> value_at(std::size_t at) const;
    std::size_t next(std::size_t at) const;

    std::span<const std::byte> d_;
};

struct Viewed {
    std::optional<View> view;  // nullopt: refused, see error
    DecodeError error = DecodeError::none;
};

Viewed view(std::span<const std::byte> datagram, DecodeOptions options = {});

struct EncodeOptions {
    std::optional<Bytes> integrity_key;  // append MESSAGE-INTEGRITY (HMAC-SHA1)
    bool fingerprint = false;            // append FINGERPRINT
};

Bytes encode(const Message& message, const EncodeOptions& options = {});

// ---- attribute values -----------------------------------------------------

// An address as carried by (XOR-)MAPPED-ADDRESS: IPv4 or IPv6.
struct Address {
    enum class Family : std::uint8_t { ipv4 = 0x01, ipv6 = 0x02 };
    Family family = Family::ipv4;
    std::uint16_t port = 0;
    std::array<std::byte, 16> ip{};  // IPv4 uses the first 4 bytes

    static Address from(Endpoint endpoint);
    static Address from(const IpEndpoint& endpoint);  // family 0x01 or 0x02
    std::optional<Endpoint> ipv4() const;             // nullopt for IPv6
    IpEndpoint endpoint() const;                      // either family
    std::string to_string() const;
    bool operator==(const Address&) const = default;
};

// Builds one message in a caller's buffer, keeping the header's length field
// current after each attribute, so the bytes are a complete message at every
// step. The buffer must hold what is written (a broken invariant otherwise);
// size_for() tells how much an attribute takes.
class Writer {
public:
    Writer(std::span<std::byte> out, std::uint16_t type, std::uint32_t cookie, const TransactionId& id);

    static constexpr std::size_t size_for(std::size_t value_bytes) { return 4 + ((value_bytes + 3) & ~3u); }

    void attribute(std::uint16_t type, std::span<const std::byte> value);
    void address(std::uint16_t type, const Address& address);      // MAPPED-ADDRESS layout
    void xor_address(std::uint16_t type, const Address& address);  // XOR-MAPPED-ADDRESS layout
    void integrity(std::span<const std::byte> key);                // MESSAGE-INTEGRITY
    void fingerprint();                                            // FINGERPRINT, last

    std::size_t size() const { return size_; }
    std::span<const std::byte> written() const { return out_.first(size_); }

private:
    std::byte* reserve(std::size_t n);
    void set_length(std::size_t body);

    std::span<std::byte> out_;
    std::size_t size_ = 0;
    TransactionId id_;
};

// True when `message` (decoded from `datagram`) carries a MESSAGE-INTEGRITY
// that matches `key` (RFC 8489 section 14.5; short-term key = password).
bool verify_message_integrity(std::span<const std::byte> datagram, const Message& message,
                              std::span<const std::byte> key);

Attribute make_address(std::uint16_t type, const Address& address);
Attribute make_xor_address(std::uint16_t type, const Address& address, const TransactionId& id);
std::optional<Address> read_address(const Attribute& attribute);
std::optional<Address> read_xor_address(const Attribute& attribute, const TransactionId& id);
// The IPv4 endpoint in an XOR address attribute; nullopt if malformed or IPv6.
std::optional<Endpoint> read_xor_endpoint(const Attribute& attribute, const TransactionId& id);
// The endpoint of either family in an XOR address attribute; nullopt if malformed.
std::optional<IpEndpoint> read_xor_ip_endpoint(const Attribute& attribute, const TransactionId& id);

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
// UNKNOWN-ATTRIBUTES (RFC 8489 section 14.9): a list of 16-bit types.
Attribute make_unknown_attributes(std::span<const std::uint16_t> types);
std::vector<std::uint16_t> read_unknown_attributes(const Attribute& attribute);

Bytes to_bytes(std::string_view text);
std::string to_hex(std::span<const std::byte> bytes);
// Hex digits to bytes; spaces and newlines are ignored. nullopt on any other
// character or an odd digit count.
std::optional<Bytes> from_hex(std::string_view text);

}  // namespace natlab::stun
