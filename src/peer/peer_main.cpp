// peer: the nat-lab peer's I/O shell.
//
//   peer --server HOST:PORT --name NAME [--connect PARTNER] [--bind ADDR:PORT]
//        [--timeout SECONDS] [--messages N] [--group ROOM] [--punch-timeout SECONDS]
//        [--no-relay] [--keepalive SECONDS] [--hold SECONDS] [--predict-ports N]
//        [--size BYTES] [--bytes TOTAL]
//        [--birthday N,M [--birthday-ports LO-HI] [--birthday-rate PPS]]
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
// --port-mapping: the session asks the gateway (port_mapping_client.h), by
// PCP and NAT-PMP itself. Its UPnP step (upnp, or auto after PCP and
// NAT-PMP got nothing) is the shell's: it asks the LAN's UPnP gateway to
// map the socket's port (upnp_mapper.h) and hands the outcome to the
// session, which registers the mapped endpoint; the shell renews the
// mapping at half its lease and deletes it at exit. No gateway, or a
// refusal, and the peer goes on without one (one line on stderr).
//
// Dual-stack: --server names a host (or is given twice); a name with an A
// and an AAAA record gives the server in both families. The first is the
// server the session registers with and speaks to; the others get the
// same Register with the name's secret, so the server keeps our public
// endpoint of each family. With any IPv6 server, a wildcard --bind
// ([::]:0, or 0.0.0.0:0 on a host with a global IPv6 address) opens one
// AF_INET6 socket with IPV6_V6ONLY off: it speaks both families, and IPv4
// peers, which the kernel shows as ::ffff:a.b.c.d, are turned back into
// IPv4 endpoints as they are read. The local candidates are then the IPv4
// interface addresses and the global IPv6 ones. An IPv4-only host (no
// IPv6 server, no global IPv6 address) opens an AF_INET socket as always.
//
// --birthday N,M: the shell opens N-1 more sockets on the --bind address
// (any port; the soft file limit is raised to fit), one receive loop
// each, and sends each of the session's datagrams from the socket it
// names (birthday.h, peer_session.h).
#include <sys/resource.h>

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
    std::vector<std::string> server;
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
    std::string birthday;
    std::string birthday_ports = "1024-65535";
    std::uint32_t birthday_rate = 2'000;
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
    PeerShell(asio::io_context& io, std::vector<udp::socket>& sockets, PeerSession& session)
        : io_(io), sockets_(sockets), session_(session), tick_timer_(io) {}

    asio::awaitable<void> receive_loop(std::size_t index);
    asio::awaitable<void> tick_loop();
    void interrupt() {
        interrupted_ = true;
        apply(session_.stop(Clock::now(), "interrupted"));
    }
    bool interrupted() const { return interrupted_; }
    const std::optional<upnp::Mapping>& upnp_mapping() const { return upnp_mapping_; }
    // What the host's interfaces say now; asked again each time the path
    // is lost, so the next Register names the addresses it has then.
    void gather_with(std::function<std::vector<IpEndpoint>()> gather) { gather_ = std::move(gather); }

private:
    void apply(const PeerOutput& out);
    void send(const std::vector<Outgoing>& datagrams);
    void trace(const std::string& what) const;
    asio::awaitable<void> upnp_exchange();

    asio::io_context& io_;
    std::vector<udp::socket>& sockets_;  // [0]: the main socket; more with --birthday
    PeerSession& session_;
    std::function<std::vector<IpEndpoint>()> gather_;
    asio::steady_timer tick_timer_;  // due at session_.next_tick
    bool interrupted_ = false;
    std::optional<upnp::Mapping> upnp_mapping_;  // held while the session runs
};

void PeerShell::trace(const std::string& what) const {
    if (trace_enabled()) std::cerr << "peer " << session_.config().name << ": " << what << std::endl;
}

// Sends, prints events, and stops the loop once the session is finished.
void PeerShell::apply(const PeerOutput& out) {
    if (!out.dropped.empty()) trace("dropped: " + out.dropped);
    for (const auto& d : out.datagrams) trace("tx " + d.destination.to_string() + " " + describe(d.bytes));
    send(out.datagrams);
    for (PeerEvent e : out.events) std::cout << event_json(session_, e).dump() << std::endl;
    if (session_.finished()) return io_.stop();
    bool lost = std::find(out.events.begin(), out.events.end(), PeerEvent::path_lost) != out.events.end();
    if (lost && gather_) session_.set_local_endpoints(gather_());
    if (session_.take_upnp_request()) asio::co_spawn(io_, upnp_exchange(), asio::detached);
    // A datagram may have made a tick due sooner (an introduction starts
    // the punching): moving the expiry wakes the tick loop at once.
    auto due = session_.next_tick(Clock::now());
    if (due < tick_timer_.expiry()) tick_timer_.expires_at(due);
}

// The session's UPnP step: map the socket's port, tell the session, renew.
asio::awaitable<void> PeerShell::upnp_exchange() {
    const std::string& name = session_.config().name;
    auto port = sockets_[0].local_endpoint().port();
    auto outcome = co_await upnp::map_port(port, kUpnpLeaseSeconds, kUpnpStep);
    std::optional<Endpoint> external;
    if (outcome.mapping) external = outcome.mapping->external;
    bool taken = session_.on_upnp_answer(external, kUpnpLeaseSeconds, outcome.answer, Clock::now());
    if (!outcome.mapping) {
        std::cerr << "peer " << name << ": no UPnP port mapping (" << outcome.answer << ")" << std::endl;
        co_return;
    }
    if (!taken) {  // too late for the session: give it back
        co_await upnp::unmap(*outcome.mapping, kUpnpStep);
        co_return;
    }
    std::cerr << "peer " << name << ": UPnP mapped " << outcome.mapping->internal.to_string() << " as "
              << external->to_string() << std::endl;
    upnp_mapping_ = outcome.mapping;
    co_await renew_loop(*outcome.mapping);
}

// Each datagram from the socket the session named (a bad index, a broken
// invariant of the session, falls back to the main socket).
void PeerShell::send(const std::vector<Outgoing>& datagrams) {
    for (const auto& d : datagrams) {
        asio::error_code ec;
        udp::socket& socket = sockets_[d.socket < sockets_.size() ? d.socket : 0];
        bool v6_socket = socket.local_endpoint(ec).address().is_v6();
        socket.send_to(asio::buffer(d.bytes), to_asio(d.destination, v6_socket), 0, ec);
        if (ec) trace("send failed: " + ec.message());
    }
}

asio::awaitable<void> PeerShell::receive_loop(std::size_t index) {
    std::vector<std::byte> buffer(65536);
    udp::endpoint sender;
    udp::socket& socket = sockets_[index];
    for (;;) {
        asio::error_code ec;
        std::size_t n = co_await socket.async_receive_from(asio::buffer(buffer), sender,
                                                           asio::redirect_error(asio::use_awaitable, ec));
        if (ec == asio::error::operation_aborted) co_return;
        if (ec) continue;
        IpEndpoint source = ip_endpoint_of(sender);  // IPv4-mapped back to IPv4
        std::span<const std::byte> datagram(buffer.data(), n);
        trace("rx " + source.to_string() + " " + describe(datagram));
        try {
            apply(session_.on_datagram(datagram, source, Clock::now(), index));
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
    app.add_option("--server", o.server,
                   "rendezvous server HOST:PORT (an address, [IPv6]:PORT, or a name: A and AAAA both used); "
                   "repeatable")
        ->required();
    app.add_option("--name", o.name, "this peer's name (1..64 bytes UTF-8)")->required();
    app.add_option("--connect", o.connect, "partner to connect to (default: wait to be introduced)");
    app.add_option("--bind", o.bind, "local ADDR:PORT or [IPv6]:PORT to bind")->capture_default_str();
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
    app.add_option("--birthday", o.birthday,
                   "birthday punch: N sockets (1..1024) and M probes to random ports (0..65535), as N,M");
    app.add_option("--birthday-ports", o.birthday_ports, "ports the birthday probes guess from, LO-HI")
        ->capture_default_str();
    app.add_option("--birthday-rate", o.birthday_rate, "birthday probes per second (1..20000)")
        ->capture_default_str();
}

// --birthday and its two companions (checked even without it), or the
// first problem with them in `why`.
std::optional<BirthdayConfig> birthday_config(const Options& o, std::string& why) {
    why.clear();
    BirthdayConfig range;
    if (!parse_birthday_ports(o.birthday_ports, range, why)) return std::nullopt;
    if (o.birthday_rate < 1 || o.birthday_rate > BirthdayConfig::kMaxRate) {
        why = "--birthday-rate: expected 1..20000 probes per second";
        return std::nullopt;
    }
    if (o.birthday.empty()) return std::nullopt;
    auto c = parse_birthday(o.birthday, why);
    if (!c) return std::nullopt;
    c->low = range.low;
    c->high = range.high;
    c->rate = o.birthday_rate;
    return c;
}

// The first problem with the options, or "" when they are usable.
std::string check(const Options& o) {
    if (!proto::valid_name(o.name)) return "--name: expected 1..64 bytes of printable UTF-8";
    if (!o.connect.empty() && !proto::valid_name(o.connect))
        return "--connect: expected 1..64 bytes of printable UTF-8";
    if (o.connect == o.name) return "--connect: a peer cannot connect to itself";
    if (o.list && !o.connect.empty()) return "--list: lists and exits; not with --connect";
    if (!IpEndpoint::parse(o.bind)) return "--bind: expected ADDR:PORT or [IPv6]:PORT, got '" + o.bind + "'";
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
    std::string why;
    birthday_config(o, why);
    if (!why.empty()) return why;
    if (!o.birthday.empty() && o.list) return "--birthday: punches; not with --list";
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

PeerConfig make_config(const Options& o, const std::vector<IpEndpoint>& servers,
                       std::vector<IpEndpoint> local) {
    PeerConfig c;
    c.name = o.name;
    if (!o.connect.empty()) c.partner = o.connect;
    c.server = servers.front();
    c.other_servers.assign(servers.begin() + 1, servers.end());
    c.local_endpoints = std::move(local);
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
    std::string why;
    c.birthday = birthday_config(o, why);
    c.port_mapping = *parse_port_mapping_mode(o.port_mapping);
    if (c.port_mapping != PortMappingMode::off)
        c.gateway = o.gateway.empty() ? default_gateway().value_or(Ipv4{}) : *Ipv4::parse(o.gateway);
    return c;
}

// Room for `sockets` more descriptors: the soft limit raised towards the hard one.
void raise_file_limit(std::size_t sockets) {
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
    rlim_t wanted = std::min<rlim_t>(limit.rlim_max, static_cast<rlim_t>(sockets) + 64);
    if (limit.rlim_cur >= wanted) return;
    limit.rlim_cur = wanted;
    setrlimit(RLIMIT_NOFILE, &limit);
}

// The socket to open: --bind as given, or, for a wildcard --bind with an
// IPv6 server or a global IPv6 address here, [::] with IPV6_V6ONLY off.
struct Binding {
    IpEndpoint address;
    bool dual = false;  // an AF_INET6 socket that takes IPv4 too
};

Binding binding_for(const Options& o, const std::vector<IpEndpoint>& servers) {
    IpEndpoint bind = *IpEndpoint::parse(o.bind);
    bool v6_server = first_of(servers, Family::ipv6).has_value();
    bool wildcard_v4 = bind.v4() && bind.unspecified();
    if (wildcard_v4 && (v6_server || !interface_addresses6().empty()))
        return {Endpoint6{Ipv6{}, bind.port()}, true};
    return {bind, bind.v6() && bind.unspecified()};
}

// The main socket on the binding, and with --birthday N the N-1 others on its
// address (ports the kernel picks); "" or what went wrong.
std::string open_sockets(asio::io_context& io, const Options& o, const Binding& binding,
                         std::vector<udp::socket>& sockets) {
    std::string why;
    auto birthday = birthday_config(o, why);
    std::size_t count = birthday ? birthday->sockets : 1;
    raise_file_limit(count);
    const IpEndpoint& bind = binding.address;
    for (std::size_t i = 0; i < count; ++i) {
        asio::error_code ec;
        udp::socket& socket = sockets.emplace_back(io);
        socket.open(bind.v4() ? udp::v4() : udp::v6(), ec);
        if (!ec && bind.v6()) socket.set_option(asio::ip::v6_only(!binding.dual), ec);
        if (!ec) socket.bind(to_asio(i == 0 ? bind : bind.with_port(0)), ec);
        if (ec && i == 0) return "cannot bind " + bind.to_string() + ": " + ec.message();
        if (ec)
            return "--birthday: cannot open socket " + std::to_string(i) + " of " + std::to_string(count) +
                   ": " + ec.message();
    }
    return "";
}

// Every --server, resolved: the first endpoint of each, then the others,
// without repeats.
std::vector<IpEndpoint> servers_of(const Options& o, std::string& why) {
    std::vector<IpEndpoint> out;
    for (const auto& text : o.server) {
        auto found = resolve_endpoints(text, why);
        if (found.empty()) return {};
        for (const auto& e : found)
            if (std::find(out.begin(), out.end(), e) == out.end()) out.push_back(e);
    }
    return out;
}

int run(const Options& o, TimePoint start) {
    std::string why;
    auto servers = servers_of(o, why);
    if (servers.empty()) {
        fail_line("peer", "--server: " + why);
        return 2;
    }
    asio::io_context io;
    std::vector<udp::socket> sockets;
    Binding binding = binding_for(o, servers);
    std::string problem = open_sockets(io, o, binding, sockets);
    if (!problem.empty()) {
        fail_line("peer", problem);
        return 2;
    }
    IpEndpoint bound = ip_endpoint_of(sockets.front().local_endpoint());
    if (binding.dual) bound = binding.address.with_port(bound.port());
    bool ipv4 = bound.v4() || binding.dual, ipv6 = bound.v6() != nullptr;
    std::erase_if(servers, [&](const IpEndpoint& e) { return e.v4() ? !ipv4 : !ipv6; });  // unreachable
    if (servers.empty()) {
        fail_line("peer", "--server: no address of the socket's family (" + bound.to_string() + ")");
        return 2;
    }
    auto gather = [bound, ipv4, ipv6] { return local_endpoints(bound, ipv4, ipv6); };
    PeerSession session(make_config(o, servers, gather()), secure_random, start);
    PeerShell shell(io, sockets, session);
    shell.gather_with(gather);
    asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](const asio::error_code& error, int) {
        if (!error) shell.interrupt();
    });
    for (std::size_t i = 0; i < sockets.size(); ++i)
        asio::co_spawn(io, shell.receive_loop(i), asio::detached);
    asio::co_spawn(io, shell.tick_loop(), asio::detached);
    io.run();
    if (const auto& mapping = shell.upnp_mapping()) run_for(upnp::unmap(*mapping, kUpnpStep), kUpnpStep);
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
