// The MappingService (mapping_service.h) over one NAT core.
//
// Theory of operation
// -------------------
// `grant` logs the request, then applies the policy in this order, each
// failing check being the refusal:
//   1. the protocol is on and the NAT does not refuse everything: else
//      NotAuthorized;
//   2. UDP or TCP: else UnsupportedProtocol;
//   3. a host that holds no grant for this endpoint yet holds fewer than
//      `per_host`: else NoResources;
//   4. only the suggested port will do, and the NAT does not honour
//      suggestions: CannotProvideExternal;
// then asks the NAT (Nat::grant) for the mapping, with the lifetime clamped
// to the policy's bounds and the suggestion dropped when not honoured. The
// NAT logs granted or renewed; a refusal it makes (no free port, the exact
// port taken) is CannotProvideExternal.
//
// The epoch starts when the service is made and again on `restart_epoch`
// (the NAT's flush): PCP and NAT-PMP clients compare epochs to notice that
// the NAT lost its state (RFC 6887 §8.5, RFC 6886 §3.6).
#pragma once

#include <set>
#include <tuple>

#include "simulator/nat/nat.h"
#include "simulator/portmap/mapping_service.h"

namespace natlab::portmap {

class NatMappingService final : public MappingService {
public:
    NatMappingService(nat::Nat& nat, Policy policy, nat::EventSink sink, TimePoint epoch_start)
        : nat_(nat), policy_(policy), sink_(std::move(sink)), epoch_start_(epoch_start) {}

    GrantResult grant(const GrantRequest& request, TimePoint now) override;
    bool remove(Requester by, Protocol protocol, Endpoint inside, TimePoint now) override;
    std::size_t remove_all(Requester by, Protocol protocol, Ipv4 inside, TimePoint now) override;
    std::optional<Granted> lookup(Protocol protocol, Endpoint inside, TimePoint now) const override;
    std::optional<Granted> peer(Protocol protocol, Endpoint inside, Endpoint remote, TimePoint now) override;
    void refused(Requester by, const GrantRequest& request, std::string_view code, const Refused& why,
                 TimePoint now) override;
    const Policy& policy() const override { return policy_; }
    Ipv4 external_address(Ipv4 inside) const override;
    std::uint32_t epoch_seconds(TimePoint now) const override;

    void restart_epoch(TimePoint now) { epoch_start_ = now; }

private:
    std::optional<Refused> check(const GrantRequest& request, TimePoint now) const;
    void log(nat::PortMapEvent event) const;

    nat::Nat& nat_;
    Policy policy_;
    nat::EventSink sink_;
    TimePoint epoch_start_;
    // Every (protocol, inside endpoint) granted through this service; an
    // entry whose grant has expired goes at the next remove_all of its host.
    std::set<std::tuple<Protocol, std::uint32_t, std::uint16_t>> granted_;
};

}  // namespace natlab::portmap
