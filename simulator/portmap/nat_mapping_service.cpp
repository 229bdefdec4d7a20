#include "simulator/portmap/nat_mapping_service.h"

#include <array>

#include "src/net/enum_names.h"

namespace natlab::portmap {
namespace {

constexpr std::array kRefusalNames{
    nat::EnumName<Refusal>{Refusal::NotAuthorized, "not-authorized"},
    nat::EnumName<Refusal>{Refusal::NoResources, "no-resources"},
    nat::EnumName<Refusal>{Refusal::CannotProvideExternal, "cannot-provide-external"},
    nat::EnumName<Refusal>{Refusal::UnsupportedProtocol, "unsupported-protocol"},
    nat::EnumName<Refusal>{Refusal::Malformed, "malformed"},
    nat::EnumName<Refusal>{Refusal::UnsupportedVersion, "unsupported-version"},
    nat::EnumName<Refusal>{Refusal::UnsupportedOpcode, "unsupported-opcode"},
    nat::EnumName<Refusal>{Refusal::UnsupportedOption, "unsupported-option"},
    nat::EnumName<Refusal>{Refusal::AddressMismatch, "address-mismatch"},
};
static_assert(nat::names_in_order(kRefusalNames, kLastRefusal));

}  // namespace

std::string_view to_string(Refusal r) {
    return nat::name_of(kRefusalNames, r);
}

GrantResult NatMappingService::grant(const GrantRequest& r, TimePoint now) {
    nat::PortMapEvent asked{nat::PortMapChange::Requested, now, r.by, r.protocol, r.inside};
    asked.lifetime = static_cast<std::uint32_t>(r.lifetime.count());
    asked.suggested_port = r.suggested_port;
    log(asked);
    if (auto refusal = check(r, now)) return *refusal;
    const bool honour = policy_.honour_port;
    const auto lifetime = policy_.clamp(r.lifetime);
    nat::GrantAsk ask{r.by,     r.protocol,
                      r.inside, honour ? r.suggested_port : std::uint16_t{0},
                      r.exact,  static_cast<std::uint32_t>(lifetime.count()),
                      r.filters};
    nat::DropReason why;
    auto answer = nat_.grant(ask, now, why);
    if (!answer) return Refused{Refusal::CannotProvideExternal, why.text};
    granted_.emplace(r.protocol, r.inside.addr.value, r.inside.port);
    return Granted{answer->external, lifetime, answer->renewed};
}

std::optional<Refused> NatMappingService::check(const GrantRequest& r, TimePoint now) const {
    if (!policy_.enabled(r.by) || policy_.refuse)
        return Refused{Refusal::NotAuthorized, "the NAT refuses port mapping requests by policy"};
    if (r.protocol != Protocol::Udp && r.protocol != Protocol::Tcp)
        return Refused{Refusal::UnsupportedProtocol, "only UDP and TCP are mapped"};
    if (!nat_.granted(r.protocol, r.inside, now) && nat_.grants_held(r.inside.addr) >= policy_.per_host)
        return Refused{Refusal::NoResources, r.inside.addr.to_string() + " holds " +
                                                 std::to_string(policy_.per_host) +
                                                 " mappings, as many as a host may"};
    if (r.exact && !policy_.honour_port)
        return Refused{Refusal::CannotProvideExternal, "the NAT does not honour suggested ports"};
    return std::nullopt;
}

std::optional<Granted> NatMappingService::peer(Protocol protocol, Endpoint inside, Endpoint remote,
                                               TimePoint now) {
    nat::DropReason why;
    auto answer = nat_.peer(protocol, inside, remote, now, why);
    if (!answer) return std::nullopt;
    return Granted{answer->external, Seconds{answer->lifetime_s}, false};
}

bool NatMappingService::remove(Requester by, Protocol protocol, Endpoint inside, TimePoint now) {
    granted_.erase({protocol, inside.addr.value, inside.port});
    return nat_.ungrant(by, protocol, inside, now);
}

std::size_t NatMappingService::remove_all(Requester by, Protocol protocol, Ipv4 inside, TimePoint now) {
    std::size_t deleted = 0;
    auto it = granted_.lower_bound({protocol, inside.value, 0});
    while (it != granted_.end() && std::get<0>(*it) == protocol && std::get<1>(*it) == inside.value) {
        deleted += nat_.ungrant(by, protocol, {inside, std::get<2>(*it)}, now) ? 1 : 0;
        it = granted_.erase(it);
    }
    return deleted;
}

std::optional<Granted> NatMappingService::lookup(Protocol protocol, Endpoint inside, TimePoint now) const {
    const nat::Mapping* m = nat_.granted(protocol, inside, now);
    if (!m) return std::nullopt;
    auto left = Seconds{m->lifetime_s} - std::chrono::duration_cast<Seconds>(now - m->last_used);
    return Granted{m->outside, left, true};
}

void NatMappingService::refused(Requester by, const GrantRequest& r, std::string_view code,
                                const Refused& why, TimePoint now) {
    nat::PortMapEvent event{nat::PortMapChange::Refused, now, by, r.protocol, r.inside};
    event.code = std::string{code};
    event.reason = std::string{to_string(why.reason)} + ": " + why.text;
    log(std::move(event));
}

Ipv4 NatMappingService::external_address(Ipv4 inside) const {
    return nat_.paired_with(inside).value_or(nat_.addresses().external.front());
}

std::uint32_t NatMappingService::epoch_seconds(TimePoint now) const {
    return static_cast<std::uint32_t>(std::chrono::duration_cast<Seconds>(now - epoch_start_).count());
}

void NatMappingService::log(nat::PortMapEvent event) const {
    if (sink_) sink_(event);
}

}  // namespace natlab::portmap
