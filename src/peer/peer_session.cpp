// Peer state machine. The phases and their rules are in peer_session.h.
//
// Theory of operation
//
// Transactions. Register and Connect are ordinary STUN transactions: one
// transaction id is kept while a request is retransmitted and forgotten once
// it is answered. Each probe is its own transaction (RFC 8445 calls them
// connectivity checks): the id maps back to the candidate it was sent to
// and the time it left, which gives the round trip. An answer counts only
// if it comes from the endpoint the probe went to (RFC 8445 section
// 7.2.5.2.1: non-symmetric answers fail the check). Data requests keep their
// id across retransmissions, so any copy's acknowledgement settles them.
//
// Trust. Messages from the server are accepted only from the configured
// server endpoint. Messages from the partner are accepted only if they carry
// the session token and the partner's name: a probe carrying our own name
// (our own probe looping back through a hairpin) or a stale token is dropped.
// A Relay from the server must carry the session token and the partner's
// name, and may only wrap a Data request or acknowledgement.
//
// Nomination (RFC 8445 section 8.1, simplified to one pair). The controlling
// peer waits for a first answered candidate. A local one is nominated at
// once; otherwise it waits nomination_grace for a better one, then nominates
// the best, sending USE-CANDIDATE probes to it alone until one is answered.
// The controlled peer selects the source of the first valid USE-CANDIDATE
// probe. Either side classifies its path by what the remote endpoint is to
// the partner: local, public, or neither (peer-reflexive).
//
// Introductions. The first one for the partner starts the punch. A later
// one with the same token is a repetition (its endpoints are merged: the
// partner's mapping may have moved). One with a new token means the server
// started a new session for the pair (the partner lost the path and asked
// again): a connected peer treats that as losing its path too, and both
// punch again with the new token.
//
// Relay. When the punch deadline passes without a path, data goes through
// the server instead: each Data request or acknowledgement is wrapped whole
// in a Relay indication to the server, which forwards it to the partner.
// A peer that receives relayed Data while still punching switches to the
// relay at once, so the two sides never wait for each other's deadline.
//
// Keepalive. Once a direct path is selected, a probe goes over it every
// keepalive interval; unanswered probes mean the path is lost (keepalive.h),
// and the peer registers again (its own mapping may have changed) and asks
// the server for a new session, naming the lost token.
//
// Sockets (--birthday). Every datagram in names the socket it arrived on,
// every datagram out the socket to leave from. The rule is "answer where
// it came in, probe from where the partner was heard": a NAT with
// endpoint-dependent mapping only passes the partner's traffic through the
// one mapping the partner found, so the path is that (socket, remote) pair.
#include "src/peer/peer_session.h"

#include <algorithm>
#include <utility>

namespace natlab {
namespace {

bool same_id(const stun::TransactionId& a, const std::optional<stun::TransactionId>& b) {
    return b && a == *b;
}

// The text "NAME #SEQ", cut or padded with '.' to `size` bytes (0: as is).
stun::Bytes payload_for(const std::string& name, std::uint32_t sequence, std::size_t size) {
    std::string text = name + " #" + std::to_string(sequence);
    if (size > 0) text.resize(size, '.');
    return stun::to_bytes(text);
}

// DATA bytes of each message: --size each, the last one cut so the total
// is --bytes; with neither, the short text.
std::vector<std::size_t> message_sizes(const PeerConfig& c) {
    std::vector<std::size_t> sizes(c.messages, c.message_size);
    if (c.bytes > 0 && !sizes.empty())
        sizes.back() = static_cast<std::size_t>(c.bytes - (sizes.size() - 1) * c.message_size);
    return sizes;
}

}  // namespace

std::string_view to_string(PeerPhase phase) {
    switch (phase) {
        case PeerPhase::registering:
            return "registering";
        case PeerPhase::waiting:
            return "waiting";
        case PeerPhase::punching:
            return "punching";
        case PeerPhase::exchanging:
            return "exchanging";
        case PeerPhase::holding:
            return "holding";
        case PeerPhase::lingering:
            return "lingering";
        case PeerPhase::done:
            return "done";
    }
    return "?";
}

std::string_view to_string(PeerEvent event) {
    switch (event) {
        case PeerEvent::registered:
            return "registered";
        case PeerEvent::listed:
            return "listed";
        case PeerEvent::introduced:
            return "introduced";
        case PeerEvent::connected:
            return "connected";
        case PeerEvent::relaying:
            return "relaying";
        case PeerEvent::holding:
            return "holding";
        case PeerEvent::path_lost:
            return "path-lost";
        case PeerEvent::lingering:
            return "lingering";
        case PeerEvent::finished:
            return "result";
    }
    return "?";
}

PeerSession::PeerSession(PeerConfig config, RandomSource random, TimePoint start)
    : config_(std::move(config)),
      random_(std::move(random)),
      start_(start),
      next_register_(start),
      next_connect_(start),
      keepalive_(config_.keepalive, std::min(config_.timers.keepalive_wait, config_.keepalive),
                 config_.timers.keepalive_misses),
      out_data_(config_.messages) {
    auto local4 = std::find_if(config_.local_endpoints.begin(), config_.local_endpoints.end(),
                               [](const IpEndpoint& e) { return e.v4() != nullptr; });
    if (config_.port_mapping != PortMappingMode::off && local4 != config_.local_endpoints.end()) {
        pcp::Nonce nonce{};
        random_(std::as_writable_bytes(std::span{nonce}));
        port_mapper_.emplace(config_.port_mapping, Endpoint{config_.gateway, 0}, *local4->v4(), nonce, 7200,
                             config_.port_mapping_timers);
    }
    for (const auto& server : config_.other_servers)
        side_.push_back({server, std::nullopt, std::nullopt, start});
    auto sizes = message_sizes(config_);
    for (std::size_t i = 0; i < out_data_.size(); ++i)
        out_data_[i].size =
            sizes[i] > 0 ? sizes[i] : payload_for(config_.name, static_cast<std::uint32_t>(i + 1), 0).size();
}

// ---- inputs ---------------------------------------------------------------

PeerOutput PeerSession::on_datagram(std::span<const std::byte> datagram, IpEndpoint source, TimePoint now,
                                    std::size_t socket) {
    PeerOutput out;
    if (finished()) {
        drop(out, "session finished");
        return out;
    }
    if (port_mapper_ && socket == 0 && source == port_mapper_->server()) {
        port_mapper_->on_datagram(datagram, now);
        return out;
    }
    auto decoded = stun::decode(datagram);
    if (!decoded.message) {
        drop(out, std::string(stun::to_string(decoded.error)));
        return out;
    }
    dispatch(*decoded.message, {source, false, socket}, now, out);
    return out;
}

void PeerSession::dispatch(const stun::Message& m, From from, TimePoint now, PeerOutput& out) {
    IpEndpoint source = from.endpoint;
    bool server = is_server(source) && from.socket == 0;
    bool request = m.cls == stun::Class::request;
    bool answer = m.cls == stun::Class::success || m.cls == stun::Class::error;
    bool indication = m.cls == stun::Class::indication;
    if (server && answer && m.method == proto::method::register_) return on_register_answer(m, now, out);
    if (server && answer && m.method == proto::method::connect) return on_connect_answer(m);
    if (server && answer && m.method == proto::method::list) return on_list_answer(m, now, out);
    if (server && m.method == proto::method::introduce) return on_introduction(m, now, out);
    if (server && indication && m.method == proto::method::relay) return on_relay(m, now, out);
    if (request && m.method == proto::method::probe) return on_probe(m, from, now, out);
    if (answer && m.method == proto::method::probe) return on_probe_answer(m, from, now, out);
    if (request && m.method == proto::method::data) return on_data(m, from, now, out);
    if (answer && m.method == proto::method::data) return on_data_ack(m, from, now, out);
    drop(out, "unexpected " + std::string(proto::method_name(m.method)) + " " +
                  std::string(stun::to_string(m.cls)) + " from " + source.to_string());
}

// A refusal (409: the name belongs to a live client elsewhere) is retried
// with a new transaction until the deadline: the owner may expire.
void PeerSession::on_register_answer(const stun::Message& m, TimePoint now, PeerOutput& out) {
    if (on_side_answer(m, now)) return;
    if (!same_id(m.transaction, register_txn_)) return drop(out, "stale Register answer");
    if (auto error = proto::parse_error(m)) {
        register_txn_.reset();
        name_taken_ = error->code == proto::error::name_taken;
        return drop(out, "Register refused: " + std::to_string(error->code) + " " + error->reason);
    }
    auto answer = proto::parse_register_answer(m);
    if (!answer) return drop(out, "malformed Register answer");
    register_txn_.reset();
    name_taken_ = false;
    unanswered_registers_ = 0;
    next_register_ = now + std::min(config_.timers.register_refresh, config_.keepalive);
    public_ = answer->observed;
    secret_ = answer->secret;
    if (phase_ == PeerPhase::registering) enter(PeerPhase::waiting, PeerEvent::registered, out);
    send_side_registers(now, out);
}

bool PeerSession::is_server(const IpEndpoint& source) const {
    if (source == config_.server) return true;
    return std::any_of(side_.begin(), side_.end(),
                       [&](const SideRegistration& r) { return r.server == source; });
}

// An answer to a Register sent to one of the other servers: its observed
// endpoint is our public endpoint of that family. A refusal is retried.
bool PeerSession::on_side_answer(const stun::Message& m, TimePoint now) {
    for (auto& side : side_) {
        if (!same_id(m.transaction, side.txn)) continue;
        side.txn.reset();
        auto answer = proto::parse_register_answer(m);
        if (answer) side.observed = answer->observed;
        side.next = now + (answer ? std::min(config_.timers.register_refresh, config_.keepalive)
                                  : config_.timers.register_retry);
        return true;
    }
    return false;
}

// Once the name's secret is known (the first server answered), the same
// Register, with the secret, to each other server that is due.
void PeerSession::send_side_registers(TimePoint now, PeerOutput& out) {
    if (!secret_) return;
    for (auto& side : side_) {
        if (now < side.next) continue;
        if (!side.txn) side.txn = new_transaction();
        proto::RegisterRequest r{config_.name, config_.local_endpoints, config_.group, secret_};
        if (port_mapper_ && port_mapper_->mapped()) r.mapped = {*port_mapper_->mapped()};
        send(proto::build(r, *side.txn), side.server, out);
        side.next = now + config_.timers.register_retry;
    }
}

// A Connect error (typically 404: the partner has not registered yet) is
// not final: the Connect keeps being retried until the deadline.
void PeerSession::on_connect_answer(const stun::Message& m) {
    if (same_id(m.transaction, connect_txn_)) connect_txn_.reset();
}

// A page of the room: keep its names, ask for the next one at once, or,
// after the last page, report and finish. A refused List is retried.
void PeerSession::on_list_answer(const stun::Message& m, TimePoint now, PeerOutput& out) {
    if (!same_id(m.transaction, list_txn_)) return drop(out, "stale List answer");
    list_txn_.reset();
    auto page = proto::parse_list_answer(m);
    if (!page) return drop(out, "List refused or malformed");
    listed_.insert(listed_.end(), page->names.begin(), page->names.end());
    list_cursor_ = page->cursor;
    next_connect_ = now;  // the next page is due at once
    if (!page->cursor.empty()) return;
    list_complete_ = true;
    out.events.push_back(PeerEvent::listed);
    finish("", out);
}

void PeerSession::send_list(TimePoint now, PeerOutput& out) {
    if (!list_txn_) list_txn_ = new_transaction();
    send(proto::build(proto::ListRequest{list_cursor_}, *list_txn_), config_.server, out);
    next_connect_ = now + config_.timers.connect_retry;
}

void PeerSession::on_introduction(const stun::Message& m, TimePoint now, PeerOutput& out) {
    auto intro = proto::parse_introduction(m);
    if (!intro) return drop(out, "malformed Introduce");
    const std::string& wanted = config_.partner ? *config_.partner
                                : intro_        ? intro_->peer_name
                                                : intro->peer_name;
    if (intro->peer_name != wanted)
        return drop(out, "introduced to " + intro->peer_name + ", not the partner");
    if (intro_ && intro->token == intro_->token) {
        if (phase_ == PeerPhase::punching)
            candidates_.update(intro->peer_public, intro->peer_local, intro->peer_mapped,
                               intro->peer_other_public);
        return drop(out, "already introduced");
    }
    if (lost_token_ && intro->token == *lost_token_) return drop(out, "introduction to the lost session");
    if (relaying_ || phase_ == PeerPhase::lingering) return drop(out, "new session ignored");
    if (selected_) lose_path(now, "partner started a new session", out);
    accept_introduction(std::move(*intro), now, out);
}

void PeerSession::accept_introduction(proto::Introduction intro, TimePoint now, PeerOutput& out) {
    intro_ = std::move(intro);
    if (!introduced_at_) introduced_at_ = now;
    candidates_ =
        Candidates(intro_->peer_public, intro_->peer_local, intro_->peer_mapped, intro_->peer_other_public);
    candidates_.set_ipv6_grace(config_.timers.ipv6_grace);
    candidates_.predict(config_.predict_ports);
    auto public4 = first_of(intro_->all_public(), Family::ipv4);
    if (config_.birthday && public4) birthday_.emplace(*config_.birthday, *public4->v4(), random_, now);
    probes_.clear();
    nominated_.reset();
    partner_heard_ = false;
    if (phase_ != PeerPhase::punching) punch_started_ = now;
    enter(PeerPhase::punching, PeerEvent::introduced, out);
    send_probes(now, out);
}

void PeerSession::on_relay(const stun::Message& m, TimePoint now, PeerOutput& out) {
    auto relay = proto::parse_relay(m);
    if (!relay) return drop(out, "malformed Relay");
    if (!config_.relay) return drop(out, "Relay, but relay is off");
    if (!intro_ || relay->token != intro_->token || relay->peer_name != intro_->peer_name)
        return drop(out, "Relay not from the partner's session");
    auto inner = stun::decode(relay->payload);
    if (!inner.message) return drop(out, "Relay of a malformed message");
    const stun::Message& im = *inner.message;
    From from{config_.server, true};
    if (im.method == proto::method::data && im.cls == stun::Class::request)
        return on_data(im, from, now, out);
    if (im.method == proto::method::data && im.cls == stun::Class::success)
        return on_data_ack(im, from, now, out);
    drop(out, "Relay of an unexpected message");
}

bool PeerSession::from_partner(const proto::Token& token, const std::string& name) const {
    return intro_ && token == intro_->token && name == intro_->peer_name;
}

// The partner is heard on the session being punched. Heard on the lost
// one (a partner that has not noticed the loss, its keepalives still
// arriving), it does not count: the Connect asking for a new session goes
// on, and the new introduction tells the partner its path is gone too.
void PeerSession::heard_partner() {
    if (!lost_token_ || intro_->token != *lost_token_) partner_heard_ = true;
}

void PeerSession::heard_on_path(IpEndpoint source, TimePoint now) {
    if (selected_ && source == *selected_) keepalive_.heard(now);
}

void PeerSession::on_probe(const stun::Message& m, From from, TimePoint now, PeerOutput& out) {
    IpEndpoint source = from.endpoint;
    auto probe = proto::parse_probe(m);
    if (!probe) return drop(out, "malformed Probe");
    if (!from_partner(probe->token, probe->name))
        return drop(out, "Probe from " + probe->name + ": not the partner's, or a stale token");
    send(proto::build_answer({config_.name, intro_->token, source}, m), source, out, from.socket);
    heard_partner();
    heard_on_path(source, now);
    if (phase_ != PeerPhase::punching) return;
    candidates_.learn(source, from.socket);
    candidates_.arrived_on(source, from.socket);
    if (from.socket != 0) note_birthday_hit(now);
    bool controlled = intro_->role == proto::Role::controlled;
    if (probe->use_candidate && controlled) return select(source, from.socket, now, out);
    trigger_probe(source, now, out);
}

// RFC 8445 section 7.3.1.4 "triggered check": a probe from a candidate not
// yet known to work is answered with a probe of our own at once, instead of
// at the next 50 ms round. It is what makes the first answered candidate
// appear one round trip after the partner's introduction, not a round later.
void PeerSession::trigger_probe(IpEndpoint source, TimePoint now, PeerOutput& out) {
    const Candidate* c = candidates_.find(source);
    if (nominated_ || !c || c->succeeded) return;
    send_probe(source, false, now, out, c->socket);
}

// An answer to a birthday guess adds the guessed endpoint (kind birthday,
// on the socket the guess left from) before it counts as a success.
void PeerSession::on_probe_answer(const stun::Message& m, From from, TimePoint now, PeerOutput& out) {
    IpEndpoint source = from.endpoint;
    auto answer = proto::parse_probe_answer(m);
    if (!answer) return drop(out, "malformed Probe answer");
    auto it = probes_.find(m.transaction);
    if (it == probes_.end()) return drop(out, "Probe answer for no pending probe");
    if (it->second.to != source) return drop(out, "Probe answer from another endpoint");
    if (it->second.socket != from.socket) return drop(out, "Probe answer on another socket");
    if (!from_partner(answer->token, answer->name)) return drop(out, "Probe answer, bad token");
    PendingProbe probe = it->second;
    probes_.erase(it);
    heard_partner();
    heard_on_path(source, now);
    if (probe.spray) candidates_.learn(source, probe.socket, CandidateKind::birthday);
    if (probe.spray || probe.socket != 0) note_birthday_hit(now);
    candidates_.record_success(source, now - probe.sent, now);
    if (selected_ && *selected_ == source) note_rtt(now - probe.sent);
    if (phase_ != PeerPhase::punching) return;
    if (probe.use_candidate) return select(source, probe.socket, now, out);
    maybe_nominate(now, out);
}

// Acknowledged the way it came (straight back to its source, or through
// the relay); relayed Data while punching means the partner gave up on a
// direct path: follow it.
void PeerSession::on_data(const stun::Message& m, From from, TimePoint now, PeerOutput& out) {
    auto data = proto::parse_data(m);
    if (!data) return drop(out, "malformed Data");
    if (!intro_ || data->token != intro_->token) return drop(out, "Data with a foreign token");
    send_to_partner(proto::build_ack({intro_->token, data->sequence}, m), from, out);
    // A partner still sending has not had our acknowledgement (it was lost):
    // linger on while it retransmits, so its last message is acknowledged.
    if (phase_ == PeerPhase::lingering) linger_until_ = std::max(linger_until_, now + config_.timers.linger);
    heard_partner();
    if (!from.relayed) heard_on_path(from.endpoint, now);
    if (data->sequence >= 1 && received_.size() < config_.timers.max_received &&
        received_.insert(data->sequence).second)
        bytes_received_ += data->payload.size();
    if (from.relayed && phase_ == PeerPhase::punching && !data_done()) start_relay(now, out);
}

void PeerSession::on_data_ack(const stun::Message& m, From from, TimePoint now, PeerOutput& out) {
    auto ack = proto::parse_data_ack(m);
    if (!ack || !intro_ || ack->token != intro_->token) return drop(out, "bad Data ack");
    auto it = data_by_txn_.find(m.transaction);
    if (it == data_by_txn_.end()) return drop(out, "Data ack for no pending Data");
    if (!from.relayed) heard_on_path(from.endpoint, now);
    OutgoingData& d = out_data_[it->second];
    if (d.acked) return;
    d.acked = true;
    ++acked_;
    bool on_path = from.relayed ? relaying_ : (selected_ && from.endpoint == *selected_);
    if (!d.retransmitted && on_path) note_rtt(now - d.last_sent);
    if (phase_ == PeerPhase::exchanging) pump_data(now, out);  // refill the window at once
    check_data_done(now, out);
}

// ---- timers ---------------------------------------------------------------

PeerOutput PeerSession::on_tick(TimePoint now) {
    PeerOutput out;
    check_deadlines(now, out);
    if (finished()) return out;
    port_mapping_tick(now, out);
    if (now >= next_register_ && (!port_mapper_ || port_mapper_->settled())) send_register(now, out);
    send_side_registers(now, out);
    if (config_.list && phase_ == PeerPhase::waiting && now >= next_connect_) send_list(now, out);
    if (wants_connect() && now >= next_connect_) send_connect(now, out);
    if (phase_ == PeerPhase::punching) maybe_nominate(now, out);
    if (phase_ == PeerPhase::punching && now >= next_probe_) send_probes(now, out);
    if (phase_ == PeerPhase::punching) birthday_tick(now, out);
    if (phase_ == PeerPhase::exchanging || phase_ == PeerPhase::holding) keep_alive(now, out);
    if (phase_ == PeerPhase::exchanging) pump_data(now, out);
    if (phase_ == PeerPhase::exchanging) check_data_done(now, out);
    return out;
}

TimePoint PeerSession::next_tick(TimePoint now) const {
    if (phase_ >= PeerPhase::punching || (port_mapper_ && !port_mapper_->settled())) return now + kBusyTick;
    TimePoint due = std::min({now + kIdleTick, next_register_, start_ + config_.timeout});
    bool connecting = wants_connect() || (config_.list && phase_ == PeerPhase::waiting);
    return connecting ? std::min(due, next_connect_) : due;
}

PeerOutput PeerSession::stop(TimePoint, std::string reason) {
    PeerOutput out;
    if (!finished()) finish(std::move(reason), out);
    return out;
}

void PeerSession::check_deadlines(TimePoint now, PeerOutput& out) {
    if (phase_ < PeerPhase::punching && now - start_ >= config_.timeout) return finish(failure_reason(), out);
    if (phase_ == PeerPhase::punching) check_punch_deadline(now, out);
    if (phase_ == PeerPhase::punching && data_done() && now >= hold_until_) begin_linger(now, out);
    if (phase_ == PeerPhase::exchanging && now - exchanging_since_ >= config_.timers.data_budget)
        begin_linger(now, out);
    if (phase_ == PeerPhase::holding && now >= hold_until_) begin_linger(now, out);
    if (phase_ == PeerPhase::lingering && now >= linger_until_) finish("", out);
}

// A first punch may take until --timeout, or --punch-timeout after the
// introduction when it can fall back to the relay. A re-punch gets
// --punch-timeout; after data is done it simply goes on until the hold ends.
void PeerSession::check_punch_deadline(TimePoint now, PeerOutput& out) {
    bool first = !connected_at_;
    TimePoint deadline = punch_started_ + config_.punch_timeout;
    if (first)
        deadline = config_.relay ? std::min(deadline, start_ + config_.timeout) : start_ + config_.timeout;
    if (now < deadline || data_done()) return;
    if (config_.relay) return start_relay(now, out);
    finish(first ? failure_reason() : "path lost", out);
}

void PeerSession::port_mapping_tick(TimePoint now, PeerOutput& out) {
    if (!port_mapper_) return;
    for (auto& d : port_mapper_->on_tick(now)) out.datagrams.push_back(std::move(d));
}

// Until the first registration is answered, a server that stays silent
// for kRegisterTriesPerServer tries gives way to the next one (a
// dual-stack peer whose IPv4 goes nowhere registers over IPv6); the
// silent one goes to the end of the list, as a side registration.
void PeerSession::send_register(TimePoint now, PeerOutput& out) {
    if (phase_ == PeerPhase::registering && ++unanswered_registers_ > kRegisterTriesPerServer &&
        !side_.empty())
        next_server(now);
    if (!register_txn_) register_txn_ = new_transaction();
    proto::RegisterRequest r{config_.name, config_.local_endpoints, config_.group, secret_};
    if (port_mapper_ && port_mapper_->mapped()) r.mapped = {*port_mapper_->mapped()};
    send(proto::build(r, *register_txn_), config_.server, out);
    next_register_ = now + config_.timers.register_retry;
}

void PeerSession::next_server(TimePoint now) {
    unanswered_registers_ = 1;
    auto silent = config_.server;
    config_.server = side_.front().server;
    side_.erase(side_.begin());
    side_.push_back({silent, std::nullopt, std::nullopt, now});
    register_txn_.reset();
}

// Connect is retried until the partner has been heard from, not merely
// until introduced: if the partner's own Introduce was lost, each retried
// Connect makes the server repeat it (same token, same roles). A peer
// without --connect asks too once it knows its partner (re-punching).
bool PeerSession::wants_connect() const {
    if (!public_ || (!config_.partner && !intro_)) return false;
    return phase_ == PeerPhase::waiting || (phase_ == PeerPhase::punching && !partner_heard_);
}

void PeerSession::send_connect(TimePoint now, PeerOutput& out) {
    if (!connect_txn_) connect_txn_ = new_transaction();
    std::string partner = config_.partner ? *config_.partner : intro_->peer_name;
    send(proto::build(proto::ConnectRequest{config_.name, partner, lost_token_}, *connect_txn_),
         config_.server, out);
    next_connect_ = now + config_.timers.connect_retry;
}

void PeerSession::forget_old_probes(TimePoint now) {
    std::erase_if(probes_, [&](const auto& p) { return now - p.second.sent > config_.timers.probe_memory; });
}

// Before nomination every candidate is probed; after it, only the
// nominated one, with USE-CANDIDATE, until it answers.
void PeerSession::send_probes(TimePoint now, PeerOutput& out) {
    forget_old_probes(now);
    if (nominated_) {
        send_probe(*nominated_, true, now, out, socket_for(*nominated_));
    } else {
        for (const auto& c : candidates_.all()) send_probe(c.remote, false, now, out, c.socket);
    }
    next_probe_ = now + config_.timers.probe_interval;
}

void PeerSession::send_probe(IpEndpoint to, bool use_candidate, TimePoint now, PeerOutput& out,
                             std::size_t socket, bool spray) {
    auto id = new_transaction();
    probes_[id] = PendingProbe{to, now, use_candidate, socket, spray};
    send(proto::build(proto::ProbeRequest{config_.name, intro_->token, use_candidate}, id), to, out, socket);
}

std::size_t PeerSession::socket_for(IpEndpoint remote) const {
    const Candidate* c = candidates_.find(remote);
    return c ? c->socket : 0;
}

// The birthday plan's probes that are due, until the path is nominated.
void PeerSession::birthday_tick(TimePoint now, PeerOutput& out) {
    if (!birthday_ || birthday_->done() || nominated_) return;
    for (const BirthdayProbe& p : birthday_->due(now)) send_probe(p.to, false, now, out, p.socket, p.spray);
}

void PeerSession::note_birthday_hit(TimePoint now) {
    if (birthday_ && !birthday_hit_) birthday_hit_ = now;
}

// On nominating, the first USE-CANDIDATE probe leaves at once; the probe
// timer repeats it.
void PeerSession::maybe_nominate(TimePoint now, PeerOutput& out) {
    if (nominated_ || intro_->role != proto::Role::controlling) return;
    const Candidate* best = candidates_.best();
    if (!best) return;
    bool waited = now - *candidates_.first_success() >= nomination_wait();
    if (best->kind != CandidateKind::local && !waited) return;
    if (ipv6_may_still_win(*best, now)) return;
    nominated_ = best->remote;
    send_probes(now, out);
}

// The best is IPv4, the partner has IPv6 candidates, and the grace after
// the first IPv4 answer has not run out: an IPv6 answer may still come
// (candidates.h). With IPv4 candidates only, never.
bool PeerSession::ipv6_may_still_win(const Candidate& best, TimePoint now) const {
    if (best.remote.family() != Family::ipv4 || !candidates_.has(Family::ipv6)) return false;
    return now - *candidates_.first_success(Family::ipv4) < config_.timers.ipv6_grace;
}

void PeerSession::select(IpEndpoint remote, std::size_t socket, TimePoint now, PeerOutput& out) {
    if (selected_) return;
    selected_ = remote;
    selected_socket_ = socket;
    last_selected_ = remote;
    if (connected_at_) ++repunched_;
    if (!connected_at_) connected_at_ = now;
    if (lost_at_) repunch_times_.push_back(now - *std::exchange(lost_at_, std::nullopt));
    lost_token_.reset();
    keepalive_.start(now);
    exchanging_since_ = now;
    const Candidate* c = candidates_.find(remote);
    if (c && c->rtt) note_rtt(*c->rtt);
    if (data_done()) return enter(PeerPhase::holding, PeerEvent::connected, out);
    enter(PeerPhase::exchanging, PeerEvent::connected, out);
    pump_data(now, out);
    check_data_done(now, out);
}

void PeerSession::start_relay(TimePoint now, PeerOutput& out) {
    relaying_ = true;
    if (!relayed_at_) relayed_at_ = now;
    selected_.reset();
    nominated_.reset();
    keepalive_.stop();
    path_rtt_.reset();
    exchanging_since_ = now;
    enter(PeerPhase::exchanging, PeerEvent::relaying, out);
    pump_data(now, out);
    check_data_done(now, out);
}

void PeerSession::keep_alive(TimePoint now, PeerOutput& out) {
    if (!selected_) return;
    switch (keepalive_.poll(now)) {
        case Keepalive::Action::none:
            return;
        case Keepalive::Action::probe:
            ++keepalives_;
            forget_old_probes(now);
            return send_probe(*selected_, false, now, out, selected_socket_);
        case Keepalive::Action::lost:
            return lose_path(
                now, "no answer to " + std::to_string(config_.timers.keepalive_misses) + " keepalives", out);
    }
}

// Back to punching: register again at once (our own mapping may have
// changed) and ask for a new session, naming the token whose path died.
void PeerSession::lose_path(TimePoint now, std::string why, PeerOutput& out) {
    ++paths_lost_;
    if (!lost_at_) lost_at_ = now;
    loss_reason_ = std::move(why);
    lost_token_ = intro_->token;
    selected_.reset();
    nominated_.reset();
    probes_.clear();
    keepalive_.stop();
    path_rtt_.reset();
    partner_heard_ = false;
    punch_started_ = now;
    next_register_ = now;
    next_connect_ = now;
    connect_txn_.reset();
    enter(PeerPhase::punching, PeerEvent::path_lost, out);
}

// Sends what the window allows: retransmissions of the unacknowledged
// Data older than data_retry, then new Data, at most data_window in flight.
void PeerSession::pump_data(TimePoint now, PeerOutput& out) {
    if (!has_path()) return;
    while (window_start_ < out_data_.size() && out_data_[window_start_].acked) ++window_start_;
    std::size_t in_flight = 0;
    for (std::size_t i = window_start_; i < out_data_.size(); ++i) {
        if (in_flight >= config_.timers.data_window) break;
        OutgoingData& d = out_data_[i];
        if (d.acked) continue;
        ++in_flight;
        if (!d.sent) {
            d.sent = true;
            d.transaction = new_transaction();
            data_by_txn_[d.transaction] = i;
        } else if (now - d.last_sent < config_.timers.data_retry) {
            continue;
        } else {
            d.retransmitted = true;
            ++retransmissions_;
        }
        send_data(i, now, out);
    }
}

void PeerSession::send_data(std::size_t index, TimePoint now, PeerOutput& out) {
    OutgoingData& d = out_data_[index];
    auto sequence = static_cast<std::uint32_t>(index + 1);
    proto::DataRequest request{intro_->token, sequence, payload(index)};
    ++transmissions_;
    From to = relaying_ ? From{config_.server, true} : From{*selected_, false, selected_socket_};
    send_to_partner(proto::build(request, d.transaction), to, out);
    d.last_sent = now;
}

// Own data acknowledged and the partner's received (or receive_grace
// spent): hold the direct path for --hold, or linger.
void PeerSession::check_data_done(TimePoint now, PeerOutput& out) {
    if (phase_ != PeerPhase::exchanging) return;
    if (acked_ == config_.messages && !all_acked_at_) all_acked_at_ = now;
    if (!all_acked_at_) return;
    bool got_all = received_.size() >= config_.messages;
    if (!got_all && now - *all_acked_at_ < config_.timers.receive_grace) return;
    data_done_at_ = now;
    hold_until_ = now + config_.hold;
    if (config_.hold > Duration::zero() && !relaying_)
        return enter(PeerPhase::holding, PeerEvent::holding, out);
    begin_linger(now, out);
}

void PeerSession::enter(PeerPhase phase, PeerEvent event, PeerOutput& out) {
    phase_ = phase;
    out.events.push_back(event);
}

void PeerSession::begin_linger(TimePoint now, PeerOutput& out) {
    keepalive_.stop();
    linger_until_ = now + config_.timers.linger;
    enter(PeerPhase::lingering, PeerEvent::lingering, out);
}

void PeerSession::finish(std::string reason, PeerOutput& out) {
    if (!connected_at_) reason_ = std::move(reason);
    if (port_mapper_)
        for (auto& d : port_mapper_->release()) out.datagrams.push_back(std::move(d));
    enter(PeerPhase::done, PeerEvent::finished, out);
}

std::string PeerSession::failure_reason() const {
    if (!public_ && !intro_) return name_taken_ ? "name taken" : "not registered";
    if (config_.list) return list_complete_ ? "listed" : "not listed";
    if (!intro_) return "not introduced";
    if (!candidates_.best()) return "no candidate answered";
    return "not nominated";
}

// ---- result ---------------------------------------------------------------

PeerResult PeerSession::result() const {
    PeerResult r;
    r.connected = connected_at_.has_value();
    r.relayed = relaying_;
    r.reason = r.connected ? "" : (reason_.empty() ? failure_reason() : reason_);
    r.public_endpoint = public_;
    for (const auto& side : side_)
        if (side.observed) r.other_public.push_back(*side.observed);
    std::optional<IpEndpoint> end = selected_ ? selected_ : last_selected_;
    if (relaying_) end = config_.server;
    if (end) {
        r.remote = end;
        r.family = end->family();
        r.path = candidates_.classify(*end);
        if (!relaying_ && birthday_path(*end)) r.path = CandidateKind::birthday;
        r.predicted = !relaying_ && candidates_.predicted(*end);
        r.rtt = path_rtt_;
    }
    // Time to the first data path: the punched one, or else the relay.
    auto path_at = connected_at_ ? connected_at_ : relayed_at_;
    if (path_at) r.time_to_connect = *path_at - start_;
    if (path_at && introduced_at_) r.introduction_to_connect = *path_at - *introduced_at_;
    r.rtt_stats = rtt_stats_;
    for (const auto& d : out_data_) {
        if (d.sent) r.bytes_sent += d.size;
        if (d.acked) r.bytes_acked += d.size;
    }
    r.bytes_received = bytes_received_;
    r.transmissions = transmissions_;
    r.retransmissions = retransmissions_;
    r.sent = static_cast<std::uint32_t>(
        std::count_if(out_data_.begin(), out_data_.end(), [](const auto& d) { return d.sent; }));
    r.acked = acked_;
    r.received = static_cast<std::uint32_t>(received_.size());
    r.keepalives = keepalives_;
    r.paths_lost = paths_lost_;
    r.repunched = repunched_;
    if (config_.birthday) r.birthday = birthday_report();
    r.repunch_times = repunch_times_;
    return r;
}

// The path came from the birthday punch: it leaves from a socket other
// than the main one, or its remote is a guessed port (answered, or learned
// from the partner's probe crossing our guess: two hard NATs).
bool PeerSession::birthday_path(IpEndpoint remote) const {
    if (!birthday_) return false;
    const Candidate* c = candidates_.find(remote);
    bool guessed =
        (c && c->kind == CandidateKind::birthday) || (remote.v4() && birthday_->guessed(*remote.v4()));
    return selected_socket_ != 0 || guessed;
}

BirthdayReport PeerSession::birthday_report() const {
    BirthdayReport b;
    b.sockets = config_.birthday->sockets;
    b.probes = config_.birthday->probes;
    if (birthday_) b.sent = birthday_->sent();
    if (birthday_ && birthday_hit_) b.hit_after = *birthday_hit_ - birthday_->start();
    return b;
}

// ---- helpers --------------------------------------------------------------

void PeerSession::send(const stun::Message& m, IpEndpoint to, PeerOutput& out, std::size_t socket) {
    out.datagrams.push_back({proto::to_wire(m), to, IpEndpoint{}, socket});
}

void PeerSession::send_to_partner(const stun::Message& m, From to, PeerOutput& out) {
    if (!to.relayed) return send(m, to.endpoint, out, to.socket);
    proto::Relay relay{intro_->token, "", proto::to_wire(m)};
    send(proto::build(relay, new_transaction()), config_.server, out);
}

void PeerSession::drop(PeerOutput& out, std::string reason) {
    ++dropped_;
    out.dropped = std::move(reason);
}

stun::TransactionId PeerSession::new_transaction() {
    stun::TransactionId id;
    random_(id);
    return id;
}

void PeerSession::note_rtt(Duration rtt) {
    if (!path_rtt_ || rtt < *path_rtt_) path_rtt_ = rtt;
    rtt_stats_.add(rtt);
}

// How long the controlling side waits, after a first answered candidate
// that is not local, for a better one. Every candidate was probed in the
// same round, so a better one that works answers within about the same
// round trip: a few round trips of the first success, bounded below by
// scheduling slack and above by nomination_grace (RFC 8445 section 8.1.1
// leaves the timing of nomination to the controlling agent).
Duration PeerSession::nomination_wait() const {
    const PeerTimers& t = config_.timers;
    const Candidate* best = candidates_.best();
    Duration rtt = best && best->rtt ? *best->rtt : t.nomination_grace;
    return std::clamp(rtt * t.nomination_rtts, t.nomination_floor, t.nomination_grace);
}

stun::Bytes PeerSession::payload(std::size_t index) const {
    return payload_for(config_.name, static_cast<std::uint32_t>(index + 1), out_data_[index].size);
}

// ---- round-trip statistics ------------------------------------------------

void RttStats::add(Duration rtt) {
    ++count;
    min = std::min(min, rtt);
    max = std::max(max, rtt);
    total += rtt;
    if (sample.size() < kMax) sample.push_back(rtt);
}

std::optional<Duration> RttStats::mean() const {
    if (count == 0) return std::nullopt;
    return total / static_cast<Duration::rep>(count);
}

std::optional<Duration> RttStats::median() const {
    if (sample.empty()) return std::nullopt;
    std::vector<Duration> sorted = sample;
    auto middle = sorted.begin() + static_cast<std::ptrdiff_t>(sorted.size() / 2);
    std::nth_element(sorted.begin(), middle, sorted.end());
    return *middle;
}

}  // namespace natlab
