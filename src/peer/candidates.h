// The remote candidates one peer probes: where its partner might be reached.
//
// A candidate list is born from an introduction: the partner's local
// endpoints (kind "local") and its public endpoint (kind "public"). An
// endpoint listed as both is one candidate, kind local. A valid probe from
// an endpoint not on the list adds it as kind "peer-reflexive" (RFC 8445
// section 7.3.1.3): the partner's NAT gave it a mapping the server never
// saw, and answering there is what lets restricted meet symmetric.
//
// The partner's mapped endpoints (kind "mapped") are those its NAT granted
// it through a port mapping protocol (PCP, NAT-PMP, UPnP IGD): an
// endpoint-independent, unfiltered mapping, reachable from anyone, so
// it works even where the partner's NAT is symmetric.
//
// With port prediction (peer --predict-ports N), the N ports above the
// partner's public port on its public address are added as kind
// "predicted": a symmetric NAT that allocates ports in sequence gives the
// partner's next mapping (the one towards us) one of those ports.
//
// With the birthday punch (peer --birthday, birthday.h), an answer to a
// probe sent to a random port of the partner's public address adds that
// endpoint as kind "birthday": the port is one of the mappings the
// partner's NAT opened towards us. Each candidate also names the local
// socket that reaches it (0: the peer's main socket); a valid probe that
// arrives on another of our sockets moves the candidate to that socket,
// whose mapping is the one the partner's probes found.
//
// A dual-stack partner has public endpoints of both families (the
// introduction's first one and its others): each is a candidate of kind
// "public". Local, mapped and peer-reflexive candidates may be of either
// family too; every candidate is probed at once, whatever its family.
//
// A candidate has succeeded once a probe sent to it was answered from it;
// its rtt is the smallest round trip seen. The best candidate is chosen in
// two steps. First the family, in the spirit of RFC 8421 (IPv6 preferred,
// IPv4 not starved): IPv6 when an IPv6 candidate succeeded no later than
// the ipv6 grace (100 ms by default) after the first IPv4 one, else IPv4;
// with candidates of one family only, that family. Then, within the
// family, kind (local > mapped > public > peer-reflexive > birthday >
// predicted), then rtt, then list order.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>
#include <vector>

#include "src/net/address.h"
#include "src/net/clock.h"

namespace natlab {

enum class CandidateKind { local, public_endpoint, peer_reflexive, predicted, mapped, birthday };
std::string_view to_string(CandidateKind kind);
int priority(CandidateKind kind);

struct Candidate {
    IpEndpoint remote;
    CandidateKind kind = CandidateKind::local;
    bool succeeded = false;
    std::optional<Duration> rtt;            // smallest round trip of an answered probe
    std::optional<TimePoint> succeeded_at;  // its first answered probe
    std::size_t socket = 0;  // which of our sockets probes it (peer --birthday); 0: the main one
};

class Candidates {
public:
    static constexpr std::size_t kMaxCandidates = 32;  // not counting predicted ones
    static constexpr std::size_t kMaxPredicted = 64;
    static constexpr Duration kIpv6Grace = std::chrono::milliseconds(100);

    Candidates() = default;
    Candidates(IpEndpoint partner_public, const std::vector<IpEndpoint>& partner_local,
               const std::vector<IpEndpoint>& partner_mapped = {},
               const std::vector<IpEndpoint>& partner_other_public = {});
    void set_ipv6_grace(Duration grace) { ipv6_grace_ = grace; }
    Duration ipv6_grace() const { return ipv6_grace_; }

    const std::vector<Candidate>& all() const { return list_; }
    const Candidate* find(IpEndpoint remote) const;

    // Adds `remote` as a peer-reflexive (or `kind`) candidate probed from
    // `socket`, if it is new and there is room; true when it was added.
    bool learn(IpEndpoint remote, std::size_t socket = 0, CandidateKind kind = CandidateKind::peer_reflexive);
    // A valid probe from `remote` came in on `socket`: a socket other than
    // the main one becomes the one that probes it.
    void arrived_on(IpEndpoint remote, std::size_t socket);
    // Adds the `count` ports above the partner's public port (kind predicted).
    void predict(std::size_t count);
    // A later introduction of the same partner: adds endpoints it did not
    // have (the partner's NAT mapping moved) and classifies by the new ones.
    void update(IpEndpoint partner_public, const std::vector<IpEndpoint>& partner_local,
                const std::vector<IpEndpoint>& partner_mapped = {},
                const std::vector<IpEndpoint>& partner_other_public = {});
    void record_success(IpEndpoint remote, Duration rtt, TimePoint now);

    const Candidate* best() const;  // best succeeded candidate, or nullptr
    std::optional<TimePoint> first_success() const { return first_success_; }
    // When the first candidate of `family` succeeded.
    std::optional<TimePoint> first_success(Family family) const;
    // True when some candidate is of `family`.
    bool has(Family family) const;

    // What `remote` is to the partner: one of its local endpoints, one of its
    // mapped endpoints, one of its public endpoints, or none (peer-reflexive),
    // checked in that order.
    CandidateKind classify(IpEndpoint remote) const;
    // True when `remote` was added by port prediction.
    bool predicted(IpEndpoint remote) const;

private:
    Candidate* find_mutable(IpEndpoint remote);
    void list(const std::vector<IpEndpoint>& endpoints, CandidateKind kind);
    const Candidate* best_of(Family family) const;

    IpEndpoint public_;                   // the introduction's first public endpoint
    std::vector<IpEndpoint> all_public_;  // it and the others (a dual-stack partner)
    std::vector<IpEndpoint> local_;
    std::vector<IpEndpoint> mapped_;
    std::vector<Candidate> list_;
    std::size_t learned_or_listed_ = 0;  // candidates that are not predicted
    std::optional<TimePoint> first_success_;
    Duration ipv6_grace_ = kIpv6Grace;
};

}  // namespace natlab
