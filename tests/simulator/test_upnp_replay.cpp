// What Debian's miniupnpc 2.2.4 really sent, captured in a lab
// (tests/simulator/upnp_fixtures/miniupnpc-2.2.4/, from the LAN link's pcap of
// `upnpc -i -s`, `-i -a 10.0.1.2 4500 4500 UDP` and `-i -l`), replayed into
// the IGD request by request: the search, the description, and the SOAP
// actions in the order upnpc sent them, each with the answer it must get.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

#include "simulator/portmap/igd_server.h"
#include "simulator/portmap/ssdp.h"
#include "tests/simulator/upnp_fake_grants.h"

namespace natlab::portmap {
namespace {

std::string fixture(const std::string& name) {
    std::ifstream in(std::string{UPNP_FIXTURES} + "/miniupnpc-2.2.4/" + name, std::ios::binary);
    EXPECT_TRUE(in) << name;
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

struct ReplayCase {
    const char* file;
    std::string want_status_line;
    std::string want_in_body;
};

TEST(UpnpReplay, MiniupnpcSearchIsAnswered) {
    DeviceIdentity igd{*Ipv4::parse("10.0.1.1"), 5000, 1};
    auto answers = answer_search(fixture("m-search.udp"), igd);
    ASSERT_EQ(answers.size(), 1u);
    EXPECT_NE(answers[0].find("LOCATION: http://10.0.1.1:5000/rootDesc.xml\r\n"), std::string::npos);
}

TEST(UpnpReplay, MiniupnpcRequestsInOrder) {
    const ReplayCase cases[] = {
        {"get-description.http", "HTTP/1.1 200 OK", "<controlURL>/ctl/IPConn</controlURL>"},
        {"get-external-ip-address.http", "HTTP/1.1 200 OK",
         "<NewExternalIPAddress>198.18.1.1</NewExternalIPAddress>"},
        {"get-common-link-properties.http", "HTTP/1.1 200 OK",
         "<NewPhysicalLinkStatus>Up</NewPhysicalLinkStatus>"},
        {"get-total-bytes-sent.http", "HTTP/1.1 500 Internal Server Error", "<errorCode>401</errorCode>"},
        {"add-port-mapping.http", "HTTP/1.1 200 OK", "<u:AddPortMappingResponse"},
        {"get-specific-port-mapping-entry.http", "HTTP/1.1 200 OK",
         "<NewInternalClient>10.0.1.2</NewInternalClient>"},
        {"get-generic-port-mapping-entry-0.http", "HTTP/1.1 200 OK",
         "<NewPortMappingDescription>libminiupnpc</NewPortMappingDescription>"},
        {"get-generic-port-mapping-entry-1.http", "HTTP/1.1 500 Internal Server Error",
         "<errorCode>713</errorCode>"},
    };
    FakeGrants nat;
    IgdServer server({*Ipv4::parse("10.0.1.1"), 5000, 1}, {}, nat, TimePoint{});
    for (const auto& c : cases) {
        auto request = fixture(c.file);
        auto answer = server.answer(request, *Endpoint::parse("10.0.1.2:40000"), TimePoint{});
        ASSERT_TRUE(answer) << c.file << ": not a complete request";
        EXPECT_TRUE(answer->starts_with(c.want_status_line + "\r\n")) << c.file << "\n" << *answer;
        EXPECT_NE(answer->find(c.want_in_body), std::string::npos) << c.file << "\n" << *answer;
    }
    EXPECT_EQ(nat.grants.size(), 1u);
}

}  // namespace
}  // namespace natlab::portmap
