// The IGD as the datapath sees it: IPv4 packets from the LAN in, IPv4
// packets back out. SSDP over UDP; the description and a SOAP action over
// the TCP responder.
#include <gtest/gtest.h>

#include "simulator/portmap/igd_server.h"
#include "simulator/portmap/ssdp.h"
#include "simulator/wire/builder.h"
#include "tests/simulator/upnp_fake_grants.h"

namespace natlab::portmap {
namespace {

const Ipv4 kInside = *Ipv4::parse("10.0.1.1");
const Endpoint kHost = *Endpoint::parse("10.0.1.2:40000");

std::vector<std::byte> bytes(std::string_view text) {
    auto* first = reinterpret_cast<const std::byte*>(text.data());
    return {first, first + text.size()};
}

std::string text(std::span<const std::byte> b) {
    return {reinterpret_cast<const char*>(b.data()), b.size()};
}

class Lan {
public:
    Lan() : server({kInside, 5000, 1}, {}, nat, TimePoint{}) {}

    // Feeds one datagram to the server if it wants it; returns the server's output.
    std::vector<std::vector<std::byte>> deliver(std::vector<std::byte> datagram) {
        nat::DropReason why;
        auto packet = nat::Ipv4Packet::parse(datagram, why);
        if (!server.wants(*packet)) return {};
        server.receive(*packet, now);
        return server.take_output();
    }
    // One HTTP exchange over TCP; returns the bytes the server sent.
    std::string http(const std::string& request) {
        auto segment = [&](std::uint8_t flags, std::uint32_t seq, std::uint32_t ack,
                           std::string payload = {}) {
            return deliver(nat::build_tcp_segment({{kHost, {kInside, 5000}, nat::Protocol::Tcp},
                                                   flags,
                                                   seq,
                                                   ack,
                                                   bytes(payload),
                                                   64,
                                                   std::uint16_t(flags & nat::kTcpSyn ? 1460 : 0)}));
        };
        auto synack = segment(nat::kTcpSyn, 1, 0);
        nat::DropReason why;
        auto iss = read_segment(*nat::Ipv4Packet::parse(synack.at(0), why))->seq;
        segment(nat::kTcpAck, 2, iss + 1);
        std::string answer;
        for (auto& out : segment(nat::kTcpAck, 2, iss + 1, request))
            answer += text(read_segment(*nat::Ipv4Packet::parse(out, why))->payload);
        return answer;
    }

    FakeGrants nat;
    IgdServer server;
    TimePoint now{};
};

TEST(UpnpServer, AnswersASearchUnicastFromPort1900) {
    Lan lan;
    std::string search =
        "M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\n"
        "ST: urn:schemas-upnp-org:device:InternetGatewayDevice:1\r\nMAN: \"ssdp:discover\"\r\nMX: 2\r\n\r\n";
    auto out = lan.deliver(nat::build_udp_datagram({{kHost, {kSsdpGroup, 1900}}, bytes(search)}));
    ASSERT_EQ(out.size(), 1u);
    nat::DropReason why;
    auto answer = nat::Ipv4Packet::parse(out[0], why);
    ASSERT_TRUE(answer);
    EXPECT_EQ(answer->flow().source, (Endpoint{kInside, 1900}));
    EXPECT_EQ(answer->flow().destination, kHost);
    EXPECT_TRUE(text(answer->transport().subspan(8)).starts_with("HTTP/1.1 200 OK\r\n"));
    EXPECT_EQ(lan.server.counters().searches, 1u);
}

std::vector<std::byte> syn_to(Endpoint to) {
    nat::TcpSegmentSpec spec;
    spec.flow = {kHost, to, nat::Protocol::Tcp};
    return nat::build_tcp_segment(spec);
}

struct WantsCase {
    const char* name;
    std::vector<std::byte> datagram;
    bool want;
};

TEST(UpnpServer, TakesOnlyItsOwnPackets) {
    const Endpoint to_http{kInside, 5000};
    const WantsCase cases[] = {
        {"SSDP multicast", nat::build_udp_datagram({{kHost, {kSsdpGroup, 1900}}, {}}), true},
        {"SSDP unicast", nat::build_udp_datagram({{kHost, {kInside, 1900}}, {}}), true},
        {"SSDP to another host", nat::build_udp_datagram({{kHost, *Endpoint::parse("10.0.1.9:1900")}, {}}),
         false},
        {"HTTP port", syn_to(to_http), true},
        {"TCP port 80", syn_to({kInside, 80}), false},
        {"UDP to the HTTP port", nat::build_udp_datagram({{kHost, to_http}, {}}), false},
        {"PCP's port", nat::build_udp_datagram({{kHost, {kInside, 5351}}, {}}), false},
    };
    Lan lan;
    for (const auto& c : cases) {
        auto datagram = c.datagram;
        nat::DropReason why;
        EXPECT_EQ(lan.server.wants(*nat::Ipv4Packet::parse(datagram, why)), c.want) << c.name;
    }
}

TEST(UpnpServer, ServesTheDescription) {
    Lan lan;
    auto answer = lan.http("GET /rootDesc.xml HTTP/1.1\r\nHost: 10.0.1.1:5000\r\n\r\n");
    EXPECT_TRUE(answer.starts_with("HTTP/1.1 200 OK\r\n")) << answer;
    EXPECT_NE(answer.find("<controlURL>/ctl/IPConn</controlURL>"), std::string::npos);
    EXPECT_NE(answer.find("Connection: close\r\n"), std::string::npos);
}

struct RouteCase {
    const char* name;
    std::string request;
    std::string want_status_line;
};

TEST(UpnpServer, RoutesRequests) {
    const RouteCase cases[] = {
        {"SCPD", "GET /WANIPCn.xml HTTP/1.1\r\n\r\n", "HTTP/1.1 200 OK"},
        {"unknown path", "GET /nothing HTTP/1.1\r\n\r\n", "HTTP/1.1 404 Not Found"},
        {"GET of a control URL", "PUT /ctl/IPConn HTTP/1.1\r\n\r\n", "HTTP/1.1 405 Method Not Allowed"},
        {"garbage", "HELLO\r\n\r\n", "HTTP/1.1 400 Bad Request"},
        {"POST without SOAPAction", "POST /ctl/IPConn HTTP/1.1\r\nContent-Length: 0\r\n\r\n",
         "HTTP/1.1 500 Internal Server Error"},
    };
    for (const auto& c : cases) {
        Lan lan;
        EXPECT_TRUE(lan.http(c.request).starts_with(c.want_status_line + "\r\n")) << c.name;
    }
}

TEST(UpnpServer, CarriesOutAnActionForTheSender) {
    Lan lan;
    std::string body =
        "<?xml version=\"1.0\"?>\r\n<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\" "
        "s:encodingStyle=\"http://schemas.xmlsoap.org/soap/encoding/\"><s:Body><u:AddPortMapping "
        "xmlns:u=\"urn:schemas-upnp-org:service:WANIPConnection:1\"><NewRemoteHost></NewRemoteHost>"
        "<NewExternalPort>4500</NewExternalPort><NewProtocol>UDP</NewProtocol><NewInternalPort>4500</"
        "NewInternalPort>"
        "<NewInternalClient>10.0.1.2</NewInternalClient><NewEnabled>1</NewEnabled>"
        "<NewPortMappingDescription>libminiupnpc</NewPortMappingDescription><NewLeaseDuration>0</"
        "NewLeaseDuration>"
        "</u:AddPortMapping></s:Body></s:Envelope>\r\n";
    std::string request =
        "POST /ctl/IPConn HTTP/1.1\r\nHost: 10.0.1.1:5000\r\nContent-Length: " + std::to_string(body.size()) +
        "\r\nContent-Type: text/xml\r\n"
        "SOAPAction: \"urn:schemas-upnp-org:service:WANIPConnection:1#AddPortMapping\"\r\n"
        "Connection: close\r\n\r\n" +
        body;
    auto answer = lan.http(request);
    EXPECT_TRUE(answer.starts_with("HTTP/1.1 200 OK\r\n")) << answer;
    EXPECT_NE(answer.find("<u:AddPortMappingResponse"), std::string::npos);
    EXPECT_EQ(lan.nat.grants.size(), 1u);
    EXPECT_EQ(lan.server.service().entries().at(0).internal, *Endpoint::parse("10.0.1.2:4500"));
}

}  // namespace
}  // namespace natlab::portmap
