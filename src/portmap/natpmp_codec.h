// NAT-PMP messages (RFC 6886), encoded and decoded without sockets.
//
// Theory of operation
// -------------------
// Every NAT-PMP message starts with a version (0) and an opcode; answers set
// the opcode's top bit and carry a 16-bit result code and the server's
// "seconds since start of epoch" (§3.6). Three requests exist:
//
//   external address (opcode 0, §3.2), 2 bytes:
//     0      1
//     +------+------+
//     | vers | op=0 |
//   its answer, 12 bytes: vers, op=128, result(16), epoch(32), external IPv4(32).
//
//   map UDP (opcode 1) or TCP (opcode 2) (§3.3), 12 bytes:
//     vers, op, reserved(16)=0, internal port(16), suggested external port(16),
//     requested lifetime in seconds(32)
//   its answer, 16 bytes: vers, op+128, result(16), epoch(32), internal port(16),
//   mapped external port(16), lifetime(32).
//
// Lifetime 0 deletes the mapping of that internal port; internal port 0 and
// lifetime 0 deletes every mapping of the client for that protocol (§3.4).
// Any other opcode, or an answer to a request that could not be read, is
// the 8-byte header alone (vers, op+128, result, epoch) (§3.5). An
// unsolicited external address answer to 224.0.0.1:5350 announces the
// address at start and when it changes (§3.2.1).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "src/net/endpoint.h"

namespace natlab::natpmp {

inline constexpr std::uint8_t kVersion = 0;
inline constexpr std::uint8_t kOpExternalAddress = 0;
inline constexpr std::uint8_t kOpMapUdp = 1;
inline constexpr std::uint8_t kOpMapTcp = 2;
inline constexpr std::uint8_t kResponseBit = 0x80;

// Result codes (§3.5).
enum class Result : std::uint16_t {
    Success = 0,
    UnsupportedVersion = 1,
    NotAuthorized = 2,  // "refused": the gateway supports mapping, but it is switched off
    NetworkFailure = 3,
    OutOfResources = 4,
    UnsupportedOpcode = 5,
};
inline constexpr Result kLastResult = Result::UnsupportedOpcode;
std::string_view to_string(Result r);  // "success", "unsupported-version", ...

struct Request {
    std::uint8_t version = kVersion;
    std::uint8_t opcode = kOpExternalAddress;
    std::uint16_t internal_port = 0;   // map requests
    std::uint16_t suggested_port = 0;  // map requests
    std::uint32_t lifetime = 0;        // map requests
};

struct Response {
    std::uint8_t opcode = kOpExternalAddress;  // of the request (without the response bit)
    Result result = Result::Success;
    std::uint32_t epoch = 0;
    Ipv4 external{};                  // opcode 0
    std::uint16_t internal_port = 0;  // map answers
    std::uint16_t mapped_port = 0;    // map answers
    std::uint32_t lifetime = 0;       // map answers
    bool header_only = false;         // the 8-byte form (unknown opcode, unreadable request)
};

enum class Decoded : std::uint8_t { Ok, TooShort, NotARequest, NotAResponse };

std::vector<std::byte> encode(const Request& request);
std::vector<std::byte> encode(const Response& response);

// A request: at least version and opcode; a map request must be whole (12
// bytes) only when its version is ours. Extra bytes are ignored.
Decoded decode(std::span<const std::byte> bytes, Request& out);
Decoded decode(std::span<const std::byte> bytes, Response& out);

}  // namespace natlab::natpmp
