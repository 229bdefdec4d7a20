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

Candidate fresh(Endpoint remote, CandidateKind kind) {
    Candidate c;
    c.remote = remote;
    c.kind = kind;
    return c;
}

}  // namespace

Candidates::Candidates(Endpoint partner_public, const std::vector<Endpoint>& partner_local,
                       const std::vector<Endpoint>& partner_mapped) {
    update(partner_public, partner_local, partner_mapped);
}

void Candidates::update(Endpoint partner_public, const std::vector<Endpoint>& partner_local,
                        const std::vector<Endpoint>& partner_mapped) {
    public_ = partner_public;
    for (Endpoint e : partner_local)
        if (std::find(local_.begin(), local_.end(), e) == local_.end()) local_.push_back(e);
    for (Endpoint e : partner_mapped)
        if (std::find(mapped_.begin(), mapped_.end(), e) == mapped_.end()) mapped_.push_back(e);
    list(partner_local, CandidateKind::local);
    list(partner_mapped, CandidateKind::mapped);
    if (!find(public_)) {
        list_.push_back(fresh(public_, CandidateKind::public_endpoint));
        ++learned_or_listed_;
    }
}

void Candidates::list(const std::vector<Endpoint>& endpoints, CandidateKind kind) {
    for (Endpoint e : endpoints)
        if (!find(e) && learned_or_listed_ < kMaxCandidates) {
            list_.push_back(fresh(e, kind));
            ++learned_or_listed_;
        }
}

void Candidates::predict(std::size_t count) {
    for (std::size_t i = 1; i <= std::min(count, kMaxPredicted); ++i) {
        if (public_.port + i > 0xffff) break;
        Endpoint e{public_.addr, static_cast<std::uint16_t>(public_.port + i)};
        if (!find(e)) list_.push_back(fresh(e, CandidateKind::predicted));
    }
}

bool Candidates::predicted(Endpoint remote) const {
    const Candidate* c = find(remote);
    return c && c->kind == CandidateKind::predicted;
}

const Candidate* Candidates::find(Endpoint remote) const {
    auto it =
        std::find_if(list_.begin(), list_.end(), [&](const Candidate& c) { return c.remote == remote; });
    return it == list_.end() ? nullptr : &*it;
}

Candidate* Candidates::find_mutable(Endpoint remote) {
    return const_cast<Candidate*>(std::as_const(*this).find(remote));
}

bool Candidates::learn(Endpoint remote, std::size_t socket, CandidateKind kind) {
    if (find(remote) || learned_or_listed_ >= kMaxCandidates) return false;
    list_.push_back(fresh(remote, kind));
    list_.back().socket = socket;
    ++learned_or_listed_;
    return true;
}

void Candidates::arrived_on(Endpoint remote, std::size_t socket) {
    Candidate* c = find_mutable(remote);
    if (c && socket != 0) c->socket = socket;
}

void Candidates::record_success(Endpoint remote, Duration rtt, TimePoint now) {
    Candidate* c = find_mutable(remote);
    if (!c) return;
    c->succeeded = true;
    if (!c->rtt || rtt < *c->rtt) c->rtt = rtt;
    if (!first_success_) first_success_ = now;
}

namespace {

// Strictly better: higher kind priority, then lower rtt.
bool better(const Candidate& a, const Candidate& b) {
    if (priority(a.kind) != priority(b.kind)) return priority(a.kind) > priority(b.kind);
    return a.rtt.value_or(Duration::max()) < b.rtt.value_or(Duration::max());
}

}  // namespace

const Candidate* Candidates::best() const {
    const Candidate* best = nullptr;
    for (const auto& c : list_)
        if (c.succeeded && (!best || better(c, *best))) best = &c;
    return best;
}

CandidateKind Candidates::classify(Endpoint remote) const {
    if (std::find(local_.begin(), local_.end(), remote) != local_.end()) return CandidateKind::local;
    if (std::find(mapped_.begin(), mapped_.end(), remote) != mapped_.end()) return CandidateKind::mapped;
    if (remote == public_) return CandidateKind::public_endpoint;
    return CandidateKind::peer_reflexive;
}

}  // namespace natlab
