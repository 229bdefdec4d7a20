// UPnP control messages: SOAP 1.1 actions over HTTP POST (UPnP Device
// Architecture 1.1 §3.2).
//
// Theory of operation
// -------------------
// A control point invokes an action by POSTing an envelope to the service's
// controlURL, with a SOAPACTION header "serviceType#actionName" (§3.2.1):
//
//   <?xml version="1.0"?>
//   <s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" s:encodingStyle="...">
//    <s:Body>
//     <u:AddPortMapping xmlns:u="urn:schemas-upnp-org:service:WANIPConnection:1">
//      <NewExternalPort>4500</NewExternalPort> ... one element per argument
//     </u:AddPortMapping>
//    </s:Body>
//   </s:Envelope>
//
// `read_call(soap_action, body)` returns the service, the action and the
// arguments in order, or why it could not: the header must name a service
// and an action, the envelope must hold a Body whose first element is that
// action, and every argument must be a simple element with text (entities
// &amp; &lt; &gt; &quot; &apos; decoded). Prefixes are not interpreted:
// elements are compared by local name, as every control point in the field
// uses the prefixes s and u anyway.
//
// `write_result` frames the answer ("<u:ActionResponse>" with the out
// arguments, §3.2.2) and `write_fault` a UPnPError fault with its code and
// description, sent with HTTP status 500 (§3.2.2, "UPnP error").
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "simulator/portmap/http_message.h"

namespace natlab::portmap {

using Arguments = std::vector<std::pair<std::string, std::string>>;

struct SoapCall {
    std::string service;  // "urn:schemas-upnp-org:service:WANIPConnection:1"
    std::string action;   // "AddPortMapping"
    Arguments arguments;  // in the order sent

    // The argument of that name; nullopt when it was not sent.
    std::optional<std::string_view> argument(std::string_view name) const;
};

enum class SoapError : std::uint8_t { NoAction, BadEnvelope, ActionMismatch };
std::string_view to_string(SoapError e);  // "no-action", "bad-envelope", "action-mismatch"

struct SoapRead {
    std::optional<SoapCall> call;
    SoapError error = SoapError::NoAction;  // when there is no call
};

SoapRead read_call(std::string_view soap_action, std::string_view body);

HttpResponse write_result(const SoapCall& call, const Arguments& out);
HttpResponse write_fault(int code, std::string_view description);

}  // namespace natlab::portmap
