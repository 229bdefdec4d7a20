// peer: the nat-lab peer's I/O shell.
//
//   peer --server HOST:PORT --name NAME [--connect PARTNER] [--bind ADDR:PORT]
//        [--timeout SECONDS] [--messages N] [--group ROOM] [--punch-timeout SECONDS]
//        [--no-relay] [--keepalive SECONDS] [--hold SECONDS] [--predict-ports N]
//        [--size BYTES] [--bytes TOTAL]
//   peer --server HOST:PORT --name NAME --list [--group ROOM]
//
// One UDP socket, one receive loop, one 5 ms tick timer, one signal set, on
// a single io_context thread. Every datagram and every tick goes to
// PeerSession (the pure core) with the current time; its datagrams are sent
// and its events printed as JSON lines on stdout, flushed. The session's
// `finished` event prints the result line and stops the loop, so the result
// is always the last line. SIGINT/SIGTERM end the session at once (result
// line, exit 1). Exit 0 only when all N messages were acknowledged, over a
// punched path or the server's relay (with --list: when the whole list
// came); 2 for bad command-line input.
//
// --port-mapping pcp / nat-pmp / auto: the session asks the gateway
// (port_mapping_client.h). --port-mapping upnp: before registering, the
// shell asks the LAN's UPnP gateway to map its socket's port
// (upnp_mapper.h) and offers the mapped endpoint with its local ones; it
// renews the mapping at half its lease and deletes it at exit. No gateway,
// or a refusal, and the peer goes on without one (one line on stderr).
#include <algorithm>
#include <array>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/redirect_error.hpp>
#include <asio/signal_set.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <cmath>
#include <csignal>
#include <fstream>
#include <functional>
#include <iostream>
#include <sstream>

#include "src/net/clock.h"
#include "src/peer/peer_report.h"
#include "src/peer/peer_session.h"
#include "src/peer/upnp_mapper.h"
#include "src/shell/interfaces.h"
#include "src/shell/resolve.h"
#include "src/shell/shell_support.h"

namespace natlab {
namespace {

using asio::ip::udp;

struct Options {
    std::string server;
    std::string name;
    std::string connect;
    std::string bind = "0.0.0.0:0";
    double timeout = 10;
    std::uint32_t messages = 10;
    std::size_t size = 0;
    std::uint64_t bytes = 0;
    std::string group;
    double punch_timeout = 5;
    bool no_relay = false;
    double keepalive = 10;
    double hold = 0;
    std::size_t predict_ports = 0;
    bool list = false;
    std::string port_mapping = "off";
    std::string gateway;
};

constexpr std::uint32_t kUpnpLeaseSeconds = 600;
constexpr Duration kUpnpStep = std::chrono::seconds(2);

// Runs `task` on a fresh io_context for at most `limit`; its result, or nullopt.
template <class T>
std::optional<T> run_for(asio::awaitable<T> task, Duration limit) {
    asio::io_context io;
    std::optional<T> result;
    asio::co_spawn(io, std::move(task), [&](const std::exception_ptr& error, T value) {
        if (!error) result = std::move(value);
    });
    io.run_for(limit);
    return result;
}

std::optional<upnp::Mapping> map_with_upnp(const Options& o, std::uint16_t port) {
    if (o.port_mapping != "upnp") return std::nullopt;
    auto mapping = run_for(upnp::map_port(port, kUpnpLeaseSeconds, kUpnpStep), 5 * kUpnpStep);
    if (!mapping || !*mapping) {
        std::cerr << "peer " << o.name << ": no UPnP port mapping" << std::endl;
        return std::nullopt;
    }
    std::cerr << "peer " << o.name << ": UPnP mapped " << (*mapping)->internal.to_string() << " as "
              << (*mapping)->external.to_string() << std::endl;
    return *mapping;
}

// Renews the mapping at half its lease until the loop stops.
asio::awaitable<void> renew_loop(upnp::Mapping mapping) {
    asio::steady_timer timer(co_await asio::this_coro::executor);
    for (;;) {
        timer.expires_after(std::chrono::seconds(mapping.lease_seconds / 2));
        asio::error_code ec;
        co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        if (ec) co_return;
        co_await upnp::renew(mapping, kUpnpStep);
    }
}

class PeerShell {
public:
    PeerShell(asio::io_context& io, udp::socket& socket, PeerSession& session)
        : io_(io), socket_(socket), session_(session), tick_timer_(io) {}

    asio::awaitable<void> receive_loop();
    asio::awaitable<void> tick_loop();
    void interrupt() {
        interrupted_ = true;
        apply(session_.stop(Clock::now(), "interrupted"));
    }
    bool interrupted() const { return interrupted_; }
    // What the host's interfaces say now; asked again each time the path
    // is lost, so the next Register names the addresses it has then.
    void gather_with(std::function<std::vector<Endpoint>()> gather) { gather_ = std::move(gather); }

private:
    void apply(const PeerOutput& out);
    void trace(const std::string& what) const;

    asio::io_context& io_;
    udp::socket& socket_;
    PeerSession& session_;
    std::function<std::vector<Endpoint>()> gather_;
    asio::steady_timer tick_timer_;  // due at session_.next_tick
    bool interrupted_ = false;
};

void PeerShell::trace(const std::string& what) const {
    if (trace_enabled()) std::cerr << "peer " << session_.config().name << ": " << what << std::endl;
}

// Sends, prints events, and stops the loop once the session is finished.
void PeerShell::apply(const PeerOutput& out) {
    if (!out.dropped.empty()) trace("dropped: " + out.dropped);
    for (const auto& d : out.datagrams) trace("tx " + d.destination.to_string() + " " + describe(d.bytes));
    send_all(socket_, out.datagrams);
    for (PeerEvent e : out.events) std::cout << event_json(session_, e).dump() << std::endl;
    if (session_.finished()) return io_.stop();
    bool lost = std::find(out.events.begin(), out.events.end(), PeerEvent::path_lost) != out.events.end();
    if (lost && gather_) session_.set_local_endpoints(gather_());
    // A datagram may have made a tick due sooner (an introduction starts
    // the punching): moving the expiry wakes the tick loop at once.
    auto due = session_.next_tick(Clock::now());
    if (due < tick_timer_.expiry()) tick_timer_.expires_at(due);
}

asio::awaitable<void> PeerShell::receive_loop() {
    std::array<std::byte, 65536> buffer;
    udp::endpoint sender;
    for (;;) {
        asio::error_code ec;
        std::size_t n = co_await socket_.async_receive_from(asio::buffer(buffer), sender,
                                                            asio::redirect_error(asio::use_awaitable, ec));
        if (ec == asio::error::operation_aborted) co_return;
        auto source = from_asio(sender);
        if (ec || !source) continue;
        std::span<const std::byte> datagram(buffer.data(), n);
        trace("rx " + source->to_string() + " " + describe(datagram));
        try {
            apply(session_.on_datagram(datagram, *source, Clock::now()));
        } catch (const std::exception& e) {
            trace(std::string("datagram dropped after exception: ") + e.what());
        }
    }
}

// Ticks when the session says a tick is due; a wait cut short by apply()
// moving the expiry simply ticks early.
asio::awaitable<void> PeerShell::tick_loop() {
    for (;;) {
        tick_timer_.expires_at(TimePoint::max());
        apply(session_.on_tick(Clock::now()));
        if (session_.finished()) co_return;
        tick_timer_.expires_at(session_.next_tick(Clock::now()));
        asio::error_code ec;
        co_await tick_timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        if (ec && ec != asio::error::operation_aborted) co_return;
    }
}

// ---- command line ---------------------------------------------------------

void add_options(CLI::App& app, Options& o) {
    app.add_option("--server", o.server, "rendezvous server HOST:PORT (an address or a name)")->required();
    app.add_option("--name", o.name, "this peer's name (1..64 bytes UTF-8)")->required();
    app.add_option("--connect", o.connect, "partner to connect to (default: wait to be introduced)");
    app.add_option("--bind", o.bind, "local ADDR:PORT to bind")->capture_default_str();
    app.add_option("--timeout", o.timeout, "seconds from start to be connected")->capture_default_str();
    app.add_option("--messages", o.messages, "data messages to send once connected")->capture_default_str();
    app.add_option("--size", o.size, "DATA bytes per message (1..1200; 0, the default: a short text)");
    app.add_option("--bytes", o.bytes,
                   "send this many DATA bytes in messages of --size (default 1200) instead of --messages");
    app.add_option("--group", o.group, "room to register in (List shows only the same room)");
    app.add_option("--punch-timeout", o.punch_timeout,
                   "seconds of punching before relaying through the server")
        ->capture_default_str();
    app.add_flag("--no-relay", o.no_relay, "never relay: a failed punch stays failed");
    app.add_flag("--list", o.list,
                 "print the names registered in the room (JSON line \"listed\"), then exit");
    app.add_option("--keepalive", o.keepalive, "seconds between keepalives on the path")
        ->capture_default_str();
    app.add_option("--hold", o.hold, "seconds to keep the path open after the data")->capture_default_str();
    app.add_option("--port-mapping", o.port_mapping,
                   "ask the gateway for a mapping of our port: auto|pcp|nat-pmp|upnp|off (default off)");
    app.add_option("--gateway", o.gateway,
                   "gateway to ask for a port mapping (default: the default route's)");
    app.add_option("--predict-ports", o.predict_ports,
                   "also probe this many ports above the partner's public port (0..64)")
        ->capture_default_str();
}

// The first problem with the options, or "" when they are usable.
std::string check(const Options& o) {
    if (!proto::valid_name(o.name)) return "--name: expected 1..64 bytes of printable UTF-8";
    if (!o.connect.empty() && !proto::valid_name(o.connect))
        return "--connect: expected 1..64 bytes of printable UTF-8";
    if (o.connect == o.name) return "--connect: a peer cannot connect to itself";
    if (o.list && !o.connect.empty()) return "--list: lists and exits; not with --connect";
    if (!Endpoint::parse(o.bind)) return "--bind: expected ADDR:PORT, got '" + o.bind + "'";
    if (!(o.timeout > 0 && o.timeout <= 86400)) return "--timeout: expected 0 < SECONDS <= 86400";
    if (o.messages > 100'000) return "--messages: expected 0..100000";
    if (o.size > proto::kMaxDataBytes) return "--size: expected 0..1200";
    if (o.bytes > 100'000 * std::uint64_t{proto::kMaxDataBytes}) return "--bytes: expected at most 120000000";
    if (o.bytes > 0 && o.size > 0 && (o.bytes + o.size - 1) / o.size > 100'000)
        return "--bytes: more than 100000 messages of --size";
    if (!o.group.empty() && !proto::valid_name(o.group))
        return "--group: expected 1..64 bytes of printable UTF-8";
    if (!(o.punch_timeout > 0 && o.punch_timeout <= 86400))
        return "--punch-timeout: expected 0 < SECONDS <= 86400";
    if (!(o.keepalive >= 0.05 && o.keepalive <= 3600)) return "--keepalive: expected 0.05 <= SECONDS <= 3600";
    if (!(o.hold >= 0 && o.hold <= 86400)) return "--hold: expected 0 <= SECONDS <= 86400";
    if (o.predict_ports > Candidates::kMaxPredicted) return "--predict-ports: expected 0..64";
    if (!parse_port_mapping_mode(o.port_mapping))
        return "--port-mapping: expected auto, pcp, nat-pmp, upnp or off, got '" + o.port_mapping + "'";
    if (!o.gateway.empty() && !Ipv4::parse(o.gateway))
        return "--gateway: expected an IPv4 address, got '" + o.gateway + "'";
    return "";
}

// The gateway of the default route, from /proc/net/route (little-endian hex).
std::optional<Ipv4> default_gateway() {
    std::ifstream routes("/proc/net/route");
    std::string line;
    std::getline(routes, line);  // the header
    while (std::getline(routes, line)) {
        std::istringstream fields(line);
        std::string interface, destination, gateway;
        fields >> interface >> destination >> gateway;
        if (destination != "00000000") continue;
        auto le = static_cast<std::uint32_t>(std::stoul(gateway, nullptr, 16));
        return Ipv4{((le & 0xff) << 24) | ((le & 0xff00) << 8) | ((le >> 8) & 0xff00) | (le >> 24)};
    }
    return std::nullopt;
}

Duration seconds(double s) {
    return std::chrono::duration_cast<Duration>(std::chrono::duration<double>(s));
}

PeerConfig make_config(const Options& o, Endpoint server, Endpoint bound) {
    PeerConfig c;
    c.name = o.name;
    if (!o.connect.empty()) c.partner = o.connect;
    c.server = server;
    c.local_endpoints = local_endpoints(bound);
    c.messages = o.messages;
    c.message_size = o.size;
    if (o.bytes > 0) {
        c.message_size = o.size > 0 ? o.size : proto::kMaxDataBytes;
        c.messages = static_cast<std::uint32_t>((o.bytes + c.message_size - 1) / c.message_size);
        c.bytes = o.bytes;
    }
    c.timeout = seconds(o.timeout);
    c.group = o.group;
    c.punch_timeout = seconds(o.punch_timeout);
    c.relay = !o.no_relay;
    c.keepalive = seconds(o.keepalive);
    c.hold = seconds(o.hold);
    c.predict_ports = o.predict_ports;
    c.list = o.list;
    c.port_mapping = *parse_port_mapping_mode(o.port_mapping);
    if (c.port_mapping == PortMappingMode::upnp)
        c.port_mapping = PortMappingMode::off;  // the shell's (below)
    if (c.port_mapping != PortMappingMode::off)
        c.gateway = o.gateway.empty() ? default_gateway().value_or(Ipv4{}) : *Ipv4::parse(o.gateway);
    return c;
}

int run(const Options& o, TimePoint start) {
    std::string why;
    auto server = resolve_endpoint(o.server, why);
    if (!server) {
        fail_line("peer", "--server: " + why);
        return 2;
    }
    asio::io_context io;
    udp::socket socket(io);
    asio::error_code ec;
    socket.open(udp::v4(), ec);
    if (!ec) socket.bind(to_asio(*Endpoint::parse(o.bind)), ec);
    if (ec) {
        fail_line("peer", "cannot bind " + o.bind + ": " + ec.message());
        return 2;
    }
    auto bound = *from_asio(socket.local_endpoint());
    auto config = make_config(o, *server, bound);
    // UPnP is asked here, over TCP, before the session; PCP and NAT-PMP
    // are the session's own (port_mapping_client.h).
    auto mapping = map_with_upnp(o, bound.port);
    if (mapping) config.local_endpoints.push_back(mapping->external);
    PeerSession session(config, secure_random, start);
    PeerShell shell(io, socket, session);
    shell.gather_with([bound, mapping] {
        auto local = local_endpoints(bound);
        if (mapping) local.push_back(mapping->external);
        return local;
    });
    asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](const asio::error_code& error, int) {
        if (!error) shell.interrupt();
    });
    asio::co_spawn(io, shell.receive_loop(), asio::detached);
    asio::co_spawn(io, shell.tick_loop(), asio::detached);
    if (mapping) asio::co_spawn(io, renew_loop(*mapping), asio::detached);
    io.run();
    if (mapping) run_for(upnp::unmap(*mapping, kUpnpStep), kUpnpStep);
    PeerResult r = session.result();
    bool delivered = (r.connected || r.relayed) && r.acked == session.config().messages;
    if (o.list) delivered = session.list_complete();
    return delivered && !shell.interrupted() ? 0 : 1;
}

int peer_main(int argc, char** argv) {
    auto start = Clock::now();
    CLI::App app{"nat-lab peer: register, get introduced, punch a UDP path, exchange data", "peer"};
    Options options;
    add_options(app, options);
    if (auto code = parse_command_line(app, argc, argv)) return *code;
    if (auto problem = check(options); !problem.empty()) {
        fail_line("peer", problem);
        return 2;
    }
    return run(options, start);
}

}  // namespace
}  // namespace natlab

// Anything thrown outside the loops (resource exhaustion, a broken
// invariant of a library) ends the program with one line, never a trace.
int main(int argc, char** argv) {
    try {
        return natlab::peer_main(argc, argv);
    } catch (const std::exception& e) {
        natlab::fail_line("peer", e.what());
    } catch (...) {
        natlab::fail_line("peer", "unknown exception");
    }
    return 1;
}
