// The NAT-PMP server (RFC 6886) of the emulated NAT, over a MappingService.
//
// Theory of operation
// -------------------
// `serve` answers one request datagram from a LAN host (the NAT hands it
// over from UDP 5351 of its inside address, port_mapping.h):
//   - shorter than 2 bytes, an answer rather than a request, or a map
//     request cut short: no answer (RFC 6886 gives no code for it);
//   - a version other than 0: "unsupported version" (§3.5; a PCP client
//     learns from it that the gateway speaks NAT-PMP only, RFC 6887 §9);
//   - opcode 0: the external address the host's mappings get (§3.2);
//   - opcode 1 or 2: a UDP or TCP mapping of the host's internal port
//     (§3.3), granted through the service; lifetime 0 deletes it (§3.4);
//     lifetime 0 with internal and external port 0 deletes every grant the
//     host holds for that protocol, whichever protocol asked for it (§3.4,
//     "delete all"; PCP and NAT-PMP share the mappings, RFC 6887 §9), and
//     is answered with success and ports 0;
//   - any other opcode: "unsupported opcode".
// When the policy refuses (or the scenario switched NAT-PMP off while PCP on
// the same port is on), every request is answered 2, "not authorized".
// A refusal is logged with its NAT-PMP result code as the "code".
//
// `announcement` is the unsolicited external address answer the NAT sends
// to 224.0.0.1:5350 when it starts and when its state restarts (§3.2.1).
#pragma once

#include <optional>
#include <span>
#include <vector>

#include "simulator/portmap/mapping_service.h"
#include "src/portmap/natpmp_codec.h"

namespace natlab::portmap {

class NatPmpServer {
public:
    explicit NatPmpServer(MappingService& service) : service_(service) {}

    std::optional<std::vector<std::byte>> serve(Endpoint from, std::span<const std::byte> request,
                                                TimePoint now);
    std::vector<std::byte> announcement(TimePoint now) const;

private:
    natpmp::Response external_address(Endpoint from, TimePoint now) const;
    natpmp::Response map(Endpoint from, const natpmp::Request& request, TimePoint now);
    natpmp::Response unmap(Endpoint from, const natpmp::Request& request, TimePoint now);
    natpmp::Response refuse(const GrantRequest& asked, natpmp::Response answer, const Refused& why,
                            TimePoint now);
    natpmp::Response header(std::uint8_t opcode, natpmp::Result result, TimePoint now) const;

    MappingService& service_;
};

// The NAT-PMP result a refusal is answered with.
natpmp::Result natpmp_result(Refusal refusal);

}  // namespace natlab::portmap
