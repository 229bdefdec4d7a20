// rendezvous: the nat-lab rendezvous server's I/O shell.
//
//   rendezvous [--listen HOST:PORT]... [--alternate HOST:PORT] [--db FILE]
//              [--log-level error|info|debug] [--rate-limit N] [--relay-rate BYTES]
//              [--no-relay] [--max-clients N]
//
// Theory of operation
//
// One UDP socket per listening endpoint (one, or four with --alternate:
// RFC 5780 wants every combination of two addresses and two ports, plus one
// per IPv6 --listen), one
// receive loop per socket, one 1 s timer, signal sets; all on a single
// io_context thread. A socket's loop wakes when the socket is readable and
// drains it in batches (recvmmsg, 64 datagrams a call). Each datagram goes
// to RendezvousServer::serve_fast() (the pure core's allocation-free
// Binding path) and, if it is anything else, to handle_other(); the
// answers are queued on the socket they must leave from (RFC 5780 answers
// may leave from another) and sent in batches (sendmmsg) at the end of each
// receive batch. Log lines go to stdout, one per event, flushed.
//
// The timer expires silent clients and, with --db, writes the registry's
// changes to SQLite. SIGUSR1 prints the counters as one JSON line;
// SIGINT/SIGTERM stop the loop, save the registry, print the counters
// line and exit 0. A datagram that throws inside the core is counted and
// dropped; it never stops the loop.
//
// IPv6: `--listen [::]:3478` opens one AF_INET6 socket with IPV6_V6ONLY
// off, so IPv4 clients reach it too; their sources, which the kernel
// reports as ::ffff:a.b.c.d, are turned back into IPv4 endpoints as they
// are read (udp_batch.h), and the pure core sees every client in its own
// family. A specific IPv6 address, or [::] next to an IPv4 --listen, is an
// IPv6-only socket. `--listen 0.0.0.0:3478` alone is IPv4 only, as before.
//
// Log levels: error prints only problems (stderr) and the counters line;
// info (default) adds the events (listening, registered, moved,
// introduced, expired, errors sent); debug adds one stderr line per
// datagram in and out and every drop reason (NATLAB_TRACE=1 is debug).
#include <algorithm>
#include <array>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/v6_only.hpp>
#include <asio/redirect_error.hpp>
#include <asio/signal_set.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <csignal>
#include <iostream>
#include <memory>
#include <variant>

#include "src/net/clock.h"
#include "src/server/registry_db.h"
#include "src/server/rendezvous_server.h"
#include "src/shell/resolve.h"
#include "src/shell/shell_support.h"
#include "src/shell/udp_batch.h"

namespace natlab {
namespace {

using asio::ip::udp;

enum class LogLevel { error, info, debug };

struct Options {
    std::vector<std::string> listen{"0.0.0.0:3478"};
    std::string alternate;
    std::string db;
    std::string log_level = "info";
    double rate_limit = 100;
    double relay_rate = 65536;
    bool no_relay = false;
    std::size_t max_clients = 100'000;
};

void print(const std::vector<std::string>& lines) {
    for (const auto& line : lines) std::cout << line << '\n';
    std::cout << std::flush;
}

class ServerShell {
public:
    ServerShell(RendezvousServer& server, std::vector<udp::socket>& sockets, LogLevel level, RegistryDb* db)
        : server_(server), sockets_(sockets), level_(level), db_(db) {
        tx_.reserve(sockets.size());  // a SendBatch points into itself: it must never move
        for (const auto& s : sockets) {
            listeners_.push_back(ip_endpoint_of(s.local_endpoint()));
            tx_.emplace_back(s.local_endpoint().address().is_v6());
        }
    }

    asio::awaitable<void> receive_loop(std::size_t index);
    asio::awaitable<void> tick_loop();
    void save();
    void print_counters() const { print({counters_json(server_.counters(), server_.registry().size())}); }
    const std::vector<IpEndpoint>& listeners() const { return listeners_; }

private:
    void drain(std::size_t index);
    void serve_one(std::size_t index, std::span<const std::byte> datagram, const IpEndpoint& source,
                   TimePoint now);
    IpEndpoint local_for(std::size_t index, const IpEndpoint& source) const;
    void queue(std::size_t index, std::span<const std::byte> bytes, const IpEndpoint& to,
               const IpEndpoint& origin);
    void flush();
    void info(const std::vector<std::string>& lines) const {
        if (level_ >= LogLevel::info) print(lines);
    }
    void trace(const std::string& what) const {
        if (level_ >= LogLevel::debug) std::cerr << "rendezvous: " << what << '\n';
    }

    RendezvousServer& server_;
    std::vector<udp::socket>& sockets_;
    LogLevel level_;
    RegistryDb* db_;
    std::vector<IpEndpoint> listeners_;
    ReceiveBatch rx_;
    std::vector<SendBatch> tx_;
    std::uint64_t send_drops_ = 0;
};

asio::awaitable<void> ServerShell::receive_loop(std::size_t index) {
    for (;;) {
        asio::error_code ec;
        co_await sockets_[index].async_wait(udp::socket::wait_read,
                                            asio::redirect_error(asio::use_awaitable, ec));
        if (ec) co_return;
        drain(index);
    }
}

// A bounded number of batches per wake-up, so one busy socket cannot starve
// the others or the timer.
void ServerShell::drain(std::size_t index) {
    int fd = sockets_[index].native_handle();
    for (int round = 0; round < 16; ++round) {
        std::size_t n = rx_.receive(fd);
        if (n == 0) break;
        TimePoint now = Clock::now();
        for (std::size_t k = 0; k < n; ++k) {
            try {
                serve_one(index, rx_.data(k), rx_.source(k), now);
            } catch (const std::exception& e) {
                trace(std::string("datagram dropped after exception: ") + e.what());
            }
        }
        flush();
    }
}

// The endpoint a datagram arrived at, in the source's family: an IPv4
// client of a dual-stack [::]:P socket arrived at 0.0.0.0:P.
IpEndpoint ServerShell::local_for(std::size_t index, const IpEndpoint& source) const {
    const IpEndpoint& local = listeners_[index];
    if (source.v4() && local.v6()) return Endpoint{Ipv4{0}, local.port()};
    return local;
}

void ServerShell::serve_one(std::size_t index, std::span<const std::byte> datagram, const IpEndpoint& source,
                            TimePoint now) {
    if (level_ >= LogLevel::debug) trace("rx " + source.to_string() + " " + describe(datagram));
    std::array<std::byte, kMaxBindingAnswer> answer;
    FastResult fast = server_.serve_fast(datagram, source, local_for(index, source), now, answer);
    if (fast.path == FastPath::answered)
        return queue(index, std::span(answer).first(fast.answer.size), fast.answer.destination,
                     fast.answer.origin);
    if (fast.path == FastPath::dropped)
        return trace("dropped from " + source.to_string() + ": " +
                     std::string(to_string(*server_.last_drop())));
    ServerOutput out = server_.handle_other(datagram, source, now);
    if (!out.dropped.empty()) trace("dropped from " + source.to_string() + ": " + out.dropped);
    info(out.log);
    for (const auto& d : out.datagrams) queue(index, d.bytes, d.destination, d.origin);
}

// Queues on the socket bound to `origin`, or on the receiving socket.
void ServerShell::queue(std::size_t index, std::span<const std::byte> bytes, const IpEndpoint& to,
                        const IpEndpoint& origin) {
    for (std::size_t i = 0; i < listeners_.size(); ++i)
        if (listeners_[i] == origin) index = i;
    if (level_ >= LogLevel::debug) trace("tx " + to.to_string() + " " + describe(bytes));
    tx_[index].add(sockets_[index].native_handle(), bytes, to);
}

void ServerShell::flush() {
    for (std::size_t i = 0; i < tx_.size(); ++i)
        if (!tx_[i].empty()) send_drops_ += tx_[i].flush(sockets_[i].native_handle());
}

void ServerShell::save() {
    if (!db_) return;
    try {
        db_->save(server_.registry(), Clock::now(), std::chrono::system_clock::now());
    } catch (const std::exception& e) {
        fail_line("rendezvous", e.what());
    }
}

asio::awaitable<void> ServerShell::tick_loop() {
    asio::steady_timer timer(co_await asio::this_coro::executor);
    for (;;) {
        timer.expires_after(std::chrono::seconds(1));
        asio::error_code ec;
        co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        if (ec) co_return;
        info(server_.tick(Clock::now()).log);
        save();
    }
}

// ---- setup ----------------------------------------------------------------

// What to listen on: the IPv4 addresses of the STUN server (RFC 5780's
// alternate among them), if any IPv4 --listen was given, and the IPv6 ones.
struct Listen {
    std::optional<StunAddresses> ipv4;
    std::vector<Endpoint6> ipv6;
};

// Opens and binds one socket; "" when all went well, else the problem.
std::string open_socket(asio::io_context& io, const IpEndpoint& e, bool v6only,
                        std::vector<udp::socket>& out) {
    udp::socket& s = out.emplace_back(io);
    asio::error_code ec;
    s.open(e.v4() ? udp::v4() : udp::v6(), ec);
    if (!ec && e.v6()) s.set_option(asio::ip::v6_only(v6only), ec);
    if (!ec) s.bind(to_asio(e), ec);
    if (ec) return "cannot listen on " + e.to_string() + ": " + ec.message();
    s.non_blocking(true, ec);
    s.set_option(asio::socket_base::receive_buffer_size(4 << 20), ec);  // best effort
    s.set_option(asio::socket_base::send_buffer_size(4 << 20), ec);
    return "";
}

// The IPv4 listeners first (the primary is socket 0), then the IPv6 ones:
// [::] is dual-stack unless an IPv4 socket takes the IPv4 side.
std::string open_sockets(asio::io_context& io, const Listen& listen, std::vector<udp::socket>& out) {
    if (listen.ipv4)
        for (Endpoint e : listen.ipv4->listeners())
            if (auto problem = open_socket(io, e, false, out); !problem.empty()) return problem;
    for (const Endpoint6& e : listen.ipv6) {
        bool v6only = listen.ipv4 || !IpEndpoint(e).unspecified();
        if (auto problem = open_socket(io, e, v6only, out); !problem.empty()) return problem;
    }
    return "";
}

// "listening on EP" for the first socket, "also listening on EP EP EP (RFC
// 5780)" for the alternate's three (the first `stun` sockets are the STUN
// server's IPv4 ones), then "listening on EP" for each IPv6 socket.
void print_listeners(const std::vector<IpEndpoint>& listeners, std::size_t stun) {
    print({"listening on " + listeners[0].to_string()});
    std::string also;
    for (std::size_t i = 1; i < stun; ++i) also += " " + listeners[i].to_string();
    if (!also.empty()) print({"also listening on" + also + " (RFC 5780)"});
    for (std::size_t i = std::max<std::size_t>(stun, 1); i < listeners.size(); ++i)
        print({"listening on " + listeners[i].to_string()});
}

void arm_counters_signal(asio::signal_set& usr1, const ServerShell& shell) {
    usr1.async_wait([&](const asio::error_code& error, int) {
        if (error) return;
        shell.print_counters();
        arm_counters_signal(usr1, shell);
    });
}

std::unique_ptr<RegistryDb> open_db(const std::string& path, Registry& registry, LogLevel level) {
    if (path.empty()) return nullptr;
    auto db = std::make_unique<RegistryDb>(path);
    registry.keep_journal(true);
    auto restored = db->load(registry, Clock::now(), std::chrono::system_clock::now());
    if (level >= LogLevel::info) print({"restored " + std::to_string(restored) + " clients from " + path});
    return db;
}

int serve(const Options& o, const Listen& listen, ServerConfig config, LogLevel level) {
    asio::io_context io;
    std::vector<udp::socket> sockets;
    if (auto problem = open_sockets(io, listen, sockets); !problem.empty()) {
        fail_line("rendezvous", problem);
        return 1;
    }
    if (auto primary = from_asio(sockets[0].local_endpoint()))
        config.addresses.primary = *primary;  // port 0 resolved
    RendezvousServer server(secure_random, config);
    std::unique_ptr<RegistryDb> db;
    try {
        db = open_db(o.db, server.registry(), level);
    } catch (const std::exception& e) {
        fail_line("rendezvous", e.what());
        return 1;
    }
    ServerShell shell(server, sockets, level, db.get());
    asio::signal_set stop(io, SIGINT, SIGTERM), usr1(io, SIGUSR1);
    stop.async_wait([&](const asio::error_code&, int) { io.stop(); });
    arm_counters_signal(usr1, shell);
    for (std::size_t i = 0; i < sockets.size(); ++i)
        asio::co_spawn(io, shell.receive_loop(i), asio::detached);
    asio::co_spawn(io, shell.tick_loop(), asio::detached);
    if (level >= LogLevel::info)
        print_listeners(shell.listeners(), listen.ipv4 ? listen.ipv4->listeners().size() : 0);
    io.run();
    shell.save();
    shell.print_counters();
    return 0;
}

// ---- command line ---------------------------------------------------------

void add_options(CLI::App& app, Options& o) {
    app.add_option(
           "--listen", o.listen,
           "HOST:PORT to listen on (an IPv4 address or a name, or [IPv6]:PORT; [::]:PORT is dual-stack); "
           "repeatable")
        ->capture_default_str();
    app.add_option(
        "--alternate", o.alternate,
        "second HOST:PORT, differing in address and port, for RFC 5780 (needs a specific --listen)");
    app.add_option("--db", o.db, "keep the registry in this SQLite file (default: memory only)");
    app.add_option("--log-level", o.log_level, "error, info or debug")
        ->check(CLI::IsMember({"error", "info", "debug"}))
        ->capture_default_str();
    app.add_option("--rate-limit", o.rate_limit, "requests per second per source endpoint (0: no limit)")
        ->check(CLI::Range(0.0, 1e9))
        ->capture_default_str();
    app.add_option("--relay-rate", o.relay_rate, "relayed bytes per second per client (0: no limit)")
        ->check(CLI::Range(0.0, 1e12))
        ->capture_default_str();
    app.add_flag("--no-relay", o.no_relay, "do not relay between peers whose punch failed");
    app.add_option("--max-clients", o.max_clients, "registrations kept at once")
        ->check(CLI::Range(std::size_t{1}, std::size_t{100'000'000}))
        ->capture_default_str();
}

// The IPv4 addresses (an address or a name each, resolve.h), or the problem with them.
std::variant<StunAddresses, std::string> addresses_of(const Options& o, const std::string& listen_text) {
    std::string why;
    auto listen = resolve_endpoint(listen_text, why);
    if (!listen) return "--listen: " + why;
    if (o.alternate.empty()) return StunAddresses{*listen, std::nullopt};
    auto alternate = resolve_endpoint(o.alternate, why);
    if (!alternate) return "--alternate: " + why;
    if (listen->addr.value == 0 || alternate->addr.value == 0)
        return "--alternate: both addresses must be specific (RFC 5780 answers name them)";
    if (listen->addr == alternate->addr || listen->port == alternate->port || !listen->port ||
        !alternate->port)
        return "--alternate: must differ from --listen in both address and port, ports not 0";
    return StunAddresses{*listen, *alternate};
}

// Every --listen: "[addr]:port" is IPv6, anything else IPv4 (at most one:
// the STUN server's primary, which --alternate pairs with).
std::variant<Listen, std::string> listen_of(const Options& o) {
    Listen listen;
    for (const auto& text : o.listen) {
        if (!text.empty() && text.front() == '[') {
            auto e6 = Endpoint6::parse(text);
            if (!e6) return "--listen: expected [IPv6]:PORT, got '" + text + "'";
            listen.ipv6.push_back(*e6);
            continue;
        }
        if (listen.ipv4) return "--listen: at most one IPv4 HOST:PORT, got '" + text + "' too";
        auto addresses = addresses_of(o, text);
        if (auto* problem = std::get_if<std::string>(&addresses)) return *problem;
        listen.ipv4 = std::get<StunAddresses>(addresses);
    }
    if (!o.alternate.empty() && !listen.ipv4) return "--alternate: needs an IPv4 --listen";
    return listen;
}

LogLevel level_of(const std::string& text) {
    if (trace_enabled() || text == "debug") return LogLevel::debug;
    return text == "error" ? LogLevel::error : LogLevel::info;
}

int rendezvous_main(int argc, char** argv) {
    CLI::App app{"nat-lab rendezvous server: STUN Binding (RFC 8489/5780) plus Register/Connect/List/Relay",
                 "rendezvous"};
    Options o;
    add_options(app, o);
    if (auto code = parse_command_line(app, argc, argv)) return *code;
    auto listen = listen_of(o);
    if (auto* problem = std::get_if<std::string>(&listen)) {
        fail_line("rendezvous", *problem);
        return 2;
    }
    ServerConfig config;
    const Listen& l = std::get<Listen>(listen);
    if (l.ipv4) config.addresses = *l.ipv4;
    config.max_clients = o.max_clients;
    config.request_rate = o.rate_limit;
    config.request_burst = 2 * o.rate_limit;
    config.relay = !o.no_relay;
    config.relay_rate = o.relay_rate;
    config.relay_burst = 2 * o.relay_rate;
    return serve(o, l, config, level_of(o.log_level));
}

}  // namespace
}  // namespace natlab

// Anything thrown outside the loops (resource exhaustion, a broken
// invariant of a library) ends the program with one line, never a trace.
int main(int argc, char** argv) {
    try {
        return natlab::rendezvous_main(argc, argv);
    } catch (const std::exception& e) {
        natlab::fail_line("rendezvous", e.what());
    } catch (...) {
        natlab::fail_line("rendezvous", "unknown exception");
    }
    return 1;
}
