// Pair sessions of the rendezvous server. See pair_sessions.h.
//
// Sessions are keyed by the two names in sorted order, so alice->bob and
// bob->alice find the same one. Expiry is lazy in find() and eager in
// expire(), which the server runs on every timer tick.
#include "pair_sessions.h"

namespace natlab {

PairSessions::Key PairSessions::key(const std::string& a, const std::string& b) {
    return a < b ? Key{a, b} : Key{b, a};
}

PairSession* PairSessions::find(const std::string& a, const std::string& b, TimePoint now) {
    auto it = sessions_.find(key(a, b));
    if (it == sessions_.end()) return nullptr;
    if (now - it->second.last_used >= kLifetime) {
        sessions_.erase(it);
        return nullptr;
    }
    it->second.last_used = now;
    return &it->second;
}

PairSession* PairSessions::create(const std::string& requester, const std::string& partner,
                                  const proto::Token& token, std::uint64_t tiebreaker, TimePoint now) {
    if (sessions_.size() >= capacity_) expire(now);
    if (sessions_.size() >= capacity_) return nullptr;
    auto& s = sessions_[key(requester, partner)];
    s = PairSession{requester, partner, token, tiebreaker, now};
    return &s;
}

void PairSessions::expire(TimePoint now) {
    std::erase_if(sessions_, [&](const auto& entry) { return now - entry.second.last_used >= kLifetime; });
}

}  // namespace natlab
