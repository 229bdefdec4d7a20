// Inbound filtering (RFC 4787 §5).
//
// Theory of operation
// -------------------
// A mapping lets traffic in only from remotes it has talked to. Each mapping
// keeps a `SentTo` record: the remote endpoints and remote addresses it has
// sent to, each with the time of the last packet. A permission is live for
// the mapping timeout after that packet, the same lifetime as the mapping
// itself, so a remote that the inside host stopped talking to is shut out
// again even while the mapping is kept alive by traffic to others.
//
// `filter_inbound` decides for a packet arriving from `remote`:
//  - endpoint-independent: always admitted; the mapping alone opens the door.
//  - address-dependent: admitted if the mapping has sent to that address,
//    from any port of it.
//  - address-and-port-dependent: admitted only if the mapping has sent to
//    exactly that address and port.
// A refusal comes back as a DropReason that names the behaviour and the
// remote, e.g. "filtered (address-dependent): no mapping has sent to 198.18.0.3".
//
// SentTo does not grow without bound: `prune` drops dead permissions and the
// NAT calls it from its periodic sweep.
#pragma once

#include <cstdint>
#include <optional>
#include <unordered_map>

#include "behaviour.h"
#include "clock.h"
#include "drop_reason.h"
#include "endpoint.h"

namespace natlab::nat {

class SentTo {
public:
    // Records an outbound packet to `remote`. True when this opened a
    // permission for an endpoint that had none live.
    bool record(Endpoint remote, TimePoint now, Duration lifetime);
    // An admitted inbound packet from `remote` renews its permissions (used
    // only when the NAT refreshes on inbound traffic).
    void renew(Endpoint remote, TimePoint now);
    void prune(TimePoint now, Duration lifetime);

    bool address_live(Ipv4 remote, TimePoint now, Duration lifetime) const;
    bool endpoint_live(Endpoint remote, TimePoint now, Duration lifetime) const;

private:
    std::unordered_map<Endpoint, TimePoint, EndpointHash> endpoints_;
    std::unordered_map<std::uint32_t, TimePoint> addresses_;
};

// Nothing when `remote` may send in through a mapping with `sent_to`; the reason otherwise.
std::optional<DropReason> filter_inbound(FilteringBehaviour behaviour, const SentTo& sent_to, Endpoint remote,
                                         TimePoint now, Duration lifetime);

}  // namespace natlab::nat
