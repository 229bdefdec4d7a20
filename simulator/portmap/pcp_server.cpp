#include "simulator/portmap/pcp_server.h"

namespace natlab::portmap {
namespace {

using pcp::Result;

constexpr std::uint32_t kErrorLifetime = 30;

std::optional<Protocol> protocol_of(std::uint8_t iana) {
    if (iana == pcp::kProtocolUdp) return Protocol::Udp;
    if (iana == pcp::kProtocolTcp) return Protocol::Tcp;
    return std::nullopt;
}

Refused why_refused(Result result, Endpoint from, const pcp::Message& request) {
    switch (result) {
        case Result::AddressMismatch:
            return {Refusal::AddressMismatch, "the client address " + request.client.to_string() +
                                                  " is not the source " + from.addr.to_string()};
        default:
            return {Refusal::NotAuthorized, request.options.third_party
                                                ? "THIRD_PARTY is refused, or the NAT refuses PCP by policy"
                                                : "the NAT refuses PCP by policy"};
    }
}

// RFC 6887 §13.3: in the order given; prefix length 0 drops the filters
// before it. An IPv4 remote's prefix is counted over its IPv4-mapped form
// (the codec has checked 96..128).
std::vector<nat::GrantFilter> grant_filters(const std::vector<pcp::Filter>& filters) {
    std::vector<nat::GrantFilter> out;
    for (const pcp::Filter& f : filters) {
        if (f.prefix_length == 0) {
            out.clear();
            continue;
        }
        out.push_back({f.address, static_cast<std::uint8_t>(f.prefix_length - 96), f.port});
    }
    return out;
}

pcp::Message response_to(pcp::Message request, Result result, std::uint32_t epoch) {
    request.response = true;
    request.version = pcp::kVersion;
    request.result = result;
    request.epoch = epoch;
    return request;
}

}  // namespace

Result pcp_result(Refusal refusal) {
    switch (refusal) {
        case Refusal::NotAuthorized:
            return Result::NotAuthorized;
        case Refusal::NoResources:
            return Result::NoResources;
        case Refusal::CannotProvideExternal:
            return Result::CannotProvideExternal;
        case Refusal::UnsupportedProtocol:
            return Result::UnsuppProtocol;
        case Refusal::Malformed:
            return Result::MalformedRequest;
        case Refusal::UnsupportedVersion:
            return Result::UnsuppVersion;
        case Refusal::UnsupportedOpcode:
            return Result::UnsuppOpcode;
        case Refusal::UnsupportedOption:
            return Result::UnsuppOption;
        case Refusal::AddressMismatch:
            return Result::AddressMismatch;
    }
    return Result::NotAuthorized;
}

std::optional<std::vector<std::byte>> PcpServer::serve(Endpoint from, std::span<const std::byte> bytes,
                                                       TimePoint now) {
    pcp::Message request;
    auto decoded = pcp::decode_request(bytes, request);
    if (!decoded) return std::nullopt;
    if (*decoded != Result::Success) return pcp::encode(error(request, *decoded, now));
    return pcp::encode(answer(from, request, now));
}

std::optional<std::vector<std::byte>> PcpServer::unsupported_version(std::span<const std::byte> bytes,
                                                                     TimePoint now) const {
    pcp::Message request;
    if (!pcp::decode_request(bytes, request)) return std::nullopt;
    // The header alone: the other version's opcode means nothing here.
    pcp::Message header{pcp::kVersion, pcp::kOpAnnounce};
    return pcp::encode(error(header, Result::UnsuppVersion, now));
}

std::vector<std::byte> PcpServer::announcement(TimePoint now) const {
    return pcp::encode(response_to(pcp::Message{pcp::kVersion, pcp::kOpAnnounce}, Result::Success,
                                   service_.epoch_seconds(now)));
}

pcp::Message PcpServer::answer(Endpoint from, const pcp::Message& request, TimePoint now) {
    Endpoint inside{request.options.third_party.value_or(from.addr), request.map.internal_port};
    if (auto refused = check(from, request))
        return refuse(request, grant_request(inside, request), *refused, why_refused(*refused, from, request),
                      now);
    switch (request.opcode) {
        case pcp::kOpMap:
            return request.lifetime == 0 ? unmap(inside, request, now) : map(inside, request, now);
        case pcp::kOpPeer:
            return peer(inside, request, now);
        default:
            return response_to(request, Result::Success, service_.epoch_seconds(now));
    }
}

// Steps 3 to 6 of the theory above, past the codec's own.
std::optional<Result> PcpServer::check(Endpoint from, const pcp::Message& request) const {
    if (service_.policy().refuse || !service_.policy().pcp) return Result::NotAuthorized;
    if (request.options.third_party && !service_.policy().third_party) return Result::NotAuthorized;
    if (request.client != from.addr) return Result::AddressMismatch;
    return std::nullopt;
}

GrantRequest PcpServer::grant_request(Endpoint inside, const pcp::Message& r) const {
    return {Requester::Pcp,
            protocol_of(r.map.protocol).value_or(Protocol::Icmp),
            inside,
            r.map.external.port,
            Seconds{r.lifetime},
            r.options.prefer_failure,
            grant_filters(r.options.filters)};
}

pcp::Message PcpServer::map(Endpoint inside, pcp::Message request, TimePoint now) {
    GrantRequest asked = grant_request(inside, request);
    auto protocol = protocol_of(request.map.protocol);
    if (!protocol)
        return refuse(request, asked, Result::UnsuppProtocol,
                      {Refusal::UnsupportedProtocol, "protocol " + std::to_string(request.map.protocol)},
                      now);
    if (inside.port == 0)
        return refuse(request, asked, Result::MalformedRequest,
                      {Refusal::Malformed, "internal port 0 maps every port, which is not offered"}, now);
    Key key{*protocol, inside.addr.value, inside.port};
    if (nonce_differs(key, request.map.nonce, now))
        return refuse(request, asked, Result::NotAuthorized,
                      {Refusal::NotAuthorized, "the nonce is not the one that made the mapping"}, now);
    Ipv4 ours = service_.external_address(inside.addr);
    Ipv4 wanted = request.map.external.addr;
    if (request.options.prefer_failure && wanted != Ipv4{} && wanted != ours)
        return refuse(request, asked, Result::CannotProvideExternal,
                      {Refusal::CannotProvideExternal, wanted.to_string() + " is not ours"}, now);
    auto result = service_.grant(asked, now);
    if (auto* refused = std::get_if<Refused>(&result))
        return refuse(request, asked, pcp_result(refused->reason), *refused, now);
    const auto& granted = std::get<Granted>(result);
    nonces_[key] = request.map.nonce;
    request.map.external = granted.external;
    request.lifetime = static_cast<std::uint32_t>(granted.lifetime.count());
    return response_to(request, Result::Success, service_.epoch_seconds(now));
}

pcp::Message PcpServer::unmap(Endpoint inside, pcp::Message request, TimePoint now) {
    GrantRequest asked = grant_request(inside, request);
    auto protocol = protocol_of(request.map.protocol);
    Key key{protocol.value_or(Protocol::Udp), inside.addr.value, inside.port};
    if (protocol && nonce_differs(key, request.map.nonce, now))
        return refuse(request, asked, Result::NotAuthorized,
                      {Refusal::NotAuthorized, "the nonce is not the one that made the mapping"}, now);
    if (protocol) service_.remove(Requester::Pcp, *protocol, inside, now);
    nonces_.erase(key);
    request.map.external = {};
    return response_to(request, Result::Success, service_.epoch_seconds(now));
}

pcp::Message PcpServer::peer(Endpoint inside, pcp::Message request, TimePoint now) {
    GrantRequest asked = grant_request(inside, request);
    auto protocol = protocol_of(request.map.protocol);
    if (!protocol || inside.port == 0)
        return refuse(request, asked, Result::UnsuppProtocol,
                      {Refusal::UnsupportedProtocol, "PEER needs UDP or TCP and an internal port"}, now);
    auto mapping = service_.peer(*protocol, inside, request.remote, now);
    if (!mapping)
        return refuse(request, asked, Result::NoResources,
                      {Refusal::NoResources, "no mapping toward " + request.remote.to_string()}, now);
    request.map.external = mapping->external;
    request.lifetime = static_cast<std::uint32_t>(mapping->lifetime.count());
    return response_to(request, Result::Success, service_.epoch_seconds(now));
}

bool PcpServer::nonce_differs(const Key& key, const pcp::Nonce& nonce, TimePoint now) {
    auto it = nonces_.find(key);
    if (it == nonces_.end()) return false;
    Endpoint inside{Ipv4{std::get<1>(key)}, std::get<2>(key)};
    if (!service_.lookup(std::get<0>(key), inside, now)) {
        nonces_.erase(it);  // the grant is gone: anyone may ask anew
        return false;
    }
    return it->second != nonce;
}

pcp::Message PcpServer::refuse(pcp::Message request, const GrantRequest& asked, Result result,
                               const Refused& why, TimePoint now) {
    service_.refused(Requester::Pcp, asked, pcp::to_string(result), why, now);
    return error(std::move(request), result, now);
}

pcp::Message PcpServer::error(pcp::Message request, Result result, TimePoint now) const {
    request.lifetime = kErrorLifetime;
    return response_to(std::move(request), result, service_.epoch_seconds(now));
}

}  // namespace natlab::portmap
