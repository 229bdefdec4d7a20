// The PCP server (RFC 6887) of the emulated NAT, over a MappingService.
//
// Theory of operation
// -------------------
// `serve` answers one request datagram from a LAN host, in this order:
//   1. unreadable as a request (shorter than 2 bytes, or a response): no
//      answer (§8.3);
//   2. a version other than 2: UNSUPP_VERSION naming version 2 (§9);
//   3. what the codec refuses: MALFORMED_REQUEST, UNSUPP_OPCODE,
//      MALFORMED_OPTION, UNSUPP_OPTION (§8.3): an unknown option of code
//      0-127, a FILTER outside MAP, of the wrong length, of an IPv6 remote
//      or of a prefix length 1-95 (an IPv4 remote takes 96-128, §13.3);
//   4. the policy refuses everything: NOT_AUTHORIZED (§7.4);
//   5. THIRD_PARTY unless the scenario allows it: NOT_AUTHORIZED (§13.1);
//   6. the client address in the header is not the datagram's source:
//      ADDRESS_MISMATCH (§8.3);
//   7. the opcode:
//      ANNOUNCE: SUCCESS with the epoch (§14.1);
//      MAP (§11.3): UDP or TCP only (else UNSUPP_PROTOCOL), a non-zero
//        internal port (else MALFORMED_REQUEST); a renewal or deletion must
//        carry the nonce that created the grant (else NOT_AUTHORIZED);
//        lifetime 0 deletes; else the service grants, with the suggested
//        port, and with PREFER_FAILURE only that port (and the suggested
//        address, when it names one, must be ours): CANNOT_PROVIDE_EXTERNAL
//        otherwise. FILTER (§13.3): the grant admits only remotes one
//        of the request's filters matches (prefix length - 96 bits of the
//        remote address, and the remote port unless it is 0); a filter of
//        prefix length 0 clears the ones before it; every MAP replaces the
//        grant's set, and a MAP without FILTER leaves it open to anyone.
//        The answer echoes the filters it applied;
//      PEER (§12.3): the mapping the host's traffic to that remote uses,
//        made or refreshed as an outbound packet would make it (its grant,
//        else the NAT's dynamic mapping toward that remote, whose filter
//        then lets the remote in); UDP or TCP with an internal port (else
//        UNSUPP_PROTOCOL); a TCP PEER only joins a session that exists
//        (else NO_RESOURCES). The answer's external endpoint is the
//        mapping's, its lifetime what is left of the mapping's (the
//        NAT's timeout; a grant's own lifetime), not the one asked for.
// Error answers echo the request's opcode data and carry a lifetime of 30 s
// (how long the client should wait before asking again, §7.2).
//
// Nonces are kept per (protocol, inside endpoint) while the grant lives and
// forgotten when the NAT loses its state (`restart`).
//
// `announcement`: an unsolicited ANNOUNCE response for 224.0.0.1:5350 at
// start and after the state was lost (§14.1.3).
#pragma once

#include <map>
#include <optional>
#include <span>
#include <tuple>
#include <vector>

#include "simulator/portmap/mapping_service.h"
#include "src/portmap/pcp_codec.h"

namespace natlab::portmap {

class PcpServer {
public:
    explicit PcpServer(MappingService& service) : service_(service) {}

    std::optional<std::vector<std::byte>> serve(Endpoint from, std::span<const std::byte> request,
                                                TimePoint now);
    // The answer to a request of another version (NAT-PMP's 0 when NAT-PMP is off).
    std::optional<std::vector<std::byte>> unsupported_version(std::span<const std::byte> request,
                                                              TimePoint now) const;
    std::vector<std::byte> announcement(TimePoint now) const;
    void restart(TimePoint) { nonces_.clear(); }

private:
    using Key = std::tuple<Protocol, std::uint32_t, std::uint16_t>;

    pcp::Message answer(Endpoint from, const pcp::Message& request, TimePoint now);
    std::optional<pcp::Result> check(Endpoint from, const pcp::Message& request) const;
    pcp::Message map(Endpoint inside, pcp::Message request, TimePoint now);
    pcp::Message unmap(Endpoint inside, pcp::Message request, TimePoint now);
    pcp::Message peer(Endpoint inside, pcp::Message request, TimePoint now);
    pcp::Message refuse(pcp::Message request, const GrantRequest& asked, pcp::Result result,
                        const Refused& why, TimePoint now);
    pcp::Message error(pcp::Message request, pcp::Result result, TimePoint now) const;
    GrantRequest grant_request(Endpoint inside, const pcp::Message& request) const;
    bool nonce_differs(const Key& key, const pcp::Nonce& nonce, TimePoint now);

    MappingService& service_;
    std::map<Key, pcp::Nonce> nonces_;
};

// The PCP result a refusal is answered with.
pcp::Result pcp_result(Refusal refusal);

}  // namespace natlab::portmap
