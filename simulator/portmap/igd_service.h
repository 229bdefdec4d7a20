// WANIPConnection's port mapping actions (UPnP Forum WANIPConnection:1 and
// :2), over the NAT core's mappings.
//
// Theory of operation
// -------------------
// `IgdService::control(call, requester, now)` carries out one SOAP action
// (upnp_soap.h) sent from `requester` on the LAN and returns the HTTP answer:
// the out arguments, or a UPnPError fault. The service keeps the UPnP view
// of each port mapping it granted (an entry: protocol, external port,
// internal client, description, lease) in the order they were added, which
// is the order GetGenericPortMappingEntry counts them in. The forwarding
// itself is the NAT core's: each enabled entry holds one grant from a
// MappingGrants (an endpoint-independent mapping, open to every remote, with
// the same lifetime), and losing the entry releases the grant.
//
// Life of an entry:
//  - born by AddPortMapping (the external port asked for, or 718/729 when it
//    is taken) or AddAnyPortMapping (IGD:2 only; another port when it is
//    taken, returned as NewReservedPort);
//  - renewed by AddPortMapping from its own internal client for the same
//    external port: description and lease start over (WANIPConnection:2
//    §2.5.16: a repeated request with the same values is not a conflict);
//  - gone by DeletePortMapping, or when its lease runs out (`expire`, which
//    `control` also calls first, so an expired entry is never answered).
//
// Leases. WANIPConnection:1 (§2.2.18): 0 means a permanent mapping; a NAT
// configured `permanent_only` refuses any other value with 725
// OnlyPermanentLeasesSupported. WANIPConnection:2 (§2.3.12): no permanent
// mappings; 0 and anything over 604800 s become 604800 s (one week).
//
// Who may do what (WANIPConnection:2 §2.6, "security"): a control point
// may map and delete only for itself (NewInternalClient must be the
// address the request came from, else 606 Action not authorized); a policy
// with `allow` off refuses every change with 606. The remote host must be
// the wildcard (empty): a granted mapping is open to every remote, so a
// specific one is refused with 726 RemoteHostOnlySupportsWildcard.
// An external port of 0 is refused with 716 WildCardNotPermittedInExtPort.
// Unknown actions get 401 Invalid Action; missing or unreadable arguments
// 402 Invalid Args. The read-only actions (GetExternalIPAddress,
// GetStatusInfo, GetConnectionTypeInfo, the mapping entries, and
// WANCommonInterfaceConfig's GetCommonLinkProperties) are always allowed.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "simulator/portmap/upnp_device.h"
#include "simulator/portmap/upnp_soap.h"
#include "simulator/wire/packet.h"
#include "src/net/clock.h"

namespace natlab::portmap {

using nat::Protocol;

// What the IGD needs from the NAT core: mappings granted on request, one per
// (protocol, internal endpoint), each for a lifetime the NAT may shorten or
// lengthen (its policy's bounds). The NAT side (the shared MappingService
// of the port mapping protocols) is adapted to this by the emulator.
using Seconds = std::chrono::seconds;

struct GrantAsk {
    Protocol protocol = Protocol::Udp;
    Endpoint internal;
    std::uint16_t external_port = 0;  // the port asked for
    bool exact = true;                // false: another port will do when that one is taken
    Seconds lifetime{0};              // > 0
};

enum class GrantRefusal : std::uint8_t { Taken, NotAuthorized, NoResources };

struct GrantAnswer {
    std::optional<Endpoint> external;  // nullopt: refused
    Seconds lifetime{0};               // what the NAT granted
    GrantRefusal refusal = GrantRefusal::Taken;
};

class MappingGrants {
public:
    virtual ~MappingGrants() = default;
    virtual Ipv4 external_address(Ipv4 inside) const = 0;
    // Asking again for the same internal endpoint renews its grant.
    virtual GrantAnswer grant(const GrantAsk& ask, TimePoint now) = 0;
    virtual void release(Protocol protocol, Endpoint internal, TimePoint now) = 0;
    // Tells the event log why a request was refused, with its UPnP error code.
    virtual void refused(const GrantAsk& ask, int code, std::string_view why, TimePoint now) = 0;
};

enum class UpnpError : std::uint8_t {
    InvalidAction,                   // 401
    InvalidArgs,                     // 402
    ActionNotAuthorized,             // 606
    SpecifiedArrayIndexInvalid,      // 713
    NoSuchEntryInArray,              // 714
    WildCardNotPermittedInExtPort,   // 716
    ConflictInMappingEntry,          // 718
    OnlyPermanentLeasesSupported,    // 725
    RemoteHostOnlySupportsWildcard,  // 726
    NoPortMapsAvailable,             // 728
    ConflictWithOtherMechanisms,     // 729
};
std::string_view to_string(UpnpError e);  // "ConflictInMappingEntry", ...
int code_of(UpnpError e);                 // 718, ...

struct IgdPolicy {
    bool allow = true;            // false: every change is refused (606)
    bool permanent_only = false;  // IGD:1 only: leases other than 0 are refused (725)
    auto operator<=>(const IgdPolicy&) const = default;
};

inline constexpr Seconds kMaxLease{604800};
// A permanent entry's grant is renewed this long before it would end.
inline constexpr Seconds kRegrantAhead{60};

struct IgdEntry {
    Protocol protocol = Protocol::Udp;
    std::uint16_t external_port = 0;
    Endpoint internal;
    std::string description;
    bool enabled = true;
    std::optional<TimePoint> expires;  // the lease's end; nullopt: permanent
    TimePoint granted_until;           // the NAT's grant's end (renewed before it, when permanent)
};

class IgdService {
public:
    IgdService(DeviceIdentity identity, IgdPolicy policy, MappingGrants& grants, TimePoint started);

    HttpResponse control(const SoapCall& call, Ipv4 requester, TimePoint now);
    // Drops the entries whose lease has run out, releasing their grants.
    void expire(TimePoint now);
    const std::vector<IgdEntry>& entries() const { return entries_; }

private:
    struct Request {
        const SoapCall& call;
        Ipv4 requester;
        TimePoint now;
    };
    using Outcome = std::variant<Arguments, UpnpError>;
    using Action = Outcome (IgdService::*)(const Request&);
    struct Route {
        std::string_view name;
        Action action;
        int since_version;
    };
    static const std::vector<Route>& routes();

    Outcome external_ip(const Request& request);
    Outcome status_info(const Request& request);
    Outcome connection_type(const Request& request);
    Outcome link_properties(const Request& request);
    Outcome add(const Request& request);
    Outcome add_any(const Request& request);
    Outcome remove(const Request& request);
    Outcome specific_entry(const Request& request);
    Outcome generic_entry(const Request& request);

    struct AddArguments;
    std::variant<AddArguments, UpnpError> read_add(const Request& request) const;
    std::optional<UpnpError> check_add(const AddArguments& add, Ipv4 requester) const;
    std::optional<UpnpError> check_lease(std::uint32_t seconds) const;
    std::optional<TimePoint> lease_end(std::uint32_t seconds, TimePoint now) const;
    IgdEntry* holder(const IgdEntry& entry);
    Outcome renew(IgdEntry& entry, const IgdEntry& asked, TimePoint now);
    Outcome place(IgdEntry entry, bool exact, TimePoint now);
    void regrant(IgdEntry& entry, TimePoint now);
    static GrantAsk ask_for(const IgdEntry& entry, TimePoint now, bool exact);
    static void settle(IgdEntry& entry, const GrantAnswer& answer, TimePoint now);
    UpnpError refusal(GrantRefusal why, bool exact) const;
    UpnpError refuse(const IgdEntry& entry, UpnpError error, TimePoint now);
    UpnpError taken() const;
    IgdEntry* find(Protocol protocol, std::uint16_t external_port);
    Arguments describe(const IgdEntry& entry, TimePoint now) const;

    DeviceIdentity identity_;
    IgdPolicy policy_;
    MappingGrants& grants_;
    TimePoint started_;
    std::vector<IgdEntry> entries_;
};

}  // namespace natlab::portmap
