// STUN message codec (RFC 8489).
//
// Theory of operation
//
// Wire format (RFC 8489 section 5): a 20-byte header
//
//    0                   1                   2                   3
//   |0 0|     STUN Message Type     |         Message Length        |
//   |                         Magic Cookie                          |
//   |                     Transaction ID (96 bits)                  |
//
// followed by "Message Length" bytes of attributes. Each attribute (section
// 14) is a 16-bit type, a 16-bit value length, and the value padded with
// zeros to the next multiple of 4; the padding is not counted in the value
// length but is counted in the message length.
//
// view() walks that layout with a bounds check before every read and
// returns either a View of the datagram or the first rule it broke. It
// never reads past the span it was given, so any garbage is safe to feed
// it, and it allocates nothing. decode() is view() plus a copy of each
// attribute into a Message. The integrity attributes are handled the way
// the RFC orders them: FINGERPRINT, if present, must be last and is checked
// during the walk; MESSAGE-INTEGRITY needs a key, so it is checked on
// demand by verify_message_integrity().
//
// Writer lays a message into a caller's buffer; encode() sizes a buffer and
// runs a Writer over a Message's attributes in the order given. Neither
// reorders nor deduplicates: building a sensible message is the caller's
// job.
#include "src/stun/stun_codec.h"

#include <algorithm>

#include "src/net/invariant.h"
#include "src/stun/stun_digest.h"

namespace natlab::stun {
namespace {

std::uint16_t get16(std::span<const std::byte> b, std::size_t at) {
    return static_cast<std::uint16_t>((std::to_integer<unsigned>(b[at]) << 8) |
                                      std::to_integer<unsigned>(b[at + 1]));
}

std::uint32_t get32(std::span<const std::byte> b, std::size_t at) {
    return (std::uint32_t{get16(b, at)} << 16) | get16(b, at + 2);
}

void put16(std::byte* out, std::uint16_t v) {
    out[0] = static_cast<std::byte>(v >> 8);
    out[1] = static_cast<std::byte>(v & 0xff);
}

void put32(std::byte* out, std::uint32_t v) {
    put16(out, static_cast<std::uint16_t>(v >> 16));
    put16(out + 2, static_cast<std::uint16_t>(v & 0xffff));
}

void append16(Bytes& out, std::uint16_t v) {
    out.push_back(static_cast<std::byte>(v >> 8));
    out.push_back(static_cast<std::byte>(v & 0xff));
}

void append32(Bytes& out, std::uint32_t v) {
    append16(out, static_cast<std::uint16_t>(v >> 16));
    append16(out, static_cast<std::uint16_t>(v & 0xffff));
}

constexpr std::size_t padded(std::size_t n) {
    return (n + 3) & ~std::size_t{3};
}

// RFC 8489 section 14.5: the HMAC covers the message up to (not including)
// MESSAGE-INTEGRITY, with the length field already counting it (24 bytes).
Sha1Digest integrity_over(std::span<const std::byte> prefix, std::span<const std::byte> key) {
    Bytes copy(prefix.begin(), prefix.end());
    put16(&copy[2], static_cast<std::uint16_t>(copy.size() - kHeaderSize + 24));
    return hmac_sha1(key, copy);
}

DecodeError check_header(std::span<const std::byte> d, DecodeOptions options) {
    if (d.size() < kHeaderSize) return DecodeError::too_short;
    if ((std::to_integer<unsigned>(d[0]) & 0xC0) != 0) return DecodeError::not_stun;
    std::size_t length = get16(d, 2);
    if (length % 4 != 0) return DecodeError::length_not_aligned;
    if (kHeaderSize + length > d.size()) return DecodeError::length_overruns;
    if (kHeaderSize + length < d.size()) return DecodeError::trailing_bytes;
    if (get32(d, 4) != kMagicCookie && !options.accept_classic) return DecodeError::bad_cookie;
    return DecodeError::none;
}

// RFC 8489 section 14.7: FINGERPRINT is the CRC-32 of the message before
// it, with the length field already counting it, xored with 0x5354554e.
// It is last, so that length field is the one on the wire.
bool fingerprint_matches(std::span<const std::byte> d, std::size_t at) {
    return get16(d, at + 2) == 4 && get32(d, at + 4) == (crc32(d.first(at)) ^ kFingerprintXor);
}

// Walks the attributes with a bounds check before every read. The message
// length is a multiple of 4 and every attribute ends on a 4-byte boundary,
// so 4 bytes of attribute header are always left at the top of the loop.
DecodeError check_attributes(std::span<const std::byte> d) {
    for (std::size_t at = kHeaderSize; at < d.size();) {
        std::size_t length = get16(d, at + 2);
        if (padded(length) > d.size() - at - 4) return DecodeError::attribute_overruns;
        if (get16(d, at) == attr::fingerprint) {
            if (at + 4 + padded(length) != d.size()) return DecodeError::after_fingerprint;
            if (!fingerprint_matches(d, at)) return DecodeError::bad_fingerprint;
        }
        at += 4 + padded(length);
    }
    return DecodeError::none;
}

// XOR-MAPPED-ADDRESS (RFC 8489 section 14.2): the port is xored with the
// top 16 bits of the cookie, an IPv4 address with the cookie, an IPv6
// address with the cookie followed by the transaction id.
std::array<std::byte, 16> xor_pad(const TransactionId& id) {
    std::array<std::byte, 16> pad{};
    for (int i = 0; i < 4; ++i) pad[i] = static_cast<std::byte>((kMagicCookie >> (24 - 8 * i)) & 0xff);
    std::copy(id.begin(), id.end(), pad.begin() + 4);
    return pad;
}

Address xored(Address a, const TransactionId& id) {
    a.port ^= static_cast<std::uint16_t>(kMagicCookie >> 16);
    auto pad = xor_pad(id);
    std::size_t n = a.family == Address::Family::ipv4 ? 4 : 16;
    for (std::size_t i = 0; i < n; ++i) a.ip[i] ^= pad[i];
    return a;
}

std::size_t address_value_size(const Address& a) {
    return a.family == Address::Family::ipv4 ? 8 : 20;
}

// MAPPED-ADDRESS (RFC 8489 section 14.1): a zero byte, the family, the port,
// then 4 or 16 address bytes.
void write_address_value(std::byte* out, const Address& a) {
    out[0] = std::byte{0};
    out[1] = static_cast<std::byte>(a.family);
    put16(out + 2, a.port);
    std::copy_n(a.ip.begin(), address_value_size(a) - 4, out + 4);
}

Message materialize(const View& v) {
    Message m;
    m.method = v.method();
    m.cls = v.cls();
    m.cookie = v.cookie();
    m.transaction = v.transaction();
    std::size_t offset = kHeaderSize;
    v.each([&](std::uint16_t type, std::span<const std::byte> value) {
        m.attributes.push_back({type, Bytes(value.begin(), value.end()), offset});
        offset += Writer::size_for(value.size());
    });
    return m;
}

std::size_t encoded_size(const Message& m, const EncodeOptions& options) {
    std::size_t n = kHeaderSize;
    for (const auto& a : m.attributes) n += Writer::size_for(a.value.size());
    if (options.integrity_key) n += Writer::size_for(20);
    if (options.fingerprint) n += Writer::size_for(4);
    return n;
}

}  // namespace

std::string_view to_string(Class cls) {
    switch (cls) {
        case Class::request:
            return "request";
        case Class::indication:
            return "indication";
        case Class::success:
            return "success";
        case Class::error:
            return "error";
    }
    return "?";
}

std::string_view to_string(DecodeError error) {
    switch (error) {
        case DecodeError::none:
            return "none";
        case DecodeError::too_short:
            return "too short";
        case DecodeError::not_stun:
            return "not STUN";
        case DecodeError::length_not_aligned:
            return "length not a multiple of 4";
        case DecodeError::length_overruns:
            return "length overruns datagram";
        case DecodeError::trailing_bytes:
            return "trailing bytes";
        case DecodeError::bad_cookie:
            return "bad magic cookie";
        case DecodeError::attribute_overruns:
            return "attribute overruns message";
        case DecodeError::after_fingerprint:
            return "attribute after FINGERPRINT";
        case DecodeError::bad_fingerprint:
            return "bad FINGERPRINT";
    }
    return "?";
}

const Attribute* Message::find(std::uint16_t type) const {
    for (const auto& a : attributes)
        if (a.type == type) return &a;
    return nullptr;
}

std::vector<const Attribute*> Message::find_all(std::uint16_t type) const {
    std::vector<const Attribute*> found;
    for (const auto& a : attributes)
        if (a.type == type) found.push_back(&a);
    return found;
}

std::uint16_t compose_type(std::uint16_t method, Class cls) {
    NATLAB_INVARIANT(method <= 0xfff);
    auto c = static_cast<unsigned>(cls);
    unsigned type = ((method & 0xF80u) << 2) | ((method & 0x070u) << 1) | (method & 0x00Fu) |
                    ((c & 2u) << 7) | ((c & 1u) << 4);
    return static_cast<std::uint16_t>(type);
}

std::uint16_t method_of(std::uint16_t type) {
    return static_cast<std::uint16_t>(((type & 0x3E00u) >> 2) | ((type & 0x00E0u) >> 1) | (type & 0x000Fu));
}

Class class_of(std::uint16_t type) {
    return static_cast<Class>(((type & 0x0100u) >> 7) | ((type & 0x0010u) >> 4));
}

Viewed view(std::span<const std::byte> datagram, DecodeOptions options) {
    if (auto error = check_header(datagram, options); error != DecodeError::none)
        return {std::nullopt, error};
    if (auto error = check_attributes(datagram); error != DecodeError::none) return {std::nullopt, error};
    return {View(datagram), DecodeError::none};
}

Decoded decode(std::span<const std::byte> datagram, DecodeOptions options) {
    auto v = view(datagram, options);
    if (!v.view) return {std::nullopt, v.error};
    return {materialize(*v.view), DecodeError::none};
}

Bytes encode(const Message& message, const EncodeOptions& options) {
    Bytes out(encoded_size(message, options));
    Writer w(out, compose_type(message.method, message.cls), message.cookie, message.transaction);
    for (const auto& a : message.attributes) w.attribute(a.type, a.value);
    if (options.integrity_key) w.integrity(*options.integrity_key);
    if (options.fingerprint) w.fingerprint();
    NATLAB_INVARIANT(w.size() == out.size());
    return out;
}

bool verify_message_integrity(std::span<const std::byte> datagram, const Message& message,
                              std::span<const std::byte> key) {
    const Attribute* mi = message.find(attr::message_integrity);
    if (!mi || mi->value.size() != 20 || mi->offset > datagram.size()) return false;
    auto mac = integrity_over(datagram.first(mi->offset), key);
    return std::equal(mac.begin(), mac.end(), mi->value.begin());
}

// ---- View -----------------------------------------------------------------

std::uint16_t View::type() const {
    return get16(d_, 0);
}

std::uint32_t View::cookie() const {
    return get32(d_, 4);
}

TransactionId View::transaction() const {
    TransactionId id;
    std::copy_n(d_.begin() + 8, id.size(), id.begin());
    return id;
}

std::uint16_t View::type_at(std::size_t at) const {
    return get16(d_, at);
}

std::span<const std::byte> View::value_at(std::size_t at) const {
    return d_.subspan(at + 4, get16(d_, at + 2));
}

std::size_t View::next(std::size_t at) const {
    return at + 4 + padded(get16(d_, at + 2));
}

std::optional<std::span<const std::byte>> View::find(std::uint16_t type) const {
    for (std::size_t at = kHeaderSize; at < d_.size(); at = next(at))
        if (type_at(at) == type) return value_at(at);
    return std::nullopt;
}

// ---- Writer ---------------------------------------------------------------

Writer::Writer(std::span<std::byte> out, std::uint16_t type, std::uint32_t cookie, const TransactionId& id)
    : out_(out), id_(id) {
    std::byte* h = reserve(kHeaderSize);
    put16(h, type);
    put32(h + 4, cookie);
    std::copy(id.begin(), id.end(), h + 8);
    set_length(0);
}

std::byte* Writer::reserve(std::size_t n) {
    NATLAB_INVARIANT(size_ + n <= out_.size());
    std::byte* at = out_.data() + size_;
    size_ += n;
    return at;
}

void Writer::set_length(std::size_t body) {
    NATLAB_INVARIANT(body <= 0xffff);
    put16(out_.data() + 2, static_cast<std::uint16_t>(body));
}

void Writer::attribute(std::uint16_t type, std::span<const std::byte> value) {
    NATLAB_INVARIANT(value.size() <= 0xffff);
    std::byte* at = reserve(size_for(value.size()));
    put16(at, type);
    put16(at + 2, static_cast<std::uint16_t>(value.size()));
    std::copy(value.begin(), value.end(), at + 4);
    std::fill(at + 4 + value.size(), out_.data() + size_, std::byte{0});
    set_length(size_ - kHeaderSize);
}

void Writer::address(std::uint16_t type, const Address& address) {
    std::array<std::byte, 20> value{};
    write_address_value(value.data(), address);
    attribute(type, std::span(value).first(address_value_size(address)));
}

void Writer::xor_address(std::uint16_t type, const Address& address) {
    this->address(type, xored(address, id_));
}

void Writer::integrity(std::span<const std::byte> key) {
    auto mac = integrity_over(written(), key);
    attribute(attr::message_integrity, mac);
}

void Writer::fingerprint() {
    set_length(size_ - kHeaderSize + size_for(4));
    std::array<std::byte, 4> value{};
    put32(value.data(), crc32(written()) ^ kFingerprintXor);
    attribute(attr::fingerprint, value);
}

// ---- attribute values -----------------------------------------------------

Address Address::from(Endpoint endpoint) {
    Address a;
    a.port = endpoint.port;
    for (int i = 0; i < 4; ++i)
        a.ip[i] = static_cast<std::byte>((endpoint.addr.value >> (24 - 8 * i)) & 0xff);
    return a;
}

Address Address::from(const IpEndpoint& endpoint) {
    if (const Endpoint* v4 = endpoint.v4()) return from(*v4);
    Address a;
    a.family = Family::ipv6;
    a.port = endpoint.port();
    const auto& bytes = endpoint.v6()->addr.bytes;
    for (std::size_t i = 0; i < bytes.size(); ++i) a.ip[i] = static_cast<std::byte>(bytes[i]);
    return a;
}

IpEndpoint Address::endpoint() const {
    if (auto v4 = ipv4()) return *v4;
    Endpoint6 e{{}, port};
    for (std::size_t i = 0; i < ip.size(); ++i) e.addr.bytes[i] = std::to_integer<std::uint8_t>(ip[i]);
    return e;
}

std::optional<Endpoint> Address::ipv4() const {
    if (family != Family::ipv4) return std::nullopt;
    return Endpoint{Ipv4{get32(ip, 0)}, port};
}

std::string Address::to_string() const {
    return endpoint().to_string();
}

// MAPPED-ADDRESS (RFC 8489 section 14.1): a zero byte, the family, the port,
// then 4 or 16 address bytes.
Attribute make_address(std::uint16_t type, const Address& address) {
    Bytes value(address_value_size(address));
    write_address_value(value.data(), address);
    return {type, std::move(value)};
}

std::optional<Address> read_address(const Attribute& attribute) {
    const Bytes& v = attribute.value;
    if (v.size() != 8 && v.size() != 20) return std::nullopt;
    auto family = std::to_integer<unsigned>(v[1]);
    bool v4 = family == 0x01 && v.size() == 8;
    bool v6 = family == 0x02 && v.size() == 20;
    if (!v4 && !v6) return std::nullopt;
    Address a;
    a.family = v4 ? Address::Family::ipv4 : Address::Family::ipv6;
    a.port = get16(v, 2);
    std::copy(v.begin() + 4, v.end(), a.ip.begin());
    return a;
}

Attribute make_xor_address(std::uint16_t type, const Address& address, const TransactionId& id) {
    return make_address(type, xored(address, id));
}

std::optional<Address> read_xor_address(const Attribute& attribute, const TransactionId& id) {
    auto a = read_address(attribute);
    if (!a) return std::nullopt;
    return xored(*a, id);
}

std::optional<Endpoint> read_xor_endpoint(const Attribute& attribute, const TransactionId& id) {
    auto a = read_xor_address(attribute, id);
    return a ? a->ipv4() : std::nullopt;
}

std::optional<IpEndpoint> read_xor_ip_endpoint(const Attribute& attribute, const TransactionId& id) {
    auto a = read_xor_address(attribute, id);
    if (!a) return std::nullopt;
    return a->endpoint();
}

// ERROR-CODE (RFC 8489 section 14.8): 21 zero bits, the hundreds digit in
// 3 bits (3..6), the remainder 0..99 in 8 bits, then a UTF-8 reason.
Attribute make_error_code(const ErrorCode& error) {
    NATLAB_INVARIANT(error.code >= 300 && error.code <= 699);
    Bytes value{std::byte{0}, std::byte{0}, static_cast<std::byte>(error.code / 100),
                static_cast<std::byte>(error.code % 100)};
    auto reason = to_bytes(error.reason);
    value.insert(value.end(), reason.begin(), reason.end());
    return {attr::error_code, std::move(value)};
}

std::optional<ErrorCode> read_error_code(const Attribute& attribute) {
    const Bytes& v = attribute.value;
    if (v.size() < 4) return std::nullopt;
    unsigned hundreds = std::to_integer<unsigned>(v[2]) & 0x7;
    unsigned rest = std::to_integer<unsigned>(v[3]);
    if (hundreds < 3 || hundreds > 6 || rest > 99) return std::nullopt;
    Attribute reason{attribute.type, Bytes(v.begin() + 4, v.end())};
    return ErrorCode{static_cast<int>(hundreds * 100 + rest), read_string(reason)};
}

Attribute make_bytes(std::uint16_t type, std::span<const std::byte> value) {
    return {type, Bytes(value.begin(), value.end())};
}

Attribute make_string(std::uint16_t type, std::string_view text) {
    return {type, to_bytes(text)};
}

Attribute make_u32(std::uint16_t type, std::uint32_t value) {
    Bytes out;
    append32(out, value);
    return {type, std::move(out)};
}

Attribute make_u64(std::uint16_t type, std::uint64_t value) {
    Bytes out;
    append32(out, static_cast<std::uint32_t>(value >> 32));
    append32(out, static_cast<std::uint32_t>(value & 0xffffffff));
    return {type, std::move(out)};
}

Attribute make_flag(std::uint16_t type) {
    return {type, {}};
}

std::string read_string(const Attribute& attribute) {
    std::string text;
    for (std::byte b : attribute.value) text.push_back(static_cast<char>(b));
    return text;
}

std::optional<std::uint32_t> read_u32(const Attribute& attribute) {
    if (attribute.value.size() != 4) return std::nullopt;
    return get32(attribute.value, 0);
}

std::optional<std::uint64_t> read_u64(const Attribute& attribute) {
    if (attribute.value.size() != 8) return std::nullopt;
    return (std::uint64_t{get32(attribute.value, 0)} << 32) | get32(attribute.value, 4);
}

Attribute make_unknown_attributes(std::span<const std::uint16_t> types) {
    Bytes out;
    for (std::uint16_t t : types) append16(out, t);
    return {attr::unknown_attributes, std::move(out)};
}

std::vector<std::uint16_t> read_unknown_attributes(const Attribute& attribute) {
    std::vector<std::uint16_t> types;
    for (std::size_t at = 0; at + 1 < attribute.value.size(); at += 2)
        types.push_back(get16(attribute.value, at));
    return types;
}

Bytes to_bytes(std::string_view text) {
    Bytes out;
    for (char c : text) out.push_back(static_cast<std::byte>(c));
    return out;
}

std::string to_hex(std::span<const std::byte> bytes) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    for (std::byte b : bytes) {
        out += digits[std::to_integer<unsigned>(b) >> 4];
        out += digits[std::to_integer<unsigned>(b) & 0xf];
    }
    return out;
}

std::optional<Bytes> from_hex(std::string_view text) {
    Bytes out;
    int pending = -1;
    for (char c : text) {
        if (c == ' ' || c == '\n' || c == '\t') continue;
        int digit = c >= '0' && c <= '9'   ? c - '0'
                    : c >= 'a' && c <= 'f' ? c - 'a' + 10
                    : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                           : -1;
        if (digit < 0) return std::nullopt;
        if (pending < 0) {
            pending = digit;
        } else {
            out.push_back(static_cast<std::byte>(pending * 16 + digit));
            pending = -1;
        }
    }
    if (pending >= 0) return std::nullopt;
    return out;
}

}  // namespace natlab::stun
