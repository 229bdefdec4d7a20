// Reachability probes from inside a host's namespace. See reach.h.
#include "harness/lab/reach.h"

#include <arpa/inet.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <random>
#include <span>

#include "simulator/wire/checksum.h"

namespace natlab::harness {
namespace {

void put16(std::uint8_t* at, std::uint16_t v) {
    at[0] = static_cast<std::uint8_t>(v >> 8);
    at[1] = static_cast<std::uint8_t>(v);
}

std::uint16_t get16(const std::uint8_t* at) {
    return static_cast<std::uint16_t>((at[0] << 8) | at[1]);
}

// An echo request of either family: type, code 0, checksum, identifier,
// sequence, payload. ICMP's (RFC 792, type 8) carries its checksum; the
// kernel fills in ICMPv6's (RFC 4443 section 4.1, type 128) on a raw
// ICMPv6 socket (RFC 3542 section 3.1), so it stays 0 here.
std::array<std::uint8_t, 24> echo_request(bool ipv6, std::uint16_t ident, std::uint16_t seq) {
    std::array<std::uint8_t, 24> m{};
    m[0] = ipv6 ? ICMP6_ECHO_REQUEST : ICMP_ECHO;
    put16(&m[4], ident);
    put16(&m[6], seq);
    std::memcpy(&m[8], "nat-lab reachable", 16);
    if (!ipv6) put16(&m[2], nat::internet_checksum(std::as_bytes(std::span(m))));
    return m;
}

// A STUN Binding request (RFC 8489 section 5): type 0x0001, length 0, the
// magic cookie, a 96-bit transaction id.
std::array<std::uint8_t, 20> binding_request(std::mt19937& random) {
    std::array<std::uint8_t, 20> m{0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42};
    for (std::size_t i = 8; i < m.size(); ++i) m[i] = static_cast<std::uint8_t>(random());
    return m;
}

// The probe's target as a socket address of its family.
struct Target {
    sockaddr_storage storage{};
    socklen_t length = 0;
    const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&storage); }
};

Target socket_address(const ReachPlan& plan, int port) {
    Target t;
    if (plan.to6) {
        auto& sa = reinterpret_cast<sockaddr_in6&>(t.storage);
        sa.sin6_family = AF_INET6;
        std::memcpy(&sa.sin6_addr, plan.to6->bytes.data(), 16);
        sa.sin6_port = htons(static_cast<std::uint16_t>(port));
        t.length = sizeof sa;
        return t;
    }
    auto& sa = reinterpret_cast<sockaddr_in&>(t.storage);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(plan.to.value);
    sa.sin_port = htons(static_cast<std::uint16_t>(port));
    t.length = sizeof sa;
    return t;
}

std::string icmp6_unreachable(int code) {
    switch (code) {
        case ICMP6_DST_UNREACH_NOROUTE:
            return "network unreachable";
        case ICMP6_DST_UNREACH_ADMIN:
            return "administratively prohibited";
        case ICMP6_DST_UNREACH_ADDR:
            return "host unreachable";
        case ICMP6_DST_UNREACH_NOPORT:
            return "port unreachable";
        default:
            return "destination unreachable (code " + std::to_string(code) + ")";
    }
}

std::string icmp_unreachable(int code) {
    switch (code) {
        case ICMP_NET_UNREACH:
            return "network unreachable";
        case ICMP_HOST_UNREACH:
            return "host unreachable";
        case ICMP_PORT_UNREACH:
            return "port unreachable";
        case ICMP_PKT_FILTERED:
            return "administratively prohibited";
        default:
            return "destination unreachable (code " + std::to_string(code) + ")";
    }
}

// A socket error in the words of the ICMP errors above.
std::string error_text(int err) {
    switch (err) {
        case ENETUNREACH:
            return "network unreachable";
        case EHOSTUNREACH:
            return "host unreachable";
        case ECONNREFUSED:
            return "connection refused";
        default:
            return std::strerror(err);
    }
}

}  // namespace

ReachProbe::ReachProbe(ReachPlan plan) : plan_(std::move(plan)) {
    facts_.expectation = plan_.expectation;
    facts_.last_failure = "no attempt made";
    next_attempt_ms_ = static_cast<double>(plan_.at.count());
    ident_ = static_cast<std::uint16_t>(std::random_device{}());
}

ReachProbe::ReachProbe(ReachProbe&& other) noexcept
    : plan_(std::move(other.plan_)),
      facts_(std::move(other.facts_)),
      fd_(other.fd_),
      next_attempt_ms_(other.next_attempt_ms_),
      connect_started_ms_(other.connect_started_ms_),
      ident_(other.ident_) {
    other.fd_ = -1;
}

ReachProbe::~ReachProbe() {
    close_socket();
}

void ReachProbe::close_socket() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
}

namespace {
double window_end(const ReachPlan& plan) {
    return static_cast<double>((plan.at + plan.within).count());
}
}  // namespace

bool ReachProbe::done(double since_start_ms) const {
    if (facts_.answered_ms && !plan_.negate) return true;
    return since_start_ms >= window_end(plan_);
}

void ReachProbe::poll(double since_start_ms, const SocketOpener& open) {
    if (since_start_ms < static_cast<double>(plan_.at.count()) || done(since_start_ms)) {
        if (done(since_start_ms)) close_socket();
        return;
    }
    if (fd_ >= 0) plan_.by == ReachBy::Tcp ? check_connect(since_start_ms) : read_answers(since_start_ms);
    if (!done(since_start_ms) && since_start_ms >= next_attempt_ms_) attempt(since_start_ms, open);
    if (done(since_start_ms)) close_socket();
}

void ReachProbe::attempt(double now, const SocketOpener& open) {
    next_attempt_ms_ = now + static_cast<double>(kAttemptEvery.count());
    if (plan_.by == ReachBy::Tcp && fd_ >= 0) {
        if (now - connect_started_ms_ < static_cast<double>(kTcpPatience.count())) return;
        fail("no answer to the connect");
        close_socket();
    }
    ++facts_.attempts;
    if (facts_.attempts == 1) fail("no answer");
    if (fd_ < 0) {
        int type = plan_.by == ReachBy::Icmp ? SOCK_RAW : plan_.by == ReachBy::Udp ? SOCK_DGRAM : SOCK_STREAM;
        bool v6 = plan_.to6.has_value();
        int icmp = v6 ? static_cast<int>(IPPROTO_ICMPV6) : static_cast<int>(IPPROTO_ICMP);
        int protocol = plan_.by == ReachBy::Icmp ? icmp : 0;
        fd_ = open(v6 ? AF_INET6 : AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol);
        if (fd_ < 0) return fail("socket: " + error_text(errno));
        if (plan_.by != ReachBy::Icmp) {
            auto target = socket_address(plan_, plan_.port);
            connect_started_ms_ = now;
            if (::connect(fd_, target.get(), target.length) != 0 && errno != EINPROGRESS) {
                fail(error_text(errno));
                return close_socket();
            }
        }
    }
    if (plan_.by != ReachBy::Tcp) send_request();
}

void ReachProbe::send_request() {
    static std::mt19937 random{std::random_device{}()};
    auto seq = static_cast<std::uint16_t>(facts_.attempts);
    if (plan_.by == ReachBy::Icmp) {
        auto m = echo_request(plan_.to6.has_value(), ident_, seq);
        auto target = socket_address(plan_, 0);
        if (::sendto(fd_, m.data(), m.size(), 0, target.get(), target.length) < 0) fail(error_text(errno));
        return;
    }
    auto m = binding_request(random);
    if (::send(fd_, m.data(), m.size(), 0) < 0)
        fail(errno == ECONNREFUSED ? "port unreachable" : error_text(errno));
}

void ReachProbe::read_answers(double now) {
    if (plan_.by == ReachBy::Udp) return read_datagrams(now);
    if (plan_.to6) return read_icmp6(now);
    std::array<std::uint8_t, 1500> buf{};
    sockaddr_in from{};
    for (;;) {
        socklen_t len = sizeof from;
        auto n = ::recvfrom(fd_, buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(&from), &len);
        if (n <= 0) return;
        std::size_t ihl = (buf[0] & 0x0f) * 4u;
        if (static_cast<std::size_t>(n) < ihl + 8) continue;
        const std::uint8_t* icmp = buf.data() + ihl;
        bool from_target = ntohl(from.sin_addr.s_addr) == plan_.to.value;
        if (icmp[0] == ICMP_ECHOREPLY && from_target && get16(icmp + 4) == ident_) answered(now);
        // An error quoting our echo request: 8 bytes of ICMP, then the quoted IP header, then our header.
        std::size_t quoted = ihl + 8;
        if (icmp[0] == ICMP_DEST_UNREACH && static_cast<std::size_t>(n) >= quoted + 20 + 8) {
            std::size_t quoted_ihl = (buf[quoted] & 0x0f) * 4u;
            if (static_cast<std::size_t>(n) >= quoted + quoted_ihl + 8 &&
                get16(buf.data() + quoted + quoted_ihl + 4) == ident_)
                fail(icmp_unreachable(icmp[1]));
        }
    }
}

// A raw ICMPv6 socket reads messages without their IPv6 header. An error
// quotes the packet that caused it: 8 bytes of ICMPv6, its 40-byte IPv6
// header, then our echo request's header.
void ReachProbe::read_icmp6(double now) {
    std::array<std::uint8_t, 1500> buf{};
    sockaddr_in6 from{};
    constexpr std::size_t kQuoted = 8 + 40;
    for (;;) {
        socklen_t len = sizeof from;
        auto n = ::recvfrom(fd_, buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(&from), &len);
        if (n < 8) return;
        bool from_target = std::memcmp(&from.sin6_addr, plan_.to6->bytes.data(), 16) == 0;
        if (buf[0] == ICMP6_ECHO_REPLY && from_target && get16(&buf[4]) == ident_) answered(now);
        if (buf[0] == ICMP6_DST_UNREACH && static_cast<std::size_t>(n) >= kQuoted + 8 &&
            buf[kQuoted] == ICMP6_ECHO_REQUEST && get16(&buf[kQuoted + 4]) == ident_)
            fail(icmp6_unreachable(buf[1]));
    }
}

void ReachProbe::read_datagrams(double now) {
    std::array<std::uint8_t, 1500> buf{};
    for (;;) {
        auto n = ::recv(fd_, buf.data(), buf.size(), 0);
        if (n >= 0) {
            answered(now);
            continue;
        }
        if (errno != EAGAIN && errno != EWOULDBLOCK) {
            fail(errno == ECONNREFUSED ? "port unreachable" : error_text(errno));
            continue;
        }
        return;
    }
}

void ReachProbe::check_connect(double now) {
    pollfd pfd{fd_, POLLOUT, 0};
    if (::poll(&pfd, 1, 0) != 1) return;
    int err = 0;
    socklen_t len = sizeof err;
    ::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err == 0) {
        answered(now);
    } else {
        fail(error_text(err));
    }
    close_socket();
}

void ReachProbe::answered(double now) {
    if (!facts_.answered_ms) facts_.answered_ms = now;
    ++facts_.answers;
}

void ReachProbe::fail(const std::string& why) {
    facts_.last_failure = why;
}

}  // namespace natlab::harness
