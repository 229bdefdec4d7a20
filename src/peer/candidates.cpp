// Remote candidate list of a peer. See candidates.h for the lifecycle.
//
// The list is tiny (a few local endpoints, one public, a few learned), so
// every lookup is a linear scan; order is kept as introduced so that ties
// resolve the same way on every run.
#include "src/peer/candidates.h"

#include <algorithm>
#include <utility>

namespace natlab {

std::string_view to_string(CandidateKind kind) {
    switch (kind) {
        case CandidateKind::local:
            return "local";
        case CandidateKind::public_endpoint:
            return "public";
        case CandidateKind::peer_reflexive:
            return "peer-reflexive";
        case CandidateKind::predicted:
            return "predicted";
        case CandidateKind::mapped:
            return "mapped";
        case CandidateKind::birthday:
            return "birthday";
    }
    return "?";
}

int priority(CandidateKind kind) {
    switch (kind) {
        case CandidateKind::local:
            return 6;
        case CandidateKind::mapped:
            return 5;
        case CandidateKind::public_endpoint:
            return 4;
        case CandidateKind::peer_reflexive:
            return 3;
        case CandidateKind::birthday:
            return 2;
        case CandidateKind::predicted:
            return 1;
    }
    return 0;
}

namespace {

Candidate fresh(IpEndpoint remote, CandidateKind kind) {
    Candidate c;
    c.remote = remote;
    c.kind = kind;
    return c;
}

}  // namespace

Candidates::Candidates(IpEndpoint partner_public, const std::vector<IpEndpoint>& partner_local,
                       const std::vector<IpEndpoint>& partner_mapped,
                       const std::vector<IpEndpoint>& partner_other_public) {
    update(partner_public, partner_local, partner_mapped, partner_other_public);
}

void Candidates::update(IpEndpoint partner_public, const std::vector<IpEndpoint>& partner_local,
                        const std::vector<IpEndpoint>& partner_mapped,
                        const std::vector<IpEndpoint>& partner_other_public) {
    public_ = partner_public;
    all_public_ = {partner_public};
    all_public_.insert(all_public_.end(), partner_other_public.begin(), partner_other_public.end());
    for (const IpEndpoint& e : partner_local)
        if (std::find(local_.begin(), local_.end(), e) == local_.end()) local_.push_back(e);
    for (const IpEndpoint& e : partner_mapped)
        if (std::find(mapped_.begin(), mapped_.end(), e) == mapped_.end()) mapped_.push_back(e);
    list(partner_local, CandidateKind::local);
    list(partner_mapped, CandidateKind::mapped);
    for (const IpEndpoint& e : all_public_)
        if (!find(e)) {
            list_.push_back(fresh(e, CandidateKind::public_endpoint));
            ++learned_or_listed_;
        }
}

void Candidates::list(const std::vector<IpEndpoint>& endpoints, CandidateKind kind) {
    for (IpEndpoint e : endpoints)
        if (!find(e) && learned_or_listed_ < kMaxCandidates) {
            list_.push_back(fresh(e, kind));
            ++learned_or_listed_;
        }
}

void Candidates::predict(std::size_t count) {
    for (std::size_t i = 1; i <= std::min(count, kMaxPredicted); ++i) {
        if (public_.port() + i > 0xffff) break;
        IpEndpoint e = public_.with_port(static_cast<std::uint16_t>(public_.port() + i));
        if (!find(e)) list_.push_back(fresh(e, CandidateKind::predicted));
    }
}

bool Candidates::predicted(IpEndpoint remote) const {
    const Candidate* c = find(remote);
    return c && c->kind == CandidateKind::predicted;
}

const Candidate* Candidates::find(IpEndpoint remote) const {
    auto it =
        std::find_if(list_.begin(), list_.end(), [&](const Candidate& c) { return c.remote == remote; });
    return it == list_.end() ? nullptr : &*it;
}

Candidate* Candidates::find_mutable(IpEndpoint remote) {
    return const_cast<Candidate*>(std::as_const(*this).find(remote));
}

bool Candidates::learn(IpEndpoint remote, std::size_t socket, CandidateKind kind) {
    if (find(remote) || learned_or_listed_ >= kMaxCandidates) return false;
    list_.push_back(fresh(remote, kind));
    list_.back().socket = socket;
    ++learned_or_listed_;
    return true;
}

void Candidates::arrived_on(IpEndpoint remote, std::size_t socket) {
    Candidate* c = find_mutable(remote);
    if (c && socket != 0) c->socket = socket;
}

void Candidates::record_success(IpEndpoint remote, Duration rtt, TimePoint now) {
    Candidate* c = find_mutable(remote);
    if (!c) return;
    c->succeeded = true;
    if (!c->rtt || rtt < *c->rtt) c->rtt = rtt;
    if (!c->succeeded_at) c->succeeded_at = now;
    if (!first_success_) first_success_ = now;
}

namespace {

// Strictly better: higher kind priority, then lower rtt.
bool better(const Candidate& a, const Candidate& b) {
    if (priority(a.kind) != priority(b.kind)) return priority(a.kind) > priority(b.kind);
    return a.rtt.value_or(Duration::max()) < b.rtt.value_or(Duration::max());
}

}  // namespace

const Candidate* Candidates::best_of(Family family) const {
    const Candidate* best = nullptr;
    for (const auto& c : list_)
        if (c.succeeded && c.remote.family() == family && (!best || better(c, *best))) best = &c;
    return best;
}

std::optional<TimePoint> Candidates::first_success(Family family) const {
    std::optional<TimePoint> first;
    for (const auto& c : list_)
        if (c.succeeded_at && c.remote.family() == family && (!first || *c.succeeded_at < *first))
            first = c.succeeded_at;
    return first;
}

bool Candidates::has(Family family) const {
    return std::any_of(list_.begin(), list_.end(),
                       [&](const Candidate& c) { return c.remote.family() == family; });
}

// IPv6 when it answered within the grace of the first IPv4 answer.
const Candidate* Candidates::best() const {
    const Candidate* v4 = best_of(Family::ipv4);
    const Candidate* v6 = best_of(Family::ipv6);
    if (!v4 || !v6) return v4 ? v4 : v6;
    return *first_success(Family::ipv6) <= *first_success(Family::ipv4) + ipv6_grace_ ? v6 : v4;
}

CandidateKind Candidates::classify(IpEndpoint remote) const {
    if (std::find(local_.begin(), local_.end(), remote) != local_.end()) return CandidateKind::local;
    if (std::find(mapped_.begin(), mapped_.end(), remote) != mapped_.end()) return CandidateKind::mapped;
    if (std::find(all_public_.begin(), all_public_.end(), remote) != all_public_.end())
        return CandidateKind::public_endpoint;
    return CandidateKind::peer_reflexive;
}

}  // namespace natlab
