// Rendezvous server core.
//
// Theory of operation
//
// Every datagram goes through handle(), which sorts it in one place:
//
//   not STUN / malformed            -> dropped, counted as malformed
//   Binding request (any dialect)   -> success with the observed source
//   Register request                -> registry upsert, success with the
//                                      observed source (XOR-MAPPED-ADDRESS)
//   Connect request                 -> success, then Introduce to both peers
//   anything else                   -> dropped, counted as unexpected
//
// Binding is plain RFC 8489 section 7.3 (and RFC 3489 for cookie-less
// clients), so any STUN client can use this server to learn its public
// endpoint. Register and Connect are nat-lab methods (docs/protocol.md).
//
// A Connect is answered only for a registered requester (recognised by the
// source it comes from) and a registered partner. The first Connect for a
// pair creates a pair session (fresh random token, requester controlling);
// later Connects for the same pair, from either side, reuse it, so a
// retransmission repeats the same introduction. Each introduction carries
// the partner's current registry record, so a peer whose NAT mapping moved
// is introduced at its new public endpoint.
//
// The server never initiates anything but Introduce indications, and those
// only in answer to a Connect; it keeps no per-request state beyond the
// registry and the pair sessions.
#include "rendezvous_server.h"

#include "rendezvous_protocol.h"

namespace natlab {
namespace {

std::string endpoints_text(const std::vector<Endpoint>& endpoints) {
    std::string text;
    for (const auto& e : endpoints) text += (text.empty() ? "" : " ") + e.to_string();
    return text.empty() ? "-" : text;
}

std::string who(const std::string& name, Endpoint source) {
    return name + " (" + source.to_string() + ")";
}

}  // namespace

ServerOutput RendezvousServer::handle(std::span<const std::byte> datagram, Endpoint source, TimePoint now) {
    ServerOutput out;
    ++counters_.received;
    auto decoded = stun::decode(datagram, {.accept_classic = true});
    if (!decoded.message) {
        drop(out, counters_.malformed, std::string(stun::to_string(decoded.error)));
        return out;
    }
    dispatch(*decoded.message, source, now, out);
    return out;
}

ServerOutput RendezvousServer::tick(TimePoint now) {
    ServerOutput out;
    for (const auto& gone : registry_.expire(now))
        out.log.push_back("expired " + who(gone.name, gone.public_endpoint));
    sessions_.expire(now);
    return out;
}

void RendezvousServer::dispatch(const stun::Message& m, Endpoint source, TimePoint now, ServerOutput& out) {
    bool request = m.cls == stun::Class::request;
    if (request && m.method == proto::method::binding) return on_binding(m, source, out);
    if (m.classic()) return drop(out, counters_.unexpected, "RFC 3489 message is not Binding");
    if (request && m.method == proto::method::register_) return on_register(m, source, now, out);
    if (request && m.method == proto::method::connect) return on_connect(m, source, now, out);
    drop(out, counters_.unexpected,
         std::string(proto::method_name(m.method)) + " " + std::string(stun::to_string(m.cls)));
}

// RFC 8489 section 7.3.1: a Binding request is answered with the source
// transport address the server saw, XOR-encoded.
void RendezvousServer::on_binding(const stun::Message& m, Endpoint source, ServerOutput& out) {
    ++counters_.bindings;
    reply(proto::mapped_response(m, source), source, out);
    out.log.push_back("binding from " + source.to_string());
}

void RendezvousServer::on_register(const stun::Message& m, Endpoint source, TimePoint now,
                                   ServerOutput& out) {
    auto r = proto::parse_register(m);
    if (!r) return reply_error(m, source, proto::error::bad_request, "bad request", out);
    auto outcome = registry_.upsert(r->name, source, r->local, now);
    if (outcome == RegisterOutcome::full)
        return reply_error(m, source, proto::error::capacity, "registry full", out);
    ++counters_.registrations;
    reply(proto::mapped_response(m, source), source, out);
    if (outcome == RegisterOutcome::refreshed) return;
    out.log.push_back(std::string(outcome == RegisterOutcome::added ? "registered " : "moved ") + r->name +
                      " public " + source.to_string() + " local " + endpoints_text(r->local));
}

void RendezvousServer::on_connect(const stun::Message& m, Endpoint source, TimePoint now, ServerOutput& out) {
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
    const auto* session = session_for(*requester, *partner, now, out);
    if (!session) return reply_error(m, source, proto::error::capacity, "too many sessions", out);
    reply(proto::mapped_response(m, source), source, out);
    introduce(*session, *requester, *partner, out);
    introduce(*session, *partner, *requester, out);
}

const PairSession* RendezvousServer::session_for(const ClientRecord& requester, const ClientRecord& partner,
                                                 TimePoint now, ServerOutput& out) {
    if (auto* existing = sessions_.find(requester.name, partner.name, now)) return existing;
    proto::Token token;
    std::uint64_t tiebreaker = 0;
    random_(token);
    random_(std::as_writable_bytes(std::span{&tiebreaker, 1}));
    auto* created = sessions_.create(requester.name, partner.name, token, tiebreaker, now);
    if (!created) return nullptr;
    ++counters_.introductions;
    out.log.push_back("introduced " + requester.name + "<->" + partner.name + " token " +
                      stun::to_hex(token).substr(0, 8) + "... controlling " + requester.name);
    return created;
}

void RendezvousServer::introduce(const PairSession& s, const ClientRecord& to, const ClientRecord& other,
                                 ServerOutput& out) {
    proto::Introduction intro;
    intro.peer_name = other.name;
    intro.peer_public = other.public_endpoint;
    intro.peer_local = other.local_endpoints;
    intro.token = s.token;
    intro.role = to.name == s.controlling ? proto::Role::controlling : proto::Role::controlled;
    intro.tiebreaker = s.tiebreaker;
    reply(proto::build(intro, new_transaction()), to.public_endpoint, out);
}

void RendezvousServer::reply(const stun::Message& m, Endpoint to, ServerOutput& out) {
    out.datagrams.push_back({proto::to_wire(m), to});
}

void RendezvousServer::reply_error(const stun::Message& request, Endpoint to, int code, std::string reason,
                                   ServerOutput& out, const std::string& detail) {
    ++counters_.errors_sent;
    out.log.push_back("error " + std::string(proto::method_name(request.method)) + " from " + to.to_string() +
                      ": " + std::to_string(code) + " " + reason + detail);
    reply(proto::error_response(request, {code, std::move(reason)}), to, out);
}

void RendezvousServer::drop(ServerOutput& out, std::uint64_t& counter, std::string reason) {
    ++counter;
    out.dropped = std::move(reason);
}

stun::TransactionId RendezvousServer::new_transaction() {
    stun::TransactionId id;
    random_(id);
    return id;
}

}  // namespace natlab
