#include "src/portmap/pcp_codec.h"

#include "src/net/enum_names.h"
#include "src/portmap/portmap_bytes.h"

namespace natlab::pcp {
namespace {

using namespace portmap_wire;
using Bytes = std::span<const std::byte>;

constexpr std::array kResultNames{
    nat::EnumName<Result>{Result::Success, "SUCCESS"},
    nat::EnumName<Result>{Result::UnsuppVersion, "UNSUPP_VERSION"},
    nat::EnumName<Result>{Result::NotAuthorized, "NOT_AUTHORIZED"},
    nat::EnumName<Result>{Result::MalformedRequest, "MALFORMED_REQUEST"},
    nat::EnumName<Result>{Result::UnsuppOpcode, "UNSUPP_OPCODE"},
    nat::EnumName<Result>{Result::UnsuppOption, "UNSUPP_OPTION"},
    nat::EnumName<Result>{Result::MalformedOption, "MALFORMED_OPTION"},
    nat::EnumName<Result>{Result::NetworkFailure, "NETWORK_FAILURE"},
    nat::EnumName<Result>{Result::NoResources, "NO_RESOURCES"},
    nat::EnumName<Result>{Result::UnsuppProtocol, "UNSUPP_PROTOCOL"},
    nat::EnumName<Result>{Result::UserExQuota, "USER_EX_QUOTA"},
    nat::EnumName<Result>{Result::CannotProvideExternal, "CANNOT_PROVIDE_EXTERNAL"},
    nat::EnumName<Result>{Result::AddressMismatch, "ADDRESS_MISMATCH"},
    nat::EnumName<Result>{Result::ExcessiveRemotePeers, "EXCESSIVE_REMOTE_PEERS"},
};
static_assert(nat::names_in_order(kResultNames, kLastResult));

constexpr std::size_t kMapSize = 36;
constexpr std::size_t kPeerSize = 56;
constexpr std::size_t kOptionHeader = 4;
constexpr std::uint8_t kResponseBit = 0x80;

std::size_t data_size(std::uint8_t opcode) {
    return opcode == kOpMap ? kMapSize : opcode == kOpPeer ? kPeerSize : 0;
}

// An IPv4 address as RFC 4291's IPv4-mapped IPv6 address (§5).
void put_address(std::vector<std::byte>& out, Ipv4 a) {
    put_zeros(out, 10);
    put16(out, 0xffff);
    put32(out, a.value);
}

// The IPv4 address of a 16-byte field; :: reads as 0.0.0.0 ("any"); other IPv6: nullopt.
std::optional<Ipv4> load_address(Bytes b, std::size_t at) {
    bool zero = true;
    for (std::size_t i = 0; i < 16; ++i) zero = zero && load8(b, at + i) == 0;
    if (zero) return Ipv4{};
    for (std::size_t i = 0; i < 10; ++i)
        if (load8(b, at + i) != 0) return std::nullopt;
    if (load16(b, at + 10) != 0xffff) return std::nullopt;
    return Ipv4{load32(b, at + 12)};
}

void put_map(std::vector<std::byte>& out, const MapData& m) {
    for (auto n : m.nonce) put8(out, n);
    put8(out, m.protocol);
    put_zeros(out, 3);
    put16(out, m.internal_port);
    put16(out, m.external.port);
    put_address(out, m.external.addr);
}

void put_option(std::vector<std::byte>& out, OptionCode code, std::uint16_t length) {
    put8(out, static_cast<std::uint8_t>(code));
    put8(out, 0);
    put16(out, length);
}

void put_options(std::vector<std::byte>& out, const Options& o) {
    if (o.third_party) {
        put_option(out, OptionCode::ThirdParty, 16);
        put_address(out, *o.third_party);
    }
    if (o.prefer_failure) put_option(out, OptionCode::PreferFailure, 0);
    for (const Filter& f : o.filters) {
        put_option(out, OptionCode::Filter, 20);
        put8(out, 0);
        put8(out, f.prefix_length);
        put16(out, f.port);
        put_address(out, f.address);
    }
}

void put_header(std::vector<std::byte>& out, const Message& m) {
    put8(out, m.version);
    put8(out, static_cast<std::uint8_t>(m.opcode | (m.response ? kResponseBit : 0)));
    if (m.response) {
        put8(out, 0);
        put8(out, static_cast<std::uint8_t>(m.result));
        put32(out, m.lifetime);
        put32(out, m.epoch);
        put_zeros(out, 12);
    } else {
        put16(out, 0);
        put32(out, m.lifetime);
        put_address(out, m.client);
    }
}

bool read_map(Bytes b, std::size_t at, MapData& m) {
    for (std::size_t i = 0; i < m.nonce.size(); ++i) m.nonce[i] = load8(b, at + i);
    m.protocol = load8(b, at + 12);
    m.internal_port = load16(b, at + 16);
    m.external.port = load16(b, at + 18);
    auto address = load_address(b, at + 20);
    m.external.addr = address.value_or(Ipv4{});
    return address.has_value();
}

// One option's data into `o`; the result for an option that is wrong.
std::optional<Result> read_option(std::uint8_t code, Bytes data, std::uint8_t opcode, Options& o) {
    switch (code) {
        case static_cast<std::uint8_t>(OptionCode::ThirdParty): {
            if (data.size() != 16 || o.third_party) return Result::MalformedOption;
            auto a = load_address(data, 0);
            if (!a) return Result::MalformedOption;
            o.third_party = *a;
            return std::nullopt;
        }
        case static_cast<std::uint8_t>(OptionCode::PreferFailure):
            if (!data.empty() || opcode != kOpMap || o.prefer_failure) return Result::MalformedOption;
            o.prefer_failure = true;
            return std::nullopt;
        case static_cast<std::uint8_t>(OptionCode::Filter): {
            // The length first: a shorter FILTER's fields are not there to read.
            if (data.size() != 20 || opcode != kOpMap) return Result::MalformedOption;
            auto a = load_address(data, 4);
            const std::uint8_t prefix = load8(data, 1);  // IPv4-mapped: 96..128, or 0 (§13.3)
            if (!a || prefix > 128 || (prefix != 0 && prefix < 96)) return Result::MalformedOption;
            o.filters.push_back({prefix, load16(data, 2), *a});
            return std::nullopt;
        }
        default:
            return code < 128 ? std::optional{Result::UnsuppOption} : std::nullopt;
    }
}

std::optional<Result> read_options(Bytes b, std::size_t at, std::uint8_t opcode, Options& o) {
    while (at < b.size()) {
        if (b.size() - at < kOptionHeader) return Result::MalformedOption;
        std::uint8_t code = load8(b, at);
        std::size_t length = load16(b, at + 2);
        std::size_t padded = (length + 3) / 4 * 4;
        if (b.size() - at - kOptionHeader < padded) return Result::MalformedOption;
        if (auto wrong = read_option(code, b.subspan(at + kOptionHeader, length), opcode, o)) return wrong;
        at += kOptionHeader + padded;
    }
    return std::nullopt;
}

// The opcode's data of a request or response; false when it is not IPv4 or cut short.
bool read_data(Bytes b, Message& m) {
    if (b.size() < kHeaderSize + data_size(m.opcode)) return false;
    if (m.opcode == kOpAnnounce) return true;
    bool ok = read_map(b, kHeaderSize, m.map);
    if (m.opcode == kOpPeer) {
        m.remote.port = load16(b, kHeaderSize + 36);
        auto a = load_address(b, kHeaderSize + 40);
        m.remote.addr = a.value_or(Ipv4{});
        ok = ok && a.has_value();
    }
    return ok;
}

}  // namespace

std::string_view to_string(Result r) {
    return nat::name_of(kResultNames, r);
}

std::vector<std::byte> encode(const Message& m) {
    std::vector<std::byte> out;
    put_header(out, m);
    if (m.opcode == kOpMap || m.opcode == kOpPeer) put_map(out, m.map);
    if (m.opcode == kOpPeer) {
        put16(out, m.remote.port);
        put16(out, 0);
        put_address(out, m.remote.addr);
    }
    put_options(out, m.options);
    return out;
}

std::optional<Result> decode_request(Bytes b, Message& out) {
    if (b.size() < 2 || (load8(b, 1) & kResponseBit)) return std::nullopt;
    out = Message{load8(b, 0), static_cast<std::uint8_t>(load8(b, 1) & ~kResponseBit)};
    if (out.version != kVersion) return Result::UnsuppVersion;
    if (b.size() < kHeaderSize || b.size() > kMaxSize || b.size() % 4) return Result::MalformedRequest;
    out.lifetime = load32(b, 4);
    auto client = load_address(b, 8);
    out.client = client.value_or(Ipv4{});
    if (out.opcode > kOpPeer) return Result::UnsuppOpcode;
    if (!read_data(b, out)) return Result::MalformedRequest;
    if (auto wrong = read_options(b, kHeaderSize + data_size(out.opcode), out.opcode, out.options))
        return wrong;
    if (!client) return Result::AddressMismatch;  // an IPv6 client on an IPv4 NAT
    return Result::Success;
}

bool decode_response(Bytes b, Message& out) {
    if (b.size() < kHeaderSize || load8(b, 0) != kVersion || !(load8(b, 1) & kResponseBit)) return false;
    out = Message{kVersion, static_cast<std::uint8_t>(load8(b, 1) & ~kResponseBit), true};
    out.result = static_cast<Result>(load8(b, 3));
    out.lifetime = load32(b, 4);
    out.epoch = load32(b, 8);
    if (out.opcode > kOpPeer) return true;
    if (b.size() < kHeaderSize + data_size(out.opcode)) return out.result != Result::Success;
    read_data(b, out);
    return !read_options(b, kHeaderSize + data_size(out.opcode), out.opcode, out.options).has_value();
}

}  // namespace natlab::pcp
