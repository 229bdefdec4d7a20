#include "simulator/v6/firewall6.h"

#include <algorithm>

namespace natlab::v6 {
namespace {

using nat::FilteringBehaviour;

bool matches(FilteringBehaviour f, const Endpoint6& permitted, const Endpoint6& remote) {
    switch (f) {
        case FilteringBehaviour::EndpointIndependent:
            return true;
        case FilteringBehaviour::AddressDependent:
            return permitted.addr == remote.addr;
        case FilteringBehaviour::AddressAndPortDependent:
            return permitted == remote;
    }
    return false;
}

std::string filtered_text(FilteringBehaviour f, const Flow6& flow) {
    std::string whom =
        f == FilteringBehaviour::AddressDependent ? flow.source.addr.to_string() : flow.source.to_string();
    return "filtered (" + std::string{nat::to_string(f)} + "): " + flow.destination.to_string() +
           " has not sent to " + whom;
}

}  // namespace

std::string_view to_string(Refusal r) {
    switch (r) {
        case Refusal::not_inside:
            return "not-inside";
        case Refusal::no_state:
            return "no-state";
        case Refusal::filtered:
            return "filtered";
        case Refusal::icmp_unmatched:
            return "icmp-error-unmatched";
        case Refusal::icmp_unsupported:
            return "unsupported-icmp";
    }
    return "?";
}

Firewall6::Firewall6(FirewallConfig config, Ipv6Prefix inside) : config_(config), inside_(inside) {}

Millis Firewall6::timeout(nat::Protocol protocol) const {
    return protocol == nat::Protocol::Tcp ? config_.tcp_timeout : config_.udp_timeout;
}

std::optional<Refused> Firewall6::outbound(const Flow6& flow, TimePoint now, Opened* opened) {
    if (!inside_.contains(flow.source.addr))
        return Refused{Refusal::not_inside, "not inside: " + flow.source.addr.to_string() + " is not in " +
                                                inside_.to_string() +
                                                " (a spoofed source, RFC 6092 section 3.1)"};
    auto [state, created] = states_.try_emplace({flow.protocol, flow.source});
    auto& permissions = state->second.permissions;
    TimePoint until = now + timeout(flow.protocol);
    auto it = std::find_if(permissions.begin(), permissions.end(),
                           [&](const Permission& p) { return p.remote == flow.destination; });
    bool fresh = it == permissions.end() || now >= it->until;
    created = created || std::none_of(permissions.begin(), permissions.end(),
                                      [&](const Permission& p) { return now < p.until; });
    if (it == permissions.end())
        permissions.push_back({flow.destination, until});
    else
        it->until = until;
    if (opened) *opened = created ? Opened::state : fresh ? Opened::permission : Opened::nothing;
    return std::nullopt;
}

Firewall6::Permission* Firewall6::admitting(State& state, const Endpoint6& remote, TimePoint now) const {
    for (auto& p : state.permissions)
        if (now < p.until && matches(config_.filtering, p.remote, remote)) return &p;
    return nullptr;
}

std::optional<Refused> Firewall6::inbound(const Flow6& flow, TimePoint now, Icmp6Kind kind) {
    if (flow.protocol == nat::Protocol::Icmp && kind == Icmp6Kind::echo_request && config_.echo_inbound)
        return std::nullopt;
    if (flow.protocol == nat::Protocol::Icmp && kind != Icmp6Kind::echo_reply &&
        kind != Icmp6Kind::echo_request)
        return Refused{Refusal::icmp_unsupported,
                       "unsupported icmpv6: only echo and errors cross the firewall"};
    auto it = states_.find({flow.protocol, flow.destination});
    bool live =
        it != states_.end() && std::any_of(it->second.permissions.begin(), it->second.permissions.end(),
                                           [&](const Permission& p) { return now < p.until; });
    if (!live)
        return Refused{Refusal::no_state, "no state for " + std::string{nat::to_string(flow.protocol)} + " " +
                                              flow.destination.to_string() +
                                              ": the inside has not sent from it"};
    Permission* p = admitting(it->second, flow.source, now);
    if (!p) return Refused{Refusal::filtered, filtered_text(config_.filtering, flow)};
    if (config_.refresh_on_inbound) p->until = now + timeout(flow.protocol);
    return std::nullopt;
}

std::optional<Refused> Firewall6::inbound_error(const Flow6& quoted, TimePoint now) const {
    auto it = states_.find({quoted.protocol, quoted.source});
    if (it != states_.end())
        for (const auto& p : it->second.permissions)
            if (now < p.until && p.remote == quoted.destination) return std::nullopt;
    return Refused{Refusal::icmp_unmatched, "icmpv6 error unmatched: it quotes " + quoted.source.to_string() +
                                                " -> " + quoted.destination.to_string() +
                                                ", which did not leave through the firewall"};
}

std::size_t Firewall6::expire(TimePoint now, std::vector<ExpiredState>* gone_states) {
    std::size_t gone = 0;
    for (auto it = states_.begin(); it != states_.end();) {
        auto& permissions = it->second.permissions;
        std::erase_if(permissions, [&](const Permission& p) { return now >= p.until; });
        if (permissions.empty()) {
            if (gone_states) gone_states->push_back({it->first.first, it->first.second});
            it = states_.erase(it);
            ++gone;
        } else {
            ++it;
        }
    }
    return gone;
}

}  // namespace natlab::v6
