#include "src/portmap/natpmp_codec.h"

#include <array>

#include "src/net/enum_names.h"
#include "src/portmap/portmap_bytes.h"

namespace natlab::natpmp {
namespace {

using namespace portmap_wire;

constexpr std::array kResultNames{
    nat::EnumName<Result>{Result::Success, "success"},
    nat::EnumName<Result>{Result::UnsupportedVersion, "unsupported-version"},
    nat::EnumName<Result>{Result::NotAuthorized, "not-authorized"},
    nat::EnumName<Result>{Result::NetworkFailure, "network-failure"},
    nat::EnumName<Result>{Result::OutOfResources, "out-of-resources"},
    nat::EnumName<Result>{Result::UnsupportedOpcode, "unsupported-opcode"},
};
static_assert(nat::names_in_order(kResultNames, kLastResult));

constexpr std::size_t kHeaderSize = 8;       // vers, op, result, epoch
constexpr std::size_t kMapRequestSize = 12;  // §3.3
constexpr std::size_t kAddressAnswerSize = 12;
constexpr std::size_t kMapAnswerSize = 16;

bool is_map(std::uint8_t opcode) {
    return opcode == kOpMapUdp || opcode == kOpMapTcp;
}

}  // namespace

std::string_view to_string(Result r) {
    return nat::name_of(kResultNames, r);
}

std::vector<std::byte> encode(const Request& r) {
    std::vector<std::byte> out;
    put8(out, r.version);
    put8(out, r.opcode);
    if (!is_map(r.opcode)) return out;
    put16(out, 0);  // reserved
    put16(out, r.internal_port);
    put16(out, r.suggested_port);
    put32(out, r.lifetime);
    return out;
}

std::vector<std::byte> encode(const Response& r) {
    std::vector<std::byte> out;
    put8(out, kVersion);
    put8(out, static_cast<std::uint8_t>(r.opcode | kResponseBit));
    put16(out, static_cast<std::uint16_t>(r.result));
    put32(out, r.epoch);
    if (r.header_only) return out;
    if (r.opcode == kOpExternalAddress) {
        put32(out, r.external.value);
    } else if (is_map(r.opcode)) {
        put16(out, r.internal_port);
        put16(out, r.mapped_port);
        put32(out, r.lifetime);
    }
    return out;
}

Decoded decode(std::span<const std::byte> b, Request& out) {
    if (b.size() < 2) return Decoded::TooShort;
    out = Request{load8(b, 0), load8(b, 1)};
    if (out.opcode & kResponseBit) return Decoded::NotARequest;
    if (out.version != kVersion || !is_map(out.opcode)) return Decoded::Ok;
    if (b.size() < kMapRequestSize) return Decoded::TooShort;
    out.internal_port = load16(b, 4);
    out.suggested_port = load16(b, 6);
    out.lifetime = load32(b, 8);
    return Decoded::Ok;
}

Decoded decode(std::span<const std::byte> b, Response& out) {
    if (b.size() < kHeaderSize) return Decoded::TooShort;
    std::uint8_t op = load8(b, 1);
    if (load8(b, 0) != kVersion || !(op & kResponseBit)) return Decoded::NotAResponse;
    out = Response{static_cast<std::uint8_t>(op & ~kResponseBit), static_cast<Result>(load16(b, 2)),
                   load32(b, 4)};
    if (out.opcode == kOpExternalAddress && b.size() >= kAddressAnswerSize) {
        out.external = Ipv4{load32(b, 8)};
    } else if (is_map(out.opcode) && b.size() >= kMapAnswerSize) {
        out.internal_port = load16(b, 8);
        out.mapped_port = load16(b, 10);
        out.lifetime = load32(b, 12);
    } else {
        out.header_only = true;
    }
    return Decoded::Ok;
}

}  // namespace natlab::natpmp
