// The NAT core's half of the port mapping protocols (PCP, NAT-PMP, UPnP IGD).
//
// Theory of operation
// -------------------
// A port mapping protocol lets a LAN host ask its NAT for a mapping in
// advance instead of making one by sending. The protocols themselves live in
// simulator/portmap/ (one file per protocol, a shared MappingService); what
// the NAT core needs of them is here:
//
//  - `LocalService`: a UDP service the NAT answers on its inside address
//    (PCP and NAT-PMP share port 5351). The NAT hands it the datagram and
//    sends back whatever it returns, from the same port, in place of the
//    "not our address" drop that any other packet to the NAT itself meets.
//    The same port on an external address, from outside, is dropped
//    ("port-mapping-outside"): the protocols are served to the LAN only
//    (RFC 6887 §8.1, RFC 6886 §3).
//  - `Requester`: which protocol asked, named in the event log.
//  - `PortMapEvent`: what the event log records of each request: requested,
//    granted (with its lifetime), refused (with the protocol's result code),
//    renewed, expired, deleted.
//
// A granted mapping itself is an ordinary record of the NAT's table
// (nat_table.h) with a lifetime instead of an idle timeout, endpoint-
// independent and unfiltered (RFC 6887 §11): see Nat::grant.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "simulator/wire/packet.h"
#include "src/net/clock.h"
#include "src/net/endpoint.h"

namespace natlab::nat {

inline constexpr std::uint16_t kPortMappingServerPort = 5351;  // PCP and NAT-PMP (RFC 6887 §19.1)
inline constexpr std::uint16_t kPortMappingClientPort = 5350;  // where announcements go (RFC 6886 §3.2.1)

enum class Requester : std::uint8_t { NatPmp, Pcp, Upnp };
inline constexpr Requester kLastRequester = Requester::Upnp;
std::string_view to_string(Requester r);  // "nat-pmp", "pcp", "upnp"
std::optional<Requester> parse_requester(std::string_view text);

enum class PortMapChange : std::uint8_t { Requested, Granted, Refused, Renewed, Expired, Deleted };
inline constexpr PortMapChange kLastPortMapChange = PortMapChange::Deleted;
std::string_view to_string(PortMapChange c);  // "port-mapping-requested", ...

// Who may send in through a grant: remotes in `prefix`/`bits`, from `port`
// (0: any port). RFC 6887 §13.3.
struct GrantFilter {
    Ipv4 prefix{};
    std::uint8_t bits = 32;  // 1..32
    std::uint16_t port = 0;
    bool admits(Endpoint remote) const;
    auto operator<=>(const GrantFilter&) const = default;
};

struct PortMapEvent {
    PortMapChange change = PortMapChange::Requested;
    TimePoint at{};
    Requester by = Requester::Pcp;
    Protocol protocol = Protocol::Udp;
    Endpoint inside{};                 // the host's endpoint the mapping is (or would be) for
    Endpoint outside{};                // granted, renewed, expired, deleted: the external endpoint
    std::uint32_t lifetime = 0;        // requested or granted seconds
    std::uint16_t suggested_port = 0;  // requested: the port asked for (0: any)
    std::string code{};                // refused: the protocol's result code ("NOT_AUTHORIZED", "2", "606")
    std::string reason{};              // refused: a sentence
};

// A UDP service on the NAT's inside address.
class LocalService {
public:
    virtual ~LocalService() = default;
    // A datagram from the LAN host `from`; the payload to send back to it, if any.
    virtual std::optional<std::vector<std::byte>> serve(Endpoint from, std::span<const std::byte> payload,
                                                        TimePoint now) = 0;
};

}  // namespace natlab::nat
