// rendezvous: the nat-lab rendezvous server's I/O shell.
//
//   rendezvous [--listen ADDR:PORT]     (default 0.0.0.0:3478)
//
// One UDP socket, one receive loop, one expiry timer, one signal set, all on
// a single io_context thread. Each datagram is handed to RendezvousServer
// (the pure core) with the current time; its replies are sent and its log
// lines printed to stdout, one per event, flushed. A datagram that throws
// inside the core is counted and dropped; it never stops the loop.
// SIGINT/SIGTERM print a summary line and exit 0.
#include <array>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/redirect_error.hpp>
#include <asio/signal_set.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <csignal>
#include <iostream>

#include "clock.h"
#include "rendezvous_server.h"
#include "shell_support.h"

namespace natlab {
namespace {

using asio::ip::udp;

void print(const std::vector<std::string>& lines) {
    for (const auto& line : lines) std::cout << line << '\n';
    std::cout << std::flush;
}

void trace(const std::string& what) {
    if (trace_enabled()) std::cerr << "rendezvous: " << what << std::endl;
}

void serve_one(RendezvousServer& server, udp::socket& socket, std::span<const std::byte> datagram,
               Endpoint source) {
    trace("rx " + source.to_string() + " " + describe(datagram));
    ServerOutput out = server.handle(datagram, source, Clock::now());
    if (!out.dropped.empty()) trace("dropped from " + source.to_string() + ": " + out.dropped);
    print(out.log);
    for (const auto& d : out.datagrams) trace("tx " + d.destination.to_string() + " " + describe(d.bytes));
    send_all(socket, out.datagrams);
}

asio::awaitable<void> receive_loop(udp::socket& socket, RendezvousServer& server) {
    std::array<std::byte, 65536> buffer;
    udp::endpoint sender;
    for (;;) {
        asio::error_code ec;
        std::size_t n = co_await socket.async_receive_from(asio::buffer(buffer), sender,
                                                           asio::redirect_error(asio::use_awaitable, ec));
        if (ec == asio::error::operation_aborted) co_return;
        auto source = from_asio(sender);
        if (ec || !source) continue;
        try {
            serve_one(server, socket, std::span(buffer.data(), n), *source);
        } catch (const std::exception& e) {
            trace(std::string("datagram dropped after exception: ") + e.what());
        }
    }
}

asio::awaitable<void> expiry_loop(asio::steady_timer& timer, RendezvousServer& server) {
    for (;;) {
        timer.expires_after(std::chrono::seconds(1));
        asio::error_code ec;
        co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        if (ec) co_return;
        print(server.tick(Clock::now()).log);
    }
}

std::string summary(const ServerCounters& c) {
    return "stopped: received " + std::to_string(c.received) + ", malformed " + std::to_string(c.malformed) +
           ", unexpected " + std::to_string(c.unexpected) + ", registrations " +
           std::to_string(c.registrations) + ", introductions " + std::to_string(c.introductions) +
           ", errors " + std::to_string(c.errors_sent);
}

int serve(Endpoint listen) {
    asio::io_context io;
    udp::socket socket(io);
    asio::error_code ec;
    socket.open(udp::v4(), ec);
    if (!ec) socket.bind(to_asio(listen), ec);
    if (ec) {
        fail_line("rendezvous", "cannot listen on " + listen.to_string() + ": " + ec.message());
        return 1;
    }
    RendezvousServer server(secure_random);
    asio::steady_timer timer(io);
    asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](const asio::error_code&, int) { io.stop(); });
    asio::co_spawn(io, receive_loop(socket, server), asio::detached);
    asio::co_spawn(io, expiry_loop(timer, server), asio::detached);
    print({"listening on " + from_asio(socket.local_endpoint())->to_string()});
    io.run();
    print({summary(server.counters())});
    return 0;
}

int rendezvous_main(int argc, char** argv) {
    CLI::App app{"nat-lab rendezvous server: STUN Binding plus Register/Connect/Introduce", "rendezvous"};
    std::string listen = "0.0.0.0:3478";
    app.add_option("--listen", listen, "ADDR:PORT to listen on (IPv4)")->capture_default_str();
    if (auto code = parse_command_line(app, argc, argv)) return *code;
    auto endpoint = Endpoint::parse(listen);
    if (!endpoint) {
        fail_line("rendezvous", "--listen: expected ADDR:PORT, got '" + listen + "'");
        return 2;
    }
    return serve(*endpoint);
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
