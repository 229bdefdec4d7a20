// Inbound filtering (RFC 4787 §5; RFC 5382 REQ-3 for TCP, RFC 5508 for ICMP queries).
//
// Theory of operation
// -------------------
// A mapping lets traffic in only from remotes it has talked to. Each mapping
// keeps a `SentTo` record: the remote endpoints it has sent to, each with the
// time of the last packet. A permission is live for the mapping's timeout
// after that packet, the same lifetime as the mapping itself, so a remote
// that the inside host stopped talking to is shut out again even while the
// mapping is kept alive by traffic to others. An address is permitted while
// any of its endpoints is.
//
// `filter_inbound` decides for a packet arriving from `remote`:
//  - endpoint-independent: always admitted; the mapping alone opens the door.
//  - address-dependent: admitted if the mapping has sent to that address,
//    from any port of it.
//  - address-and-port-dependent: admitted only if the mapping has sent to
//    exactly that address and port.
// A refusal comes back as a DropReason that names the behaviour and the
// remote, e.g. "filtered (address-dependent): no mapping has sent to 198.18.0.3".
// The same rules hold for TCP (an inbound SYN is filtered like anything
// else) and for ICMP echo replies, whose remote "port" is always 0.
//
// Size. Most mappings talk to one remote (under address-and-port-dependent
// mapping, exactly one), so the first permission lives inside the record and
// only the second and later ones go to the heap: a SentTo is 24 bytes and
// allocates nothing until a mapping's second remote. `prune` drops dead
// permissions and frees the heap part once it is empty; the NAT calls it
// from its periodic sweep.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "simulator/nat/behaviour.h"
#include "simulator/wire/drop_reason.h"
#include "src/net/clock.h"
#include "src/net/endpoint.h"

namespace natlab::nat {

class SentTo {
public:
    // Records an outbound packet to `remote`. True when this opened a
    // permission for an endpoint that had none live.
    bool record(Endpoint remote, TimePoint now, Millis lifetime);
    // An admitted inbound packet from `remote` renews its permission, or (when
    // the remote's port is new but its address known) every permission of
    // its address. Used only when inbound traffic refreshes the mapping.
    void renew(Endpoint remote, TimePoint now);
    void prune(TimePoint now, Millis lifetime);

    bool address_live(Ipv4 remote, TimePoint now, Millis lifetime) const;
    bool endpoint_live(Endpoint remote, TimePoint now, Millis lifetime) const;
    std::size_t size() const { return (first_.last == kNone ? 0 : 1) + (more_ ? more_->size() : 0); }

private:
    struct Permission {
        Endpoint remote;
        TimePoint last;
    };
    static constexpr TimePoint kNone = TimePoint::min();

    Permission* find(Endpoint remote);
    template <class F>
    void for_each(F&& f);
    template <class F>
    bool any(F&& f) const;

    Permission first_{{}, kNone};
    std::unique_ptr<std::vector<Permission>> more_;  // the second and later remotes, if any
};

// Nothing when `remote` may send in through a mapping with `sent_to`; the reason otherwise.
std::optional<DropReason> filter_inbound(FilteringBehaviour behaviour, const SentTo& sent_to, Endpoint remote,
                                         TimePoint now, Millis lifetime);

}  // namespace natlab::nat
