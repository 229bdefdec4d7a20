// The rendezvous server's core: one datagram in, the datagrams to send out.
//
// handle(datagram, source, local, now) decodes one datagram that arrived at
// the local endpoint `local` from `source`, updates the registry and pair
// sessions, and returns the replies with their destinations (and, for RFC
// 5780 answers, the local endpoint each leaves from), the operator log
// lines the event deserves, and, when the datagram was ignored, why.
// serve_fast() is the same entry for the one request a public STUN server
// sees most (Binding), answering into a caller's buffer without allocating;
// anything else it leaves to handle(). tick(now) expires silent clients,
// old sessions and idle rate-limit buckets. No sockets, no clock:
// rendezvous_main.cpp owns both.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "src/net/address.h"
#include "src/net/clock.h"
#include "src/net/datagram.h"
#include "src/net/random_source.h"
#include "src/server/pair_sessions.h"
#include "src/server/rate_limiter.h"
#include "src/server/registry.h"
#include "src/server/stun_server.h"
#include "src/stun/stun_codec.h"

namespace natlab {

struct ServerConfig {
    StunAddresses addresses{{Ipv4{0}, 3478}, std::nullopt};
    std::size_t max_clients = 4096;
    std::size_t max_sessions = 4096;
    double request_rate = 100;  // requests per second per source endpoint; <= 0: no limit
    double request_burst = 200;
    bool relay = true;          // forward Relay between the peers of a session
    double relay_rate = 65536;  // relayed bytes per second per client; <= 0: no limit
    double relay_burst = 131072;
    std::size_t limiter_capacity = 1 << 18;  // rate-limit buckets kept at once
    std::size_t list_page = 16;              // names per List answer
    std::size_t list_scan = 4096;            // registry records one List request may look at
};

// Why a datagram was dropped without an answer. The first group mirrors
// stun::DecodeError (malformed); then well-formed but not for us
// (unexpected); then refused by policy.
enum class DropReason : std::uint8_t {
    too_short,
    not_stun,
    length_not_aligned,
    length_overruns,
    trailing_bytes,
    bad_cookie,
    attribute_overruns,
    after_fingerprint,
    bad_fingerprint,
    classic_not_binding,  // RFC 3489 message other than a Binding request
    unexpected_message,   // a response, an unknown method, a peer-to-peer method
    rate_limited,         // the source's request bucket is empty
    relay_malformed,      // Relay without a 16-byte TOKEN or DATA, or DATA too long
    relay_disabled,       // the server does not relay
    relay_unregistered,   // the sender is not a live registration
    relay_no_session,     // no live pair session has that token
    relay_not_member,     // the sender is not one of the session's two peers
    relay_partner_gone,   // the other peer is no longer registered
    relay_rate_limited,   // the sender's relay bucket is empty
    count_
};
inline constexpr std::size_t kDropReasons = static_cast<std::size_t>(DropReason::count_);
std::string_view to_string(DropReason reason);
bool malformed(DropReason reason);

struct ServerCounters {
    std::uint64_t received = 0;
    std::uint64_t malformed = 0;   // not a well-formed STUN message
    std::uint64_t unexpected = 0;  // well-formed, but not something the server answers
    std::uint64_t bindings = 0;
    std::uint64_t registrations = 0;
    std::uint64_t connects = 0;
    std::uint64_t introductions = 0;   // pair sessions created
    std::uint64_t name_conflicts = 0;  // Register refused: the name belongs to another client
    std::uint64_t lists = 0;
    std::uint64_t relayed = 0;  // datagrams forwarded
    std::uint64_t relayed_bytes = 0;
    std::uint64_t errors_sent = 0;
    std::array<std::uint64_t, kDropReasons> dropped{};
};

// The counters and the registry's size as one JSON object (one line).
std::string counters_json(const ServerCounters& counters, std::size_t registered);

struct ServerOutput {
    std::vector<Outgoing> datagrams;
    std::vector<std::string> log;  // one human-readable line per event
    std::string dropped;           // non-empty: the datagram was ignored, and why
};

enum class FastPath {
    answered,  // a Binding answer is in the buffer
    dropped,   // nothing to send; see last_drop()
    other,     // a well-formed message for handle()
};

struct FastResult {
    FastPath path = FastPath::other;
    BindingAnswer answer;  // when answered
};

class RendezvousServer {
public:
    explicit RendezvousServer(RandomSource random, ServerConfig config = {});

    ServerOutput handle(std::span<const std::byte> datagram, const IpEndpoint& source,
                        const IpEndpoint& local, TimePoint now);
    // Arrived at the primary endpoint.
    ServerOutput handle(std::span<const std::byte> datagram, const IpEndpoint& source, TimePoint now) {
        return handle(datagram, source, config_.addresses.primary, now);
    }
    // The allocation-free first half of handle(); counts the datagram. On
    // `other`, pass the same datagram to handle_other().
    FastResult serve_fast(std::span<const std::byte> datagram, const IpEndpoint& source,
                          const IpEndpoint& local, TimePoint now, std::span<std::byte> reply);
    ServerOutput handle_other(std::span<const std::byte> datagram, const IpEndpoint& source, TimePoint now);
    ServerOutput tick(TimePoint now);

    const ServerCounters& counters() const { return counters_; }
    const Registry& registry() const { return registry_; }
    Registry& registry() { return registry_; }
    const ServerConfig& config() const { return config_; }
    std::optional<DropReason> last_drop() const { return last_drop_; }

private:
    void dispatch(const stun::Message& m, const IpEndpoint& source, TimePoint now, ServerOutput& out);
    void on_register(const stun::Message& m, const IpEndpoint& source, TimePoint now, ServerOutput& out);
    void on_connect(const stun::Message& m, const IpEndpoint& source, TimePoint now, ServerOutput& out);
    void on_list(const stun::Message& m, const IpEndpoint& source, TimePoint now, ServerOutput& out);
    void on_relay(const stun::Message& m, const IpEndpoint& source, TimePoint now, ServerOutput& out);
    std::optional<DropReason> relay_refusal(const proto::Relay& r, const ClientRecord* sender,
                                            const ClientRecord*& partner, TimePoint now);
    const PairSession* session_for(const ClientRecord& requester, const ClientRecord& partner,
                                   const std::optional<proto::Token>& previous, TimePoint now,
                                   ServerOutput& out);
    void introduce(const PairSession& s, const ClientRecord& to, const ClientRecord& other,
                   ServerOutput& out);
    void reply(const stun::Message& m, const IpEndpoint& to, ServerOutput& out);
    void reply_error(const stun::Message& request, const IpEndpoint& to, int code, std::string reason,
                     ServerOutput& out, const std::string& detail = "");
    void drop(DropReason reason);
    FastResult dropped_fast(DropReason reason);
    void drop(ServerOutput& out, DropReason reason, const std::string& detail = "");
    stun::TransactionId new_transaction();

    RandomSource random_;
    ServerConfig config_;
    Registry registry_;
    PairSessions sessions_;
    RateLimiter<IpEndpoint, IpEndpointHash> requests_;
    RateLimiter<std::string> relays_;
    ServerCounters counters_;
    std::optional<DropReason> last_drop_;
};

}  // namespace natlab
