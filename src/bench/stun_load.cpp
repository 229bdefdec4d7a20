// stun_load: a STUN Binding load generator for loopback benchmarks.
//
//   stun_load --server 127.0.0.1:PORT [--seconds S] [--warmup S]
//             [--max-requests N] [--sockets K] [--window W]
//
// Theory of operation
//
// K UDP sockets on 127.0.0.1 each keep up to W Binding requests in flight
// towards the server: requests leave in batches (sendmmsg, up to 64 a
// call) whenever a socket has room in its window, answers are drained in
// batches (recvmmsg). An answer counts if it is a Binding success response
// carrying the transaction id of a request this run sent (the id holds the
// socket's number and a sequence number). A socket that hears nothing for
// 100 ms with requests outstanding writes them off as lost and refills its
// window, so a lossy server slows the run down instead of stalling it.
//
// The run is bounded twice: by time (warm-up, then the measured seconds)
// and by a request count. Only 127.0.0.0/8 is accepted as the server, so
// the load never leaves the machine. One JSON line on stdout: requests
// sent, answers received, written off, and answers per second over the
// measured interval.
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstring>
#include <iostream>
#include <nlohmann/json.hpp>
#include <vector>

#include "clock.h"
#include "endpoint.h"
#include "stun_codec.h"
#include "udp_batch.h"

namespace natlab {
namespace {

struct Options {
    std::string server;
    double seconds = 3;
    double warmup = 0.5;
    std::uint64_t max_requests = 50'000'000;
    std::size_t sockets = 4;
    std::size_t window = 128;
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
    std::uint64_t stray = 0;  // not an answer to this run
};

int open_client(std::size_t index) {
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    if (fd < 0) throw std::runtime_error("socket: " + std::string(std::strerror(errno)));
    int size = 4 << 20;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
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
    Load(const Options& o, Endpoint server) : o_(o), server_(server), tx_(o.sockets) {
        for (std::size_t i = 0; i < o.sockets; ++i)
            clients_.push_back({open_client(i), static_cast<std::uint32_t>(i), 0, 0, Clock::now()});
    }
    ~Load() {
        for (auto& c : clients_) close(c.fd);
    }

    nlohmann::ordered_json run();

private:
    void fill(std::size_t i, TimePoint now);
    void drain(std::size_t i, TimePoint now);
    bool wait_readable();

    const Options& o_;
    Endpoint server_;
    std::vector<Client> clients_;
    std::vector<SendBatch> tx_;
    ReceiveBatch rx_;
    Totals totals_;
};

void Load::fill(std::size_t i, TimePoint now) {
    Client& c = clients_[i];
    if (c.in_flight > 0 && now - c.last_heard > std::chrono::milliseconds(100)) {
        totals_.lost += c.in_flight;  // written off
        c.in_flight = 0;
        c.last_heard = now;
    }
    while (c.in_flight < o_.window && !tx_[i].full() && totals_.sent < o_.max_requests) {
        write_request(tx_[i].slot(), c.index, c.next_sequence++);
        tx_[i].commit(stun::kHeaderSize, server_);
        ++c.in_flight;
        ++totals_.sent;
    }
    if (!tx_[i].empty()) tx_[i].flush(c.fd);
}

void Load::drain(std::size_t i, TimePoint now) {
    Client& c = clients_[i];
    for (std::size_t n; (n = rx_.receive(c.fd)) > 0;) {
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
}

bool Load::wait_readable() {
    std::vector<pollfd> fds;
    for (const auto& c : clients_) fds.push_back({c.fd, POLLIN, 0});
    return poll(fds.data(), fds.size(), 1) > 0;
}

nlohmann::ordered_json Load::run() {
    TimePoint start = Clock::now();
    TimePoint measure_from = start + std::chrono::duration_cast<Duration>(std::chrono::duration<double>(o_.warmup));
    TimePoint end = measure_from + std::chrono::duration_cast<Duration>(std::chrono::duration<double>(o_.seconds));
    std::uint64_t received_at_start = 0;
    bool measuring = false;
    for (TimePoint now = start; now < end; now = Clock::now()) {
        if (!measuring && now >= measure_from) {
            measuring = true;
            received_at_start = totals_.received;
            measure_from = now;
        }
        for (std::size_t i = 0; i < clients_.size(); ++i) fill(i, now);
        wait_readable();
        now = Clock::now();
        for (std::size_t i = 0; i < clients_.size(); ++i) drain(i, now);
        if (totals_.sent >= o_.max_requests && totals_.received + totals_.lost >= totals_.sent) break;
    }
    double elapsed = std::chrono::duration<double>(Clock::now() - measure_from).count();
    nlohmann::ordered_json j;
    j["server"] = server_.to_string();
    j["seconds"] = elapsed;
    j["sent"] = totals_.sent;
    j["received"] = totals_.received;
    j["lost"] = totals_.lost;
    j["stray"] = totals_.stray;
    j["rps"] = measuring && elapsed > 0 ? static_cast<double>(totals_.received - received_at_start) / elapsed : 0.0;
    return j;
}

int stun_load_main(int argc, char** argv) {
    CLI::App app{"STUN Binding load generator (loopback only)", "stun_load"};
    Options o;
    app.add_option("--server", o.server, "127.x.y.z:PORT")->required();
    app.add_option("--seconds", o.seconds, "measured seconds")->check(CLI::Range(0.1, 600.0))->capture_default_str();
    app.add_option("--warmup", o.warmup, "seconds before measuring")->check(CLI::Range(0.0, 60.0))->capture_default_str();
    app.add_option("--max-requests", o.max_requests, "requests at most")->capture_default_str();
    app.add_option("--sockets", o.sockets, "client sockets")->check(CLI::Range(1, 256))->capture_default_str();
    app.add_option("--window", o.window, "requests in flight per socket")->check(CLI::Range(1, 4096))->capture_default_str();
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    }
    auto server = Endpoint::parse(o.server);
    if (!server || (server->addr.value >> 24) != 127) {
        std::cerr << "stun_load: --server must be a loopback ADDR:PORT (127.0.0.0/8), got '" << o.server << "'\n";
        return 2;
    }
    std::cout << Load(o, *server).run().dump() << std::endl;
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
