// The device description (UDA 1.1 §2.3): what a control point reads from it.
#include <gtest/gtest.h>

#include "simulator/portmap/upnp_device.h"

namespace natlab::portmap {
namespace {

bool has(const std::string& text, std::string_view part) {
    return text.find(part) != std::string::npos;
}

TEST(UpnpDevice, DescribesTheGatewayTree) {
    DeviceIdentity igd{*Ipv4::parse("192.168.7.1"), 5000, 1};
    auto xml = device_description(igd);
    const std::string_view want[] = {
        "<?xml version=\"1.0\"?>",
        "<root xmlns=\"urn:schemas-upnp-org:device-1-0\"><specVersion><major>1</major><minor>0</minor>",
        "<URLBase>http://192.168.7.1:5000</URLBase>",
        "<deviceType>urn:schemas-upnp-org:device:InternetGatewayDevice:1</deviceType>",
        "<UDN>uuid:6e61746c-6162-4000-8000-0000c0a80701</UDN>",
        "<deviceType>urn:schemas-upnp-org:device:WANDevice:1</deviceType>",
        "<serviceType>urn:schemas-upnp-org:service:WANCommonInterfaceConfig:1</serviceType>"
        "<serviceId>urn:upnp-org:serviceId:WANCommonIFC1</serviceId><SCPDURL>/WANCfg.xml</SCPDURL>"
        "<controlURL>/ctl/CmnIfCfg</controlURL>",
        "<deviceType>urn:schemas-upnp-org:device:WANConnectionDevice:1</deviceType>",
        "<serviceType>urn:schemas-upnp-org:service:WANIPConnection:1</serviceType>"
        "<serviceId>urn:upnp-org:serviceId:WANIPConn1</serviceId><SCPDURL>/WANIPCn.xml</SCPDURL>"
        "<controlURL>/ctl/IPConn</controlURL><eventSubURL></eventSubURL>",
        "</device></root>\r\n",
    };
    for (auto part : want) EXPECT_TRUE(has(xml, part)) << part;
}

TEST(UpnpDevice, Igd2NamesVersionTwo) {
    DeviceIdentity igd{*Ipv4::parse("10.0.1.1"), 5000, 2};
    auto xml = device_description(igd);
    EXPECT_TRUE(has(xml, "<deviceType>urn:schemas-upnp-org:device:InternetGatewayDevice:2</deviceType>"));
    EXPECT_TRUE(has(xml, "<serviceType>urn:schemas-upnp-org:service:WANIPConnection:2</serviceType>"));
    EXPECT_TRUE(has(xml, "<minor>1</minor>"));
    EXPECT_TRUE(has(service_description(igd, kIpConnectionScpdPath), "<name>AddAnyPortMapping</name>"));
    EXPECT_FALSE(has(service_description({igd.inside, 5000, 1}, kIpConnectionScpdPath), "AddAnyPortMapping"));
    EXPECT_EQ(service_description(igd, "/other.xml"), "");
}

TEST(UpnpDevice, EveryDeviceHasItsOwnUuid) {
    DeviceIdentity igd{*Ipv4::parse("10.0.1.1"), 5000, 1};
    EXPECT_NE(igd.uuid(DeviceKind::Gateway), igd.uuid(DeviceKind::Wan));
    EXPECT_NE(igd.uuid(DeviceKind::Wan), igd.uuid(DeviceKind::Connection));
    EXPECT_EQ(igd.uuid(DeviceKind::Gateway).size(), 36u);
    EXPECT_EQ(igd.location(), "http://10.0.1.1:5000/rootDesc.xml");
}

}  // namespace
}  // namespace natlab::portmap
