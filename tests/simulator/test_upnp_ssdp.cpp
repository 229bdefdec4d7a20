// SSDP searches (UDA 1.1 §1.3) and the gateway's answers, as text vectors.
#include <gtest/gtest.h>

#include "simulator/portmap/ssdp.h"

namespace natlab::portmap {
namespace {

const DeviceIdentity kIgd1{*Ipv4::parse("10.0.1.1"), 5000, 1};
const DeviceIdentity kIgd2{*Ipv4::parse("10.0.1.1"), 5000, 2};

// What miniupnpc (minissdpc.c) multicasts, one datagram per search target.
std::string search(std::string_view st, std::string_view man = "\"ssdp:discover\"") {
    return "M-SEARCH * HTTP/1.1\r\n"
           "HOST: 239.255.255.250:1900\r\n"
           "ST: " +
           std::string{st} + "\r\nMAN: " + std::string{man} + "\r\nMX: 2\r\n\r\n";
}

struct SearchCase {
    const char* name;
    std::string datagram;
    const DeviceIdentity& identity;
    std::size_t want_answers;
    std::string want_st;  // of the first answer
};

TEST(UpnpSsdp, AnswersTheSearchesForAGateway) {
    const SearchCase cases[] = {
        {"IGD:1 asked of IGD:1", search("urn:schemas-upnp-org:device:InternetGatewayDevice:1"), kIgd1, 1,
         "urn:schemas-upnp-org:device:InternetGatewayDevice:1"},
        {"IGD:2 asked of IGD:1", search("urn:schemas-upnp-org:device:InternetGatewayDevice:2"), kIgd1, 0, ""},
        {"IGD:1 asked of IGD:2 names :1", search("urn:schemas-upnp-org:device:InternetGatewayDevice:1"),
         kIgd2, 1, "urn:schemas-upnp-org:device:InternetGatewayDevice:1"},
        {"WANIPConnection:1", search("urn:schemas-upnp-org:service:WANIPConnection:1"), kIgd1, 1,
         "urn:schemas-upnp-org:service:WANIPConnection:1"},
        {"WANPPPConnection: we have none", search("urn:schemas-upnp-org:service:WANPPPConnection:1"), kIgd1,
         0, ""},
        {"root device", search("upnp:rootdevice"), kIgd1, 1, "upnp:rootdevice"},
        {"every device and service", search("ssdp:all"), kIgd1, 9, "upnp:rootdevice"},
        {"our root uuid", search("uuid:6e61746c-6162-4000-8000-00000a000101"), kIgd1, 1,
         "uuid:6e61746c-6162-4000-8000-00000a000101"},
        {"a printer", search("urn:schemas-upnp-org:device:Printer:1"), kIgd1, 0, ""},
        {"MAN not quoted", search("upnp:rootdevice", "ssdp:discover"), kIgd1, 0, ""},
        {"a NOTIFY", "NOTIFY * HTTP/1.1\r\nNT: upnp:rootdevice\r\nNTS: ssdp:alive\r\n\r\n", kIgd1, 0, ""},
        {"no ST", "M-SEARCH * HTTP/1.1\r\nMAN: \"ssdp:discover\"\r\nMX: 1\r\n\r\n", kIgd1, 0, ""},
        {"garbage", "\x01\x02\x03", kIgd1, 0, ""},
    };
    for (const auto& c : cases) {
        auto answers = answer_search(c.datagram, c.identity);
        ASSERT_EQ(answers.size(), c.want_answers) << c.name;
        if (!answers.empty()) {
            EXPECT_NE(answers[0].find("\r\nST: " + c.want_st + "\r\n"), std::string::npos) << c.name;
        }
    }
}

TEST(UpnpSsdp, AnswerIsTheWholeResponse) {
    auto answers = answer_search(search("urn:schemas-upnp-org:service:WANIPConnection:1"), kIgd1);
    ASSERT_EQ(answers.size(), 1u);
    EXPECT_EQ(
        answers[0],
        "HTTP/1.1 200 OK\r\n"
        "CACHE-CONTROL: max-age=1800\r\n"
        "EXT:\r\n"
        "LOCATION: http://10.0.1.1:5000/rootDesc.xml\r\n"
        "SERVER: Linux UPnP/1.1 nat-lab/1.0\r\n"
        "ST: urn:schemas-upnp-org:service:WANIPConnection:1\r\n"
        "USN: uuid:6e61746c-6162-4000-8002-00000a000101::urn:schemas-upnp-org:service:WANIPConnection:1\r\n"
        "BOOTID.UPNP.ORG: 1\r\n"
        "CONFIGID.UPNP.ORG: 1\r\n"
        "\r\n");
}

TEST(UpnpSsdp, ReadsMx) {
    auto read = read_search(search("upnp:rootdevice"));
    ASSERT_TRUE(read);
    EXPECT_EQ(read->mx, 2);
    EXPECT_EQ(read->st, "upnp:rootdevice");
}

}  // namespace
}  // namespace natlab::portmap
