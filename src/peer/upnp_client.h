// The peer's UPnP IGD client, the pure part: the messages it sends and how
// it reads the answers (UPnP Device Architecture 1.1; WANIPConnection:1).
//
// Theory of operation
// -------------------
// `peer --port-mapping upnp` asks the gateway for a mapping of its socket's
// port before it registers, so the mapped endpoint can be offered to the
// partner with its other endpoints. The exchange, carried out by the Asio
// part (upnp_mapper.cpp), is:
//   1. SSDP: `search_request` multicast to 239.255.255.250:1900 from a socket
//      of its own; `location_of` reads the LOCATION of the first answer.
//   2. HTTP GET of that description; `find_ip_connection` reads the
//      WANIPConnection (or WANPPPConnection) service's controlURL, resolved
//      against URLBase or the location (UDA 1.1 §2.3: a relative URL).
//   3. SOAP GetExternalIPAddress, then AddPortMapping of the socket's port
//      on the same external port, with a lease (`soap_request`); `read_reply`
//      reads the out arguments or the UPnPError code.
//   4. Renewal: the same AddPortMapping again at half the lease.
//   5. At exit: DeletePortMapping.
// The reader tolerates what real gateways send (any header case, prefixes on
// the SOAP elements) and nothing more: no chunked encoding (the requests say
// `Connection: close` and HTTP/1.1 servers answer with Content-Length or by
// closing).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "src/net/endpoint.h"

namespace natlab::upnp {

inline constexpr Endpoint kSsdpEndpoint{Ipv4{0xEFFFFFFA}, 1900};  // 239.255.255.250:1900
inline constexpr std::string_view kIgdSearchTarget = "urn:schemas-upnp-org:device:InternetGatewayDevice:1";

// "http://a.b.c.d[:port]/path": gateways are addressed by IPv4 literal.
struct Url {
    Endpoint host;  // port 80 when none is given
    std::string path = "/";

    static std::optional<Url> parse(std::string_view text);
    std::string to_string() const;
    // `reference` resolved against this URL: absolute, or a path on the same host.
    std::optional<Url> resolve(std::string_view reference) const;
};

std::string search_request(std::string_view search_target, int mx = 2);
// The LOCATION of a 200 OK search answer; nullopt otherwise.
std::optional<Url> location_of(std::string_view answer);

struct ControlPoint {
    Url control;
    std::string service;  // "urn:schemas-upnp-org:service:WANIPConnection:1"
};
std::optional<ControlPoint> find_ip_connection(std::string_view description, const Url& location);

using Arguments = std::vector<std::pair<std::string, std::string>>;

std::string get_request(const Url& url);
std::string soap_request(const ControlPoint& point, std::string_view action, const Arguments& arguments);
Arguments add_port_mapping(Endpoint internal, std::uint16_t external_port, std::uint32_t lease_seconds,
                           std::string_view description);
Arguments delete_port_mapping(std::uint16_t external_port);

struct HttpReply {
    int status = 0;
    std::string body;
};
// A complete HTTP response (status line, headers, the body by Content-Length or to the end).
std::optional<HttpReply> read_http(std::string_view response, bool closed);

struct SoapReply {
    int error_code = 0;  // 0: success
    std::map<std::string, std::string> values;
};
SoapReply read_reply(const HttpReply& reply);

}  // namespace natlab::upnp
