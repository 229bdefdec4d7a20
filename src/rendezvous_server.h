// The rendezvous server's core: one datagram in, the datagrams to send out.
//
// handle(datagram, source, now) decodes one datagram, updates the registry
// and pair sessions, and returns the replies with their destinations, the
// operator log lines the event deserves, and, when the datagram was ignored,
// why. tick(now) expires silent clients and old sessions. No sockets, no
// clock: rendezvous_main.cpp owns both.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "clock.h"
#include "datagram.h"
#include "endpoint.h"
#include "pair_sessions.h"
#include "random_source.h"
#include "registry.h"
#include "stun_codec.h"

namespace natlab {

struct ServerCounters {
    std::uint64_t received = 0;
    std::uint64_t malformed = 0;   // not a well-formed STUN message
    std::uint64_t unexpected = 0;  // well-formed, but not something the server answers
    std::uint64_t bindings = 0;
    std::uint64_t registrations = 0;
    std::uint64_t connects = 0;
    std::uint64_t introductions = 0;  // pair sessions created
    std::uint64_t errors_sent = 0;
};

struct ServerOutput {
    std::vector<Outgoing> datagrams;
    std::vector<std::string> log;  // one human-readable line per event
    std::string dropped;           // non-empty: the datagram was ignored, and why
};

class RendezvousServer {
public:
    explicit RendezvousServer(RandomSource random) : random_(std::move(random)) {}

    ServerOutput handle(std::span<const std::byte> datagram, Endpoint source, TimePoint now);
    ServerOutput tick(TimePoint now);

    const ServerCounters& counters() const { return counters_; }
    const Registry& registry() const { return registry_; }

private:
    void dispatch(const stun::Message& m, Endpoint source, TimePoint now, ServerOutput& out);
    void on_binding(const stun::Message& m, Endpoint source, ServerOutput& out);
    void on_register(const stun::Message& m, Endpoint source, TimePoint now, ServerOutput& out);
    void on_connect(const stun::Message& m, Endpoint source, TimePoint now, ServerOutput& out);
    const PairSession* session_for(const ClientRecord& requester, const ClientRecord& partner, TimePoint now,
                                   ServerOutput& out);
    void introduce(const PairSession& s, const ClientRecord& to, const ClientRecord& other,
                   ServerOutput& out);
    void reply(const stun::Message& m, Endpoint to, ServerOutput& out);
    void reply_error(const stun::Message& request, Endpoint to, int code, std::string reason,
                     ServerOutput& out, const std::string& detail = "");
    void drop(ServerOutput& out, std::uint64_t& counter, std::string reason);
    stun::TransactionId new_transaction();

    RandomSource random_;
    Registry registry_;
    PairSessions sessions_;
    ServerCounters counters_;
};

}  // namespace natlab
