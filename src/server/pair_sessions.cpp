// Pair sessions of the rendezvous server. See pair_sessions.h.
//
// Sessions are keyed by the two names in sorted order, so alice->bob and
// bob->alice find the same one. Expiry is lazy in find() and eager in
// expire(), which the server runs on every timer tick.
#include "src/server/pair_sessions.h"

namespace natlab {

PairSessions::Key PairSessions::key(const std::string& a, const std::string& b) {
    return a < b ? Key{a, b} : Key{b, a};
}

// The token is random: its first bytes are as good a hash as any.
std::size_t PairSessions::TokenHash::operator()(const proto::Token& t) const noexcept {
    std::size_t h = 0;
    for (std::size_t i = 0; i < sizeof h; ++i) h = (h << 8) | std::to_integer<std::size_t>(t[i]);
    return h;
}

void PairSessions::erase(std::map<Key, PairSession>::iterator it) {
    by_token_.erase(it->second.token);
    sessions_.erase(it);
}

PairSession* PairSessions::find(const std::string& a, const std::string& b, TimePoint now) {
    auto it = sessions_.find(key(a, b));
    if (it == sessions_.end()) return nullptr;
    if (!alive(it->second, now)) {
        erase(it);
        return nullptr;
    }
    it->second.last_used = now;
    return &it->second;
}

PairSession* PairSessions::find_by_token(const proto::Token& token, TimePoint now) {
    auto t = by_token_.find(token);
    if (t == by_token_.end()) return nullptr;
    auto it = sessions_.find(t->second);
    if (!alive(it->second, now)) {
        erase(it);
        return nullptr;
    }
    it->second.last_used = now;
    return &it->second;
}

PairSession* PairSessions::create(const std::string& requester, const std::string& partner,
                                  const proto::Token& token, std::uint64_t tiebreaker, TimePoint now) {
    if (auto old = sessions_.find(key(requester, partner)); old != sessions_.end()) erase(old);
    if (sessions_.size() >= capacity_) expire(now);
    if (sessions_.size() >= capacity_) return nullptr;
    auto k = key(requester, partner);
    auto& s = sessions_[k];
    s = PairSession{requester, partner, token, tiebreaker, now};
    by_token_[token] = k;
    return &s;
}

void PairSessions::expire(TimePoint now) {
    for (auto it = sessions_.begin(); it != sessions_.end();) {
        auto next = std::next(it);
        if (!alive(it->second, now)) erase(it);
        it = next;
    }
}

}  // namespace natlab
