// SOAP control requests and answers (UDA 1.1 §3.2). The request fixtures are
// what miniupnpc 2.2 sends (upnpcommands.c, minisoap.c): its envelope with the
// prefixes s and u, one element per argument, an empty element for NULL.
#include <gtest/gtest.h>

#include "simulator/portmap/upnp_soap.h"

namespace natlab::portmap {
namespace {

constexpr std::string_view kService = "urn:schemas-upnp-org:service:WANIPConnection:1";

std::string envelope(std::string_view action, std::string_view arguments) {
    return "<?xml version=\"1.0\"?>\r\n"
           "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\" "
           "s:encodingStyle=\"http://schemas.xmlsoap.org/soap/encoding/\">"
           "<s:Body><u:" +
           std::string{action} + " xmlns:u=\"" + std::string{kService} + "\">" + std::string{arguments} +
           "</u:" + std::string{action} + "></s:Body></s:Envelope>\r\n";
}

// upnpc -a 10.0.1.2 4500 4500 UDP
const std::string kAddPortMapping =
    envelope("AddPortMapping",
             "<NewRemoteHost></NewRemoteHost>"
             "<NewExternalPort>4500</NewExternalPort>"
             "<NewProtocol>UDP</NewProtocol>"
             "<NewInternalPort>4500</NewInternalPort>"
             "<NewInternalClient>10.0.1.2</NewInternalClient>"
             "<NewEnabled>1</NewEnabled>"
             "<NewPortMappingDescription>libminiupnpc</NewPortMappingDescription>"
             "<NewLeaseDuration>0</NewLeaseDuration>");

TEST(UpnpSoap, ReadsMiniupnpcAddPortMapping) {
    auto read =
        read_call("\"urn:schemas-upnp-org:service:WANIPConnection:1#AddPortMapping\"", kAddPortMapping);
    ASSERT_TRUE(read.call) << to_string(read.error);
    EXPECT_EQ(read.call->service, kService);
    EXPECT_EQ(read.call->action, "AddPortMapping");
    const Arguments want{{"NewRemoteHost", ""},
                         {"NewExternalPort", "4500"},
                         {"NewProtocol", "UDP"},
                         {"NewInternalPort", "4500"},
                         {"NewInternalClient", "10.0.1.2"},
                         {"NewEnabled", "1"},
                         {"NewPortMappingDescription", "libminiupnpc"},
                         {"NewLeaseDuration", "0"}};
    EXPECT_EQ(read.call->arguments, want);
}

struct CallCase {
    const char* name;
    std::string soap_action;
    std::string body;
    bool want_call;
    SoapError want_error;
};

TEST(UpnpSoap, RefusesWhatItCannotRead) {
    const std::string action = "\"urn:schemas-upnp-org:service:WANIPConnection:1#GetExternalIPAddress\"";
    const CallCase cases[] = {
        {"no arguments (upnpc -s)", action, envelope("GetExternalIPAddress", ""), true, {}},
        {"unquoted header",
         std::string{kService} + "#GetExternalIPAddress",
         envelope("GetExternalIPAddress", ""),
         true,
         {}},
        {"empty element form",
         action,
         "<s:Envelope><s:Body><u:GetExternalIPAddress xmlns:u=\"x\"/></s:Body></s:Envelope>",
         true,
         {}},
        {"no #", "\"urn:schemas-upnp-org:service:WANIPConnection:1\"", envelope("GetExternalIPAddress", ""),
         false, SoapError::NoAction},
        {"no Body", action, "<s:Envelope></s:Envelope>", false, SoapError::BadEnvelope},
        {"not an envelope", action, "hello", false, SoapError::BadEnvelope},
        {"header names another action", action, envelope("AddPortMapping", ""), false,
         SoapError::ActionMismatch},
        {"argument not closed", action, envelope("GetExternalIPAddress", "<A>1"), false,
         SoapError::BadEnvelope},
        {"argument closed by another", action, envelope("GetExternalIPAddress", "<A>1</B>"), false,
         SoapError::BadEnvelope},
        {"envelope cut short", "\"urn:schemas-upnp-org:service:WANIPConnection:1#AddPortMapping\"",
         kAddPortMapping.substr(0, 300), false, SoapError::BadEnvelope},
    };
    for (const auto& c : cases) {
        auto read = read_call(c.soap_action, c.body);
        EXPECT_EQ(read.call.has_value(), c.want_call) << c.name;
        if (!c.want_call) {
            EXPECT_EQ(read.error, c.want_error) << c.name;
        }
    }
}

TEST(UpnpSoap, DecodesEntities) {
    auto read = read_call("\"s#X\"", envelope("X", "<D>a &amp; b &lt;c&gt; &quot;d&quot; &apos;e&apos;</D>"));
    ASSERT_TRUE(read.call);
    EXPECT_EQ(read.call->argument("D"), "a & b <c> \"d\" 'e'");
}

TEST(UpnpSoap, WritesTheResult) {
    SoapCall call{std::string{kService}, "GetExternalIPAddress", {}};
    auto response = write_result(call, {{"NewExternalIPAddress", "198.18.1.1"}});
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(response.body,
              "<?xml version=\"1.0\"?>\r\n"
              "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\" "
              "s:encodingStyle=\"http://schemas.xmlsoap.org/soap/encoding/\"><s:Body>"
              "<u:GetExternalIPAddressResponse xmlns:u=\"urn:schemas-upnp-org:service:WANIPConnection:1\">"
              "<NewExternalIPAddress>198.18.1.1</NewExternalIPAddress>"
              "</u:GetExternalIPAddressResponse></s:Body></s:Envelope>\r\n");
}

TEST(UpnpSoap, WritesTheFault) {
    auto response = write_fault(718, "ConflictInMappingEntry");
    EXPECT_EQ(response.status, 500);
    EXPECT_EQ(response.reason, "Internal Server Error");
    EXPECT_EQ(response.body,
              "<?xml version=\"1.0\"?>\r\n"
              "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\" "
              "s:encodingStyle=\"http://schemas.xmlsoap.org/soap/encoding/\"><s:Body>"
              "<s:Fault><faultcode>s:Client</faultcode><faultstring>UPnPError</faultstring><detail>"
              "<UPnPError xmlns=\"urn:schemas-upnp-org:control-1-0\"><errorCode>718</errorCode>"
              "<errorDescription>ConflictInMappingEntry</errorDescription></UPnPError></detail></s:Fault>"
              "</s:Body></s:Envelope>\r\n");
}

}  // namespace
}  // namespace natlab::portmap
