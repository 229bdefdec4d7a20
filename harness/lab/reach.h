// The lab's own reachability probes, for `reachable` and `not_reachable`
// (harness/plan/reach_keys.h): from inside a host's namespace, to an
// address, by ICMP echo, a UDP datagram answered, or a TCP connect.
//
// Theory of operation: one ReachProbe per expectation. The lab's loop
// calls poll() often (every 50 ms at most while a probe is open) with the
// time since the hosts' phase began; the probe opens its sockets through
// the `open` function the lab gives it, which makes them in the host's
// namespace (a socket keeps the namespace it was made in), and never
// blocks. From `at` on, it makes one attempt every kAttemptEvery:
//   icmp  an echo request on a raw socket (ICMPv6 when the target is an
//         IPv6 address); any echo reply from the address with the probe's
//         identifier answers it;
//   udp   a STUN Binding request (RFC 8489 section 6: a server answers it,
//         an echo service returns it) on a connected UDP socket; any
//         datagram from the address and port answers it;
//   tcp   a fresh non-blocking connect; the handshake completing answers
//         it (a connect pending for kTcpPatience is given up and retried).
// What came back instead (a port unreachable, a refused connect, nothing)
// is kept as the last failure. A `reachable` probe ends at its first
// answer, a `not_reachable` one goes on for its whole window (any answer
// fails it); either ends at `at` + `within`. Nothing here judges.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "harness/plan/topology.h"

namespace natlab::harness {

inline constexpr Millis kAttemptEvery{250};
inline constexpr Millis kTcpPatience{1'000};

struct ReachFacts {
    std::size_t expectation = 0;
    int attempts = 0;
    std::optional<double> answered_ms;  // the first answer, from the hosts' start
    int answers = 0;
    std::string last_failure;  // "no answer", "connection refused", ...
};

// Makes a socket (domain, type, protocol) where the probe runs; -1 with errno on failure.
using SocketOpener = std::function<int(int, int, int)>;

class ReachProbe {
public:
    explicit ReachProbe(ReachPlan plan);
    ReachProbe(ReachProbe&& other) noexcept;
    ReachProbe(const ReachProbe&) = delete;
    ReachProbe& operator=(const ReachProbe&) = delete;
    ReachProbe& operator=(ReachProbe&&) = delete;
    ~ReachProbe();

    void poll(double since_start_ms, const SocketOpener& open);
    bool done(double since_start_ms) const;
    const std::string& from() const { return plan_.from; }
    const ReachFacts& facts() const { return facts_; }

private:
    void attempt(double now, const SocketOpener& open);
    void send_request();
    void read_answers(double now);
    void read_datagrams(double now);
    void read_icmp6(double now);
    void check_connect(double now);
    void answered(double now);
    void fail(const std::string& why);
    void close_socket();

    ReachPlan plan_;
    ReachFacts facts_;
    int fd_ = -1;
    double next_attempt_ms_ = 0;
    double connect_started_ms_ = 0;
    std::uint16_t ident_ = 0;
};

}  // namespace natlab::harness
