// The peer's state machine: register, get introduced, punch, exchange data,
// keep the path alive, fall back to the server's relay.
//
// Driven by two inputs, a datagram (with its source) and a timer tick, each
// with the current time; each returns the datagrams to send and the events
// that happened. peer_main.cpp owns the socket and the clock and prints the
// events; tests drive two sessions and a RendezvousServer in memory.
//
// Phases:
//
//   registering  Register sent to the server every 200 ms until answered.
//                Dual stack (PeerConfig::other_servers): once answered, the
//                same Register with the name's secret goes to the server's
//                endpoint of the other family too (every 200 ms until
//                answered, then on the refresh interval), so the server
//                knows our public endpoint of each family.
//   waiting      Registered (public endpoint and the name's secret known).
//                With a partner to connect to, Connect is sent every 250 ms;
//                without one, the peer waits for someone to connect to it.
//                With --list, it asks for its room's list page by page
//                (List every 250 ms until answered) and is done when the
//                last page came.
//   punching     Introduced: token, partner endpoints, role known. Probes go
//                to every candidate every 50 ms; valid probes from the
//                partner are answered. The controlling side nominates the
//                best answered candidate with USE-CANDIDATE; the controlled
//                side selects the path a USE-CANDIDATE probe arrives on.
//   exchanging   A path: selected ("connected"), or the server's relay when
//                punching gave up ("relaying"). N Data requests are sent and
//                retransmitted every 100 ms until acknowledged; the
//                partner's Data is acknowledged and counted. A direct path
//                is kept alive (keepalive.h).
//   holding      Data done, --hold seconds to go: the path is kept alive
//                and watched, nothing else is sent.
//   lingering    Keep answering the partner for 0.5 s so it can finish too.
//   done         The result is fixed; nothing is sent or accepted.
//
// Transitions:
//   registering -> waiting -> punching -> exchanging -> (holding) -> lingering -> done
//   punching -> exchanging via relay   the punch deadline passed (--punch-timeout
//                                      after the introduction, or --timeout from
//                                      start) and relay is allowed, or the
//                                      partner's Data came relayed
//   exchanging/holding -> punching     the path is lost (keepalives unanswered), or
//                                      the partner started a new session
//                                      (re-punch: Register and Connect at once,
//                                      naming the lost session's token)
//   punching -> exchanging/holding     re-punch succeeded (back where it was);
//                                      the time from path-lost to connected
//                                      again is the recovery's repunch time
//   any -> done                        --timeout with no path and no relay, the data
//                                      budget spent, or stop()
// Port mapping (--port-mapping, port_mapping_client.h): while registering,
// the peer first asks its gateway for a mapping of its socket's port; it
// registers once the client has settled, naming the mapped endpoint (the
// partner's candidate of kind "mapped"). Datagrams from the gateway's port
// 5351 go to the client; the mapping is renewed while the session runs and
// deleted when it finishes.
//
// Birthday punch (--birthday N,M, birthday.h): on the introduction the
// peer also starts a BirthdayPlan: openers from its sockets 1..N-1 to the
// partner's public endpoint, then M probes to random ports of the
// partner's address, all paced by the plan. The shell owns the N sockets:
// each outgoing datagram names the socket to leave from (Outgoing::socket)
// and each incoming one the socket it came in on. A probe is answered from
// the socket it arrived on; a candidate is probed from the socket that
// reached it (candidates.h); the selected path keeps its socket for data
// and keepalives. Server messages count only on socket 0. The first answer
// to a guessed port, or the first valid probe on a socket other than 0, is
// the hit; the path it gives is reported as kind "birthday".
//
// Every transition is an event, so the shell prints one JSON line per state
// change. Register refreshes every 10 s (or every keepalive interval, if
// shorter) in every phase but done, so long sessions stay listed.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "src/net/address.h"
#include "src/net/clock.h"
#include "src/net/datagram.h"
#include "src/net/random_source.h"
#include "src/peer/birthday.h"
#include "src/peer/candidates.h"
#include "src/peer/keepalive.h"
#include "src/peer/port_mapping_client.h"
#include "src/stun/rendezvous_protocol.h"

namespace natlab {

struct PeerTimers {
    using ms = std::chrono::milliseconds;
    Duration register_retry = ms(200);
    Duration register_refresh = ms(10'000);
    Duration connect_retry = ms(250);
    Duration probe_interval = ms(50);
    Duration nomination_grace = ms(150);  // at most this long to wait for a better candidate than public
    Duration nomination_floor = ms(4);    // at least this long (clock and scheduling slack)
    Duration ipv6_grace = ms(100);        // an IPv6 path answering this soon after the first IPv4 one wins
    int nomination_rtts = 3;              // otherwise this many round trips of the first success
    Duration data_retry = ms(100);
    Duration data_budget = ms(5'000);    // after the path is up, to get own data acknowledged
    Duration receive_grace = ms(2'000);  // after own data is acknowledged, to receive the partner's
    Duration linger = ms(500);
    Duration probe_memory = ms(2'000);    // a probe unanswered this long is forgotten
    Duration keepalive_wait = ms(1'000);  // after a keepalive, before it counts as missed
    int keepalive_misses = 3;             // unanswered keepalives in a row: the path is lost
    std::size_t data_window = 32;         // Data requests in flight at once
    std::size_t max_received = 1 << 20;   // distinct partner sequence numbers remembered
};

struct PeerConfig {
    std::string name;
    std::optional<std::string> partner;  // --connect
    std::string group;                   // --group
    IpEndpoint server;
    // The server's endpoints of the other family (--server naming a host
    // with A and AAAA records, or given twice): once registered at
    // `server`, the peer registers there too, with its secret, so the
    // server knows its public endpoint of each family.
    std::vector<IpEndpoint> other_servers;
    std::vector<IpEndpoint> local_endpoints;
    std::uint32_t messages = 10;
    std::size_t message_size = 0;                 // DATA bytes per message (--size); 0: a short text
    std::uint64_t bytes = 0;                      // --bytes: the last message is cut so the total is this
    Duration timeout = std::chrono::seconds(10);  // --timeout: to have a path (or relay) at all
    Duration punch_timeout = std::chrono::seconds(5);     // --punch-timeout: introduction to relay
    bool relay = true;                                    // --no-relay clears it
    Duration keepalive = std::chrono::seconds(10);        // --keepalive
    Duration hold = Duration::zero();                     // --hold
    std::size_t predict_ports = 0;                        // --predict-ports
    bool list = false;                                    // --list: list the room, then stop
    PortMappingMode port_mapping = PortMappingMode::off;  // --port-mapping
    Ipv4 gateway;                                         // where to ask (--gateway, else the default route)
    std::optional<BirthdayConfig> birthday;  // --birthday N,M (--birthday-ports, --birthday-rate)
    PeerTimers timers;
    PortMappingTimers port_mapping_timers;
};

enum class PeerPhase { registering, waiting, punching, exchanging, holding, lingering, done };
std::string_view to_string(PeerPhase phase);

enum class PeerEvent {
    registered,
    listed,
    introduced,
    connected,
    relaying,
    holding,
    path_lost,
    lingering,
    finished
};
std::string_view to_string(PeerEvent event);

// Round trips measured on the path (probe answers once connected, and
// acknowledgements of Data sent once). Kept as a bounded sample so the
// median is exact for up to kMax samples; min/max/mean cover all of them.
struct RttStats {
    static constexpr std::size_t kMax = 4096;
    std::uint64_t count = 0;
    Duration min = Duration::max();
    Duration max = Duration::zero();
    Duration total = Duration::zero();
    std::vector<Duration> sample;

    void add(Duration rtt);
    std::optional<Duration> mean() const;
    std::optional<Duration> median() const;
};

struct PeerOutput {
    std::vector<Outgoing> datagrams;
    std::vector<PeerEvent> events;
    std::string dropped;  // non-empty: the datagram was ignored, and why
};

// What the birthday punch did (--birthday): its size, the probes that went
// out, and how long after the introduction the first hit came.
struct BirthdayReport {
    std::size_t sockets = 0;
    std::size_t probes = 0;
    std::size_t sent = 0;
    std::optional<Duration> hit_after;
};

struct PeerResult {
    bool connected = false;  // a direct path was established (at some point)
    bool relayed = false;    // data went through the server's relay
    std::string reason;      // why there is no direct path; empty when connected
    CandidateKind path = CandidateKind::local;
    bool predicted = false;  // the path's remote endpoint came from port prediction
    std::optional<IpEndpoint> remote;
    std::optional<Family> family;  // the path's (the remote's) family
    std::optional<IpEndpoint> public_endpoint;
    std::vector<IpEndpoint> other_public;             // public endpoints the other servers saw
    std::optional<Duration> rtt;                      // smallest round trip on the path
    std::optional<Duration> time_to_connect;          // process start -> first connected
    std::optional<Duration> introduction_to_connect;  // first introduction -> first connected
    RttStats rtt_stats;                               // every round trip measured on the path
    std::uint32_t sent = 0;
    std::uint32_t acked = 0;
    std::uint32_t received = 0;
    std::uint64_t bytes_sent = 0;  // DATA bytes of the messages sent (each counted once)
    std::uint64_t bytes_acked = 0;
    std::uint64_t bytes_received = 0;   // DATA bytes of distinct partner messages
    std::uint32_t transmissions = 0;    // Data requests sent, retransmissions included
    std::uint32_t retransmissions = 0;  // each one a request or its acknowledgement lost (or late)
    std::uint32_t keepalives = 0;
    std::uint32_t paths_lost = 0;
    std::uint32_t repunched = 0;
    std::optional<BirthdayReport> birthday;  // with --birthday
    std::vector<Duration> repunch_times;     // per recovery: path lost -> connected again
};

class PeerSession {
public:
    PeerSession(PeerConfig config, RandomSource random, TimePoint start);

    // `socket`: which of the peer's sockets it came in on (0: the main one).
    PeerOutput on_datagram(std::span<const std::byte> datagram, IpEndpoint source, TimePoint now,
                           std::size_t socket = 0);
    // How many sockets the shell must hold: 1, or N with --birthday.
    std::size_t sockets() const { return config_.birthday ? config_.birthday->sockets : 1; }
    PeerOutput on_tick(TimePoint now);
    // When on_tick is next due: at once-ish (kBusyTick) while punching,
    // exchanging, holding or lingering, or while a port mapping is asked
    // for; before that, the first of the register, connect or list retry
    // and the --timeout, but at most kIdleTick away. A thousand waiting
    // peers then wake a few times a second each, not 200 times.
    TimePoint next_tick(TimePoint now) const;
    static constexpr Duration kBusyTick = std::chrono::milliseconds(5);
    static constexpr Duration kIdleTick = std::chrono::milliseconds(250);
    // Ends the session at once (e.g. on a signal), with `reason` if not connected.
    PeerOutput stop(TimePoint now, std::string reason);
    // Re-gathering: the shell's fresh view of its interfaces (a host moved
    // to another network keeps its socket but not its addresses). The next
    // Register names them; the shell calls it when the path is lost.
    void set_local_endpoints(std::vector<IpEndpoint> local) { config_.local_endpoints = std::move(local); }

    PeerPhase phase() const { return phase_; }
    bool finished() const { return phase_ == PeerPhase::done; }
    bool relaying() const { return relaying_; }
    const PeerConfig& config() const { return config_; }
    const std::optional<IpEndpoint>& public_endpoint() const { return public_; }
    const std::optional<proto::Introduction>& introduction() const { return intro_; }
    const Candidates& candidates() const { return candidates_; }
    const std::string& last_loss() const { return loss_reason_; }
    // The room's names, with --list; complete once the `listed` event came.
    const std::vector<std::string>& listed() const { return listed_; }
    bool list_complete() const { return list_complete_; }
    PeerResult result() const;
    std::uint64_t dropped() const { return dropped_; }
    const PortMappingClient* port_mapping() const { return port_mapper_ ? &*port_mapper_ : nullptr; }
    // The UPnP step of --port-mapping, which the shell carries out
    // (port_mapping_client.h): true once, when it is to start; then the
    // shell reports what came of it: false when the step had given up
    // waiting (the shell then deletes a mapping it got after all).
    bool take_upnp_request() { return port_mapper_ && port_mapper_->take_upnp_request(); }
    bool on_upnp_answer(std::optional<Endpoint> external, std::uint32_t lease, std::string answer,
                        TimePoint now) {
        return port_mapper_ && port_mapper_->on_upnp_answer(external, lease, std::move(answer), now);
    }

private:
    struct PendingProbe {
        IpEndpoint to;
        TimePoint sent;
        bool use_candidate = false;
        std::size_t socket = 0;
        bool spray = false;  // a birthday guess
    };
    struct OutgoingData {
        stun::TransactionId transaction{};
        std::size_t size = 0;  // DATA bytes
        TimePoint last_sent;
        bool sent = false;
        bool acked = false;
        bool retransmitted = false;
    };
    // Where a partner's message came from: straight from an endpoint, or
    // wrapped in a Relay from the server.
    struct From {
        IpEndpoint endpoint;
        bool relayed = false;
        std::size_t socket = 0;
    };

    // A Register to one of config_.other_servers, and what it learnt.
    struct SideRegistration {
        IpEndpoint server;
        std::optional<stun::TransactionId> txn;
        std::optional<IpEndpoint> observed;
        TimePoint next{};
    };

    // inputs, by message
    bool is_server(const IpEndpoint& source) const;
    bool on_side_answer(const stun::Message& m, TimePoint now);
    void send_side_registers(TimePoint now, PeerOutput& out);
    void dispatch(const stun::Message& m, From from, TimePoint now, PeerOutput& out);
    void on_register_answer(const stun::Message& m, TimePoint now, PeerOutput& out);
    void on_connect_answer(const stun::Message& m);
    void on_list_answer(const stun::Message& m, TimePoint now, PeerOutput& out);
    void send_list(TimePoint now, PeerOutput& out);
    void on_introduction(const stun::Message& m, TimePoint now, PeerOutput& out);
    void accept_introduction(proto::Introduction intro, TimePoint now, PeerOutput& out);
    void on_relay(const stun::Message& m, TimePoint now, PeerOutput& out);
    void on_probe(const stun::Message& m, From from, TimePoint now, PeerOutput& out);
    void on_probe_answer(const stun::Message& m, From from, TimePoint now, PeerOutput& out);
    void on_data(const stun::Message& m, From from, TimePoint now, PeerOutput& out);
    void on_data_ack(const stun::Message& m, From from, TimePoint now, PeerOutput& out);
    bool from_partner(const proto::Token& token, const std::string& name) const;
    void heard_on_path(IpEndpoint source, TimePoint now);
    void heard_partner();

    // timers
    void check_deadlines(TimePoint now, PeerOutput& out);
    void check_punch_deadline(TimePoint now, PeerOutput& out);
    void send_register(TimePoint now, PeerOutput& out);
    void next_server(TimePoint now);
    void send_connect(TimePoint now, PeerOutput& out);
    bool wants_connect() const;
    void send_probes(TimePoint now, PeerOutput& out);
    void send_probe(IpEndpoint to, bool use_candidate, TimePoint now, PeerOutput& out, std::size_t socket = 0,
                    bool spray = false);
    std::size_t socket_for(IpEndpoint remote) const;
    void birthday_tick(TimePoint now, PeerOutput& out);
    void note_birthday_hit(TimePoint now);
    bool birthday_path(IpEndpoint remote) const;
    BirthdayReport birthday_report() const;
    void forget_old_probes(TimePoint now);
    void trigger_probe(IpEndpoint source, TimePoint now, PeerOutput& out);
    void maybe_nominate(TimePoint now, PeerOutput& out);
    bool ipv6_may_still_win(const Candidate& best, TimePoint now) const;
    void select(IpEndpoint remote, std::size_t socket, TimePoint now, PeerOutput& out);
    void start_relay(TimePoint now, PeerOutput& out);
    void keep_alive(TimePoint now, PeerOutput& out);
    void lose_path(TimePoint now, std::string why, PeerOutput& out);
    void pump_data(TimePoint now, PeerOutput& out);
    void send_data(std::size_t index, TimePoint now, PeerOutput& out);
    void check_data_done(TimePoint now, PeerOutput& out);
    void enter(PeerPhase phase, PeerEvent event, PeerOutput& out);
    void begin_linger(TimePoint now, PeerOutput& out);
    void finish(std::string reason, PeerOutput& out);
    std::string failure_reason() const;
    bool data_done() const { return data_done_at_.has_value(); }
    bool has_path() const { return selected_.has_value() || relaying_; }

    void send(const stun::Message& m, IpEndpoint to, PeerOutput& out, std::size_t socket = 0);
    void send_to_partner(const stun::Message& m, From to, PeerOutput& out);
    void drop(PeerOutput& out, std::string reason);
    stun::TransactionId new_transaction();
    void note_rtt(Duration rtt);
    Duration nomination_wait() const;
    stun::Bytes payload(std::size_t index) const;

    void port_mapping_tick(TimePoint now, PeerOutput& out);

    PeerConfig config_;
    RandomSource random_;
    std::optional<PortMappingClient> port_mapper_;
    TimePoint start_;
    PeerPhase phase_ = PeerPhase::registering;
    std::string reason_;
    std::uint64_t dropped_ = 0;

    // registering / waiting
    std::optional<stun::TransactionId> register_txn_;
    static constexpr int kRegisterTriesPerServer = 5;
    int unanswered_registers_ = 0;  // Registers sent to the current server since its last answer
    std::vector<SideRegistration> side_;
    TimePoint next_register_;
    std::optional<IpEndpoint> public_;
    std::optional<proto::Secret> secret_;
    bool name_taken_ = false;
    std::optional<stun::TransactionId> connect_txn_;
    TimePoint next_connect_;
    std::optional<stun::TransactionId> list_txn_;
    std::string list_cursor_;
    std::vector<std::string> listed_;
    bool list_complete_ = false;

    // punching
    std::optional<proto::Introduction> intro_;
    Candidates candidates_;
    bool partner_heard_ = false;
    TimePoint punch_started_;
    TimePoint next_probe_;
    std::map<stun::TransactionId, PendingProbe> probes_;
    std::optional<IpEndpoint> nominated_;
    std::optional<proto::Token> lost_token_;  // the session whose path died, while re-punching
    std::optional<BirthdayPlan> birthday_;
    std::optional<TimePoint> birthday_hit_;

    // exchanging / holding
    std::optional<IpEndpoint> selected_;
    std::size_t selected_socket_ = 0;
    std::optional<IpEndpoint> last_selected_;
    bool relaying_ = false;
    std::optional<TimePoint> connected_at_;
    std::optional<TimePoint> introduced_at_;
    std::optional<TimePoint> relayed_at_;
    RttStats rtt_stats_;
    std::uint32_t transmissions_ = 0;
    std::uint32_t retransmissions_ = 0;
    std::uint64_t bytes_received_ = 0;
    TimePoint exchanging_since_;
    std::optional<Duration> path_rtt_;
    Keepalive keepalive_;
    std::uint32_t keepalives_ = 0;
    std::uint32_t paths_lost_ = 0;
    std::uint32_t repunched_ = 0;
    std::optional<TimePoint> lost_at_;  // the path's loss, until connected again
    std::vector<Duration> repunch_times_;
    std::string loss_reason_;
    std::vector<OutgoingData> out_data_;
    std::size_t window_start_ = 0;  // every Data before it is acknowledged
    std::map<stun::TransactionId, std::size_t> data_by_txn_;
    std::uint32_t acked_ = 0;
    std::set<std::uint32_t> received_;
    std::optional<TimePoint> all_acked_at_;
    std::optional<TimePoint> data_done_at_;
    TimePoint hold_until_;
    TimePoint linger_until_;
};

}  // namespace natlab
