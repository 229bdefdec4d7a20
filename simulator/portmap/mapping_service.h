// What a port mapping protocol handler asks of the NAT: the shared interface
// of simulator/portmap/ (natpmp_server, pcp_server, and the UPnP IGD service).
//
// Theory of operation
// -------------------
// A handler decodes its protocol's request, checks what only it can check
// (version, opcode, nonce, options), and then calls the MappingService with
// one protocol-neutral GrantRequest. The service applies the scenario's
// policy (simulator/portmap/policy.h: which protocols, lifetime bounds, how
// many mappings a host may hold, whether a suggested port is honoured,
// whether the NAT refuses everything) and asks the NAT core for the mapping
// (Nat::grant). The answer is a Granted (external endpoint, lifetime, whether
// it renewed an existing grant) or a Refused (a protocol-neutral Refusal the
// handler turns into its own result code).
//
// Logging: `grant` logs "requested" and then "granted" or "renewed"; a
// refusal is logged by the handler through `refused`, because only the
// handler knows its protocol's result code (PCP NOT_AUTHORIZED, NAT-PMP 2,
// UPnP 606). `remove` logs "deleted"; the NAT core logs "expired" when a
// grant's lifetime runs out.
//
// Lifetime 0 is never passed to `grant`: every protocol spells "delete" as
// lifetime 0 (RFC 6886 §3.4, RFC 6887 §15), and handlers call `remove`.
//
// A grant is keyed by (protocol, inside endpoint): one per inside endpoint
// and protocol, whichever protocol asked. Asking again renews it (and may
// change its lifetime), it never makes a second one.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "simulator/nat/port_mapping.h"
#include "simulator/portmap/policy.h"
#include "simulator/wire/packet.h"
#include "src/net/clock.h"
#include "src/net/endpoint.h"

namespace natlab::portmap {

using nat::Protocol;
using nat::Requester;
using Seconds = std::chrono::seconds;

// Why a request was not granted, in words every protocol can translate.
enum class Refusal : std::uint8_t {
    NotAuthorized,          // policy: the protocol is refused, or this request is (THIRD_PARTY)
    NoResources,            // the host holds as many mappings as it may
    CannotProvideExternal,  // the one port asked for (PREFER_FAILURE, UPnP) is taken, or no port is free
    UnsupportedProtocol,    // neither UDP nor TCP
    Malformed,              // the handler could not read the request
    UnsupportedVersion,     // the handler does not speak that version
    UnsupportedOpcode,      // ... or that opcode
    UnsupportedOption,      // a mandatory option it does not know
    AddressMismatch,        // PCP: the source address is not the one the client says it is
};
inline constexpr Refusal kLastRefusal = Refusal::AddressMismatch;
std::string_view to_string(Refusal r);  // "not-authorized", "no-resources", ...

struct GrantRequest {
    Requester by = Requester::Pcp;
    Protocol protocol = Protocol::Udp;
    Endpoint inside{};                        // the host's endpoint to map
    std::uint16_t suggested_port = 0;         // 0: any
    Seconds lifetime{7200};                   // > 0; clamped by the policy
    bool exact = false;                       // only the suggested port will do (PREFER_FAILURE, UPnP)
    std::vector<nat::GrantFilter> filters{};  // who may send in (PCP FILTER); empty: anyone
};

struct Granted {
    Endpoint external{};
    Seconds lifetime{0};
    bool renewed = false;  // the host already held this grant
};

struct Refused {
    Refusal reason = Refusal::NotAuthorized;
    std::string text{};  // a sentence for the event log and the reply, if the protocol carries one
};

using GrantResult = std::variant<Granted, Refused>;

class MappingService {
public:
    virtual ~MappingService() = default;

    virtual GrantResult grant(const GrantRequest& request, TimePoint now) = 0;
    // Deletes the grant of (protocol, inside); false when there was none.
    virtual bool remove(Requester by, Protocol protocol, Endpoint inside, TimePoint now) = 0;
    // The live grant of (protocol, inside), its lifetime being what is left of it.
    virtual std::optional<Granted> lookup(Protocol protocol, Endpoint inside, TimePoint now) const = 0;
    // Deletes every grant of (protocol, inside host), whichever protocol
    // asked (NAT-PMP's "delete all", RFC 6886 §3.4); how many it deleted.
    virtual std::size_t remove_all(Requester, Protocol, Ipv4 /*inside*/, TimePoint) { return 0; }
    // PCP PEER (RFC 6887 §12.3): the dynamic mapping of `inside` toward
    // `remote`, made or refreshed as outbound traffic would; a service
    // without a NAT behind it has none.
    virtual std::optional<Granted> peer(Protocol, Endpoint /*inside*/, Endpoint /*remote*/, TimePoint) {
        return std::nullopt;
    }
    // Logs a refusal with the protocol's own result code.
    virtual void refused(Requester by, const GrantRequest& request, std::string_view code, const Refused& why,
                         TimePoint now) = 0;

    virtual const Policy& policy() const = 0;
    // The external address a host's mappings get (NAT-PMP opcode 0, PCP's answers).
    virtual Ipv4 external_address(Ipv4 inside) const = 0;
    // Seconds since the mapping state began (start or flush): NAT-PMP's
    // "seconds since start of epoch", PCP's epoch time (RFC 6887 §8.5).
    virtual std::uint32_t epoch_seconds(TimePoint now) const = 0;
};

}  // namespace natlab::portmap
