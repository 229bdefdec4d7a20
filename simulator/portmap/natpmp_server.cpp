#include "simulator/portmap/natpmp_server.h"

#include <string>

namespace natlab::portmap {
namespace {

using natpmp::Result;

Protocol protocol_of(std::uint8_t opcode) {
    return opcode == natpmp::kOpMapTcp ? Protocol::Tcp : Protocol::Udp;
}

bool refusing(const MappingService& service) {
    return !service.policy().nat_pmp || service.policy().refuse;
}

}  // namespace

Result natpmp_result(Refusal refusal) {
    switch (refusal) {
        case Refusal::NotAuthorized:
        case Refusal::AddressMismatch:
        case Refusal::Malformed:
        case Refusal::UnsupportedOption:
            return Result::NotAuthorized;
        case Refusal::NoResources:
        case Refusal::CannotProvideExternal:
            return Result::OutOfResources;
        case Refusal::UnsupportedProtocol:
        case Refusal::UnsupportedOpcode:
            return Result::UnsupportedOpcode;
        case Refusal::UnsupportedVersion:
            return Result::UnsupportedVersion;
    }
    return Result::NotAuthorized;
}

std::optional<std::vector<std::byte>> NatPmpServer::serve(Endpoint from, std::span<const std::byte> bytes,
                                                          TimePoint now) {
    natpmp::Request request;
    if (natpmp::decode(bytes, request) != natpmp::Decoded::Ok) return std::nullopt;
    if (request.version != natpmp::kVersion)
        return natpmp::encode(header(natpmp::kOpExternalAddress, Result::UnsupportedVersion, now));
    switch (request.opcode) {
        case natpmp::kOpExternalAddress:
            return natpmp::encode(external_address(from, now));
        case natpmp::kOpMapUdp:
        case natpmp::kOpMapTcp:
            return natpmp::encode(request.lifetime == 0 ? unmap(from, request, now)
                                                        : map(from, request, now));
        default:
            return natpmp::encode(header(request.opcode, Result::UnsupportedOpcode, now));
    }
}

std::vector<std::byte> NatPmpServer::announcement(TimePoint now) const {
    natpmp::Response answer{natpmp::kOpExternalAddress, Result::Success, service_.epoch_seconds(now)};
    answer.external = service_.external_address(Ipv4{});
    return natpmp::encode(answer);
}

natpmp::Response NatPmpServer::external_address(Endpoint from, TimePoint now) const {
    natpmp::Response answer{natpmp::kOpExternalAddress, Result::Success, service_.epoch_seconds(now)};
    if (refusing(service_))
        answer.result = Result::NotAuthorized;
    else
        answer.external = service_.external_address(from.addr);
    return answer;
}

natpmp::Response NatPmpServer::map(Endpoint from, const natpmp::Request& r, TimePoint now) {
    GrantRequest asked{Requester::NatPmp,
                       protocol_of(r.opcode),
                       {from.addr, r.internal_port},
                       r.suggested_port,
                       Seconds{r.lifetime}};
    natpmp::Response answer{r.opcode, Result::Success, service_.epoch_seconds(now)};
    answer.internal_port = r.internal_port;
    if (r.internal_port == 0)
        return refuse(asked, answer, {Refusal::Malformed, "internal port 0 with a lifetime"}, now);
    auto result = service_.grant(asked, now);
    if (auto* refused = std::get_if<Refused>(&result)) return refuse(asked, answer, *refused, now);
    const auto& granted = std::get<Granted>(result);
    answer.mapped_port = granted.external.port;
    answer.lifetime = static_cast<std::uint32_t>(granted.lifetime.count());
    return answer;
}

// §3.4: the answer to a deletion has mapped port and lifetime 0.
natpmp::Response NatPmpServer::unmap(Endpoint from, const natpmp::Request& r, TimePoint now) {
    natpmp::Response answer{r.opcode, Result::Success, service_.epoch_seconds(now)};
    answer.internal_port = r.internal_port;
    GrantRequest asked{Requester::NatPmp, protocol_of(r.opcode), {from.addr, r.internal_port}, 0, Seconds{0}};
    if (refusing(service_))
        return refuse(asked, answer, {Refusal::NotAuthorized, "the NAT refuses NAT-PMP by policy"}, now);
    if (r.internal_port != 0)
        service_.remove(Requester::NatPmp, asked.protocol, asked.inside, now);
    else if (r.suggested_port == 0)  // §3.4: every mapping of this host for the protocol
        service_.remove_all(Requester::NatPmp, asked.protocol, from.addr, now);
    return answer;
}

natpmp::Response NatPmpServer::refuse(const GrantRequest& asked, natpmp::Response answer, const Refused& why,
                                      TimePoint now) {
    answer.result = natpmp_result(why.reason);
    answer.mapped_port = 0;
    answer.lifetime = 0;
    service_.refused(Requester::NatPmp, asked, std::to_string(static_cast<int>(answer.result)), why, now);
    return answer;
}

natpmp::Response NatPmpServer::header(std::uint8_t opcode, Result result, TimePoint now) const {
    natpmp::Response answer{opcode, result, service_.epoch_seconds(now)};
    answer.header_only = true;
    return answer;
}

}  // namespace natlab::portmap
