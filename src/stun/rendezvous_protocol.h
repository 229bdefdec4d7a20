// The rendezvous protocol: nat-lab's methods and attributes in STUN framing.
//
// Each message of docs/protocol.md has a plain struct here, a builder that
// turns it into a stun::Message, and a parser that turns a stun::Message
// back into the struct or refuses it (nullopt) when a required attribute is
// missing or malformed. Server and peer speak only through these, so the
// wire layout lives in one place. to_wire() is the single encoder: every
// datagram nat-lab sends ends with a FINGERPRINT.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "src/net/address.h"
#include "src/net/endpoint.h"
#include "src/stun/stun_codec.h"

namespace natlab::proto {

// 12-bit methods. Binding is RFC 8489's. The others are unassigned numbers
// at the top of 0x000-0x07F; STUN has no private-use method range, and:
// - 0x100-0xFFF is reserved by RFC 7983 (DTLS-SRTP demultiplexing needs the
//   first byte of a STUN message to be 0..3), and Wireshark refuses to
//   decode any method there, even with "Decode As";
// - 0x080-0x0FF puts 0x02/0x03 in the first byte, which Wireshark's
//   WireGuard heuristic claims for 92- and 64-byte datagrams (sizes some of
//   our messages have). Below 0x080 the first byte is 0x00 or 0x01, and no
//   response of ours can have the one size (148 bytes) 0x01 collides with.
namespace method {
inline constexpr std::uint16_t binding = 0x001;
inline constexpr std::uint16_t register_ = 0x071;
inline constexpr std::uint16_t connect = 0x072;
inline constexpr std::uint16_t introduce = 0x073;
inline constexpr std::uint16_t probe = 0x074;
inline constexpr std::uint16_t data = 0x075;
inline constexpr std::uint16_t list = 0x076;
inline constexpr std::uint16_t relay = 0x077;
}  // namespace method
// "Binding", "Register", ...; "Unknown" for any other method.
std::string_view method_name(std::uint16_t method);
// The name of one of the methods above; nullopt for any other method.
std::optional<std::string_view> known_method_name(std::uint16_t method);

// nat-lab attributes, in the comprehension-optional range 0xC000-0xFFFF
// (RFC 8489 section 18.3): a STUN agent that does not know them skips them.
// (IANA has since registered 0xC001 and 0xC002 to other uses; harmless here,
// Wireshark merely labels them ENF-FLOW-DESCRIPTION / ENF-NETWORK-STATUS.)
namespace attr {
inline constexpr std::uint16_t name = 0xC001;
inline constexpr std::uint16_t local_endpoint = 0xC002;
inline constexpr std::uint16_t peer_name = 0xC003;
inline constexpr std::uint16_t peer_public_endpoint = 0xC004;
inline constexpr std::uint16_t peer_local_endpoint = 0xC005;
inline constexpr std::uint16_t token = 0xC006;
inline constexpr std::uint16_t sequence = 0xC007;
inline constexpr std::uint16_t secret = 0xC008;
inline constexpr std::uint16_t group = 0xC009;
inline constexpr std::uint16_t cursor = 0xC00A;
inline constexpr std::uint16_t mapped_endpoint = 0xC00B;       // Register: a port mapping the NAT granted
inline constexpr std::uint16_t peer_mapped_endpoint = 0xC00C;  // Introduction: the partner's
}  // namespace attr

inline constexpr std::size_t kMaxNameBytes = 64;
inline constexpr std::size_t kMaxLocalEndpoints = 16;
inline constexpr std::size_t kMaxDataBytes = 1200;
// A relayed message is a whole Data request or acknowledgement: with a
// 1200-byte payload that is 1260 bytes.
inline constexpr std::size_t kMaxRelayBytes = 1280;
inline constexpr std::string_view kSoftware = "nat-lab 0.1";

// Error codes carried in ERROR-CODE (RFC 8489 section 14.8 classes).
namespace error {
inline constexpr int bad_request = 400;
inline constexpr int not_registered = 403;
inline constexpr int unknown_peer = 404;
inline constexpr int name_taken = 409;         // HTTP's Conflict; unassigned in STUN's registry
inline constexpr int unknown_attribute = 420;  // RFC 8489 section 14.8
inline constexpr int capacity = 508;
}  // namespace error

using Token = std::array<std::byte, 16>;
using Secret = std::array<std::byte, 16>;

// 1..64 bytes of valid UTF-8 with no control characters.
bool valid_name(std::string_view name);

enum class Role { controlling, controlled };
std::string_view to_string(Role role);

struct RegisterRequest {
    std::string name;
    std::vector<IpEndpoint> local;
    std::string group{};               // optional room; "" is the default room
    std::optional<Secret> secret{};    // the name's secret, once the server gave it
    std::vector<IpEndpoint> mapped{};  // endpoints the requester's NAT mapped for it (PCP, NAT-PMP, UPnP)
};

struct RegisterAnswer {
    IpEndpoint observed;  // the requester's public (server-reflexive) endpoint
    Secret secret{};      // proves ownership of the name from another endpoint
};

struct ConnectRequest {
    std::string name;  // optional: the requester's own name
    std::string peer_name;
    std::optional<Token> previous{};  // a session whose path was lost: start a new one
};

struct ListRequest {
    std::string cursor;  // "" from the start, else the last name of the previous page
};

struct ListAnswer {
    std::vector<std::string> names;
    std::string cursor;  // non-empty: more names follow; ask again with it
};

// Relay, both directions: peer -> server without peer_name, server -> peer
// with the sender's name. payload is a whole Data request or acknowledgement.
struct Relay {
    Token token{};
    std::string peer_name;
    stun::Bytes payload;
};

struct Introduction {
    std::string peer_name;
    IpEndpoint peer_public;  // the first of peer_publics
    std::vector<IpEndpoint> peer_local;
    Token token{};
    Role role = Role::controlled;
    std::uint64_t tiebreaker = 0;
    std::vector<IpEndpoint> peer_mapped{};
    // The partner's public endpoints of its other registrations (a
    // dual-stack partner registers over IPv4 and over IPv6): more
    // PEER-PUBLIC-ENDPOINT attributes after the first.
    std::vector<IpEndpoint> peer_other_public{};

    // peer_public, then peer_other_public.
    std::vector<IpEndpoint> all_public() const;
};

struct ProbeRequest {
    std::string name;  // the sender's name
    Token token{};
    bool use_candidate = false;
};

struct ProbeAnswer {
    std::string name;  // the responder's name
    Token token{};
    IpEndpoint observed;  // where the probe came from, as the responder saw it
};

struct DataRequest {
    Token token{};
    std::uint32_t sequence = 0;
    stun::Bytes payload;
};

struct DataAck {
    Token token{};
    std::uint32_t sequence = 0;
};

// ---- builders -------------------------------------------------------------
stun::Message binding_request(const stun::TransactionId& id);
stun::Message build(const RegisterRequest& r, const stun::TransactionId& id);
stun::Message build(const ConnectRequest& c, const stun::TransactionId& id);
stun::Message build(const Introduction& i, const stun::TransactionId& id);
stun::Message build(const ProbeRequest& p, const stun::TransactionId& id);
stun::Message build(const DataRequest& d, const stun::TransactionId& id);
stun::Message build(const ListRequest& l, const stun::TransactionId& id);
stun::Message build(const Relay& r, const stun::TransactionId& id);
// Responses reuse the request's method and transaction id.
stun::Message build_answer(const ProbeAnswer& a, const stun::Message& request);
stun::Message build_ack(const DataAck& a, const stun::Message& request);
stun::Message build_register_answer(const RegisterAnswer& a, const stun::Message& request);
stun::Message build_list_answer(const ListAnswer& a, const stun::Message& request);
stun::Message mapped_response(const stun::Message& request, const IpEndpoint& observed);
stun::Message error_response(const stun::Message& request, const stun::ErrorCode& error);

stun::Bytes to_wire(const stun::Message& message);

// True for a datagram Wireshark's WireGuard heuristic would claim: first
// byte 0x01 (our responses) and exactly 148 bytes long. Senders of
// variable-size responses keep clear of it.
bool wireguard_lookalike(std::span<const std::byte> datagram);

// ---- parsers --------------------------------------------------------------
std::optional<RegisterRequest> parse_register(const stun::Message& m);
std::optional<ConnectRequest> parse_connect(const stun::Message& m);
std::optional<Introduction> parse_introduction(const stun::Message& m);
std::optional<ProbeRequest> parse_probe(const stun::Message& m);
std::optional<ProbeAnswer> parse_probe_answer(const stun::Message& m);
std::optional<DataRequest> parse_data(const stun::Message& m);
std::optional<DataAck> parse_data_ack(const stun::Message& m);
std::optional<RegisterAnswer> parse_register_answer(const stun::Message& m);
std::optional<ListRequest> parse_list(const stun::Message& m);
std::optional<ListAnswer> parse_list_answer(const stun::Message& m);
std::optional<Relay> parse_relay(const stun::Message& m);
std::optional<IpEndpoint> parse_mapped(const stun::Message& m);  // XOR-MAPPED-ADDRESS, either family
std::optional<stun::ErrorCode> parse_error(const stun::Message& m);

}  // namespace natlab::proto
