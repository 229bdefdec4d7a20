// stun_load: a STUN Binding load generator for loopback benchmarks.
//
//   stun_load --server 127.0.0.1:PORT [--seconds S] [--warmup S]
//             [--max-requests N] [--threads T] [--sockets K] [--window W]
//
// Theory of operation
//
// T threads, each with K UDP sockets on 127.0.0.1; each socket keeps up to
// W Binding requests in flight
// towards the server: requests leave in batches (sendmmsg, up to 64 a
// call) whenever a socket has room in its window, answers are drained in
// batches (recvmmsg; with one socket per thread, a blocking recvmmsg that
// returns as soon as one answer is there, so a thread makes two system
// calls per batch and never polls). An answer counts if it is a Binding
// success response carrying the transaction id of a request this run sent (the id holds the
// socket's number and a sequence number). A socket that hears nothing for
// 100 ms with requests outstanding writes them off as lost and refills its
// window, so a lossy server slows the run down instead of stalling it.
//
// The run is bounded twice: by time (warm-up, then the measured seconds)
// and by a request count. Only 127.0.0.0/8 is accepted as the server, so
// the load never leaves the machine. One JSON line on stdout: requests
// sent, answers received, written off, and answers per second over the
// measured interval.
#include <netinet/udp.h>  // UDP_SEGMENT (glibc 2.29+)
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstring>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "src/net/clock.h"
#include "src/net/endpoint.h"
#include "src/shell/udp_batch.h"
#include "src/stun/stun_codec.h"

namespace natlab {
namespace {

struct Options {
    std::string server;
    double seconds = 3;
    double warmup = 0.5;
    std::uint64_t max_requests = 50'000'000;
    std::size_t threads = 1;
    std::size_t sockets = 1;
    std::size_t window = 256;
    bool gso = false;  // one sendmsg carries up to 64 requests (UDP_SEGMENT)
};

struct Client {
    int fd = -1;
    std::uint32_t index = 0;
    std::uint64_t next_sequence = 0;
    std::size_t in_flight = 0;
    TimePoint last_heard;
};

struct Totals {
    std::uint64_t sent = 0;
    std::uint64_t received = 0;
    std::uint64_t lost = 0;
    std::uint64_t stray = 0;     // not an answer to this run
    std::uint64_t measured = 0;  // answers received in the measured interval
    double seconds = 0;          // length of the measured interval
};

// A blocking socket that gives up waiting after 5 ms (receive_wait); the
// other calls pass MSG_DONTWAIT.
int open_client(std::size_t index) {
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0) throw std::runtime_error("socket: " + std::string(std::strerror(errno)));
    int size = 4 << 20;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
    timeval wait{0, 5000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof wait);
    sockaddr_in any = to_sockaddr({Ipv4{0x7F000001}, 0});
    if (bind(fd, reinterpret_cast<sockaddr*>(&any), sizeof any) != 0)
        throw std::runtime_error("bind client " + std::to_string(index) + ": " + std::strerror(errno));
    return fd;
}

// RFC 8489 section 6: a 20-byte Binding request, no attributes. The
// transaction id is the client's number and its sequence number.
void write_request(std::span<std::byte> out, std::uint32_t client, std::uint64_t sequence) {
    const std::uint8_t header[8] = {0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42};
    std::memcpy(out.data(), header, sizeof header);
    std::memcpy(out.data() + 8, &client, sizeof client);
    std::memcpy(out.data() + 12, &sequence, sizeof sequence);
}

bool answers(std::span<const std::byte> d, const Client& c) {
    if (d.size() < stun::kHeaderSize || d[0] != std::byte{0x01} || d[1] != std::byte{0x01}) return false;
    std::uint32_t client = 0;
    std::uint64_t sequence = 0;
    std::memcpy(&client, d.data() + 8, sizeof client);
    std::memcpy(&sequence, d.data() + 12, sizeof sequence);
    return client == c.index && sequence < c.next_sequence;
}

class Load {
public:
    // Thread `thread` of the run: its sockets are numbered from thread * K.
    Load(const Options& o, Endpoint server, std::size_t thread) : o_(o), server_(server), tx_(o.sockets) {
        for (std::size_t i = 0; i < o.sockets; ++i) {
            auto index = static_cast<std::uint32_t>(thread * o.sockets + i);
            clients_.push_back({open_client(index), index, 0, 0, Clock::now()});
        }
    }
    ~Load() {
        for (auto& c : clients_) close(c.fd);
    }

    Totals run(TimePoint start);

private:
    void fill(std::size_t i, TimePoint now);
    void fill_segmented(std::size_t i);
    void drain(std::size_t i, TimePoint now);
    void count(std::size_t i, std::size_t n, TimePoint now);
    bool wait_readable();

    const Options& o_;
    Endpoint server_;
    std::vector<Client> clients_;
    std::vector<SendBatch> tx_;
    ReceiveBatch rx_;
    Totals totals_;
};

// UDP generic segmentation offload (Linux 4.18+): the requests leave as one
// buffer cut into 20-byte datagrams by the kernel, which delivers them to the
// server's socket one by one. Only the load generator uses it: it saves the
// generator a route lookup and a buffer per request, nothing at the server.
bool send_segmented(int fd, Endpoint to, std::span<const std::byte> requests) {
    sockaddr_in dst = to_sockaddr(to);
    iovec iov{const_cast<std::byte*>(requests.data()), requests.size()};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(std::uint16_t))] = {};
    msghdr m{};
    m.msg_name = &dst;
    m.msg_namelen = sizeof dst;
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    m.msg_control = control;
    m.msg_controllen = sizeof control;
    cmsghdr* c = CMSG_FIRSTHDR(&m);
    c->cmsg_level = SOL_UDP;
    c->cmsg_type = UDP_SEGMENT;
    c->cmsg_len = CMSG_LEN(sizeof(std::uint16_t));
    std::uint16_t segment = stun::kHeaderSize;
    std::memcpy(CMSG_DATA(c), &segment, sizeof segment);
    return sendmsg(fd, &m, MSG_DONTWAIT) == static_cast<ssize_t>(requests.size());
}

void Load::fill_segmented(std::size_t i) {
    Client& c = clients_[i];
    std::array<std::byte, kBatch * stun::kHeaderSize> buffer;
    while (c.in_flight < o_.window && totals_.sent < o_.max_requests) {
        std::size_t n = std::min(
            {kBatch, o_.window - c.in_flight, static_cast<std::size_t>(o_.max_requests - totals_.sent)});
        for (std::size_t k = 0; k < n; ++k)
            write_request(std::span(buffer).subspan(k * stun::kHeaderSize, stun::kHeaderSize), c.index,
                          c.next_sequence++);
        if (!send_segmented(c.fd, server_, std::span(buffer).first(n * stun::kHeaderSize))) break;
        c.in_flight += n;
        totals_.sent += n;
    }
}

void Load::fill(std::size_t i, TimePoint now) {
    Client& c = clients_[i];
    if (c.in_flight > 0 && now - c.last_heard > std::chrono::milliseconds(100)) {
        totals_.lost += c.in_flight;  // written off
        c.in_flight = 0;
        c.last_heard = now;
    }
    if (o_.gso) return fill_segmented(i);
    while (c.in_flight < o_.window && !tx_[i].full() && totals_.sent < o_.max_requests) {
        write_request(tx_[i].slot(), c.index, c.next_sequence++);
        tx_[i].commit(stun::kHeaderSize, server_);
        ++c.in_flight;
        ++totals_.sent;
    }
    if (!tx_[i].empty()) tx_[i].flush(c.fd);
}

void Load::count(std::size_t i, std::size_t n, TimePoint now) {
    Client& c = clients_[i];
    for (std::size_t k = 0; k < n; ++k) {
        if (!answers(rx_.data(k), c)) {
            ++totals_.stray;
            continue;
        }
        ++totals_.received;
        if (c.in_flight > 0) --c.in_flight;
        c.last_heard = now;
    }
}

void Load::drain(std::size_t i, TimePoint now) {
    for (std::size_t n; (n = rx_.receive(clients_[i].fd)) > 0;) count(i, n, now);
}

bool Load::wait_readable() {
    std::vector<pollfd> fds;
    for (const auto& c : clients_) fds.push_back({c.fd, POLLIN, 0});
    return poll(fds.data(), fds.size(), 1) > 0;
}

Totals Load::run(TimePoint start) {
    TimePoint measure_from =
        start + std::chrono::duration_cast<Duration>(std::chrono::duration<double>(o_.warmup));
    TimePoint end =
        measure_from + std::chrono::duration_cast<Duration>(std::chrono::duration<double>(o_.seconds));
    std::uint64_t received_at_start = 0;
    bool measuring = false;
    for (TimePoint now = start; now < end; now = Clock::now()) {
        if (!measuring && now >= measure_from) {
            measuring = true;
            received_at_start = totals_.received;
            measure_from = now;
        }
        for (std::size_t i = 0; i < clients_.size(); ++i) fill(i, now);
        if (clients_.size() == 1) {  // one socket: one blocking call waits and receives
            std::size_t n = rx_.receive_wait(clients_[0].fd);
            count(0, n, Clock::now());
            continue;
        }
        wait_readable();
        now = Clock::now();
        for (std::size_t i = 0; i < clients_.size(); ++i) drain(i, now);
        if (totals_.sent >= o_.max_requests && totals_.received + totals_.lost >= totals_.sent) break;
    }
    totals_.seconds = measuring ? std::chrono::duration<double>(Clock::now() - measure_from).count() : 0;
    totals_.measured = measuring ? totals_.received - received_at_start : 0;
    return totals_;
}

// Runs the threads from one common start and adds up what they counted.
nlohmann::ordered_json run_all(const Options& o, Endpoint server) {
    std::vector<std::unique_ptr<Load>> loads;
    for (std::size_t t = 0; t < o.threads; ++t) loads.push_back(std::make_unique<Load>(o, server, t));
    std::vector<Totals> totals(o.threads);
    TimePoint start = Clock::now();
    std::vector<std::thread> threads;
    for (std::size_t t = 0; t < o.threads; ++t)
        threads.emplace_back([&, t] { totals[t] = loads[t]->run(start); });
    for (auto& t : threads) t.join();
    Totals sum;
    double rps = 0;
    for (const auto& t : totals) {
        sum.sent += t.sent;
        sum.received += t.received;
        sum.lost += t.lost;
        sum.stray += t.stray;
        sum.seconds = std::max(sum.seconds, t.seconds);
        rps += t.seconds > 0 ? static_cast<double>(t.measured) / t.seconds : 0.0;
    }
    nlohmann::ordered_json j;
    j["server"] = server.to_string();
    j["seconds"] = sum.seconds;
    j["sent"] = sum.sent;
    j["received"] = sum.received;
    j["lost"] = sum.lost;
    j["stray"] = sum.stray;
    j["rps"] = rps;
    return j;
}

int stun_load_main(int argc, char** argv) {
    CLI::App app{"STUN Binding load generator (loopback only)", "stun_load"};
    Options o;
    app.add_option("--server", o.server, "127.x.y.z:PORT")->required();
    app.add_option("--seconds", o.seconds, "measured seconds")
        ->check(CLI::Range(0.1, 600.0))
        ->capture_default_str();
    app.add_option("--warmup", o.warmup, "seconds before measuring")
        ->check(CLI::Range(0.0, 60.0))
        ->capture_default_str();
    app.add_option("--max-requests", o.max_requests, "requests at most")->capture_default_str();
    app.add_flag("--gso", o.gso, "send requests in 64-datagram UDP_SEGMENT buffers");
    app.add_option("--threads", o.threads, "sending threads")
        ->check(CLI::Range(1, 16))
        ->capture_default_str();
    app.add_option("--sockets", o.sockets, "client sockets per thread")
        ->check(CLI::Range(1, 256))
        ->capture_default_str();
    app.add_option("--window", o.window, "requests in flight per socket")
        ->check(CLI::Range(1, 4096))
        ->capture_default_str();
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    }
    auto server = Endpoint::parse(o.server);
    if (!server || (server->addr.value >> 24) != 127) {
        std::cerr << "stun_load: --server must be a loopback ADDR:PORT (127.0.0.0/8), got '" << o.server
                  << "'\n";
        return 2;
    }
    o.max_requests = std::max<std::uint64_t>(1, o.max_requests / o.threads);  // per thread
    std::cout << run_all(o, *server).dump() << std::endl;
    return 0;
}

}  // namespace
}  // namespace natlab

int main(int argc, char** argv) {
    try {
        return natlab::stun_load_main(argc, argv);
    } catch (const std::exception& e) {
        std::cerr << "stun_load: " << e.what() << std::endl;
        return 1;
    }
}
