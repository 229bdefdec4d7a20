// libFuzzer target: the IGD's HTTP and SOAP (RFC 9112; UPnP Device
// Architecture 1.1 §2-3; WANIPConnection) on both sides. Input:
// portmap_input.h; the records are TCP reads.
//
// Configuration byte, server side (bit 7 clear): bit 0 IGD:2 (else IGD:1),
// bits 1-2 the mode, bit 3 the NAT refuses everything, bit 4 two mappings
// per host, bit 5 permanent leases only (IGD:1), bit 6 a symmetric NAT.
//   mode 0 (and 3), stream: the records are the successive reads of one
//     connection, handed to the IGD as its TCP responder does (all bytes
//     so far, IgdServer::answer, until it answers). A record whose who has
//     bit 0 set ends the connection after it; bit 1 makes the next
//     connection 10.0.1.3's, else 10.0.1.2's. However a request is split,
//     it is answered once it is complete, and one larger than
//     kMaxRequestBytes is always answered (400), never buffered further.
//   mode 1, TCP: the same reads as segments of a real connection through
//     the user-space TCP responder (SYN, ACK, data; who bit 0 sends a FIN
//     with it, bit 1 sends it one segment's length ahead, out of order),
//     every segment it sends acknowledged; each must be a TCP segment from
//     10.0.1.1:5000 to the client of at most our MSS, and the response they
//     carry, once the FIN came, is checked like a stream answer.
//   mode 2, SOAP: each record is "SOAPAction value \n envelope", POSTed
//     with the right Content-Length to /ctl/IPConn (who bit 0:
//     /ctl/CmnIfCfg) from the host who bit 1 picks, so that the envelope
//     reader and the actions are reached without the fuzzer having to
//     keep a Content-Length right.
// Every answer: `HTTP/1.1 <status>` with a status the IGD uses, a head of
// CRLF lines, a Content-Length equal to the body, `Connection: close`, a
// UPnPError code in every 500, and the peer's reader (upnp::read_http)
// reads the same status and body from it.
//
// Peer side (bit 7 set): the records are reads of one gateway response,
// given to the peer's reader (upnp::read_http) after each, and once more
// as closed when who has bit 0 set (the connection ends; the next record
// starts another response). A response read is taken as a device
// description (find_ip_connection) and a SOAP answer (read_reply); a
// control point found must give a SOAP AddPortMapping (soap_request) that
// nat-emu's readers take as that action with its eight arguments, when
// its service type and path are plain tokens.
//
//   ci/fuzz [SECONDS]

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "simulator/fuzz/portmap_input.h"
#include "simulator/wire/builder.h"
#include "simulator/wire/bytes.h"
#include "src/fuzz/fuzz_entry.h"
#include "src/net/invariant.h"
#include "src/peer/upnp_client.h"

namespace {

using namespace natlab;
using namespace natlab::nat;
using namespace natlab::nat::fuzz;

constexpr std::size_t kMaxAnswer = 64 * 1024;
const Endpoint kHttp{kGateway, portmap::kDefaultHttpPort};

Endpoint client_of(unsigned who) {
    return kLanHosts[(who & 2) ? 2 : 0];
}

std::size_t content_length(std::string_view head) {
    constexpr std::string_view kName = "\r\nContent-Length: ";
    auto at = head.find(kName);
    NATLAB_INVARIANT(at != std::string_view::npos);
    std::size_t n = 0;
    auto digits = head.substr(at + kName.size());
    std::from_chars(digits.data(), digits.data() + digits.size(), n);
    return n;
}

void check_http_answer(std::string_view a) {
    NATLAB_INVARIANT(a.size() <= kMaxAnswer && a.starts_with("HTTP/1.1 "));
    auto end = a.find("\r\n\r\n");
    NATLAB_INVARIANT(end != std::string_view::npos);
    auto head = a.substr(0, end + 2);
    auto body = a.substr(end + 4);
    int status = 0;
    std::from_chars(a.data() + 9, a.data() + 12, status);
    NATLAB_INVARIANT(status == 200 || status == 400 || status == 404 || status == 405 || status == 500);
    for (std::size_t i = 0; i < head.size(); ++i)
        NATLAB_INVARIANT((head[i] != '\r' || head[i + 1] == '\n') &&
                         (head[i] != '\n' || head[i - 1] == '\r'));
    NATLAB_INVARIANT(content_length(head) == body.size());
    NATLAB_INVARIANT(head.find("\r\nConnection: close\r\n") != std::string_view::npos);
    if (status == 500) NATLAB_INVARIANT(body.find("<errorCode>") != std::string_view::npos);
    auto reply = upnp::read_http(a, false);
    NATLAB_INVARIANT(reply && reply->status == status && reply->body == body);
}

// ---- mode 0: one connection's reads, as the TCP responder hands them over

struct Stream {
    std::string request;
    bool answered = false;
    Endpoint client = kLanHosts[0];
};

void read_more(portmap::IgdServer& igd, Stream& s, const Message& m, TimePoint now) {
    s.request += as_text(m.bytes);
    if (s.answered) return;
    auto answer = igd.answer(s.request, s.client, now);
    s.answered = answer.has_value();
    if (answer) check_http_answer(*answer);
    NATLAB_INVARIANT(s.answered || s.request.size() <= portmap::kMaxRequestBytes);
}

void run_stream(PortMapBox& box, std::span<const std::uint8_t> in) {
    TimePoint now{};
    Stream s;
    Message m;
    while (next_message(in, m)) {
        box.advance(now, m.pause_seconds);
        read_more(box.igd, s, m, now);
        if (m.who & 1) s = Stream{{}, false, client_of(m.who)};
    }
}

// ---- mode 1: the same through the user-space TCP responder

struct Connection {
    Endpoint client = kLanHosts[0];
    std::uint32_t seq = 1000;  // the client's next
    std::uint32_t ack = 0;     // the server's next
    std::string response;
    bool fin = false;
};

void send_segment(portmap::IgdServer& igd, const Connection& c, std::uint8_t flags, std::uint32_t seq,
                  std::span<const std::byte> payload, TimePoint now) {
    TcpSegmentSpec spec{
        {c.client, kHttp, Protocol::Tcp}, flags, seq, c.ack, {payload.begin(), payload.end()}};
    spec.mss = (flags & kTcpSyn) ? 1460 : 0;
    auto datagram = build_tcp_segment(spec);
    DropReason why;
    auto packet = Ipv4Packet::parse(datagram, why);
    NATLAB_INVARIANT(packet && igd.wants(*packet));
    igd.receive(*packet, now);
}

// What the responder sent: checked, its in-order data collected; true when there was something to
// acknowledge.
bool collect(portmap::IgdServer& igd, Connection& c) {
    bool more = false;
    for (auto& datagram : igd.take_output()) {
        DropReason why;
        auto packet = Ipv4Packet::parse(datagram, why);
        NATLAB_INVARIANT(packet && packet->protocol() == Protocol::Tcp);
        NATLAB_INVARIANT(packet->source() == kHttp && packet->destination() == c.client);
        auto segment = portmap::read_segment(*packet);
        NATLAB_INVARIANT(segment && segment->payload.size() <= portmap::TcpResponder::kOurMss);
        if (segment->flags & kTcpRst) continue;
        if (segment->flags & kTcpSyn) c.ack = segment->seq + 1;
        if (segment->seq != c.ack || (segment->flags & kTcpSyn)) continue;
        c.response +=
            std::string_view{reinterpret_cast<const char*>(segment->payload.data()), segment->payload.size()};
        c.ack += static_cast<std::uint32_t>(segment->payload.size());
        if (segment->flags & kTcpFin) {
            c.fin = true;
            c.ack += 1;
        }
        more = more || !segment->payload.empty() || (segment->flags & kTcpFin);
    }
    return more;
}

void open_connection(PortMapBox& box, Connection& c, TimePoint now) {
    send_segment(box.igd, c, kTcpSyn, c.seq++, {}, now);
    collect(box.igd, c);
    send_segment(box.igd, c, kTcpAck, c.seq, {}, now);
    collect(box.igd, c);
}

void tcp_read(PortMapBox& box, Connection& c, const Message& m, TimePoint now) {
    auto payload = std::as_bytes(m.bytes);
    std::uint32_t length = static_cast<std::uint32_t>(payload.size());
    std::uint8_t flags = kTcpAck | ((m.who & 1) ? kTcpFin : 0);
    send_segment(box.igd, c, flags, c.seq + ((m.who & 2) ? length : 0), payload, now);
    if (!(m.who & 2)) c.seq += length + ((m.who & 1) ? 1 : 0);
    while (collect(box.igd, c)) send_segment(box.igd, c, kTcpAck, c.seq, {}, now);
    NATLAB_INVARIANT(box.igd.counters().tcp.connections <= 1);  // the one SYN
    if (c.fin && !c.response.empty()) check_http_answer(c.response);
}

void run_tcp(PortMapBox& box, std::span<const std::uint8_t> in) {
    TimePoint now{};
    Connection c;
    open_connection(box, c, now);
    Message m;
    while (next_message(in, m) && !c.fin) {
        box.advance(now, m.pause_seconds);
        collect(box.igd, c);
        tcp_read(box, c, m, now);
    }
}

// ---- mode 2: SOAP envelopes, framed here

void run_soap(PortMapBox& box, std::span<const std::uint8_t> in) {
    TimePoint now{};
    Message m;
    while (next_message(in, m)) {
        box.advance(now, m.pause_seconds);
        auto text = as_text(m.bytes);
        auto newline = std::min(text.find('\n'), text.size());
        auto action = text.substr(0, newline);
        auto body = text.substr(std::min(newline + 1, text.size()));
        std::string request =
            "POST " +
            std::string{(m.who & 1) ? portmap::kCommonConfigControlPath : portmap::kIpConnectionControlPath} +
            " HTTP/1.1\r\nHOST: 10.0.1.1:5000\r\nSOAPACTION: " + std::string{action} +
            "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + std::string{body};
        auto answer = box.igd.answer(request, client_of(m.who), now);
        if (answer) check_http_answer(*answer);
    }
}

void run_server(std::uint8_t config, std::span<const std::uint8_t> in) {
    auto policy_bits = static_cast<std::uint8_t>((config & 0x30) | ((config >> 3) & 1));
    PortMapBox box{config, policy_from(policy_bits, true, true), (config & 1) ? 2 : 1};
    switch ((config >> 1) & 3) {
        case 1:
            return run_tcp(box, in);
        case 2:
            return run_soap(box, in);
        default:
            return run_stream(box, in);
    }
}

// ---- the peer: a gateway's answers, read as the IGD client reads them

bool plain_token(std::string_view s) {
    if (s.empty()) return false;
    for (char c : s)
        if (!std::isalnum(static_cast<unsigned char>(c)) &&
            std::string_view{":.-_/"}.find(c) == std::string_view::npos)
            return false;
    return true;
}

// The peer's AddPortMapping to `point`, read by nat-emu's HTTP and SOAP readers.
void check_soap_request(const upnp::ControlPoint& point) {
    if (!plain_token(point.service) || !plain_token(point.control.path)) return;
    auto arguments = upnp::add_port_mapping(kPeerInternal, 4000, 3600, "nat-lab");
    auto text = upnp::soap_request(point, "AddPortMapping", arguments);
    auto read = portmap::read_request(text);
    NATLAB_INVARIANT(read.status == portmap::ReadStatus::Complete);
    auto call = portmap::read_call(read.request.header("SOAPAction").value_or(""), read.request.body);
    NATLAB_INVARIANT(call.call && call.call->action == "AddPortMapping" &&
                     call.call->service == point.service);
    NATLAB_INVARIANT(call.call->arguments == arguments);
}

void peer_reply(const upnp::HttpReply& reply) {
    upnp::read_reply(reply);
    const upnp::Url location{kHttp, "/rootDesc.xml"};
    if (auto point = upnp::find_ip_connection(reply.body, location)) {
        NATLAB_INVARIANT(point->control.path.starts_with("/"));
        check_soap_request(*point);
    }
}

void run_peer(std::span<const std::uint8_t> in) {
    std::string response;
    bool done = false;
    Message m;
    while (next_message(in, m)) {
        response += as_text(m.bytes);
        if (!done)
            if (auto reply = upnp::read_http(response, false)) {
                done = true;
                peer_reply(*reply);
            }
        if (!(m.who & 1)) continue;
        if (!done)
            if (auto reply = upnp::read_http(response, true)) peer_reply(*reply);
        response.clear();
        done = false;
    }
}

}  // namespace

extern "C" int NATLAB_FUZZ_ENTRY(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    std::span<const std::uint8_t> in{data + 1, size - 1};
    if (data[0] & kPeerSide)
        run_peer(in);
    else
        run_server(data[0], in);
    return 0;
}
