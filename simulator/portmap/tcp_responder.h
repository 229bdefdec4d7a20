// A user-space TCP responder: one request, one response, then close
// (RFC 9293), for the IGD's HTTP port.
//
// Theory of operation
// -------------------
// The emulated NAT has no kernel TCP stack to lean on: nat-emu moves frames
// with AF_PACKET and its namespace holds no addresses. So the IGD's HTTP
// server is served here, in the pure core, by the smallest TCP that a real
// client's stack is content with. (The alternative, a TUN device carrying
// the namespace's kernel TCP to an HTTP socket, gives full TCP but puts an
// address and a route into the NAT's namespace and a second I/O path into
// the shell, and could not be driven on a fake clock. An HTTP exchange of
// one small request and a response of a few kilobytes, with
// `Connection: close`, needs very little of TCP.)
//
// A connection, keyed by the client's endpoint:
//   SYN            -> a connection in SynReceived; SYN-ACK (our ISS, MSS 1460)
//                     (RFC 9293 §3.5). A repeated SYN gets the SYN-ACK again.
//   ACK of the SYN -> Established. Data in order is appended to the request
//                     and acknowledged; data out of order is dropped and the
//                     next expected byte acknowledged again (the sender
//                     retransmits, §3.10.7.4). Once `serve` says the request
//                     is complete it returns the whole response.
//   response       -> sent in segments of at most the client's MSS (536
//                     when it sent none, §3.7.1) and within its window (no
//                     window scaling is offered, so the window is unscaled,
//                     RFC 7323 §1.3), our FIN on the last one (we close: HTTP
//                     `Connection: close`).
//   the client's ACKs move snd_una; its FIN is acknowledged. When both FINs
//   are acknowledged the connection is gone.
// Retransmission: whatever is unacknowledged is sent again from snd_una
// after the retransmission timeout (1 s, doubled each time, RFC 6298 §2 and
// §5.5) up to kMaxRetries times, then the connection is dropped. A
// connection that hears nothing for kIdleTimeout is dropped too.
// Anything else (a segment for no connection that is not a SYN) is answered
// with a RST (§3.10.7.1); a RST ends its connection.
//
// Not done: urgent data, options other than MSS, SACK, congestion control
// (a response is a few segments into a LAN), simultaneous open, keep-alive.
// At most kMaxConnections at once; further SYNs are ignored.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "simulator/wire/packet.h"
#include "src/net/clock.h"
#include "src/net/endpoint.h"

namespace natlab::portmap {

// The fields of a TCP segment the responder reads (RFC 9293 §3.1).
struct TcpSegment {
    Endpoint source;
    Endpoint destination;
    std::uint32_t seq = 0;
    std::uint32_t ack = 0;
    std::uint8_t flags = 0;
    std::uint16_t window = 0;
    std::uint16_t mss = 0;  // 0: no MSS option
    std::span<const std::byte> payload;
};
// nullopt when the header is shorter than its data offset says.
std::optional<TcpSegment> read_segment(const nat::Ipv4Packet& packet);

struct TcpCounters {
    std::uint64_t connections = 0;
    std::uint64_t retransmits = 0;
    std::uint64_t resets_sent = 0;
    std::uint64_t timed_out = 0;
};

class TcpResponder {
public:
    // The response once `request` (all received so far) is complete; nullopt while it is not.
    using Serve =
        std::function<std::optional<std::string>(std::string_view request, Endpoint client, TimePoint now)>;

    static constexpr std::size_t kMaxConnections = 32;
    static constexpr int kMaxRetries = 6;
    static constexpr Millis kInitialRto{1000};
    static constexpr Millis kIdleTimeout{30000};
    static constexpr std::uint16_t kOurMss = 1460;
    static constexpr std::uint16_t kDefaultMss = 536;

    TcpResponder(Endpoint local, Serve serve) : local_(local), serve_(std::move(serve)) {}

    // A segment addressed to `local`.
    void receive(const TcpSegment& segment, TimePoint now);
    void tick(TimePoint now);
    // The IPv4 datagrams to send since the last call.
    std::vector<std::vector<std::byte>> take_output() { return std::move(output_); }
    std::size_t connections() const { return connections_.size(); }
    const TcpCounters& counters() const { return counters_; }

private:
    enum class State : std::uint8_t { SynReceived, Established };
    struct Connection {
        State state = State::SynReceived;
        std::uint32_t iss = 0;
        std::uint32_t snd_una = 0;
        std::uint32_t snd_nxt = 0;
        std::uint32_t rcv_nxt = 0;
        std::uint16_t mss = kDefaultMss;
        std::uint32_t window = 0;
        std::string request;
        std::optional<std::string> response;
        bool peer_fin = false;
        TimePoint last_sent;
        TimePoint last_heard;
        Millis rto = kInitialRto;
        int retries = 0;
    };

    void open(const TcpSegment& segment, TimePoint now);
    void on_segment(Connection& c, Endpoint client, const TcpSegment& segment, TimePoint now);
    void on_ack(Connection& c, const TcpSegment& segment);
    bool on_data(Connection& c, const TcpSegment& segment);
    void answer(Connection& c, Endpoint client, TimePoint now);
    bool transmit(Connection& c, Endpoint client, TimePoint now);
    void send(Endpoint client, std::uint8_t flags, std::uint32_t seq, std::uint32_t ack,
              std::string_view payload = {}, std::uint16_t mss = 0);
    void reset(const TcpSegment& segment);
    bool finished(const Connection& c) const;
    bool retransmit_due(Connection& c, Endpoint client, TimePoint now);
    static std::uint32_t fin_seq(const Connection& c);

    Endpoint local_;
    Serve serve_;
    std::map<Endpoint, Connection> connections_;
    std::vector<std::vector<std::byte>> output_;
    TcpCounters counters_;
};

}  // namespace natlab::portmap
