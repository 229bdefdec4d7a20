#include "simulator/portmap/igd_grants.h"

namespace natlab::portmap {
namespace {

GrantRequest request_of(const GrantAsk& ask) {
    return {Requester::Upnp, ask.protocol, ask.internal, ask.external_port, ask.lifetime, ask.exact};
}

GrantRefusal refusal_of(Refusal why) {
    switch (why) {
        case Refusal::NoResources:
            return GrantRefusal::NoResources;
        case Refusal::CannotProvideExternal:
            return GrantRefusal::Taken;
        case Refusal::NotAuthorized:
        case Refusal::UnsupportedProtocol:
        case Refusal::Malformed:
        case Refusal::UnsupportedVersion:
        case Refusal::UnsupportedOpcode:
        case Refusal::UnsupportedOption:
        case Refusal::AddressMismatch:
            return GrantRefusal::NotAuthorized;
    }
    return GrantRefusal::NotAuthorized;
}

// The service's word for a UPnP error code, for the event log.
Refusal reason_of(int code) {
    switch (code) {
        case 606:
            return Refusal::NotAuthorized;
        case 728:
            return Refusal::NoResources;
        case 718:
        case 729:
            return Refusal::CannotProvideExternal;
        default:
            return Refusal::Malformed;
    }
}

}  // namespace

GrantAnswer ServiceGrants::grant(const GrantAsk& ask, TimePoint now) {
    auto result = service_.grant(request_of(ask), now);
    if (const auto* granted = std::get_if<Granted>(&result))
        return {granted->external, granted->lifetime, {}};
    return {std::nullopt, Seconds{0}, refusal_of(std::get<Refused>(result).reason)};
}

void ServiceGrants::release(Protocol protocol, Endpoint internal, TimePoint now) {
    service_.remove(Requester::Upnp, protocol, internal, now);
}

void ServiceGrants::refused(const GrantAsk& ask, int code, std::string_view why, TimePoint now) {
    service_.refused(Requester::Upnp, request_of(ask), std::to_string(code),
                     Refused{reason_of(code), std::string{why}}, now);
}

}  // namespace natlab::portmap
