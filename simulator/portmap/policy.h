// The scenario's port mapping policy for one NAT (the `port_mapping:` keys
// of a NAT in a scenario; nat-emu's --port-mapping-* options).
//
// Every protocol is off unless switched on. A protocol that is on but
// `refuse` answers every request with its "not authorized" code (PCP
// NOT_AUTHORIZED, NAT-PMP 2, UPnP 606): a router whose owner switched the
// protocol off by policy answers, it is not silent (RFC 6887 §7.4 prefers an
// answer to a timeout). A protocol that is off is silent: its datagrams meet
// the NAT's "not our address" drop, as on a router without it.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "simulator/nat/port_mapping.h"

namespace natlab::portmap {

struct Policy {
    bool nat_pmp = false;
    bool pcp = false;
    bool upnp = false;
    bool refuse = false;                       // answer every request "not authorized"
    std::chrono::seconds min_lifetime{120};    // shorter requests are granted this long
    std::chrono::seconds max_lifetime{86400};  // longer requests are granted this long
    unsigned per_host = 16;                    // grants one inside address may hold
    bool honour_port = true;                   // grant a free suggested port as asked
    bool third_party = false;                  // PCP THIRD_PARTY requests allowed (RFC 6887 §13.1)

    bool enabled(nat::Requester r) const;
    bool any() const { return nat_pmp || pcp || upnp; }
    // The lifetime a request for `asked` (> 0) gets.
    std::chrono::seconds clamp(std::chrono::seconds asked) const;
    auto operator<=>(const Policy&) const = default;
};

}  // namespace natlab::portmap
