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
// A candidate has succeeded once a probe sent to it was answered from it;
// its rtt is the smallest round trip seen. The best candidate prefers kind
// (local > mapped > public > peer-reflexive > birthday > predicted), then rtt, then list order.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "src/net/clock.h"
#include "src/net/endpoint.h"

namespace natlab {

enum class CandidateKind { local, public_endpoint, peer_reflexive, predicted, mapped, birthday };
std::string_view to_string(CandidateKind kind);
int priority(CandidateKind kind);

struct Candidate {
    Endpoint remote;
    CandidateKind kind = CandidateKind::local;
    bool succeeded = false;
    std::optional<Duration> rtt;  // smallest round trip of an answered probe
    std::size_t socket = 0;       // which of our sockets probes it (peer --birthday); 0: the main one
};

class Candidates {
public:
    static constexpr std::size_t kMaxCandidates = 32;  // not counting predicted ones
    static constexpr std::size_t kMaxPredicted = 64;

    Candidates() = default;
    Candidates(Endpoint partner_public, const std::vector<Endpoint>& partner_local,
               const std::vector<Endpoint>& partner_mapped = {});

    const std::vector<Candidate>& all() const { return list_; }
    const Candidate* find(Endpoint remote) const;

    // Adds `remote` as a peer-reflexive (or `kind`) candidate probed from
    // `socket`, if it is new and there is room; true when it was added.
    bool learn(Endpoint remote, std::size_t socket = 0, CandidateKind kind = CandidateKind::peer_reflexive);
    // A valid probe from `remote` came in on `socket`: a socket other than
    // the main one becomes the one that probes it.
    void arrived_on(Endpoint remote, std::size_t socket);
    // Adds the `count` ports above the partner's public port (kind predicted).
    void predict(std::size_t count);
    // A later introduction of the same partner: adds endpoints it did not
    // have (the partner's NAT mapping moved) and classifies by the new ones.
    void update(Endpoint partner_public, const std::vector<Endpoint>& partner_local,
                const std::vector<Endpoint>& partner_mapped = {});
    void record_success(Endpoint remote, Duration rtt, TimePoint now);

    const Candidate* best() const;  // best succeeded candidate, or nullptr
    std::optional<TimePoint> first_success() const { return first_success_; }

    // What `remote` is to the partner: one of its local endpoints, one of its
    // mapped endpoints, its public endpoint, or none (peer-reflexive), checked
    // in that order.
    CandidateKind classify(Endpoint remote) const;
    // True when `remote` was added by port prediction.
    bool predicted(Endpoint remote) const;

private:
    Candidate* find_mutable(Endpoint remote);
    void list(const std::vector<Endpoint>& endpoints, CandidateKind kind);

    Endpoint public_;
    std::vector<Endpoint> local_;
    std::vector<Endpoint> mapped_;
    std::vector<Candidate> list_;
    std::size_t learned_or_listed_ = 0;  // candidates that are not predicted
    std::optional<TimePoint> first_success_;
};

}  // namespace natlab
