// The IGD's device tree and its description document (UPnP Device
// Architecture 1.1 §2.3; InternetGatewayDevice:1 and :2).
//
// Theory of operation
// -------------------
// The emulated NAT presents itself as one root device with the nesting the
// IGD specifications prescribe, each device with a UUID of its own:
//
//   InternetGatewayDevice:V            (root)
//     WANDevice:V
//       service WANCommonInterfaceConfig:1
//       WANConnectionDevice:V
//         service WANIPConnection:V    (the port mappings, igd_service.h)
//
// V is 1 or 2 (IGD:1 or IGD:2). The description lives at kDescriptionPath
// on the NAT's inside address; its URLBase and each service's controlURL
// point back at the same HTTP port. Control points such as miniupnpc read
// only serviceType and controlURL from it; the service descriptions (SCPD)
// are listed as the specification requires but served as a minimal document
// that names the actions and no state variables. Eventing is not offered:
// every eventSubURL is empty.
//
// The UUIDs are made from the inside address, so two runs of the same
// scenario describe the same device and two NATs of one lab never share one.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "src/net/endpoint.h"

namespace natlab::portmap {

inline constexpr std::string_view kDescriptionPath = "/rootDesc.xml";
inline constexpr std::string_view kIpConnectionControlPath = "/ctl/IPConn";
inline constexpr std::string_view kCommonConfigControlPath = "/ctl/CmnIfCfg";
inline constexpr std::string_view kIpConnectionScpdPath = "/WANIPCn.xml";
inline constexpr std::string_view kCommonConfigScpdPath = "/WANCfg.xml";
inline constexpr std::uint16_t kDefaultHttpPort = 5000;

enum class DeviceKind : std::uint8_t { Gateway, Wan, Connection };
std::string_view to_string(DeviceKind k);  // "gateway", "wan", "connection"

struct DeviceIdentity {
    Ipv4 inside;  // the NAT's LAN address: where the description and control live
    std::uint16_t http_port = kDefaultHttpPort;
    int version = 1;  // IGD:1 or IGD:2

    std::string uuid(DeviceKind kind) const;         // "6e61746c-..." without "uuid:"
    std::string device_type(DeviceKind kind) const;  // "urn:schemas-upnp-org:device:...:V"
    std::string ip_connection_type() const;          // "urn:...:service:WANIPConnection:V"
    static std::string common_config_type();         // "urn:...:service:WANCommonInterfaceConfig:1"
    std::string location() const;                    // "http://a.b.c.d:port/rootDesc.xml"
    std::string url_base() const;                    // "http://a.b.c.d:port"
    // Every service type the device offers.
    std::vector<std::string> service_types() const;
};

// The root device description, an XML document (UDA 1.1 §2.3).
std::string device_description(const DeviceIdentity& identity);
// A minimal SCPD for the service at `path` (one of the two Scpd paths); empty when unknown.
std::string service_description(const DeviceIdentity& identity, std::string_view path);

}  // namespace natlab::portmap
