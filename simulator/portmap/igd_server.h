// The UPnP IGD as the NAT serves it to its LAN: SSDP, HTTP and SOAP in one
// stage (packets in, packets out).
//
// Theory of operation
// -------------------
// The datapath hands the server every IPv4 packet from the inside link that
// `wants` says is its own:
//   - UDP to port 1900 of 239.255.255.250 or of the NAT's inside address:
//     an SSDP search (ssdp.h), answered unicast from inside:1900 to the
//     searcher's endpoint;
//   - TCP to the inside address's HTTP port: the TCP responder
//     (tcp_responder.h) collects each connection's request and asks `answer`
//     for the answer:
//       GET  /rootDesc.xml, /WANIPCn.xml, /WANCfg.xml  the descriptions (upnp_device.h)
//       POST /ctl/IPConn, /ctl/CmnIfCfg                 a SOAP action (upnp_soap.h)
//                                                       carried out by the IgdService
//       anything else                                   404, or 405 for another method
//     An unreadable HTTP request gets 400, an unreadable SOAP call the
//     fault 401 Invalid Action (UDA 1.1 §3.2.2).
// The datagrams to send back collect in `take_output`; the datapath routes
// them onto the LAN. Packets from the outside link are never given to the
// server: the IGD answers the LAN only (WANIPConnection:2 §2.6).
// `tick` drives TCP retransmissions and the leases' expiry.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "simulator/portmap/igd_service.h"
#include "simulator/portmap/lan_service.h"
#include "simulator/portmap/tcp_responder.h"
#include "simulator/wire/packet.h"

namespace natlab::portmap {

struct IgdCounters {
    std::uint64_t searches = 0;       // SSDP M-SEARCH datagrams that were answered
    std::uint64_t ignored = 0;        // SSDP datagrams that were not searches for us
    std::uint64_t http_requests = 0;  // complete HTTP requests answered
    std::uint64_t actions = 0;        // SOAP actions carried out (faults included)
    TcpCounters tcp;
};

class IgdServer final : public LanService {
public:
    IgdServer(DeviceIdentity identity, IgdPolicy policy, MappingGrants& grants, TimePoint started);

    bool wants(const nat::Ipv4Packet& packet) const override;
    std::vector<Ipv4> groups() const override;  // 239.255.255.250
    void receive(const nat::Ipv4Packet& packet, TimePoint now) override;
    void tick(TimePoint now) override;
    std::vector<std::vector<std::byte>> take_output() override;

    // The HTTP answer to `request` (all of a connection's bytes so far) from
    // `client`; nullopt while it is incomplete. What the TCP responder calls.
    std::optional<std::string> answer(std::string_view request, Endpoint client, TimePoint now);

    IgdCounters counters() const;
    const IgdService& service() const { return service_; }
    const DeviceIdentity& identity() const { return identity_; }

private:
    void search(const nat::Ipv4Packet& packet);
    HttpResponse route(const HttpRequest& request, Endpoint client, TimePoint now);
    HttpResponse control(const HttpRequest& request, Endpoint client, TimePoint now);

    DeviceIdentity identity_;
    IgdService service_;
    TcpResponder tcp_;
    std::vector<std::vector<std::byte>> output_;
    IgdCounters counters_;
};

}  // namespace natlab::portmap
