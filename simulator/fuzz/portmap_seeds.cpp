#include "simulator/fuzz/portmap_seeds.h"

#include <string_view>

#include "simulator/fuzz/portmap_input.h"
#include "simulator/portmap/ssdp.h"
#include "src/peer/upnp_client.h"
#include "src/portmap/natpmp_codec.h"
#include "src/portmap/pcp_codec.h"

namespace natlab::nat::fuzz {
namespace {

using Bytes = std::vector<std::byte>;

// One input: the configuration byte, then its records.
class Input {
public:
    explicit Input(std::uint8_t config) : bytes_{config} {}
    Input& add(std::span<const std::byte> message, unsigned who = 0, int pause = 0) {
        append_message(bytes_, who, pause, message);
        return *this;
    }
    Input& text(std::string_view message, unsigned who = 0, int pause = 0) {
        return add(as_bytes(message), who, pause);
    }
    // `message` as `pieces` reads, the last one with who = last_who.
    Input& split(std::string_view message, std::size_t pieces, unsigned last_who = 1) {
        std::size_t step = message.size() / pieces + 1;
        for (std::size_t at = 0; at < message.size(); at += step) {
            bool last = at + step >= message.size();
            text(message.substr(at, step), last ? last_who : 0);
        }
        return *this;
    }
    std::vector<std::uint8_t> done() const { return bytes_; }

private:
    std::vector<std::uint8_t> bytes_;
};

// ---- NAT-PMP (RFC 6886) ----------------------------------------------------

Bytes natpmp_map(std::uint8_t opcode, std::uint16_t internal, std::uint16_t suggested,
                 std::uint32_t lifetime) {
    return natpmp::encode(natpmp::Request{natpmp::kVersion, opcode, internal, suggested, lifetime});
}

Bytes natpmp_answer(std::uint8_t opcode, natpmp::Result result, std::uint16_t mapped,
                    std::uint32_t lifetime) {
    natpmp::Response r{opcode, result, 5};
    r.external = Ipv4{0xc6120101};
    r.internal_port = kPeerInternal.port;
    r.mapped_port = mapped;
    r.lifetime = lifetime;
    return natpmp::encode(r);
}

Bytes natpmp_header(natpmp::Result result) {
    natpmp::Response r{natpmp::kOpExternalAddress, result, 5};
    r.header_only = true;
    return natpmp::encode(r);
}

// ---- PCP (RFC 6887) --------------------------------------------------------

pcp::Message pcp_map(std::uint16_t suggested, std::uint32_t lifetime, Ipv4 client = kLanHosts[0].addr) {
    pcp::Message m{pcp::kVersion, pcp::kOpMap};
    m.lifetime = lifetime;
    m.client = client;
    m.map = {kPeerNonce, pcp::kProtocolUdp, 4000, {Ipv4{}, suggested}};
    return m;
}

pcp::Message pcp_answer(pcp::Result result, std::uint32_t lifetime) {
    pcp::Message m = pcp_map(4000, lifetime);
    m.response = true;
    m.result = result;
    m.epoch = 5;
    m.map.external = {Ipv4{0xc6120101}, 4000};
    return m;
}

// ---- UPnP ------------------------------------------------------------------

const upnp::ControlPoint kControl{{{kGateway, portmap::kDefaultHttpPort}, "/ctl/IPConn"},
                                  "urn:schemas-upnp-org:service:WANIPConnection:1"};
const upnp::ControlPoint kControl2{kControl.control, "urn:schemas-upnp-org:service:WANIPConnection:2"};

std::string add_mapping(const upnp::ControlPoint& point = kControl,
                        std::string_view action = "AddPortMapping") {
    return upnp::soap_request(point, action, upnp::add_port_mapping(kPeerInternal, 4000, 3600, "nat-lab"));
}

std::string soap(std::string_view action, const upnp::Arguments& arguments) {
    return upnp::soap_request(kControl, action, arguments);
}

// "SOAPAction value \n envelope", the SOAP mode's record.
std::string soap_record(const std::string& request) {
    auto action = request.find("SOAPAction: ") + 12;
    auto end = request.find("\r\n", action);
    return request.substr(action, end - action) + "\n" + request.substr(request.find("\r\n\r\n") + 4);
}

// What nat-emu's IGD answers to `request` from 10.0.1.2, once it holds that host's AddPortMapping.
std::string igd_answer(const std::string& request) {
    PortMapBox box{0, policy_from(0, true, true)};
    box.igd.answer(add_mapping(), kLanHosts[0], TimePoint{});
    return box.igd.answer(request, kLanHosts[0], TimePoint{}).value_or("");
}

}  // namespace

std::vector<Seed> natpmp_seeds() {
    using natpmp::Result;
    auto external = natpmp::encode(natpmp::Request{});
    return {
        {"external_address", Input{0}.add(external).done()},
        {"map_renew_delete", Input{0}
                                 .add(external)
                                 .add(natpmp_map(natpmp::kOpMapUdp, 4000, 4000, 3600))
                                 .add(natpmp_map(natpmp::kOpMapTcp, 4000, 4001, 60), 0, 8)
                                 .add(natpmp_map(natpmp::kOpMapUdp, 4000, 4000, 3600), 0, 200)
                                 .add(natpmp_map(natpmp::kOpMapUdp, 4000, 0, 0))
                                 .add(natpmp_map(natpmp::kOpMapTcp, 0, 0, 0))
                                 .done()},
        {"quota_two_hosts", Input{0x50}
                                .add(natpmp_map(natpmp::kOpMapUdp, 4000, 4000, 3600))
                                .add(natpmp_map(natpmp::kOpMapUdp, 5000, 4000, 3600), 1)
                                .add(natpmp_map(natpmp::kOpMapUdp, 6000, 6000, 3600))
                                .add(natpmp_map(natpmp::kOpMapUdp, 4000, 4000, 3600), 2)
                                .done()},
        {"refused", Input{0x01}.add(external).add(natpmp_map(natpmp::kOpMapUdp, 4000, 4000, 3600)).done()},
        {"odd_versions_opcodes",
         Input{0x02}.add(Bytes{std::byte{1}, std::byte{0}}).add(Bytes{std::byte{0}, std::byte{3}}).done()},
        {"pcp_on_the_port", Input{0x02}.add(pcp::encode(pcp_map(4000, 3600))).done()},
        {"peer_map_and_renew", Input{kPeerSide}
                                   .add(natpmp_answer(natpmp::kOpExternalAddress, Result::Success, 0, 0))
                                   .add(natpmp_answer(natpmp::kOpMapUdp, Result::Success, 4000, 120))
                                   .add(natpmp_answer(natpmp::kOpMapUdp, Result::Success, 4000, 120), 0, 64)
                                   .done()},
        {"peer_refused",
         Input{kPeerSide}.add(natpmp_answer(natpmp::kOpExternalAddress, Result::NotAuthorized, 0, 0)).done()},
        {"peer_auto_natpmp_only", Input{kPeerSide | 1}
                                      .add(natpmp_header(Result::UnsupportedVersion))
                                      .add(natpmp_answer(natpmp::kOpExternalAddress, Result::Success, 0, 0))
                                      .add(natpmp_answer(natpmp::kOpMapUdp, Result::Success, 4001, 7200))
                                      .done()},
    };
}

std::vector<Seed> pcp_seeds() {
    pcp::Message announce{pcp::kVersion, pcp::kOpAnnounce};
    announce.client = kLanHosts[0].addr;
    pcp::Message peer = pcp_map(0, 120);
    peer.opcode = pcp::kOpPeer;
    peer.remote = {Ipv4{0xc6120002}, 3478};
    pcp::Message options = pcp_map(4001, 600);
    options.options.prefer_failure = true;
    options.options.filters = {{120, 3478, Ipv4{0xc6120002}}, {128, 0, Ipv4{0xc6120207}}};
    pcp::Message third = pcp_map(4000, 600);
    third.options.third_party = Ipv4{0x0a000109};
    auto short_map = pcp::encode(pcp_map(4000, 3600));
    short_map.resize(40);
    return {
        {"map_renew_delete", Input{0}
                                 .add(pcp::encode(pcp_map(4001, 3600)))
                                 .add(pcp::encode(pcp_map(4001, 600)), 0, 100)
                                 .add(pcp::encode(pcp_map(4001, 0)))
                                 .done()},
        {"announce_peer", Input{0x40}.add(pcp::encode(announce)).add(pcp::encode(peer)).done()},
        {"options", Input{0}.add(pcp::encode(options)).add(pcp::encode(third)).done()},
        {"third_party_allowed", Input{0x08}.add(pcp::encode(third)).done()},
        {"mismatch_and_refused", Input{0x01}.add(pcp::encode(pcp_map(4000, 60)), 2).done()},
        {"malformed", Input{0}.add(short_map).add(Bytes{std::byte{3}, std::byte{1}}).done()},
        {"natpmp_on_the_port", Input{0x02}.add(natpmp::encode(natpmp::Request{})).done()},
        {"peer_map_and_renew", Input{kPeerSide}
                                   .add(pcp::encode(pcp_answer(pcp::Result::Success, 120)))
                                   .add(pcp::encode(pcp_answer(pcp::Result::Success, 120)), 0, 64)
                                   .done()},
        {"peer_refused",
         Input{kPeerSide}.add(pcp::encode(pcp_answer(pcp::Result::NotAuthorized, 30))).done()},
        {"peer_auto_natpmp_only",
         Input{kPeerSide | 1}
             .add(natpmp_header(natpmp::Result::UnsupportedVersion))
             .add(natpmp_answer(natpmp::kOpExternalAddress, natpmp::Result::Success, 0, 0))
             .done()},
    };
}

std::vector<Seed> ssdp_seeds() {
    portmap::DeviceIdentity igd{kGateway, portmap::kDefaultHttpPort, 2};
    auto search = [](std::string_view st) { return upnp::search_request(st); };
    auto answers = portmap::answer_search(search(upnp::kIgdSearchTarget), igd);
    Input peer{kPeerSide};
    for (const auto& a : answers) peer.text(a);
    peer.text("/ctl/IPConn", 1).text("http://10.0.1.1:5000/x", 1).text(upnp::kIgdSearchTarget, 2);
    return {
        {"igd1", Input{0}.text(search(upnp::kIgdSearchTarget)).text(search("upnp:rootdevice"), 1).done()},
        {"igd2_all", Input{1}
                         .text(search("ssdp:all"))
                         .text(search("urn:schemas-upnp-org:service:WANIPConnection:2"), 2)
                         .text(search("uuid:" + igd.uuid(portmap::DeviceKind::Connection)), 3)
                         .done()},
        {"peer_answers", peer.done()},
    };
}

std::vector<Seed> http_soap_seeds() {
    const upnp::Url description{{kGateway, portmap::kDefaultHttpPort}, "/rootDesc.xml"};
    auto get = upnp::get_request(description);
    auto generic = soap("GetGenericPortMappingEntry", {{"NewPortMappingIndex", "0"}});
    auto specific = soap("GetSpecificPortMappingEntry",
                         {{"NewRemoteHost", ""}, {"NewExternalPort", "4000"}, {"NewProtocol", "UDP"}});
    auto remove = soap("DeletePortMapping", upnp::delete_port_mapping(4000));
    auto external = soap("GetExternalIPAddress", {});
    std::string oversized = "POST /ctl/IPConn HTTP/1.1\r\nContent-Length: 20000\r\n\r\n";
    return {
        {"get_description", Input{0}.split(get, 3).done()},
        {"add_get_delete", Input{0}
                               .split(add_mapping(), 4)
                               .split(generic, 2)
                               .split(specific, 1)
                               .split(remove, 2)
                               .split(external, 1)
                               .done()},
        {"igd2_add_any", Input{1}.split(add_mapping(kControl2, "AddAnyPortMapping"), 2).done()},
        {"refused_other_host", Input{0x08}.split(add_mapping(), 1, 3).split(add_mapping(), 1).done()},
        {"oversized",
         Input{0}.split(oversized + std::string(17000, 'a'), 3).text(std::string(17000, 'h')).done()},
        {"tcp_get", Input{0x02}.split(get, 2).done()},
        {"tcp_add", Input{0x02}.text(add_mapping()).text("", 1).done()},
        {"soap_actions", Input{0x04}
                             .text(soap_record(add_mapping()))
                             .text(soap_record(generic))
                             .text(soap_record(remove))
                             .text(soap_record(soap("GetCommonLinkProperties", {})), 1)
                             .done()},
        {"peer_description", Input{kPeerSide}.split(igd_answer(get), 3).done()},
        {"peer_soap_answers", Input{kPeerSide}
                                  .split(igd_answer(add_mapping()), 2)
                                  .split(igd_answer(soap("Nonsense", {})), 1)
                                  .split(igd_answer(specific), 1)
                                  .done()},
    };
}

}  // namespace natlab::nat::fuzz
