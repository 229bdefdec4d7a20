// The port mapping service on UDP 5351 of the NAT's inside address: PCP and
// NAT-PMP share the port and are told apart by the first byte, the version
// (RFC 6887 §9).
//
// Theory of operation
// -------------------
//   version 0        NAT-PMP: its server when NAT-PMP is on; else, with PCP
//                    on, PCP's UNSUPP_VERSION (naming version 2), which tells
//                    a NAT-PMP client there is nothing for it here;
//   version 2        PCP: its server when PCP is on; else NAT-PMP's
//                    "unsupported version", which tells a PCP client to fall
//                    back to NAT-PMP;
//   anything else    the same as version 2 (PCP answers UNSUPP_VERSION).
// The NAT registers the responder only when one of the two is on, so with
// both off the port is closed like any other ("not our address").
#pragma once

#include <optional>
#include <span>
#include <vector>

#include "simulator/nat/port_mapping.h"
#include "simulator/portmap/mapping_service.h"
#include "simulator/portmap/natpmp_server.h"
#include "simulator/portmap/pcp_server.h"

namespace natlab::portmap {

class PortMapResponder final : public nat::LocalService {
public:
    explicit PortMapResponder(MappingService& service) : service_(service), natpmp_(service), pcp_(service) {}

    std::optional<std::vector<std::byte>> serve(Endpoint from, std::span<const std::byte> payload,
                                                TimePoint now) override;
    // What to send to 224.0.0.1:5350 when the NAT starts or loses its state:
    // NAT-PMP's external address answer and PCP's ANNOUNCE, for those on.
    std::vector<std::vector<std::byte>> announcements(TimePoint now) const;
    // The state was lost (flush): PCP forgets its nonces.
    void restart(TimePoint now) { pcp_.restart(now); }

private:
    MappingService& service_;
    NatPmpServer natpmp_;
    PcpServer pcp_;
};

}  // namespace natlab::portmap
