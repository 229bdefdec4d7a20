#include "simulator/portmap/igd_service.h"

#include <algorithm>
#include <array>
#include <charconv>

#include "src/net/enum_names.h"

namespace natlab::portmap {
namespace {

using nat::EnumName;
using E = UpnpError;

struct ErrorRow {
    UpnpError value;
    int code;
    std::string_view text;
};

constexpr std::array kErrors{
    ErrorRow{E::InvalidAction, 401, "Invalid Action"},
    ErrorRow{E::InvalidArgs, 402, "Invalid Args"},
    ErrorRow{E::ActionNotAuthorized, 606, "Action not authorized"},
    ErrorRow{E::SpecifiedArrayIndexInvalid, 713, "SpecifiedArrayIndexInvalid"},
    ErrorRow{E::NoSuchEntryInArray, 714, "NoSuchEntryInArray"},
    ErrorRow{E::WildCardNotPermittedInExtPort, 716, "WildCardNotPermittedInExtPort"},
    ErrorRow{E::ConflictInMappingEntry, 718, "ConflictInMappingEntry"},
    ErrorRow{E::OnlyPermanentLeasesSupported, 725, "OnlyPermanentLeasesSupported"},
    ErrorRow{E::RemoteHostOnlySupportsWildcard, 726, "RemoteHostOnlySupportsWildcard"},
    ErrorRow{E::NoPortMapsAvailable, 728, "NoPortMapsAvailable"},
    ErrorRow{E::ConflictWithOtherMechanisms, 729, "ConflictWithOtherMechanisms"},
};
constexpr bool errors_in_order() {
    for (std::size_t i = 0; i < kErrors.size(); ++i)
        if (static_cast<std::size_t>(kErrors[i].value) != i) return false;
    return static_cast<std::size_t>(E::ConflictWithOtherMechanisms) + 1 == kErrors.size();
}
static_assert(errors_in_order());

template <class T>
std::optional<T> number(std::optional<std::string_view> text) {
    T value{};
    if (!text || text->empty()) return std::nullopt;
    auto [end, error] = std::from_chars(text->data(), text->data() + text->size(), value);
    if (error != std::errc{} || end != text->data() + text->size()) return std::nullopt;
    return value;
}

// WANIPConnection §2.2.16: PortMappingProtocol is "TCP" or "UDP".
std::optional<Protocol> protocol_of(std::optional<std::string_view> text) {
    if (!text) return std::nullopt;
    if (equal_ignoring_case(*text, "UDP")) return Protocol::Udp;
    if (equal_ignoring_case(*text, "TCP")) return Protocol::Tcp;
    return std::nullopt;
}

std::string protocol_name(Protocol p) {
    return p == Protocol::Tcp ? "TCP" : "UDP";
}

std::uint32_t seconds_left(const IgdEntry& entry, TimePoint now) {
    if (!entry.expires) return 0;
    auto left = std::chrono::ceil<std::chrono::seconds>(*entry.expires - now).count();
    return static_cast<std::uint32_t>(std::max<std::int64_t>(left, 1));
}

}  // namespace

std::string_view to_string(UpnpError e) {
    return kErrors.at(static_cast<std::size_t>(e)).text;
}
int code_of(UpnpError e) {
    return kErrors.at(static_cast<std::size_t>(e)).code;
}

struct IgdService::AddArguments {
    IgdEntry entry;
    std::uint32_t lease_seconds = 0;
    bool remote_host = false;  // a remote host other than the wildcard was named
};

IgdService::IgdService(DeviceIdentity identity, IgdPolicy policy, MappingGrants& grants, TimePoint started)
    : identity_(identity), policy_(policy), grants_(grants), started_(started) {}

const std::vector<IgdService::Route>& IgdService::routes() {
    static const std::vector<Route> kRoutes{
        {"GetExternalIPAddress", &IgdService::external_ip, 1},
        {"GetStatusInfo", &IgdService::status_info, 1},
        {"GetConnectionTypeInfo", &IgdService::connection_type, 1},
        {"GetCommonLinkProperties", &IgdService::link_properties, 1},
        {"AddPortMapping", &IgdService::add, 1},
        {"AddAnyPortMapping", &IgdService::add_any, 2},
        {"DeletePortMapping", &IgdService::remove, 1},
        {"GetSpecificPortMappingEntry", &IgdService::specific_entry, 1},
        {"GetGenericPortMappingEntry", &IgdService::generic_entry, 1},
    };
    return kRoutes;
}

HttpResponse IgdService::control(const SoapCall& call, Ipv4 requester, TimePoint now) {
    expire(now);
    const auto& table = routes();
    auto route = std::ranges::find_if(table, [&](const Route& r) { return r.name == call.action; });
    Outcome outcome = UpnpError::InvalidAction;
    if (route != table.end() && route->since_version <= identity_.version)
        outcome = (this->*route->action)(Request{call, requester, now});
    if (const auto* error = std::get_if<UpnpError>(&outcome))
        return write_fault(code_of(*error), to_string(*error));
    return write_result(call, std::get<Arguments>(outcome));
}

void IgdService::expire(TimePoint now) {
    auto dead = [&](const IgdEntry& e) { return e.expires && *e.expires <= now; };
    for (const auto& entry : entries_)
        if (dead(entry) && entry.enabled) grants_.release(entry.protocol, entry.internal, now);
    std::erase_if(entries_, dead);
    for (auto& entry : entries_)
        if (!entry.expires && entry.enabled && now + kRegrantAhead >= entry.granted_until)
            regrant(entry, now);
}

// A permanent entry outlives any one grant of the NAT's: it is granted again before the grant ends.
void IgdService::regrant(IgdEntry& entry, TimePoint now) {
    auto answer = grants_.grant(ask_for(entry, now, true), now);
    if (answer.external) entry.granted_until = now + answer.lifetime;
}

IgdService::Outcome IgdService::external_ip(const Request& request) {
    return Arguments{{"NewExternalIPAddress", grants_.external_address(request.requester).to_string()}};
}

IgdService::Outcome IgdService::status_info(const Request& request) {
    auto uptime = std::chrono::duration_cast<std::chrono::seconds>(request.now - started_).count();
    return Arguments{{"NewConnectionStatus", "Connected"},
                     {"NewLastConnectionError", "ERROR_NONE"},
                     {"NewUptime", std::to_string(uptime)}};
}

IgdService::Outcome IgdService::connection_type(const Request&) {
    return Arguments{{"NewConnectionType", "IP_Routed"}, {"NewPossibleConnectionTypes", "IP_Routed"}};
}

IgdService::Outcome IgdService::link_properties(const Request&) {
    return Arguments{{"NewWANAccessType", "Ethernet"},
                     {"NewLayer1UpstreamMaxBitRate", "1000000000"},
                     {"NewLayer1DownstreamMaxBitRate", "1000000000"},
                     {"NewPhysicalLinkStatus", "Up"}};
}

std::optional<UpnpError> IgdService::check_lease(std::uint32_t seconds) const {
    if (identity_.version == 1 && policy_.permanent_only && seconds != 0)
        return UpnpError::OnlyPermanentLeasesSupported;
    return std::nullopt;
}

// The lease's end; a permanent one (IGD:1's 0) has none.
std::optional<TimePoint> IgdService::lease_end(std::uint32_t seconds, TimePoint now) const {
    if (identity_.version == 1 && seconds == 0) return std::nullopt;
    Millis lease = Seconds{seconds};
    if (seconds == 0 || lease > kMaxLease) lease = kMaxLease;
    return now + lease;
}

std::variant<IgdService::AddArguments, UpnpError> IgdService::read_add(const Request& request) const {
    const auto& call = request.call;
    auto external = number<std::uint16_t>(call.argument("NewExternalPort"));
    auto internal_port = number<std::uint16_t>(call.argument("NewInternalPort"));
    auto client = call.argument("NewInternalClient");
    auto address = client ? Ipv4::parse(*client) : std::nullopt;
    auto protocol = protocol_of(call.argument("NewProtocol"));
    auto lease = number<std::uint32_t>(call.argument("NewLeaseDuration"));
    auto remote = call.argument("NewRemoteHost");
    if (!external || !internal_port || *internal_port == 0 || !address || !protocol || !lease || !remote)
        return UpnpError::InvalidArgs;
    auto enabled = call.argument("NewEnabled");
    IgdEntry entry{*protocol,
                   *external,
                   {*address, *internal_port},
                   std::string{call.argument("NewPortMappingDescription").value_or("")},
                   !enabled || *enabled != "0",
                   lease_end(*lease, request.now),
                   request.now};
    return AddArguments{std::move(entry), *lease, !remote->empty() && *remote != "*"};
}

// What the service's own rules refuse, before the NAT is asked.
std::optional<UpnpError> IgdService::check_add(const AddArguments& add, Ipv4 requester) const {
    if (!policy_.allow || add.entry.internal.addr != requester) return UpnpError::ActionNotAuthorized;
    if (add.remote_host) return UpnpError::RemoteHostOnlySupportsWildcard;
    return check_lease(add.lease_seconds);
}

IgdService::Outcome IgdService::add(const Request& request) {
    auto read = read_add(request);
    if (auto* error = std::get_if<UpnpError>(&read)) return *error;
    auto& add = std::get<AddArguments>(read);
    if (auto refused = check_add(add, request.requester)) return refuse(add.entry, *refused, request.now);
    if (add.entry.external_port == 0)
        return refuse(add.entry, UpnpError::WildCardNotPermittedInExtPort, request.now);
    auto* existing = find(add.entry.protocol, add.entry.external_port);
    if (existing && existing->internal == add.entry.internal) return renew(*existing, add.entry, request.now);
    if (existing || holder(add.entry))
        return refuse(add.entry, UpnpError::ConflictInMappingEntry, request.now);
    auto placed = place(std::move(add.entry), true, request.now);
    if (std::holds_alternative<Arguments>(placed)) return Arguments{};
    return placed;
}

// WANIPConnection:2 §2.5.18: like AddPortMapping, but the IGD picks another
// external port when the one asked for is taken, and says which.
IgdService::Outcome IgdService::add_any(const Request& request) {
    auto read = read_add(request);
    if (auto* error = std::get_if<UpnpError>(&read)) return *error;
    auto& add = std::get<AddArguments>(read);
    if (auto refused = check_add(add, request.requester)) return refuse(add.entry, *refused, request.now);
    auto& entry = add.entry;
    if (entry.external_port == 0) entry.external_port = entry.internal.port;
    if (auto* held = holder(entry)) return renew(*held, entry, request.now);
    return place(std::move(entry), false, request.now);
}

// The entry that already maps this internal endpoint (the NAT grants one mapping per endpoint).
IgdEntry* IgdService::holder(const IgdEntry& entry) {
    auto it = std::ranges::find_if(entries_, [&](const IgdEntry& e) {
        return e.protocol == entry.protocol && e.internal == entry.internal;
    });
    return it == entries_.end() ? nullptr : &*it;
}

IgdService::Outcome IgdService::renew(IgdEntry& entry, const IgdEntry& asked, TimePoint now) {
    IgdEntry next = asked;
    next.external_port = entry.external_port;
    if (next.enabled) {
        auto answer = grants_.grant(ask_for(next, now, true), now);
        if (!answer.external) return refuse(next, refusal(answer.refusal, true), now);
        settle(next, answer, now);
    } else if (entry.enabled) {
        grants_.release(entry.protocol, entry.internal, now);
    }
    entry = next;
    return Arguments{{"NewReservedPort", std::to_string(entry.external_port)}};
}

IgdService::Outcome IgdService::place(IgdEntry entry, bool exact, TimePoint now) {
    if (!exact && find(entry.protocol, entry.external_port)) entry.external_port = 0;
    if (entry.enabled) {
        auto answer = grants_.grant(ask_for(entry, now, exact), now);
        if (!answer.external) return refuse(entry, refusal(answer.refusal, exact), now);
        entry.external_port = answer.external->port;
        settle(entry, answer, now);
    } else if (entry.external_port == 0) {
        return refuse(entry, UpnpError::NoPortMapsAvailable, now);
    }
    entries_.push_back(entry);
    return Arguments{{"NewReservedPort", std::to_string(entry.external_port)}};
}

// The NAT may grant another lifetime than asked (its policy's bounds): the lease follows the grant.
void IgdService::settle(IgdEntry& entry, const GrantAnswer& answer, TimePoint now) {
    entry.granted_until = now + answer.lifetime;
    if (entry.expires) entry.expires = entry.granted_until;
}

GrantAsk IgdService::ask_for(const IgdEntry& entry, TimePoint now, bool exact) {
    auto lease = entry.expires ? std::chrono::ceil<Seconds>(*entry.expires - now) : Seconds{kMaxLease};
    return {entry.protocol, entry.internal, entry.external_port, exact, std::max(lease, Seconds{1})};
}

UpnpError IgdService::refusal(GrantRefusal why, bool exact) const {
    switch (why) {
        case GrantRefusal::Taken:
            return exact ? taken() : UpnpError::NoPortMapsAvailable;
        case GrantRefusal::NotAuthorized:
            return UpnpError::ActionNotAuthorized;
        case GrantRefusal::NoResources:
            return UpnpError::NoPortMapsAvailable;
    }
    return UpnpError::NoPortMapsAvailable;
}

UpnpError IgdService::refuse(const IgdEntry& entry, UpnpError error, TimePoint now) {
    grants_.refused(ask_for(entry, now, true), code_of(error), to_string(error), now);
    return error;
}

// A port held by the NAT for something else: IGD:2 names the cause (729), IGD:1 has only 718.
UpnpError IgdService::taken() const {
    return identity_.version >= 2 ? UpnpError::ConflictWithOtherMechanisms
                                  : UpnpError::ConflictInMappingEntry;
}

IgdService::Outcome IgdService::remove(const Request& request) {
    auto protocol = protocol_of(request.call.argument("NewProtocol"));
    auto external = number<std::uint16_t>(request.call.argument("NewExternalPort"));
    if (!protocol || !external) return UpnpError::InvalidArgs;
    if (!policy_.allow) return UpnpError::ActionNotAuthorized;
    auto* entry = find(*protocol, *external);
    if (!entry) return UpnpError::NoSuchEntryInArray;
    if (entry->internal.addr != request.requester) return UpnpError::ActionNotAuthorized;
    if (entry->enabled) grants_.release(entry->protocol, entry->internal, request.now);
    std::erase_if(entries_, [&](const IgdEntry& e) { return &e == entry; });
    return Arguments{};
}

IgdService::Outcome IgdService::specific_entry(const Request& request) {
    auto protocol = protocol_of(request.call.argument("NewProtocol"));
    auto external = number<std::uint16_t>(request.call.argument("NewExternalPort"));
    if (!protocol || !external) return UpnpError::InvalidArgs;
    const auto* entry = find(*protocol, *external);
    if (!entry) return UpnpError::NoSuchEntryInArray;
    auto all = describe(*entry, request.now);
    return Arguments(all.begin() + 3, all.end());  // without remote host, external port, protocol
}

IgdService::Outcome IgdService::generic_entry(const Request& request) {
    auto index = number<std::uint32_t>(request.call.argument("NewPortMappingIndex"));
    if (!index) return UpnpError::InvalidArgs;
    if (*index >= entries_.size()) return UpnpError::SpecifiedArrayIndexInvalid;
    return describe(entries_[*index], request.now);
}

IgdEntry* IgdService::find(Protocol protocol, std::uint16_t external_port) {
    auto it = std::ranges::find_if(entries_, [&](const IgdEntry& e) {
        return e.protocol == protocol && e.external_port == external_port;
    });
    return it == entries_.end() ? nullptr : &*it;
}

Arguments IgdService::describe(const IgdEntry& entry, TimePoint now) const {
    return {{"NewRemoteHost", ""},
            {"NewExternalPort", std::to_string(entry.external_port)},
            {"NewProtocol", protocol_name(entry.protocol)},
            {"NewInternalPort", std::to_string(entry.internal.port)},
            {"NewInternalClient", entry.internal.addr.to_string()},
            {"NewEnabled", entry.enabled ? "1" : "0"},
            {"NewPortMappingDescription", entry.description},
            {"NewLeaseDuration", std::to_string(seconds_left(entry, now))}};
}

}  // namespace natlab::portmap
