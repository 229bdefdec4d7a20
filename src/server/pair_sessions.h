// Pair sessions: the server's memory of one introduction.
//
// A session is born when a registered client first asks to connect to a
// registered partner. It fixes the token both peers will put in their
// probes and who is controlling (the first requester). Every Connect for the
// same two names, from either side, finds the session and keeps it alive, so
// a retransmitted Connect repeats the same introduction instead of starting
// a new punch with a new token. It dies 10 s after the last Connect or
// relayed datagram. A Connect that names the session's token as the one it
// lost (its path died) replaces the session with a new one: new token, the
// requester controlling.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <unordered_map>
#include <utility>

#include "src/net/clock.h"
#include "src/stun/rendezvous_protocol.h"

namespace natlab {

struct PairSession {
    std::string controlling;
    std::string controlled;
    proto::Token token{};
    std::uint64_t tiebreaker = 0;
    TimePoint last_used;
};

class PairSessions {
public:
    static constexpr Duration kLifetime = std::chrono::seconds(10);

    explicit PairSessions(std::size_t capacity = 4096) : capacity_(capacity) {}

    // The live session of the two names (in either order), marked used now.
    PairSession* find(const std::string& a, const std::string& b, TimePoint now);
    // The live session with this token, marked used now.
    PairSession* find_by_token(const proto::Token& token, TimePoint now);
    // A new session with `requester` controlling, replacing any session of
    // the two names; nullptr when at capacity.
    PairSession* create(const std::string& requester, const std::string& partner, const proto::Token& token,
                        std::uint64_t tiebreaker, TimePoint now);
    void expire(TimePoint now);
    std::size_t size() const { return sessions_.size(); }

private:
    using Key = std::pair<std::string, std::string>;
    static Key key(const std::string& a, const std::string& b);
    struct TokenHash {
        std::size_t operator()(const proto::Token& t) const noexcept;
    };
    bool alive(const PairSession& s, TimePoint now) const { return now - s.last_used < kLifetime; }
    void erase(std::map<Key, PairSession>::iterator it);

    std::size_t capacity_;
    std::map<Key, PairSession> sessions_;
    std::unordered_map<proto::Token, Key, TokenHash> by_token_;
};

}  // namespace natlab
