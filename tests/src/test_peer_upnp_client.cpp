// The peer's UPnP client messages and readers (src/peer/upnp_client.h), as
// text vectors: what it sends, and what gateways answer.
#include <gtest/gtest.h>

#include <map>

#include "src/peer/upnp_client.h"

namespace natlab::upnp {
namespace {

TEST(UpnpClient, SearchIsWhatSsdpAsks) {
    EXPECT_EQ(search_request(kIgdSearchTarget),
              "M-SEARCH * HTTP/1.1\r\n"
              "HOST: 239.255.255.250:1900\r\n"
              "ST: urn:schemas-upnp-org:device:InternetGatewayDevice:1\r\n"
              "MAN: \"ssdp:discover\"\r\n"
              "MX: 2\r\n"
              "\r\n");
}

struct UrlCase {
    const char* text;
    std::optional<std::string> want;  // to_string, or nullopt: refused
};

TEST(UpnpClient, UrlsAreIpv4Literals) {
    const UrlCase cases[] = {
        {"http://10.0.1.1:5000/rootDesc.xml", "http://10.0.1.1:5000/rootDesc.xml"},
        {"http://10.0.1.1/", "http://10.0.1.1:80/"},
        {"http://10.0.1.1", "http://10.0.1.1:80/"},
        {"https://10.0.1.1/", std::nullopt},
        {"http://router.local/", std::nullopt},
        {"http://10.0.1.1:99999/", std::nullopt},
    };
    for (const auto& c : cases) {
        auto url = Url::parse(c.text);
        EXPECT_EQ(url ? std::optional{url->to_string()} : std::nullopt, c.want) << c.text;
    }
}

TEST(UpnpClient, ReadsTheLocationOfAnAnswer) {
    auto location = location_of(
        "HTTP/1.1 200 OK\r\nCACHE-CONTROL: max-age=1800\r\nEXT:\r\nlocation: "
        "http://192.168.1.1:1780/desc.xml\r\n"
        "ST: upnp:rootdevice\r\n\r\n");
    ASSERT_TRUE(location);
    EXPECT_EQ(location->to_string(), "http://192.168.1.1:1780/desc.xml");
    EXPECT_FALSE(location_of("NOTIFY * HTTP/1.1\r\nLOCATION: http://10.0.0.1/\r\n\r\n"));
    EXPECT_FALSE(location_of("HTTP/1.1 200 OK\r\nST: x\r\n\r\n"));
}

struct DescriptionCase {
    const char* name;
    std::string xml;
    std::optional<std::string> want_control;
    std::string want_service;
};

TEST(UpnpClient, FindsTheConnectionService) {
    auto location = *Url::parse("http://10.0.1.1:5000/rootDesc.xml");
    const std::string ip =
        "<service><serviceType>urn:schemas-upnp-org:service:WANIPConnection:1</serviceType>"
        "<controlURL>/ctl/IPConn</controlURL></service>";
    const std::string common =
        "<service><serviceType>urn:schemas-upnp-org:service:WANCommonInterfaceConfig:1</serviceType>"
        "<controlURL>/ctl/CmnIfCfg</controlURL></service>";
    const DescriptionCase cases[] = {
        {"relative to the location", "<root>" + common + ip + "</root>", "http://10.0.1.1:5000/ctl/IPConn",
         "urn:schemas-upnp-org:service:WANIPConnection:1"},
        {"relative to URLBase", "<root><URLBase>http://10.0.1.1:49152</URLBase>" + ip + "</root>",
         "http://10.0.1.1:49152/ctl/IPConn", "urn:schemas-upnp-org:service:WANIPConnection:1"},
        {"PPP when there is no IP connection",
         "<root><service><serviceType>urn:schemas-upnp-org:service:WANPPPConnection:1</serviceType>"
         "<controlURL>ppp</controlURL></service></root>",
         "http://10.0.1.1:5000/ppp", "urn:schemas-upnp-org:service:WANPPPConnection:1"},
        {"no connection service", "<root>" + common + "</root>", std::nullopt, ""},
    };
    for (const auto& c : cases) {
        auto found = find_ip_connection(c.xml, location);
        EXPECT_EQ(found ? std::optional{found->control.to_string()} : std::nullopt, c.want_control) << c.name;
        if (found) {
            EXPECT_EQ(found->service, c.want_service) << c.name;
        }
    }
}

TEST(UpnpClient, SoapRequestIsWhatGatewaysExpect) {
    ControlPoint point{*Url::parse("http://10.0.1.1:5000/ctl/IPConn"),
                       "urn:schemas-upnp-org:service:WANIPConnection:1"};
    auto request = soap_request(point, "DeletePortMapping", delete_port_mapping(4500));
    std::string body =
        "<?xml version=\"1.0\"?>\r\n<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\" "
        "s:encodingStyle=\"http://schemas.xmlsoap.org/soap/encoding/\"><s:Body>"
        "<u:DeletePortMapping xmlns:u=\"urn:schemas-upnp-org:service:WANIPConnection:1\">"
        "<NewRemoteHost></NewRemoteHost><NewExternalPort>4500</NewExternalPort><NewProtocol>UDP</NewProtocol>"
        "</u:DeletePortMapping></s:Body></s:Envelope>\r\n";
    EXPECT_EQ(
        request,
        "POST /ctl/IPConn HTTP/1.1\r\nHost: 10.0.1.1:5000\r\nContent-Length: " + std::to_string(body.size()) +
            "\r\nContent-Type: text/xml; charset=\"utf-8\"\r\n"
            "SOAPAction: \"urn:schemas-upnp-org:service:WANIPConnection:1#DeletePortMapping\"\r\n"
            "Connection: close\r\n\r\n" +
            body);
}

TEST(UpnpClient, ReadsHttpByLengthOrByClose) {
    EXPECT_FALSE(read_http("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab", false));
    EXPECT_EQ(read_http("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nab", false)->body, "ab");
    EXPECT_FALSE(read_http("HTTP/1.1 200 OK\r\n\r\nabc", false));
    EXPECT_EQ(read_http("HTTP/1.1 200 OK\r\n\r\nabc", true)->body, "abc");
    EXPECT_EQ(read_http("HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n", false)->status,
              500);
    EXPECT_FALSE(read_http("garbage\r\n\r\n", true));
}

TEST(UpnpClient, ReadsResultsAndFaults) {
    HttpReply ok{200,
                 "<?xml version=\"1.0\"?><s:Envelope><s:Body><u:GetExternalIPAddressResponse xmlns:u=\"x\">"
                 "<NewExternalIPAddress>198.18.1.1</NewExternalIPAddress></u:GetExternalIPAddressResponse>"
                 "</s:Body></s:Envelope>"};
    auto reply = read_reply(ok);
    EXPECT_EQ(reply.error_code, 0);
    EXPECT_EQ(reply.values["NewExternalIPAddress"], "198.18.1.1");
    HttpReply fault{500,
                    "<s:Envelope><s:Body><s:Fault><faultcode>s:Client</faultcode><detail><UPnPError>"
                    "<errorCode>718</errorCode><errorDescription>ConflictInMappingEntry</errorDescription>"
                    "</UPnPError></detail></s:Fault></s:Body></s:Envelope>"};
    EXPECT_EQ(read_reply(fault).error_code, 718);
    EXPECT_EQ(read_reply({404, ""}).error_code, 404);
}

// Found by fuzz_http_soap: an answer whose body ends inside an end tag
// (a Content-Length shorter than the envelope) kept the reader at the same
// element for ever; one that ends in '<' read past the body.
TEST(UpnpClient, ReadsAnswersCutShort) {
    const struct {
        const char* name;
        std::string body;
        std::map<std::string, std::string> want;
    } cases[] = {
        {"cut inside the last end tag",
         "<u:AddPortMappingResponse><NewReservedPort>4000</NewReservedPort",
         {{"NewReservedPort", "4000"}}},
        {"cut after the end tag's slash",
         "<u:AddPortMappingResponse><A>1</A><B>2</",
         {{"A", "1"}, {"B", "2"}}},
        {"ends in '<'", "<u:GetExternalIPAddressResponse><", {}},
        {"a start tag without its end", "<u:XResponse><A>1", {}},
        {"whole", "<u:XResponse><A>1</A><B>&amp;</B></u:XResponse>", {{"A", "1"}, {"B", "&"}}},
    };
    for (const auto& c : cases) EXPECT_EQ(read_reply({200, c.body}).values, c.want) << c.name;
}

}  // namespace
}  // namespace natlab::upnp
