// The peer's state machine: register, get introduced, punch, exchange data.
//
// Driven by two inputs, a datagram (with its source) and a timer tick, each
// with the current time; each returns the datagrams to send and the events
// that happened. peer_main.cpp owns the socket and the clock and prints the
// events; tests drive two sessions and a RendezvousServer in memory.
//
// Phases, in the only order they are entered:
//
//   registering  Register sent to the server every 200 ms until answered.
//   waiting      Registered (public endpoint known). With a partner to
//                connect to, Connect is sent every 250 ms; without one, the
//                peer waits for someone to connect to it.
//   punching     Introduced: token, partner endpoints, role known. Probes go
//                to every candidate every 50 ms; valid probes from the
//                partner are answered. The controlling side nominates the
//                best answered candidate with USE-CANDIDATE; the controlled
//                side selects the path a USE-CANDIDATE probe arrives on.
//   exchanging   Path selected ("connected"). N Data requests are sent over
//                it and retransmitted every 100 ms until acknowledged; the
//                partner's Data is acknowledged and counted.
//   lingering    Own data acknowledged and partner's received (or 2 s after
//                own acknowledged, or the data budget ran out): keep
//                answering the partner for 0.5 s so it can finish too.
//   done         The result is fixed; nothing is sent or accepted.
//
// The connect deadline (--timeout, counted from the session's start) ends
// every phase before exchanging in done, with a reason. Register refreshes
// every 10 s in every phase but done, so long sessions stay listed.
// Probes and Data are answered in punching, exchanging and lingering.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "candidates.h"
#include "clock.h"
#include "datagram.h"
#include "endpoint.h"
#include "random_source.h"
#include "rendezvous_protocol.h"

namespace natlab {

struct PeerTimers {
    using ms = std::chrono::milliseconds;
    Duration register_retry = ms(200);
    Duration register_refresh = ms(10'000);
    Duration connect_retry = ms(250);
    Duration probe_interval = ms(50);
    Duration nomination_grace = ms(150);  // wait this long for a better candidate than public
    Duration data_retry = ms(100);
    Duration data_budget = ms(5'000);    // after connecting, to get own data acknowledged
    Duration receive_grace = ms(2'000);  // after own data is acknowledged, to receive the partner's
    Duration linger = ms(500);
    Duration probe_memory = ms(2'000);   // a probe unanswered this long is forgotten
    std::size_t data_window = 32;        // Data requests in flight at once
    std::size_t max_received = 1 << 20;  // distinct partner sequence numbers remembered
};

struct PeerConfig {
    std::string name;
    std::optional<std::string> partner;  // --connect
    Endpoint server;
    std::vector<Endpoint> local_endpoints;
    std::uint32_t messages = 10;
    Duration timeout = std::chrono::seconds(10);
    PeerTimers timers;
};

enum class PeerPhase { registering, waiting, punching, exchanging, lingering, done };
std::string_view to_string(PeerPhase phase);

enum class PeerEvent { registered, introduced, connected, finished };

struct PeerOutput {
    std::vector<Outgoing> datagrams;
    std::vector<PeerEvent> events;
    std::string dropped;  // non-empty: the datagram was ignored, and why
};

struct PeerResult {
    bool connected = false;
    std::string reason;  // why not connected; empty when connected
    CandidateKind path = CandidateKind::local;
    std::optional<Endpoint> remote;
    std::optional<Endpoint> public_endpoint;
    std::optional<Duration> rtt;
    std::optional<Duration> time_to_connect;
    std::uint32_t sent = 0;
    std::uint32_t acked = 0;
    std::uint32_t received = 0;
};

class PeerSession {
public:
    PeerSession(PeerConfig config, RandomSource random, TimePoint start);

    PeerOutput on_datagram(std::span<const std::byte> datagram, Endpoint source, TimePoint now);
    PeerOutput on_tick(TimePoint now);
    // Ends the session at once (e.g. on a signal), with `reason` if not connected.
    PeerOutput stop(TimePoint now, std::string reason);

    PeerPhase phase() const { return phase_; }
    bool finished() const { return phase_ == PeerPhase::done; }
    const PeerConfig& config() const { return config_; }
    const std::optional<Endpoint>& public_endpoint() const { return public_; }
    const std::optional<proto::Introduction>& introduction() const { return intro_; }
    const Candidates& candidates() const { return candidates_; }
    PeerResult result() const;
    std::uint64_t dropped() const { return dropped_; }

private:
    struct PendingProbe {
        Endpoint to;
        TimePoint sent;
        bool use_candidate = false;
    };
    struct OutgoingData {
        stun::TransactionId transaction{};
        TimePoint last_sent;
        bool sent = false;
        bool acked = false;
        bool retransmitted = false;
    };

    // inputs, by message
    void on_register_answer(const stun::Message& m, TimePoint now, PeerOutput& out);
    void on_connect_answer(const stun::Message& m);
    void on_introduction(const stun::Message& m, TimePoint now, PeerOutput& out);
    void on_probe(const stun::Message& m, Endpoint source, TimePoint now, PeerOutput& out);
    void on_probe_answer(const stun::Message& m, Endpoint source, TimePoint now, PeerOutput& out);
    void on_data(const stun::Message& m, Endpoint source, PeerOutput& out);
    void on_data_ack(const stun::Message& m, Endpoint source, TimePoint now, PeerOutput& out);
    void dispatch(const stun::Message& m, Endpoint source, TimePoint now, PeerOutput& out);
    bool from_partner(const proto::Token& token, const std::string& name) const;

    // timers
    void check_deadlines(TimePoint now, PeerOutput& out);
    void send_register(TimePoint now, PeerOutput& out);
    void send_connect(TimePoint now, PeerOutput& out);
    bool wants_connect() const;
    void send_probes(TimePoint now, PeerOutput& out);
    void send_probe(Endpoint to, bool use_candidate, TimePoint now, PeerOutput& out);
    void trigger_probe(Endpoint source, TimePoint now, PeerOutput& out);
    void maybe_nominate(TimePoint now, PeerOutput& out);
    void select(Endpoint remote, TimePoint now, PeerOutput& out);
    void pump_data(TimePoint now, PeerOutput& out);
    void send_data(std::size_t index, TimePoint now, PeerOutput& out);
    void check_data_done(TimePoint now);
    void begin_linger(TimePoint now);
    void finish(std::string reason, PeerOutput& out);
    std::string failure_reason() const;

    void send(const stun::Message& m, Endpoint to, PeerOutput& out);
    void drop(PeerOutput& out, std::string reason);
    stun::TransactionId new_transaction();
    void note_rtt(Duration rtt);

    PeerConfig config_;
    RandomSource random_;
    TimePoint start_;
    PeerPhase phase_ = PeerPhase::registering;
    std::string reason_;
    std::uint64_t dropped_ = 0;

    // registering / waiting
    std::optional<stun::TransactionId> register_txn_;
    TimePoint next_register_;
    std::optional<Endpoint> public_;
    std::optional<stun::TransactionId> connect_txn_;
    TimePoint next_connect_;

    // punching
    std::optional<proto::Introduction> intro_;
    Candidates candidates_;
    bool partner_heard_ = false;
    TimePoint next_probe_;
    std::map<stun::TransactionId, PendingProbe> probes_;
    std::optional<Endpoint> nominated_;

    // exchanging
    std::optional<Endpoint> selected_;
    TimePoint connected_at_;
    std::optional<Duration> path_rtt_;
    std::vector<OutgoingData> out_data_;
    std::size_t window_start_ = 0;  // every Data before it is acknowledged
    std::map<stun::TransactionId, std::size_t> data_by_txn_;
    std::uint32_t acked_ = 0;
    std::set<std::uint32_t> received_;
    std::optional<TimePoint> all_acked_at_;
    TimePoint linger_until_;
};

}  // namespace natlab
