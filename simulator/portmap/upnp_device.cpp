#include "simulator/portmap/upnp_device.h"

#include <array>
#include <cstdio>

#include "src/net/enum_names.h"

namespace natlab::portmap {
namespace {

using nat::EnumName;

constexpr std::array kKindNames{
    EnumName<DeviceKind>{DeviceKind::Gateway, "gateway"},
    EnumName<DeviceKind>{DeviceKind::Wan, "wan"},
    EnumName<DeviceKind>{DeviceKind::Connection, "connection"},
};
static_assert(nat::names_in_order(kKindNames, DeviceKind::Connection));

constexpr std::string_view kUrn = "urn:schemas-upnp-org:";

std::string element(std::string_view name, std::string_view value) {
    return "<" + std::string{name} + ">" + std::string{value} + "</" + std::string{name} + ">";
}

std::string service_entry(std::string_view type, std::string_view id, std::string_view scpd,
                          std::string_view control) {
    return "<service>" + element("serviceType", type) + element("serviceId", id) + element("SCPDURL", scpd) +
           element("controlURL", control) + element("eventSubURL", "") + "</service>";
}

std::string device_head(const DeviceIdentity& identity, DeviceKind kind, std::string_view name) {
    return element("deviceType", identity.device_type(kind)) + element("friendlyName", name) +
           element("manufacturer", "nat-lab") + element("modelName", "nat-emu") +
           element("UDN", "uuid:" + identity.uuid(kind));
}

std::string connection_device(const DeviceIdentity& identity) {
    return "<device>" + device_head(identity, DeviceKind::Connection, "WANConnectionDevice") +
           "<serviceList>" +
           service_entry(identity.ip_connection_type(), "urn:upnp-org:serviceId:WANIPConn1",
                         kIpConnectionScpdPath, kIpConnectionControlPath) +
           "</serviceList></device>";
}

std::string wan_device(const DeviceIdentity& identity) {
    return "<device>" + device_head(identity, DeviceKind::Wan, "WANDevice") + "<serviceList>" +
           service_entry(DeviceIdentity::common_config_type(), "urn:upnp-org:serviceId:WANCommonIFC1",
                         kCommonConfigScpdPath, kCommonConfigControlPath) +
           "</serviceList><deviceList>" + connection_device(identity) + "</deviceList></device>";
}

std::string scpd(const std::vector<std::string_view>& actions) {
    std::string list;
    for (auto action : actions) list += "<action>" + element("name", action) + "</action>";
    return "<?xml version=\"1.0\"?>\r\n<scpd xmlns=\"urn:schemas-upnp-org:service-1-0\">"
           "<specVersion><major>1</major><minor>0</minor></specVersion><actionList>" +
           list + "</actionList><serviceStateTable></serviceStateTable></scpd>\r\n";
}

}  // namespace

std::string_view to_string(DeviceKind k) {
    return nat::name_of(kKindNames, k);
}

std::string DeviceIdentity::uuid(DeviceKind kind) const {
    std::array<char, 40> text{};
    std::snprintf(text.data(), text.size(), "6e61746c-6162-4000-8%03x-%012x", static_cast<unsigned>(kind),
                  static_cast<unsigned>(inside.value));
    return text.data();
}

std::string DeviceIdentity::device_type(DeviceKind kind) const {
    constexpr std::array<std::string_view, 3> kNames{"InternetGatewayDevice", "WANDevice",
                                                     "WANConnectionDevice"};
    return std::string{kUrn} + "device:" + std::string{kNames.at(static_cast<std::size_t>(kind))} + ":" +
           std::to_string(version);
}

std::string DeviceIdentity::ip_connection_type() const {
    return std::string{kUrn} + "service:WANIPConnection:" + std::to_string(version);
}

std::string DeviceIdentity::common_config_type() {
    return std::string{kUrn} + "service:WANCommonInterfaceConfig:1";
}

std::string DeviceIdentity::url_base() const {
    return "http://" + inside.to_string() + ":" + std::to_string(http_port);
}

std::string DeviceIdentity::location() const {
    return url_base() + std::string{kDescriptionPath};
}

std::vector<std::string> DeviceIdentity::service_types() const {
    return {common_config_type(), ip_connection_type()};
}

std::string device_description(const DeviceIdentity& identity) {
    return "<?xml version=\"1.0\"?>\r\n<root xmlns=\"urn:schemas-upnp-org:device-1-0\">"
           "<specVersion><major>1</major><minor>" +
           std::string{identity.version == 2 ? "1" : "0"} + "</minor></specVersion>" +
           element("URLBase", identity.url_base()) + "<device>" +
           device_head(identity, DeviceKind::Gateway, "nat-lab gateway") + "<deviceList>" +
           wan_device(identity) + "</deviceList>" + element("presentationURL", identity.url_base() + "/") +
           "</device></root>\r\n";
}

std::string service_description(const DeviceIdentity& identity, std::string_view path) {
    if (path == kCommonConfigScpdPath) return scpd({"GetCommonLinkProperties"});
    if (path != kIpConnectionScpdPath) return {};
    std::vector<std::string_view> actions{
        "GetStatusInfo",     "GetConnectionTypeInfo",       "GetExternalIPAddress",      "AddPortMapping",
        "DeletePortMapping", "GetSpecificPortMappingEntry", "GetGenericPortMappingEntry"};
    if (identity.version == 2) actions.push_back("AddAnyPortMapping");
    return scpd(actions);
}

}  // namespace natlab::portmap
