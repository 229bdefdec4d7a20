// nat-bench-udp: the small-UDP load generator and sink of ci/bench-nat.
//
//   nat-bench-udp sink --bind ADDR:PORT
//   nat-bench-udp load --to ADDR:PORT [--seconds S] [--batch N] [--pings N]
//
// The sink counts data datagrams, echoes pings, and answers a report request
// with how many data datagrams it has received so far. It runs until killed.
//
// The load generator, behind the NAT under test:
//   1. asks the sink for its count until it answers (this creates the NAT
//      mapping and resolves ARP on the way; up to 5 s);
//   2. sends data datagrams of 64 bytes of payload as fast as it can for S
//      seconds (default 3), N at a time with sendmmsg (default 64);
//   3. waits 300 ms for the queues to drain and asks for the count again: the
//      difference is what crossed the NAT;
//   4. sends N pings (default 2000) one at a time, each after the answer to
//      the one before (or a 200 ms timeout), for round-trip times at idle;
//   5. prints one JSON line:
//      {"event":"nat-bench","seconds":3.0,"sent":N,"received":N,"sent_pps":X,
//       "pps":X,"rtt_us":{"n":N,"p50":X,"p99":X}}
//      and exits 0, or 1 with a line on stderr if the sink never answered.
//
// Wire format, 64 bytes: byte 0 the kind ('D' data, 'P' ping, 'R' report
// request, 'r' report), bytes 8-15 a sequence number (ping) or the count
// (report), bytes 16-23 the sender's timestamp in nanoseconds (ping).
// Traffic goes only where --to points: in the lab, an internet address.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;
constexpr std::size_t kPayload = 64;
constexpr std::size_t kMaxBatch = 256;

using Message = std::array<unsigned char, kPayload>;

[[noreturn]] void die(const std::string& what) {
    std::fprintf(stderr, "nat-bench-udp: %s\n", what.c_str());
    std::exit(2);
}

// An IPv4 or IPv6 socket address: "a.b.c.d:port" or "[v6]:port".
struct SocketAddress {
    sockaddr_storage storage{};
    socklen_t length = 0;
    int family() const { return storage.ss_family; }
    const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&storage); }
};

std::optional<int> port_of(const std::string& text) {
    try {
        std::size_t used = 0;
        int port = std::stoi(text, &used);
        if (used == text.size() && port >= 1 && port <= 65535) return port;
    } catch (...) {
    }
    return std::nullopt;
}

std::optional<SocketAddress> parse_endpoint(const std::string& text) {
    auto colon = text.rfind(':');
    if (colon == std::string::npos) return std::nullopt;
    auto host = text.substr(0, colon);
    auto port = port_of(text.substr(colon + 1));
    if (!port) return std::nullopt;
    SocketAddress a;
    if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
        auto& v6 = reinterpret_cast<sockaddr_in6&>(a.storage);
        v6.sin6_family = AF_INET6;
        v6.sin6_port = htons(static_cast<std::uint16_t>(*port));
        if (inet_pton(AF_INET6, host.substr(1, host.size() - 2).c_str(), &v6.sin6_addr) != 1)
            return std::nullopt;
        a.length = sizeof v6;
        return a;
    }
    auto& v4 = reinterpret_cast<sockaddr_in&>(a.storage);
    v4.sin_family = AF_INET;
    v4.sin_port = htons(static_cast<std::uint16_t>(*port));
    if (inet_pton(AF_INET, host.c_str(), &v4.sin_addr) != 1) return std::nullopt;
    a.length = sizeof v4;
    return a;
}

std::uint64_t load64(const Message& m, std::size_t at) {
    std::uint64_t v;
    std::memcpy(&v, m.data() + at, sizeof v);
    return v;
}

void store64(Message& m, std::size_t at, std::uint64_t v) {
    std::memcpy(m.data() + at, &v, sizeof v);
}

std::uint64_t now_ns() {
    return static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count());
}

int udp_socket(int family) {
    int fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) die(std::string("socket: ") + std::strerror(errno));
    int size = 4 << 20;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size);
    setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof size);
    return fd;
}

// ---- sink ----

int sink(const SocketAddress& bind_to) {
    int fd = udp_socket(bind_to.family());
    if (bind(fd, bind_to.get(), bind_to.length) < 0) die(std::string("bind: ") + std::strerror(errno));
    std::uint64_t received = 0;
    std::array<Message, kMaxBatch> buffers{};
    std::array<sockaddr_storage, kMaxBatch> from{};
    std::array<iovec, kMaxBatch> iov{};
    std::array<mmsghdr, kMaxBatch> headers{};
    for (;;) {
        for (std::size_t i = 0; i < kMaxBatch; ++i) {
            iov[i] = {buffers[i].data(), kPayload};
            headers[i] = {};
            headers[i].msg_hdr.msg_iov = &iov[i];
            headers[i].msg_hdr.msg_iovlen = 1;
            headers[i].msg_hdr.msg_name = &from[i];
            headers[i].msg_hdr.msg_namelen = sizeof from[i];
        }
        int n = recvmmsg(fd, headers.data(), kMaxBatch, MSG_WAITFORONE, nullptr);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) die(std::string("recvmmsg: ") + std::strerror(errno));
        for (int i = 0; i < n; ++i) {
            Message& m = buffers[static_cast<std::size_t>(i)];
            if (headers[static_cast<std::size_t>(i)].msg_len < 1) continue;
            if (m[0] == 'D') ++received;
            if (m[0] != 'P' && m[0] != 'R') continue;
            if (m[0] == 'R') {
                m[0] = 'r';
                store64(m, 8, received);
            }
            sendto(fd, m.data(), kPayload, 0, reinterpret_cast<sockaddr*>(&from[static_cast<std::size_t>(i)]),
                   headers[static_cast<std::size_t>(i)].msg_hdr.msg_namelen);
        }
    }
}

// ---- load ----

// The first datagram of `kind` within `timeout`, if any.
std::optional<Message> await(int fd, unsigned char kind, std::chrono::milliseconds timeout,
                             std::optional<std::uint64_t> sequence = {}) {
    auto deadline = Clock::now() + timeout;
    for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
        if (left <= 0) return std::nullopt;
        pollfd p{fd, POLLIN, 0};
        if (poll(&p, 1, static_cast<int>(left)) <= 0) continue;
        Message m{};
        if (recv(fd, m.data(), kPayload, MSG_DONTWAIT) < 1) continue;
        if (m[0] == kind && (!sequence || load64(m, 8) == *sequence)) return m;
    }
}

std::optional<std::uint64_t> sink_count(int fd, std::chrono::milliseconds total) {
    auto deadline = Clock::now() + total;
    Message request{};
    request[0] = 'R';
    while (Clock::now() < deadline) {
        send(fd, request.data(), kPayload, 0);
        if (auto reply = await(fd, 'r', std::chrono::milliseconds{200})) return load64(*reply, 8);
    }
    return std::nullopt;
}

std::uint64_t blast(int fd, double seconds, std::size_t batch) {
    std::vector<Message> messages(batch);
    std::vector<iovec> iov(batch);
    std::vector<mmsghdr> headers(batch);
    for (std::size_t i = 0; i < batch; ++i) {
        messages[i].fill(0x42);
        messages[i][0] = 'D';
        iov[i] = {messages[i].data(), kPayload};
        headers[i] = {};
        headers[i].msg_hdr.msg_iov = &iov[i];
        headers[i].msg_hdr.msg_iovlen = 1;
    }
    std::uint64_t sent = 0;
    auto end =
        Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
    while (Clock::now() < end) {
        int n = sendmmsg(fd, headers.data(), static_cast<unsigned>(batch), 0);
        if (n > 0) sent += static_cast<std::uint64_t>(n);
    }
    return sent;
}

std::vector<double> pings(int fd, int count) {
    std::vector<double> rtt_us;
    Message m{};
    for (int i = 0; i < count; ++i) {
        m[0] = 'P';
        store64(m, 8, static_cast<std::uint64_t>(i));
        std::uint64_t sent_at = now_ns();
        store64(m, 16, sent_at);
        send(fd, m.data(), kPayload, 0);
        if (await(fd, 'P', std::chrono::milliseconds{200}, static_cast<std::uint64_t>(i)))
            rtt_us.push_back(static_cast<double>(now_ns() - sent_at) / 1000.0);
    }
    return rtt_us;
}

double percentile(std::vector<double> v, double p) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    auto i = static_cast<std::size_t>(std::lround(p / 100.0 * static_cast<double>(v.size() - 1)));
    return v[std::min(i, v.size() - 1)];
}

int load(const SocketAddress& to, double seconds, std::size_t batch, int ping_count) {
    int fd = udp_socket(to.family());
    if (connect(fd, to.get(), to.length) < 0) die(std::string("connect: ") + std::strerror(errno));
    auto before = sink_count(fd, std::chrono::seconds{5});
    if (!before) {
        std::fprintf(stderr, "nat-bench-udp: the sink never answered\n");
        return 1;
    }
    std::uint64_t sent = blast(fd, seconds, batch);
    usleep(300'000);
    auto after = sink_count(fd, std::chrono::seconds{3});
    if (!after) {
        std::fprintf(stderr, "nat-bench-udp: the sink stopped answering\n");
        return 1;
    }
    auto rtt = pings(fd, ping_count);
    std::uint64_t received = *after - *before;
    std::printf(
        "{\"event\":\"nat-bench\",\"seconds\":%.3f,\"batch\":%zu,\"sent\":%llu,\"received\":%llu,"
        "\"sent_pps\":%.0f,\"pps\":%.0f,\"rtt_us\":{\"n\":%zu,\"p50\":%.1f,\"p99\":%.1f}}\n",
        seconds, batch, static_cast<unsigned long long>(sent), static_cast<unsigned long long>(received),
        static_cast<double>(sent) / seconds, static_cast<double>(received) / seconds, rtt.size(),
        percentile(rtt, 50), percentile(rtt, 99));
    std::fflush(stdout);
    return 0;
}

std::string value_of(const std::vector<std::string>& args, const std::string& flag,
                     const std::string& fallback) {
    for (std::size_t i = 0; i + 1 < args.size(); ++i)
        if (args[i] == flag) return args[i + 1];
    return fallback;
}

double number(const std::string& flag, const std::string& text, double lo, double hi) {
    try {
        std::size_t used = 0;
        double v = std::stod(text, &used);
        if (used == text.size() && v >= lo && v <= hi) return v;
    } catch (...) {
    }
    die(flag + ": expected a number from " + std::to_string(lo) + " to " + std::to_string(hi) + ", got '" +
        text + "'");
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    const char* usage =
        "usage: nat-bench-udp sink --bind ADDR:PORT\n"
        "       nat-bench-udp load --to ADDR:PORT [--seconds S] [--batch N] [--pings N]\n"
        "ADDR:PORT is a.b.c.d:port or [IPv6]:port";
    if (args.empty()) die(usage);
    if (args[0] == "sink") {
        auto at = parse_endpoint(value_of(args, "--bind", ""));
        if (!at) die("--bind: expected a.b.c.d:PORT or [IPv6]:PORT");
        return sink(*at);
    }
    if (args[0] == "load") {
        auto to = parse_endpoint(value_of(args, "--to", ""));
        if (!to) die("--to: expected a.b.c.d:PORT or [IPv6]:PORT");
        double seconds = number("--seconds", value_of(args, "--seconds", "3"), 0.1, 600);
        auto batch =
            static_cast<std::size_t>(number("--batch", value_of(args, "--batch", "64"), 1, kMaxBatch));
        int ping_count = static_cast<int>(number("--pings", value_of(args, "--pings", "2000"), 0, 1e6));
        return load(*to, seconds, batch, ping_count);
    }
    die(usage);
}
