// Binding requests, answered. See stun_server.h.
//
// Theory of operation
//
// A Binding request is answered to its source (RFC 8489 section 7.3.1)
// with the source itself: XOR-MAPPED-ADDRESS for RFC 8489 clients,
// MAPPED-ADDRESS for RFC 3489 clients (no magic cookie; RFC 3489 section
// 11.2.1), and SOFTWARE. RFC 8489 answers end with FINGERPRINT; RFC 3489
// had none.
//
// With an alternate address (RFC 5780 section 4), each answer also says
//   RESPONSE-ORIGIN  the local endpoint the answer leaves from (section 7.3),
//   OTHER-ADDRESS    the endpoint differing in both IP and port from the one
//                    the request arrived at (section 7.4),
//   MAPPED-ADDRESS   next to XOR-MAPPED-ADDRESS, so a client can spot an
//                    address-rewriting ALG (they would disagree);
// or, to an RFC 3489 client, SOURCE-ADDRESS and CHANGED-ADDRESS, their
// ancestors (RFC 3489 sections 11.2.5 and 11.2.3). A CHANGE-REQUEST
// (section 7.2) picks the socket the answer leaves from: change IP, change
// port, or both. A RESPONSE-PORT (section 7.5) sends the answer to that
// port of the request's source address (a client tests filtering from a
// second socket that way); the address is never changed, so it aims the
// server at no host that did not send, or spoof, the request itself. That
// is all a classifier needs to tell mapping and filtering behaviours apart.
//
// Refusals (error responses, same size class as an answer):
//   400  a CHANGE-REQUEST that is not 4 bytes, a RESPONSE-PORT that is not
//        4 bytes or names port 0;
//   420  comprehension-required attributes the server does not know (RFC
//        8489 section 6.3.1.1), listed in UNKNOWN-ATTRIBUTES; also a
//        CHANGE-REQUEST asking for a change the server cannot make because
//        it has no alternate address (RFC 5780 section 6.1).
// PADDING is understood and ignored: the answer is never padded, so it
// stays small.
//
// Nothing here allocates; the answer is written into the caller's buffer.
#include "src/server/stun_server.h"

#include <algorithm>

#include "src/net/invariant.h"
#include "src/stun/rendezvous_protocol.h"

namespace natlab {
namespace {

using stun::attr::comprehension_required;

constexpr std::size_t kMaxListedUnknown = 8;

// Attributes a Binding request may carry that the server understands (and
// mostly ignores: credentials and ICE attributes are for peers, not for a
// public STUN server).
bool known(std::uint16_t type) {
    switch (type) {
        case stun::attr::change_request:
        case stun::attr::response_port:
        case stun::attr::padding:
        case stun::attr::username:
        case stun::attr::message_integrity:
        case stun::attr::message_integrity_sha256:
        case stun::attr::priority:
        case stun::attr::use_candidate:
            return true;
        default:
            return !comprehension_required(type);
    }
}

struct Unknown {
    std::array<std::uint16_t, kMaxListedUnknown> types{};
    std::size_t count = 0;

    void add(std::uint16_t type) {
        if (count < types.size()) types[count++] = type;
    }
    std::span<const std::byte> bytes(std::array<std::byte, 2 * kMaxListedUnknown>& buffer) const {
        for (std::size_t i = 0; i < count; ++i) {
            buffer[2 * i] = static_cast<std::byte>(types[i] >> 8);
            buffer[2 * i + 1] = static_cast<std::byte>(types[i] & 0xff);
        }
        return std::span<const std::byte>(buffer).first(2 * count);
    }
};

struct ChangeRequest {
    bool ip = false;
    bool port = false;
    bool malformed = false;
};

ChangeRequest read_change_request(const stun::View& request) {
    auto value = request.find(stun::attr::change_request);
    if (!value) return {};
    if (value->size() != 4) return {false, false, true};
    auto flags = std::to_integer<std::uint32_t>((*value)[3]);
    return {(flags & stun::kChangeIp) != 0, (flags & stun::kChangePort) != 0, false};
}

// RESPONSE-PORT: a 16-bit port and 2 bytes of padding. 0 when absent,
// nullopt when malformed.
std::optional<std::uint16_t> read_response_port(const stun::View& request) {
    auto value = request.find(stun::attr::response_port);
    if (!value) return 0;
    if (value->size() != 4) return std::nullopt;
    auto port = static_cast<std::uint16_t>((std::to_integer<unsigned>((*value)[0]) << 8) |
                                           std::to_integer<unsigned>((*value)[1]));
    if (port == 0) return std::nullopt;
    return port;
}

Unknown unknown_attributes(const stun::View& request, const ChangeRequest& change, bool has_alternate) {
    Unknown unknown;
    request.each([&](std::uint16_t type, std::span<const std::byte>) {
        if (!known(type)) unknown.add(type);
    });
    if ((change.ip || change.port) && !has_alternate) unknown.add(stun::attr::change_request);
    return unknown;
}

stun::Writer start(std::span<std::byte> out, const stun::View& request, stun::Class cls) {
    return stun::Writer(out, stun::compose_type(proto::method::binding, cls), request.cookie(),
                        request.transaction());
}

void finish(stun::Writer& w, const stun::View& request) {
    w.attribute(stun::attr::software, std::as_bytes(std::span(proto::kSoftware)));
    if (!request.classic()) w.fingerprint();
}

BindingAnswer refuse(const stun::View& request, const IpEndpoint& source, const IpEndpoint& local, int code,
                     std::string_view reason, const Unknown& unknown, std::span<std::byte> out) {
    stun::Writer w = start(out, request, stun::Class::error);
    std::array<std::byte, 4 + 32> error{std::byte{0}, std::byte{0}, static_cast<std::byte>(code / 100),
                                        static_cast<std::byte>(code % 100)};
    NATLAB_INVARIANT(reason.size() <= 32);
    std::copy(reason.begin(), reason.end(), reinterpret_cast<char*>(error.data() + 4));
    w.attribute(stun::attr::error_code, std::span(error).first(4 + reason.size()));
    std::array<std::byte, 2 * kMaxListedUnknown> listed{};
    if (unknown.count) w.attribute(stun::attr::unknown_attributes, unknown.bytes(listed));
    finish(w, request);
    return {w.size(), local, source, true};
}

void add_mapped(stun::Writer& w, const stun::View& request, const IpEndpoint& source, bool rfc5780) {
    auto mapped = stun::Address::from(source);
    if (request.classic()) return w.address(stun::attr::mapped_address, mapped);
    w.xor_address(stun::attr::xor_mapped_address, mapped);
    if (rfc5780) w.address(stun::attr::mapped_address, mapped);
}

void add_origin_and_other(stun::Writer& w, const stun::View& request, Endpoint origin, Endpoint other) {
    bool classic = request.classic();
    w.address(classic ? stun::attr::source_address : stun::attr::response_origin,
              stun::Address::from(origin));
    w.address(classic ? stun::attr::changed_address : stun::attr::other_address, stun::Address::from(other));
}

}  // namespace

std::vector<Endpoint> StunAddresses::listeners() const {
    if (!alternate) return {primary};
    return {primary, {primary.addr, alternate->port}, {alternate->addr, primary.port}, *alternate};
}

std::optional<Endpoint> StunAddresses::other(Endpoint local) const {
    if (!alternate) return std::nullopt;
    return changed(local, true, true);
}

Endpoint StunAddresses::changed(Endpoint local, bool change_ip, bool change_port) const {
    if (!alternate) return local;
    Endpoint out = local;
    if (change_ip) out.addr = local.addr == primary.addr ? alternate->addr : primary.addr;
    if (change_port) out.port = local.port == primary.port ? alternate->port : primary.port;
    return out;
}

namespace {

// RFC 5780's alternate serves IPv4 requests only (stun_server.h).
const StunAddresses& addresses_for(const IpEndpoint& local, const StunAddresses& addresses) {
    static const StunAddresses none{};
    return local.v4() ? addresses : none;
}

}  // namespace

BindingAnswer answer_binding(const stun::View& request, const IpEndpoint& source, const IpEndpoint& local,
                             const StunAddresses& all_addresses, std::span<std::byte> out) {
    NATLAB_INVARIANT(out.size() >= kMaxBindingAnswer);
    const StunAddresses& addresses = addresses_for(local, all_addresses);
    ChangeRequest change = read_change_request(request);
    auto response_port = read_response_port(request);
    if (change.malformed || !response_port)
        return refuse(request, source, local, proto::error::bad_request, "bad request", {}, out);
    Unknown unknown = unknown_attributes(request, change, addresses.alternate.has_value());
    if (unknown.count)
        return refuse(request, source, local, proto::error::unknown_attribute, "unknown attribute", unknown,
                      out);
    IpEndpoint origin = local.v4() ? addresses.changed(*local.v4(), change.ip, change.port) : local;
    IpEndpoint destination = source.with_port(*response_port ? *response_port : source.port());
    stun::Writer w = start(out, request, stun::Class::success);
    add_mapped(w, request, source, addresses.alternate.has_value());
    if (auto other = local.v4() ? addresses.other(*local.v4()) : std::nullopt)
        add_origin_and_other(w, request, *origin.v4(), *other);
    finish(w, request);
    return {w.size(), origin, destination, false};
}

}  // namespace natlab
