// A service the NAT box runs for its own LAN, beside the NAT: the datapath
// gives it the inside packets it claims before the NAT sees them, and sends
// what it answers back onto the LAN.
//
// The UPnP IGD (igd_server.h) is one: SSDP multicast and unicast, and its
// HTTP port over the user-space TCP responder. The interface is all the
// datapath knows of it (simulator/router/datapath.h), so the frame path does
// not depend on any protocol.
#pragma once

#include <cstddef>
#include <vector>

#include "simulator/wire/packet.h"
#include "src/net/clock.h"

namespace natlab::portmap {

class LanService {
public:
    virtual ~LanService() = default;
    // Whether a packet from the inside link is this service's to answer.
    virtual bool wants(const nat::Ipv4Packet& packet) const = 0;
    // Multicast groups whose frames the datapath should accept on the inside link.
    virtual std::vector<Ipv4> groups() const = 0;
    virtual void receive(const nat::Ipv4Packet& packet, TimePoint now) = 0;
    // Timers (retransmissions, leases); called with the datapath's tick.
    virtual void tick(TimePoint now) = 0;
    // The IPv4 datagrams to send onto the LAN since the last call.
    virtual std::vector<std::vector<std::byte>> take_output() = 0;
};

}  // namespace natlab::portmap
