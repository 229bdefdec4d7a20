// Rendezvous server core.
//
// Theory of operation
//
// Every datagram goes through serve_fast(), then, if it is not a Binding,
// through handle_other(); handle() chains the two. Between them every
// datagram is sorted in one place:
//
//   not STUN / malformed            -> dropped, counted by reason
//   a request over the source's     -> dropped, counted (rate limited); a
//     rate limit                       token bucket per source endpoint
//   Binding request (any dialect)   -> answered (stun_server.cpp: RFC 8489,
//                                      RFC 5780, RFC 3489)
//   Register request                -> registry upsert; success with the
//                                      observed source and the name's secret
//   Connect request                 -> success, then Introduce to both peers
//   List request                    -> one page of the requester's room
//   Relay indication                -> forwarded to the other peer of the
//                                      session, or dropped with a reason
//   anything else                   -> dropped, counted (unexpected)
//
// Register, Connect, List and Relay are nat-lab methods (docs/protocol.md).
//
// Security rules, each enforced here:
// - A name belongs to whoever registered it (registry.h): taking it over
//   from another endpoint needs the secret the server gave the owner, else
//   409, counted as a name conflict.
// - No reflection amplification: a source that is not a live registration
//   gets at most one answer per request, no bigger than a Binding answer
//   (an error or a Register answer). Introductions, List pages and relayed
//   datagrams go only to registered clients, and only in answer to a
//   request from a registered client.
// - Rate limits: every request is charged to its source endpoint's bucket;
//   relayed bytes to the sending client's own bucket.
// - Relay forwards only between the two peers of a live pair session, to
//   the other peer's registered public endpoint, never to an address the
//   datagram names.
//
// A Connect is answered only for a registered requester (recognised by the
// source it comes from) and a registered partner. The first Connect for a
// pair creates a pair session (fresh random token, requester controlling);
// later Connects for the same pair, from either side, reuse it, so a
// retransmission repeats the same introduction, unless the Connect names
// the session's token as the one whose path it lost: then a new session
// (new token, requester controlling) replaces it. Each introduction carries
// the partner's current registry record, so a peer whose NAT mapping moved
// is introduced at its new public endpoint.
//
// Dual stack: sources come in their true family (the shell turns a
// dual-stack socket's ::ffff:a.b.c.d back into IPv4). A client that
// registers over both families has two public endpoints (registry.h); its
// introduction to a partner lists both, the partner's own family first,
// with every local and mapped endpoint of either family, and is sent to
// the recipient's primary public endpoint.
#include "src/server/rendezvous_server.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "src/net/invariant.h"
#include "src/stun/rendezvous_protocol.h"

namespace natlab {
namespace {

std::string endpoints_text(const std::vector<IpEndpoint>& endpoints) {
    std::string text;
    for (const auto& e : endpoints) {
        if (!text.empty()) text += ' ';
        text += e.to_string();
    }
    return text.empty() ? "-" : text;
}

// A record's public endpoints, the one of `first` family (the recipient's
// own) first: a partner that knows one family takes the first
// PEER-PUBLIC-ENDPOINT.
std::vector<IpEndpoint> publics_for(const ClientRecord& record, Family first) {
    auto publics = record.public_endpoints();
    std::stable_partition(publics.begin(), publics.end(),
                          [&](const IpEndpoint& e) { return e.family() == first; });
    return publics;
}

std::string who(const std::string& name, const IpEndpoint& source) {
    return name + " (" + source.to_string() + ")";
}

// Each refusal of stun::view() as the drop it is counted under, and back.
// Both are switches over every enumerator with no default, so one added to
// stun::DecodeError or to DropReason fails the build (-Werror=switch) until
// it is mapped here; the static_assert below checks that the two agree.
constexpr std::optional<DropReason> drop_for(stun::DecodeError error) {
    using E = stun::DecodeError;
    switch (error) {
        case E::none:
            return std::nullopt;
        case E::too_short:
            return DropReason::too_short;
        case E::not_stun:
            return DropReason::not_stun;
        case E::length_not_aligned:
            return DropReason::length_not_aligned;
        case E::length_overruns:
            return DropReason::length_overruns;
        case E::trailing_bytes:
            return DropReason::trailing_bytes;
        case E::bad_cookie:
            return DropReason::bad_cookie;
        case E::attribute_overruns:
            return DropReason::attribute_overruns;
        case E::after_fingerprint:
            return DropReason::after_fingerprint;
        case E::bad_fingerprint:
            return DropReason::bad_fingerprint;
    }
    return std::nullopt;
}

constexpr std::optional<stun::DecodeError> decode_error_of(DropReason reason) {
    using E = stun::DecodeError;
    switch (reason) {
        case DropReason::too_short:
            return E::too_short;
        case DropReason::not_stun:
            return E::not_stun;
        case DropReason::length_not_aligned:
            return E::length_not_aligned;
        case DropReason::length_overruns:
            return E::length_overruns;
        case DropReason::trailing_bytes:
            return E::trailing_bytes;
        case DropReason::bad_cookie:
            return E::bad_cookie;
        case DropReason::attribute_overruns:
            return E::attribute_overruns;
        case DropReason::after_fingerprint:
            return E::after_fingerprint;
        case DropReason::bad_fingerprint:
            return E::bad_fingerprint;
        case DropReason::classic_not_binding:
        case DropReason::unexpected_message:
        case DropReason::rate_limited:
        case DropReason::relay_malformed:
        case DropReason::relay_disabled:
        case DropReason::relay_unregistered:
        case DropReason::relay_no_session:
        case DropReason::relay_not_member:
        case DropReason::relay_partner_gone:
        case DropReason::relay_rate_limited:
        case DropReason::count_:
            return std::nullopt;
    }
    return std::nullopt;
}

constexpr bool drops_match_decode_errors() {
    for (std::size_t i = 0; i < kDropReasons; ++i) {
        auto reason = static_cast<DropReason>(i);
        if (auto error = decode_error_of(reason); error && drop_for(*error) != reason) return false;
    }
    return true;
}
static_assert(drops_match_decode_errors(), "DropReason and stun::DecodeError map one to one");

DropReason reason_for(stun::DecodeError error) {
    auto reason = drop_for(error);
    NATLAB_INVARIANT(reason);  // view() refuses only with a reason
    return *reason;
}

}  // namespace

std::string_view to_string(DropReason reason) {
    switch (reason) {
        case DropReason::too_short:
        case DropReason::not_stun:
        case DropReason::length_not_aligned:
        case DropReason::length_overruns:
        case DropReason::trailing_bytes:
        case DropReason::bad_cookie:
        case DropReason::attribute_overruns:
        case DropReason::after_fingerprint:
        case DropReason::bad_fingerprint:
            return stun::to_string(*decode_error_of(reason));
        case DropReason::classic_not_binding:
            return "RFC 3489 message is not Binding";
        case DropReason::unexpected_message:
            return "unexpected message";
        case DropReason::rate_limited:
            return "rate limited";
        case DropReason::relay_malformed:
            return "relay malformed";
        case DropReason::relay_disabled:
            return "relay disabled";
        case DropReason::relay_unregistered:
            return "relay from unregistered source";
        case DropReason::relay_no_session:
            return "relay without live session";
        case DropReason::relay_not_member:
            return "relay from outside the session";
        case DropReason::relay_partner_gone:
            return "relay partner gone";
        case DropReason::relay_rate_limited:
            return "relay rate limited";
        case DropReason::count_:
            break;
    }
    return "?";
}

bool malformed(DropReason reason) {
    return decode_error_of(reason).has_value();
}

std::string counters_json(const ServerCounters& c, std::size_t registered) {
    nlohmann::ordered_json j;
    j["event"] = "counters";
    j["registered"] = registered;
    j["received"] = c.received;
    j["bindings"] = c.bindings;
    j["registrations"] = c.registrations;
    j["connects"] = c.connects;
    j["introductions"] = c.introductions;
    j["lists"] = c.lists;
    j["relayed"] = c.relayed;
    j["relayed_bytes"] = c.relayed_bytes;
    j["name_conflicts"] = c.name_conflicts;
    j["errors_sent"] = c.errors_sent;
    j["malformed"] = c.malformed;
    j["unexpected"] = c.unexpected;
    j["dropped"] = nlohmann::ordered_json::object();
    for (std::size_t i = 0; i < kDropReasons; ++i)
        if (c.dropped[i]) j["dropped"][std::string(to_string(static_cast<DropReason>(i)))] = c.dropped[i];
    return j.dump();
}

RendezvousServer::RendezvousServer(RandomSource random, ServerConfig config)
    : random_(std::move(random)),
      config_(config),
      registry_(config_.max_clients),
      sessions_(config_.max_sessions),
      requests_(config_.request_rate, config_.request_burst, config_.limiter_capacity),
      relays_(config_.relay_rate, config_.relay_burst, config_.limiter_capacity) {}

// ---- sorting --------------------------------------------------------------

FastResult RendezvousServer::serve_fast(std::span<const std::byte> datagram, const IpEndpoint& source,
                                        const IpEndpoint& local, TimePoint now, std::span<std::byte> reply) {
    ++counters_.received;
    last_drop_.reset();
    auto viewed = stun::view(datagram, {.accept_classic = true});
    if (!viewed.view) return dropped_fast(reason_for(viewed.error));
    const stun::View& v = *viewed.view;
    bool request = v.cls() == stun::Class::request;
    if (request && !requests_.allow(source, now)) return dropped_fast(DropReason::rate_limited);
    if (!request || v.method() != proto::method::binding) return {FastPath::other, {}};
    ++counters_.bindings;
    auto answer = answer_binding(v, source, local, config_.addresses, reply);
    if (answer.error) ++counters_.errors_sent;
    return {FastPath::answered, answer};
}

ServerOutput RendezvousServer::handle(std::span<const std::byte> datagram, const IpEndpoint& source,
                                      const IpEndpoint& local, TimePoint now) {
    std::array<std::byte, kMaxBindingAnswer> buffer;
    FastResult fast = serve_fast(datagram, source, local, now, buffer);
    if (fast.path == FastPath::other) return handle_other(datagram, source, now);
    ServerOutput out;
    if (fast.path == FastPath::dropped) out.dropped = std::string(to_string(*last_drop_));
    if (fast.path == FastPath::answered) {
        auto bytes = std::span(buffer).first(fast.answer.size);
        out.datagrams.push_back(
            {stun::Bytes(bytes.begin(), bytes.end()), fast.answer.destination, fast.answer.origin});
    }
    return out;
}

ServerOutput RendezvousServer::handle_other(std::span<const std::byte> datagram, const IpEndpoint& source,
                                            TimePoint now) {
    ServerOutput out;
    auto decoded = stun::decode(datagram, {.accept_classic = true});
    if (decoded.message) dispatch(*decoded.message, source, now, out);
    return out;
}

ServerOutput RendezvousServer::tick(TimePoint now) {
    ServerOutput out;
    for (const auto& gone : registry_.expire(now))
        out.log.push_back("expired " + who(gone.name, gone.public_endpoint()));
    sessions_.expire(now);
    requests_.prune(now);
    relays_.prune(now);
    return out;
}

void RendezvousServer::dispatch(const stun::Message& m, const IpEndpoint& source, TimePoint now,
                                ServerOutput& out) {
    bool request = m.cls == stun::Class::request;
    if (m.classic()) return drop(out, DropReason::classic_not_binding);
    if (request && m.method == proto::method::register_) return on_register(m, source, now, out);
    if (request && m.method == proto::method::connect) return on_connect(m, source, now, out);
    if (request && m.method == proto::method::list) return on_list(m, source, now, out);
    if (m.cls == stun::Class::indication && m.method == proto::method::relay)
        return on_relay(m, source, now, out);
    drop(out, DropReason::unexpected_message,
         ": " + std::string(proto::method_name(m.method)) + " " + std::string(stun::to_string(m.cls)));
}

// ---- methods --------------------------------------------------------------

void RendezvousServer::on_register(const stun::Message& m, const IpEndpoint& source, TimePoint now,
                                   ServerOutput& out) {
    auto r = proto::parse_register(m);
    if (!r) return reply_error(m, source, proto::error::bad_request, "bad request", out);
    Registration reg{r->name, source, r->local, r->group, r->secret, {}, r->mapped};
    random_(reg.fresh);
    auto outcome = registry_.upsert(reg, now);
    if (outcome == RegisterOutcome::full)
        return reply_error(m, source, proto::error::capacity, "registry full", out);
    if (outcome == RegisterOutcome::taken) {
        ++counters_.name_conflicts;
        return reply_error(m, source, proto::error::name_taken, "name taken", out, " " + r->name);
    }
    ++counters_.registrations;
    const ClientRecord* record = registry_.find(r->name, now);
    reply(proto::build_register_answer({source, record->secret}, m), source, out);
    if (outcome == RegisterOutcome::refreshed) return;
    out.log.push_back(std::string(outcome == RegisterOutcome::added ? "registered" : to_string(outcome)) +
                      " " + r->name + " public " + source.to_string() + " local " + endpoints_text(r->local) +
                      (r->mapped.empty() ? "" : " mapped " + endpoints_text(r->mapped)) +
                      (r->group.empty() ? "" : " group " + r->group));
}

void RendezvousServer::on_connect(const stun::Message& m, const IpEndpoint& source, TimePoint now,
                                  ServerOutput& out) {
    ++counters_.connects;
    auto c = proto::parse_connect(m);
    if (!c) return reply_error(m, source, proto::error::bad_request, "bad request", out);
    const auto* requester = registry_.find_by_endpoint(source, now);
    if (!requester || (!c->name.empty() && c->name != requester->name))
        return reply_error(m, source, proto::error::not_registered, "not registered", out);
    registry_.touch(source, now);
    if (c->peer_name == requester->name)
        return reply_error(m, source, proto::error::bad_request, "cannot connect to self", out);
    const auto* partner = registry_.find(c->peer_name, now);
    if (!partner)
        return reply_error(m, source, proto::error::unknown_peer, "unknown peer", out, " " + c->peer_name);
    const auto* session = session_for(*requester, *partner, c->previous, now, out);
    if (!session) return reply_error(m, source, proto::error::capacity, "too many sessions", out);
    reply(proto::mapped_response(m, source), source, out);
    introduce(*session, *requester, *partner, out);
    introduce(*session, *partner, *requester, out);
}

// One page of the requester's room, itself left out. A page that would be
// 148 bytes long goes without SOFTWARE (see proto::wireguard_lookalike).
void RendezvousServer::on_list(const stun::Message& m, const IpEndpoint& source, TimePoint now,
                               ServerOutput& out) {
    ++counters_.lists;
    auto l = proto::parse_list(m);
    if (!l) return reply_error(m, source, proto::error::bad_request, "bad request", out);
    const auto* requester = registry_.find_by_endpoint(source, now);
    if (!requester) return reply_error(m, source, proto::error::not_registered, "not registered", out);
    registry_.touch(source, now);
    auto page = registry_.list(registry_.room_name(requester->room), l->cursor, requester->name,
                               config_.list_page, config_.list_scan, now);
    stun::Message answer = proto::build_list_answer({std::move(page.names), std::move(page.cursor)}, m);
    if (proto::wireguard_lookalike(proto::to_wire(answer))) answer.attributes.pop_back();  // SOFTWARE
    reply(answer, source, out);
}

void RendezvousServer::on_relay(const stun::Message& m, const IpEndpoint& source, TimePoint now,
                                ServerOutput& out) {
    auto r = proto::parse_relay(m);
    if (!r) return drop(out, DropReason::relay_malformed);
    const ClientRecord* sender = registry_.find_by_endpoint(source, now);
    const ClientRecord* partner = nullptr;
    if (auto refused = relay_refusal(*r, sender, partner, now)) return drop(out, *refused);
    registry_.touch(source, now);
    ++counters_.relayed;
    counters_.relayed_bytes += r->payload.size();
    proto::Relay forward{r->token, sender->name, std::move(r->payload)};
    reply(proto::build(forward, m.transaction), partner->public_endpoint(), out);
}

// The relay rules, in order; nullopt when the datagram may be forwarded
// (and then `partner` is set).
std::optional<DropReason> RendezvousServer::relay_refusal(const proto::Relay& r, const ClientRecord* sender,
                                                          const ClientRecord*& partner, TimePoint now) {
    if (!config_.relay) return DropReason::relay_disabled;
    if (!sender) return DropReason::relay_unregistered;
    const PairSession* session = sessions_.find_by_token(r.token, now);
    if (!session) return DropReason::relay_no_session;
    bool controlling = session->controlling == sender->name;
    if (!controlling && session->controlled != sender->name) return DropReason::relay_not_member;
    partner = registry_.find(controlling ? session->controlled : session->controlling, now);
    if (!partner) return DropReason::relay_partner_gone;
    if (!relays_.allow(sender->name, now, static_cast<double>(r.payload.size())))
        return DropReason::relay_rate_limited;
    return std::nullopt;
}

const PairSession* RendezvousServer::session_for(const ClientRecord& requester, const ClientRecord& partner,
                                                 const std::optional<proto::Token>& previous, TimePoint now,
                                                 ServerOutput& out) {
    auto* existing = sessions_.find(requester.name, partner.name, now);
    if (existing && !(previous && *previous == existing->token)) return existing;
    proto::Token token;
    std::uint64_t tiebreaker = 0;
    random_(token);
    random_(std::as_writable_bytes(std::span{&tiebreaker, 1}));
    auto* created = sessions_.create(requester.name, partner.name, token, tiebreaker, now);
    if (!created) return nullptr;
    ++counters_.introductions;
    out.log.push_back("introduced " + requester.name + "<->" + partner.name + " token " +
                      stun::to_hex(token).substr(0, 8) + "... controlling " + requester.name +
                      (existing ? " (path lost, new session)" : ""));
    return created;
}

void RendezvousServer::introduce(const PairSession& s, const ClientRecord& to, const ClientRecord& other,
                                 ServerOutput& out) {
    proto::Introduction intro;
    intro.peer_name = other.name;
    auto publics = publics_for(other, to.public_endpoint().family());
    intro.peer_public = publics.front();
    intro.peer_other_public.assign(publics.begin() + 1, publics.end());
    intro.peer_local = other.local_endpoints();
    intro.peer_mapped = other.mapped_endpoints();
    intro.token = s.token;
    intro.role = to.name == s.controlling ? proto::Role::controlling : proto::Role::controlled;
    intro.tiebreaker = s.tiebreaker;
    reply(proto::build(intro, new_transaction()), to.public_endpoint(), out);
}

// ---- helpers --------------------------------------------------------------

void RendezvousServer::reply(const stun::Message& m, const IpEndpoint& to, ServerOutput& out) {
    out.datagrams.push_back({proto::to_wire(m), to});
}

void RendezvousServer::reply_error(const stun::Message& request, const IpEndpoint& to, int code,
                                   std::string reason, ServerOutput& out, const std::string& detail) {
    ++counters_.errors_sent;
    out.log.push_back("error " + std::string(proto::method_name(request.method)) + " from " + to.to_string() +
                      ": " + std::to_string(code) + " " + reason + detail);
    reply(proto::error_response(request, {code, std::move(reason)}), to, out);
}

void RendezvousServer::drop(DropReason reason) {
    ++counters_.dropped[static_cast<std::size_t>(reason)];
    bool is_malformed = malformed(reason);
    bool is_unexpected =
        reason == DropReason::classic_not_binding || reason == DropReason::unexpected_message;
    counters_.malformed += is_malformed ? 1 : 0;
    counters_.unexpected += is_unexpected ? 1 : 0;
    last_drop_ = reason;
}

FastResult RendezvousServer::dropped_fast(DropReason reason) {
    drop(reason);
    return {FastPath::dropped, {}};
}

void RendezvousServer::drop(ServerOutput& out, DropReason reason, const std::string& detail) {
    drop(reason);
    out.dropped = std::string(to_string(reason)) + detail;
}

stun::TransactionId RendezvousServer::new_transaction() {
    stun::TransactionId id;
    random_(id);
    return id;
}

}  // namespace natlab
