#include "simulator/portmap/tcp_responder.h"

#include <algorithm>

#include "simulator/wire/builder.h"
#include "simulator/wire/bytes.h"

namespace natlab::portmap {
namespace {

using nat::kTcpAck;
using nat::kTcpFin;
using nat::kTcpRst;
using nat::kTcpSyn;

constexpr std::size_t kTcpHeader = 20;
constexpr std::size_t kMaxRequest = 64 * 1024;

// RFC 9293 §3.2: kind 0 ends the list, kind 1 is padding, kind 2 (length 4) is the MSS.
std::uint16_t read_mss(std::span<const std::byte> options) {
    std::size_t at = 0;
    while (at < options.size()) {
        auto kind = nat::load8(options, at);
        if (kind == 0) break;
        if (kind == 1) {
            ++at;
            continue;
        }
        if (at + 1 >= options.size()) break;
        auto length = nat::load8(options, at + 1);
        if (length < 2 || at + length > options.size()) break;
        if (kind == 2 && length == 4) return nat::load16(options, at + 2);
        at += length;
    }
    return 0;
}

// Sequence number comparison modulo 2^32 (RFC 9293 §3.4).
bool seq_le(std::uint32_t a, std::uint32_t b) {
    return static_cast<std::int32_t>(b - a) >= 0;
}

std::string_view text_of(std::span<const std::byte> bytes) {
    return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

std::vector<std::byte> bytes_of(std::string_view text) {
    auto* first = reinterpret_cast<const std::byte*>(text.data());
    return {first, first + text.size()};
}

}  // namespace

std::optional<TcpSegment> read_segment(const nat::Ipv4Packet& packet) {
    auto tcp = packet.transport();
    if (packet.protocol() != nat::Protocol::Tcp || tcp.size() < kTcpHeader) return std::nullopt;
    std::size_t offset = std::size_t{nat::load8(tcp, 12)} >> 4U;
    offset *= 4;
    if (offset < kTcpHeader || offset > tcp.size()) return std::nullopt;
    return TcpSegment{packet.source(),
                      packet.destination(),
                      nat::load32(tcp, 4),
                      nat::load32(tcp, 8),
                      nat::load8(tcp, 13),
                      nat::load16(tcp, 14),
                      read_mss(tcp.subspan(kTcpHeader, offset - kTcpHeader)),
                      tcp.subspan(offset)};
}

void TcpResponder::receive(const TcpSegment& segment, TimePoint now) {
    auto client = segment.source;
    auto found = connections_.find(client);
    if (segment.flags & kTcpRst) {
        if (found != connections_.end()) connections_.erase(found);
        return;
    }
    if (found == connections_.end()) {
        if ((segment.flags & (kTcpSyn | kTcpAck)) == kTcpSyn) return open(segment, now);
        return reset(segment);
    }
    on_segment(found->second, client, segment, now);
    if (finished(found->second)) connections_.erase(found);
}

// §3.5: a SYN opens a connection; our SYN-ACK carries the MSS we accept.
void TcpResponder::open(const TcpSegment& segment, TimePoint now) {
    if (connections_.size() >= kMaxConnections) return;
    Connection c;
    auto ticks = static_cast<std::uint32_t>(now.time_since_epoch().count() / 1000);
    c.iss = 0x6e61746cU ^ segment.source.addr.value ^ (std::uint32_t{segment.source.port} << 16) ^ ticks;
    c.snd_una = c.iss;
    c.snd_nxt = c.iss + 1;
    c.rcv_nxt = segment.seq + 1;
    c.mss = std::min(segment.mss ? segment.mss : kDefaultMss, kOurMss);
    c.window = segment.window;
    c.last_sent = c.last_heard = now;
    send(segment.source, kTcpSyn | kTcpAck, c.iss, c.rcv_nxt, {}, kOurMss);
    connections_.emplace(segment.source, std::move(c));
    ++counters_.connections;
}

void TcpResponder::on_segment(Connection& c, Endpoint client, const TcpSegment& segment, TimePoint now) {
    c.last_heard = now;
    if ((segment.flags & kTcpSyn) && c.state == State::SynReceived) {
        send(client, kTcpSyn | kTcpAck, c.iss, c.rcv_nxt, {}, kOurMss);  // our SYN-ACK was lost
        return;
    }
    if (segment.flags & kTcpAck) on_ack(c, segment);
    if (c.state == State::SynReceived) return;
    bool acknowledge = on_data(c, segment);
    answer(c, client, now);
    bool sent = transmit(c, client, now);
    if (acknowledge && !sent) send(client, kTcpAck, c.snd_nxt, c.rcv_nxt);
}

void TcpResponder::on_ack(Connection& c, const TcpSegment& segment) {
    c.window = segment.window;
    if (!seq_le(c.snd_una, segment.ack) || !seq_le(segment.ack, c.snd_nxt)) return;  // old or not yet sent
    if (segment.ack != c.snd_una) {
        c.retries = 0;
        c.rto = kInitialRto;
    }
    c.snd_una = segment.ack;
    if (c.state == State::SynReceived && c.snd_una != c.iss) c.state = State::Established;
}

// Takes in-order data and FIN; true when the segment needs an acknowledgement.
bool TcpResponder::on_data(Connection& c, const TcpSegment& segment) {
    bool fin = segment.flags & kTcpFin;
    if (segment.payload.empty() && !fin) return false;
    if (segment.seq != c.rcv_nxt) return true;  // out of order or a repeat: say what we expect
    if (c.request.size() + segment.payload.size() <= kMaxRequest) {
        c.request += text_of(segment.payload);
        c.rcv_nxt += static_cast<std::uint32_t>(segment.payload.size());
    }
    if (fin && !c.peer_fin) {
        c.peer_fin = true;
        c.rcv_nxt += 1;
    }
    return true;
}

void TcpResponder::answer(Connection& c, Endpoint client, TimePoint now) {
    if (c.response || c.request.empty()) {
        if (!c.response && c.peer_fin) c.response = std::string{};  // closed before asking anything
        return;
    }
    c.response = serve_(c.request, client, now);
    if (!c.response && c.peer_fin) c.response = std::string{};  // it will never be complete
}

std::uint32_t TcpResponder::fin_seq(const Connection& c) {
    return c.iss + 1 + static_cast<std::uint32_t>(c.response ? c.response->size() : 0);
}

// Sends what the window allows from snd_nxt on, FIN after the last byte; true when anything went.
bool TcpResponder::transmit(Connection& c, Endpoint client, TimePoint now) {
    if (!c.response || c.state != State::Established) return false;
    const auto& response = *c.response;
    bool sent = false;
    while (seq_le(c.snd_nxt, fin_seq(c))) {
        std::size_t offset = c.snd_nxt - c.iss - 1;
        std::size_t in_flight = c.snd_nxt - c.snd_una;
        std::size_t room = c.window > in_flight ? c.window - in_flight : 0;
        std::size_t size = std::min({std::size_t{c.mss}, response.size() - offset, room});
        bool last = offset + size == response.size();
        if (size == 0 && !last) break;
        std::uint8_t flags = kTcpAck | (last ? kTcpFin : 0);
        send(client, flags, c.snd_nxt, c.rcv_nxt, std::string_view{response}.substr(offset, size));
        c.snd_nxt += static_cast<std::uint32_t>(size) + (last ? 1 : 0);
        sent = true;
        if (last) break;
    }
    if (sent) c.last_sent = now;
    return sent;
}

bool TcpResponder::finished(const Connection& c) const {
    return c.peer_fin && c.response && c.snd_una == fin_seq(c) + 1;
}

void TcpResponder::tick(TimePoint now) {
    for (auto it = connections_.begin(); it != connections_.end();) {
        auto& c = it->second;
        bool dead = now - c.last_heard >= kIdleTimeout || !retransmit_due(c, it->first, now);
        if (dead) ++counters_.timed_out;
        it = dead ? connections_.erase(it) : std::next(it);
    }
}

// RFC 6298 §5.4-5.5: after the timeout, go back to the oldest unacknowledged
// byte and double the timeout. False when the retries are used up.
bool TcpResponder::retransmit_due(Connection& c, Endpoint client, TimePoint now) {
    bool outstanding = c.snd_una != c.snd_nxt;
    if (!outstanding || now - c.last_sent < c.rto) return true;
    if (++c.retries > kMaxRetries) return false;
    c.rto *= 2;
    c.last_sent = now;
    ++counters_.retransmits;
    if (c.state == State::SynReceived) {
        send(client, kTcpSyn | kTcpAck, c.iss, c.rcv_nxt, {}, kOurMss);
        return true;
    }
    c.snd_nxt = c.snd_una;
    transmit(c, client, now);
    return true;
}

// §3.10.7.1: a segment for no connection gets a RST that its sender will accept.
void TcpResponder::reset(const TcpSegment& segment) {
    ++counters_.resets_sent;
    if (segment.flags & kTcpAck) return send(segment.source, kTcpRst, segment.ack, 0);
    auto length = static_cast<std::uint32_t>(segment.payload.size()) + ((segment.flags & kTcpSyn) ? 1 : 0) +
                  ((segment.flags & kTcpFin) ? 1 : 0);
    send(segment.source, kTcpRst | kTcpAck, 0, segment.seq + length);
}

void TcpResponder::send(Endpoint client, std::uint8_t flags, std::uint32_t seq, std::uint32_t ack,
                        std::string_view payload, std::uint16_t mss) {
    nat::TcpSegmentSpec spec{
        {local_, client, nat::Protocol::Tcp}, flags, seq, ack, bytes_of(payload), 64, mss};
    output_.push_back(nat::build_tcp_segment(spec));
}

}  // namespace natlab::portmap
