// The peer's UPnP client (src/peer/upnp_client.h) against the emulator's IGD
// (simulator/portmap/igd_server.h), byte for byte over the TCP responder: the
// description it finds, the mapping it asks for, the fault it reads.
#include <gtest/gtest.h>

#include "simulator/portmap/igd_server.h"
#include "simulator/wire/builder.h"
#include "src/peer/upnp_client.h"
#include "tests/simulator/upnp_fake_grants.h"

namespace natlab::portmap {
namespace {

const Endpoint kPeer = *Endpoint::parse("10.0.1.2:4500");

// One HTTP request over a fresh TCP connection to the server; the response bytes.
std::string exchange(IgdServer& server, std::uint16_t client_port, const std::string& request) {
    Endpoint client{kPeer.addr, client_port};
    Endpoint http{server.identity().inside, server.identity().http_port};
    std::string answer;
    auto send = [&](std::uint8_t flags, std::uint32_t seq, std::uint32_t ack, const std::string& payload) {
        nat::TcpSegmentSpec spec;
        spec.flow = {client, http, nat::Protocol::Tcp};
        spec.flags = flags;
        spec.seq = seq;
        spec.ack = ack;
        spec.payload.assign(reinterpret_cast<const std::byte*>(payload.data()),
                            reinterpret_cast<const std::byte*>(payload.data()) + payload.size());
        auto bytes = nat::build_tcp_segment(spec);
        nat::DropReason why;
        server.receive(*nat::Ipv4Packet::parse(bytes, why), TimePoint{});
        return server.take_output();
    };
    nat::DropReason why;
    auto synack = send(nat::kTcpSyn, 1, 0, {});
    auto iss = read_segment(*nat::Ipv4Packet::parse(synack.at(0), why))->seq;
    send(nat::kTcpAck, 2, iss + 1, {});
    for (auto& datagram : send(nat::kTcpAck, 2, iss + 1, request)) {
        auto segment = read_segment(*nat::Ipv4Packet::parse(datagram, why));
        answer.append(reinterpret_cast<const char*>(segment->payload.data()), segment->payload.size());
    }
    return answer;
}

TEST(UpnpInterop, PeerClientMapsItsPortThroughTheIgd) {
    FakeGrants nat;
    IgdServer server({*Ipv4::parse("10.0.1.1"), 5000, 1}, {}, nat, TimePoint{});
    auto location = *upnp::Url::parse(server.identity().location());
    auto description = upnp::read_http(exchange(server, 40000, upnp::get_request(location)), true);
    ASSERT_TRUE(description);
    auto point = upnp::find_ip_connection(description->body, location);
    ASSERT_TRUE(point);
    EXPECT_EQ(point->control.to_string(), "http://10.0.1.1:5000/ctl/IPConn");

    auto ip = upnp::read_http(exchange(server, 40001, upnp::soap_request(*point, "GetExternalIPAddress", {})),
                              true);
    ASSERT_TRUE(ip);
    EXPECT_EQ(upnp::read_reply(*ip).values["NewExternalIPAddress"], "198.18.1.1");

    auto add =
        upnp::soap_request(*point, "AddPortMapping", upnp::add_port_mapping(kPeer, 4500, 3600, "peer"));
    auto added = upnp::read_http(exchange(server, 40002, add), true);
    ASSERT_TRUE(added);
    EXPECT_EQ(upnp::read_reply(*added).error_code, 0);
    EXPECT_EQ(nat.grants.size(), 1u);

    // Someone else asking for the same port: 718.
    auto other = upnp::soap_request(
        *point, "AddPortMapping", upnp::add_port_mapping(*Endpoint::parse("10.0.1.2:4501"), 4500, 3600, "x"));
    auto refused = upnp::read_http(exchange(server, 40003, other), true);
    ASSERT_TRUE(refused);
    EXPECT_EQ(upnp::read_reply(*refused).error_code, 718);

    auto gone = upnp::read_http(
        exchange(server, 40004,
                 upnp::soap_request(*point, "DeletePortMapping", upnp::delete_port_mapping(4500))),
        true);
    ASSERT_TRUE(gone);
    EXPECT_EQ(upnp::read_reply(*gone).error_code, 0);
    EXPECT_TRUE(nat.grants.empty());
}

}  // namespace
}  // namespace natlab::portmap
