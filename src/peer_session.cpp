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
//
// Nomination (RFC 8445 section 8.1, simplified to one pair). The controlling
// peer waits for a first answered candidate. A local one is nominated at
// once; otherwise it waits nomination_grace for a better one, then nominates
// the best, sending USE-CANDIDATE probes to it alone until one is answered.
// The controlled peer selects the source of the first valid USE-CANDIDATE
// probe. Either side classifies its path by what the remote endpoint is to
// the partner: local, public, or neither (peer-reflexive).
#include "peer_session.h"

#include <algorithm>

namespace natlab {
namespace {

bool same_id(const stun::TransactionId& a, const std::optional<stun::TransactionId>& b) {
    return b && a == *b;
}

stun::Bytes payload_for(const std::string& name, std::uint32_t sequence) {
    return stun::to_bytes(name + " #" + std::to_string(sequence));
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
        case PeerPhase::lingering:
            return "lingering";
        case PeerPhase::done:
            return "done";
    }
    return "?";
}

PeerSession::PeerSession(PeerConfig config, RandomSource random, TimePoint start)
    : config_(std::move(config)),
      random_(std::move(random)),
      start_(start),
      next_register_(start),
      next_connect_(start),
      out_data_(config_.messages) {}

// ---- inputs ---------------------------------------------------------------

PeerOutput PeerSession::on_datagram(std::span<const std::byte> datagram, Endpoint source, TimePoint now) {
    PeerOutput out;
    if (finished()) {
        drop(out, "session finished");
        return out;
    }
    auto decoded = stun::decode(datagram);
    if (!decoded.message) {
        drop(out, std::string(stun::to_string(decoded.error)));
        return out;
    }
    dispatch(*decoded.message, source, now, out);
    return out;
}

void PeerSession::dispatch(const stun::Message& m, Endpoint source, TimePoint now, PeerOutput& out) {
    bool server = source == config_.server;
    bool request = m.cls == stun::Class::request;
    bool answer = m.cls == stun::Class::success || m.cls == stun::Class::error;
    if (server && answer && m.method == proto::method::register_) return on_register_answer(m, now, out);
    if (server && answer && m.method == proto::method::connect) return on_connect_answer(m);
    if (server && m.method == proto::method::introduce) return on_introduction(m, now, out);
    if (request && m.method == proto::method::probe) return on_probe(m, source, now, out);
    if (answer && m.method == proto::method::probe) return on_probe_answer(m, source, now, out);
    if (request && m.method == proto::method::data) return on_data(m, source, out);
    if (answer && m.method == proto::method::data) return on_data_ack(m, source, now, out);
    drop(out, "unexpected " + std::string(proto::method_name(m.method)) + " " +
                  std::string(stun::to_string(m.cls)) + " from " + source.to_string());
}

void PeerSession::on_register_answer(const stun::Message& m, TimePoint now, PeerOutput& out) {
    if (!same_id(m.transaction, register_txn_)) return drop(out, "stale Register answer");
    auto mapped = proto::parse_mapped(m);
    if (!mapped) return drop(out, "Register refused or malformed");
    register_txn_.reset();
    next_register_ = now + config_.timers.register_refresh;
    bool first = !public_;
    public_ = mapped;
    if (phase_ == PeerPhase::registering) phase_ = PeerPhase::waiting;
    if (first) out.events.push_back(PeerEvent::registered);
}

// A Connect error (typically 404: the partner has not registered yet) is
// not final: the Connect keeps being retried until the deadline.
void PeerSession::on_connect_answer(const stun::Message& m) {
    if (same_id(m.transaction, connect_txn_)) connect_txn_.reset();
}

void PeerSession::on_introduction(const stun::Message& m, TimePoint now, PeerOutput& out) {
    auto intro = proto::parse_introduction(m);
    if (!intro) return drop(out, "malformed Introduce");
    if (intro_) return drop(out, "already introduced");
    if (config_.partner && intro->peer_name != *config_.partner)
        return drop(out, "introduced to " + intro->peer_name + ", not the partner");
    intro_ = std::move(intro);
    candidates_ = Candidates(intro_->peer_public, intro_->peer_local);
    phase_ = PeerPhase::punching;
    out.events.push_back(PeerEvent::introduced);
    send_probes(now, out);
}

bool PeerSession::from_partner(const proto::Token& token, const std::string& name) const {
    return intro_ && token == intro_->token && name == intro_->peer_name;
}

void PeerSession::on_probe(const stun::Message& m, Endpoint source, TimePoint now, PeerOutput& out) {
    auto probe = proto::parse_probe(m);
    if (!probe) return drop(out, "malformed Probe");
    if (!from_partner(probe->token, probe->name))
        return drop(out, "Probe from " + probe->name + ": not the partner's, or a stale token");
    send(proto::build_answer({config_.name, intro_->token, source}, m), source, out);
    partner_heard_ = true;
    if (phase_ != PeerPhase::punching) return;
    candidates_.learn(source);
    bool controlled = intro_->role == proto::Role::controlled;
    if (probe->use_candidate && controlled) return select(source, now, out);
    trigger_probe(source, now, out);
}

// RFC 8445 section 7.3.1.4 "triggered check": a probe from a candidate not
// yet known to work is answered with a probe of our own at once, instead of
// at the next 50 ms round. It is what makes the first answered candidate
// appear one round trip after the partner's introduction, not a round later.
void PeerSession::trigger_probe(Endpoint source, TimePoint now, PeerOutput& out) {
    const Candidate* c = candidates_.find(source);
    if (nominated_ || !c || c->succeeded) return;
    send_probe(source, false, now, out);
}

void PeerSession::on_probe_answer(const stun::Message& m, Endpoint source, TimePoint now, PeerOutput& out) {
    auto answer = proto::parse_probe_answer(m);
    if (!answer) return drop(out, "malformed Probe answer");
    auto it = probes_.find(m.transaction);
    if (it == probes_.end()) return drop(out, "Probe answer for no pending probe");
    if (it->second.to != source) return drop(out, "Probe answer from another endpoint");
    if (!from_partner(answer->token, answer->name)) return drop(out, "Probe answer, bad token");
    PendingProbe probe = it->second;
    probes_.erase(it);
    partner_heard_ = true;
    candidates_.record_success(source, now - probe.sent, now);
    if (selected_ && *selected_ == source) note_rtt(now - probe.sent);
    if (phase_ != PeerPhase::punching) return;
    if (probe.use_candidate) return select(source, now, out);
    maybe_nominate(now, out);
}

void PeerSession::on_data(const stun::Message& m, Endpoint source, PeerOutput& out) {
    auto data = proto::parse_data(m);
    if (!data) return drop(out, "malformed Data");
    if (!intro_ || data->token != intro_->token) return drop(out, "Data with a foreign token");
    send(proto::build_ack({intro_->token, data->sequence}, m), source, out);
    partner_heard_ = true;
    if (data->sequence >= 1 && received_.size() < config_.timers.max_received)
        received_.insert(data->sequence);
}

void PeerSession::on_data_ack(const stun::Message& m, Endpoint source, TimePoint now, PeerOutput& out) {
    auto ack = proto::parse_data_ack(m);
    if (!ack || !intro_ || ack->token != intro_->token) return drop(out, "bad Data ack");
    auto it = data_by_txn_.find(m.transaction);
    if (it == data_by_txn_.end()) return drop(out, "Data ack for no pending Data");
    OutgoingData& d = out_data_[it->second];
    if (d.acked) return;
    d.acked = true;
    ++acked_;
    if (!d.retransmitted && selected_ && source == *selected_) note_rtt(now - d.last_sent);
    if (phase_ == PeerPhase::exchanging) pump_data(now, out);  // refill the window at once
    check_data_done(now);
}

// ---- timers ---------------------------------------------------------------

PeerOutput PeerSession::on_tick(TimePoint now) {
    PeerOutput out;
    check_deadlines(now, out);
    if (finished()) return out;
    if (now >= next_register_) send_register(now, out);
    if (wants_connect() && now >= next_connect_) send_connect(now, out);
    if (phase_ == PeerPhase::punching) maybe_nominate(now, out);
    if (phase_ == PeerPhase::punching && now >= next_probe_) send_probes(now, out);
    if (phase_ == PeerPhase::exchanging) pump_data(now, out);
    if (phase_ == PeerPhase::exchanging) check_data_done(now);
    return out;
}

PeerOutput PeerSession::stop(TimePoint, std::string reason) {
    PeerOutput out;
    if (!finished()) finish(std::move(reason), out);
    return out;
}

void PeerSession::check_deadlines(TimePoint now, PeerOutput& out) {
    bool connected = phase_ >= PeerPhase::exchanging;
    if (!connected && now - start_ >= config_.timeout) return finish(failure_reason(), out);
    if (phase_ == PeerPhase::exchanging && now - connected_at_ >= config_.timers.data_budget)
        begin_linger(now);
    if (phase_ == PeerPhase::lingering && now >= linger_until_) finish("", out);
}

void PeerSession::send_register(TimePoint now, PeerOutput& out) {
    if (!register_txn_) register_txn_ = new_transaction();
    send(proto::build(proto::RegisterRequest{config_.name, config_.local_endpoints}, *register_txn_),
         config_.server, out);
    next_register_ = now + config_.timers.register_retry;
}

// Connect is retried until the partner has been heard from, not merely
// until introduced: if the partner's own Introduce was lost, each retried
// Connect makes the server repeat it (same token, same roles).
bool PeerSession::wants_connect() const {
    if (!config_.partner || !public_) return false;
    return phase_ == PeerPhase::waiting || (phase_ == PeerPhase::punching && !partner_heard_);
}

void PeerSession::send_connect(TimePoint now, PeerOutput& out) {
    if (!connect_txn_) connect_txn_ = new_transaction();
    send(proto::build(proto::ConnectRequest{config_.name, *config_.partner}, *connect_txn_), config_.server,
         out);
    next_connect_ = now + config_.timers.connect_retry;
}

// Before nomination every candidate is probed; after it, only the
// nominated one, with USE-CANDIDATE, until it answers.
void PeerSession::send_probes(TimePoint now, PeerOutput& out) {
    std::erase_if(probes_, [&](const auto& p) { return now - p.second.sent > config_.timers.probe_memory; });
    if (nominated_) {
        send_probe(*nominated_, true, now, out);
    } else {
        for (const auto& c : candidates_.all()) send_probe(c.remote, false, now, out);
    }
    next_probe_ = now + config_.timers.probe_interval;
}

void PeerSession::send_probe(Endpoint to, bool use_candidate, TimePoint now, PeerOutput& out) {
    auto id = new_transaction();
    probes_[id] = PendingProbe{to, now, use_candidate};
    send(proto::build(proto::ProbeRequest{config_.name, intro_->token, use_candidate}, id), to, out);
}

// On nominating, the first USE-CANDIDATE probe leaves at once; the probe
// timer repeats it.
void PeerSession::maybe_nominate(TimePoint now, PeerOutput& out) {
    if (nominated_ || intro_->role != proto::Role::controlling) return;
    const Candidate* best = candidates_.best();
    if (!best) return;
    bool waited = now - *candidates_.first_success() >= config_.timers.nomination_grace;
    if (best->kind != CandidateKind::local && !waited) return;
    nominated_ = best->remote;
    send_probes(now, out);
}

void PeerSession::select(Endpoint remote, TimePoint now, PeerOutput& out) {
    if (selected_) return;
    selected_ = remote;
    connected_at_ = now;
    const Candidate* c = candidates_.find(remote);
    if (c && c->rtt) note_rtt(*c->rtt);
    phase_ = PeerPhase::exchanging;
    out.events.push_back(PeerEvent::connected);
    pump_data(now, out);
    check_data_done(now);
}

// Sends what the window allows: retransmissions of the unacknowledged
// Data older than data_retry, then new Data, at most data_window in flight.
void PeerSession::pump_data(TimePoint now, PeerOutput& out) {
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
        }
        send_data(i, now, out);
    }
}

void PeerSession::send_data(std::size_t index, TimePoint now, PeerOutput& out) {
    OutgoingData& d = out_data_[index];
    auto sequence = static_cast<std::uint32_t>(index + 1);
    proto::DataRequest request{intro_->token, sequence, payload_for(config_.name, sequence)};
    send(proto::build(request, d.transaction), *selected_, out);
    d.last_sent = now;
}

void PeerSession::check_data_done(TimePoint now) {
    if (phase_ != PeerPhase::exchanging) return;
    if (acked_ == config_.messages && !all_acked_at_) all_acked_at_ = now;
    if (!all_acked_at_) return;
    bool got_all = received_.size() >= config_.messages;
    if (got_all || now - *all_acked_at_ >= config_.timers.receive_grace) begin_linger(now);
}

void PeerSession::begin_linger(TimePoint now) {
    phase_ = PeerPhase::lingering;
    linger_until_ = now + config_.timers.linger;
}

void PeerSession::finish(std::string reason, PeerOutput& out) {
    if (!selected_) reason_ = std::move(reason);
    phase_ = PeerPhase::done;
    out.events.push_back(PeerEvent::finished);
}

std::string PeerSession::failure_reason() const {
    if (!public_ && !intro_) return "not registered";
    if (!intro_) return "not introduced";
    if (!candidates_.best()) return "no candidate answered";
    return "not nominated";
}

// ---- result ---------------------------------------------------------------

PeerResult PeerSession::result() const {
    PeerResult r;
    r.connected = selected_.has_value();
    r.reason = r.connected ? "" : (reason_.empty() ? failure_reason() : reason_);
    r.public_endpoint = public_;
    if (selected_) {
        r.remote = selected_;
        r.path = candidates_.classify(*selected_);
        r.rtt = path_rtt_;
        r.time_to_connect = connected_at_ - start_;
    }
    r.sent = static_cast<std::uint32_t>(
        std::count_if(out_data_.begin(), out_data_.end(), [](const auto& d) { return d.sent; }));
    r.acked = acked_;
    r.received = static_cast<std::uint32_t>(received_.size());
    return r;
}

// ---- helpers --------------------------------------------------------------

void PeerSession::send(const stun::Message& m, Endpoint to, PeerOutput& out) {
    out.datagrams.push_back({proto::to_wire(m), to});
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
}

}  // namespace natlab
