// What fuzz_natpmp and fuzz_pcp share: both protocols live on UDP 5351 and
// are told apart by their first byte (RFC 6887 §9), so both targets drive
// the same two entry points with a different policy and client mode.
//
// Server (nat-emu): each record is one datagram from the LAN host "who"
// picks (portmap_input.h), handed to the PortMapResponder as the NAT hands
// it over (Nat::serve), the fake clock ticking the box between records.
// Every answer is checked:
//   - a datagram shorter than 2 bytes, or with the response bit set, gets
//     no answer (RFC 6886 §3, RFC 6887 §8.3);
//   - a NAT-PMP answer (version 0) is 8, 12 or 16 bytes, decodes, and a PCP
//     answer (version 2) is 24 to 1100 bytes, a multiple of 4, and decodes
//     as a response (RFC 6887 §7), both with the response bit set;
//   - unless it is "unsupported version", an answer carries the request's
//     opcode, and comes from the protocol the request's version names;
//   - a NAT that refuses everything never answers success;
//   - the errors for what cannot be served (check_errors).
//
// Client (the peer): a PortMappingClient for 10.0.1.2:4000 (nonce
// kPeerNonce) gets each record as a datagram from the gateway, "who" x
// 100 ms plus the pause later, and is ticked; every request it sends (and
// the deletions `release` sends at the end) goes to the gateway's 5351 and
// decodes as a well-formed request of its own socket; a mapping it holds
// names the protocol that granted it.
#pragma once

#include <optional>
#include <span>
#include <vector>

#include "simulator/fuzz/portmap_input.h"
#include "src/net/invariant.h"
#include "src/peer/port_mapping_client.h"
#include "src/portmap/natpmp_codec.h"

namespace natlab::nat::fuzz {

inline std::uint8_t byte_at(std::span<const std::byte> b, std::size_t i) {
    return std::to_integer<std::uint8_t>(b[i]);
}

inline void check_natpmp_answer(std::span<const std::uint8_t> request, std::span<const std::byte> a,
                                const portmap::Policy& policy) {
    NATLAB_INVARIANT(a.size() == 8 || a.size() == 12 || a.size() == 16);
    natpmp::Response r;
    NATLAB_INVARIANT(natpmp::decode(a, r) == natpmp::Decoded::Ok);
    NATLAB_INVARIANT(r.result <= natpmp::kLastResult);
    if (r.result == natpmp::Result::UnsupportedVersion) return;
    NATLAB_INVARIANT(request[0] == natpmp::kVersion && policy.nat_pmp);
    NATLAB_INVARIANT(byte_at(a, 1) == (request[1] | natpmp::kResponseBit));
    if (policy.refuse) NATLAB_INVARIANT(r.result != natpmp::Result::Success);
}

inline void check_pcp_answer(std::span<const std::uint8_t> request, std::span<const std::byte> a,
                             const portmap::Policy& policy) {
    NATLAB_INVARIANT(a.size() >= pcp::kHeaderSize && a.size() <= pcp::kMaxSize && a.size() % 4 == 0);
    pcp::Message m;
    NATLAB_INVARIANT(pcp::decode_response(a, m));
    NATLAB_INVARIANT(m.result <= pcp::kLastResult);
    if (m.result == pcp::Result::UnsuppVersion) return;
    NATLAB_INVARIANT(request[0] == pcp::kVersion && policy.pcp);
    NATLAB_INVARIANT(byte_at(a, 1) == (request[1] | 0x80));
    if (policy.refuse) NATLAB_INVARIANT(m.result != pcp::Result::Success);
}

// The errors the RFCs name for what cannot be served: a PCP request of a
// size no request has is MALFORMED_REQUEST (RFC 6887 §7, §8.3); a NAT-PMP
// map request cut short gets nothing, any other NAT-PMP request an answer,
// an unknown opcode the 8-byte UNSUPPORTED_OPCODE (RFC 6886 §3.5).
inline void check_errors(std::span<const std::uint8_t> request,
                         const std::optional<std::vector<std::byte>>& answer, const portmap::Policy& policy) {
    const std::size_t size = request.size();
    if (policy.pcp && request[0] == pcp::kVersion &&
        (size < pcp::kHeaderSize || size > pcp::kMaxSize || size % 4))
        NATLAB_INVARIANT(answer && answer->size() >= 4 &&
                         byte_at(*answer, 3) == static_cast<std::uint8_t>(pcp::Result::MalformedRequest));
    if (!policy.nat_pmp || request[0] != natpmp::kVersion) return;
    const bool map = request[1] == natpmp::kOpMapUdp || request[1] == natpmp::kOpMapTcp;
    NATLAB_INVARIANT(answer.has_value() == (!map || size >= 12));
    if (request[1] > natpmp::kOpMapTcp)
        NATLAB_INVARIANT(answer->size() == 8 &&
                         byte_at(*answer, 3) == static_cast<std::uint8_t>(natpmp::Result::UnsupportedOpcode));
}

inline void check_answer(std::span<const std::uint8_t> request,
                         const std::optional<std::vector<std::byte>>& answer, const portmap::Policy& policy) {
    if (request.size() < 2 || (request[1] & 0x80)) {
        NATLAB_INVARIANT(!answer);
        return;
    }
    check_errors(request, answer, policy);
    if (!answer) return;
    NATLAB_INVARIANT(!answer->empty());
    if (byte_at(*answer, 0) == natpmp::kVersion) return check_natpmp_answer(request, *answer, policy);
    NATLAB_INVARIANT(byte_at(*answer, 0) == pcp::kVersion);
    check_pcp_answer(request, *answer, policy);
}

inline void run_server(std::uint8_t config, std::span<const std::uint8_t> in, bool natpmp_target) {
    PortMapBox box{config, policy_from(config, natpmp_target, !natpmp_target)};
    TimePoint now{};
    Message m;
    while (next_message(in, m)) {
        box.advance(now, m.pause_seconds);
        auto answer = box.responder.serve(kLanHosts[m.who], std::as_bytes(m.bytes), now);
        check_answer(m.bytes, answer, box.service.policy());
    }
}

inline void check_requests(const std::vector<Outgoing>& sent) {
    for (const Outgoing& o : sent) {
        NATLAB_INVARIANT((o.destination == Endpoint{kGateway, kPortMappingServerPort}));
        NATLAB_INVARIANT(!o.bytes.empty());
        if (o.bytes[0] == std::byte{natpmp::kVersion}) {
            natpmp::Request r;
            NATLAB_INVARIANT(natpmp::decode(o.bytes, r) == natpmp::Decoded::Ok);
            NATLAB_INVARIANT(r.opcode == natpmp::kOpExternalAddress || r.internal_port == kPeerInternal.port);
            continue;
        }
        pcp::Message m;
        NATLAB_INVARIANT(pcp::decode_request(o.bytes, m) == pcp::Result::Success);
        NATLAB_INVARIANT(m.client == kPeerInternal.addr && m.map.nonce == kPeerNonce);
        NATLAB_INVARIANT(m.map.internal_port == kPeerInternal.port);
    }
}

inline void run_client(PortMappingMode mode, std::span<const std::uint8_t> in);

// One input of fuzz_natpmp or fuzz_pcp: the configuration byte says which
// side (kPeerSide: the client, in `client_mode` or, with bit 0, auto).
inline int run_input(const std::uint8_t* data, std::size_t size, bool natpmp_target,
                     PortMappingMode client_mode) {
    if (size == 0) return 0;
    std::span<const std::uint8_t> in{data + 1, size - 1};
    if (!(data[0] & kPeerSide))
        run_server(data[0], in, natpmp_target);
    else
        run_client((data[0] & 1) ? PortMappingMode::automatic : client_mode, in);
    return 0;
}

inline void run_client(PortMappingMode mode, std::span<const std::uint8_t> in) {
    PortMappingClient client{mode, {kGateway, 0}, kPeerInternal, kPeerNonce};
    TimePoint now{};
    check_requests(client.on_tick(now));
    Message m;
    while (next_message(in, m)) {
        now += std::chrono::seconds{m.pause_seconds} + std::chrono::milliseconds{100 * m.who};
        client.on_datagram(std::as_bytes(m.bytes), now);
        check_requests(client.on_tick(now));
        NATLAB_INVARIANT(client.answers().size() <= 3);
        NATLAB_INVARIANT(!client.mapped() || client.protocol());
    }
    check_requests(client.release());
}

}  // namespace natlab::nat::fuzz
