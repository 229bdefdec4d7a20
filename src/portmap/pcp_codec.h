// PCP messages (RFC 6887), encoded and decoded without sockets.
//
// Theory of operation
// -------------------
// Every PCP message is a 24-byte header, then the opcode's data, then
// options; all of it a multiple of 4 bytes and at most 1100 (§7).
//
//   request header (§7.1)                 response header (§7.2)
//   0      version = 2                    0      version = 2
//   1      R=0 | opcode (7 bits)          1      R=1 | opcode
//   2-3    reserved                       2      reserved
//   4-7    requested lifetime (s)         3      result code
//   8-23   client's IP address            4-7    lifetime (s)
//          (IPv4 as ::ffff:a.b.c.d)       8-11   epoch time (s)
//                                         12-23  reserved
//
//   MAP data (§11.1), 36 bytes            PEER data (§12.1), 56 bytes
//   0-11   mapping nonce                  0-35   as MAP
//   12     protocol (17 UDP, 6 TCP,       36-37  remote peer port
//          0 all)                         38-39  reserved
//   13-15  reserved                       40-55  remote peer IP address
//   16-17  internal port
//   18-19  suggested (request) or assigned (response) external port
//   20-35  suggested or assigned external IP address
//
//   ANNOUNCE (opcode 0, §14.1) has no data.
//
//   option (§7.3): code(8), reserved(8), length(16), data padded to 4 bytes.
//   Codes 0-127 must be understood, 128-255 may be skipped.
//     THIRD_PARTY (1, §13.1): 16 bytes, the internal IP address to map for;
//     PREFER_FAILURE (2, §13.2): no data; only the suggested endpoint will do;
//     FILTER (3, §13.3): reserved(8), prefix length(8), remote peer port(16),
//       remote peer IP(128): who may send in (port 0: any port).
//
// `decode` of a request returns the result code the server must answer
// with when the request is not acceptable as it stands (MALFORMED_REQUEST,
// UNSUPP_OPCODE, MALFORMED_OPTION, UNSUPP_OPTION), having read as much of it
// as it could, so the error answer can echo the opcode's data (§7.2); or
// nothing when the datagram must be dropped silently (shorter than 2 bytes,
// or a response).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "src/net/endpoint.h"

namespace natlab::pcp {

inline constexpr std::uint8_t kVersion = 2;
inline constexpr std::uint8_t kOpAnnounce = 0;
inline constexpr std::uint8_t kOpMap = 1;
inline constexpr std::uint8_t kOpPeer = 2;
inline constexpr std::uint8_t kProtocolUdp = 17;
inline constexpr std::uint8_t kProtocolTcp = 6;
inline constexpr std::size_t kHeaderSize = 24;
inline constexpr std::size_t kMaxSize = 1100;

enum class Result : std::uint8_t {
    Success = 0,
    UnsuppVersion = 1,
    NotAuthorized = 2,
    MalformedRequest = 3,
    UnsuppOpcode = 4,
    UnsuppOption = 5,
    MalformedOption = 6,
    NetworkFailure = 7,
    NoResources = 8,
    UnsuppProtocol = 9,
    UserExQuota = 10,
    CannotProvideExternal = 11,
    AddressMismatch = 12,
    ExcessiveRemotePeers = 13,
};
inline constexpr Result kLastResult = Result::ExcessiveRemotePeers;
std::string_view to_string(Result r);  // the RFC's names: "SUCCESS", "NOT_AUTHORIZED", ...

enum class OptionCode : std::uint8_t { ThirdParty = 1, PreferFailure = 2, Filter = 3 };

using Nonce = std::array<std::uint8_t, 12>;

struct Filter {
    std::uint8_t prefix_length = 128;  // of the IPv6 form: 96 + the IPv4 prefix
    std::uint16_t port = 0;            // 0: any
    Ipv4 address{};
    auto operator<=>(const Filter&) const = default;
};

struct Options {
    std::optional<Ipv4> third_party{};
    bool prefer_failure = false;
    std::vector<Filter> filters{};
    auto operator<=>(const Options&) const = default;
};

// MAP's (and PEER's first) fields; `external` is suggested in a request and
// assigned in a response; 0.0.0.0 (or ::) is "any".
struct MapData {
    Nonce nonce{};
    std::uint8_t protocol = kProtocolUdp;
    std::uint16_t internal_port = 0;
    Endpoint external{};
    auto operator<=>(const MapData&) const = default;
};

struct Message {
    std::uint8_t version = kVersion;
    std::uint8_t opcode = kOpMap;
    bool response = false;
    Result result = Result::Success;  // responses
    std::uint32_t lifetime = 0;
    std::uint32_t epoch = 0;  // responses
    Ipv4 client{};            // requests
    MapData map{};            // MAP and PEER
    Endpoint remote{};        // PEER
    Options options{};
};

std::vector<std::byte> encode(const Message& message);

// A request (see above). Success: `out` is the whole request.
std::optional<Result> decode_request(std::span<const std::byte> bytes, Message& out);
// A response; false when it is not one (too short, not version 2, R clear, cut short).
bool decode_response(std::span<const std::byte> bytes, Message& out);

}  // namespace natlab::pcp
