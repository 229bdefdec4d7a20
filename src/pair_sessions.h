// Pair sessions: the server's memory of one introduction.
//
// A session is born when a registered client first asks to connect to a
// registered partner. It fixes the token both peers will put in their
// probes and who is controlling (the first requester). Every Connect for the
// same two names, from either side, finds the session and keeps it alive, so
// a retransmitted Connect repeats the same introduction instead of starting
// a new punch with a new token. It dies 10 s after the last Connect.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <utility>

#include "clock.h"
#include "rendezvous_protocol.h"

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
    // A new session with `requester` controlling; nullptr when at capacity.
    PairSession* create(const std::string& requester, const std::string& partner, const proto::Token& token,
                        std::uint64_t tiebreaker, TimePoint now);
    void expire(TimePoint now);
    std::size_t size() const { return sessions_.size(); }

private:
    using Key = std::pair<std::string, std::string>;
    static Key key(const std::string& a, const std::string& b);

    std::size_t capacity_;
    std::map<Key, PairSession> sessions_;
};

}  // namespace natlab
