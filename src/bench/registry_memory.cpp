// registry_memory: resident memory of the rendezvous core holding N live
// registrations.
//
//   registry_memory [--clients N] [--local-endpoints K]
//
// Feeds N Register requests (names "peer-0000001".., one public endpoint
// each on 198.18.0.0/15, K local endpoints each) straight into a
// RendezvousServer, the way the shell would, with a fake clock spreading
// them over 10 s so the per-source rate limiter behaves as in service
// (its idle buckets are pruned every simulated second). No sockets, no
// network. Prints one JSON line: clients, resident MB before and after,
// bytes per client. The goal in docs/performance.md is <= 256 MB for 1e6.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>

#include "src/server/rendezvous_server.h"
#include "src/stun/rendezvous_protocol.h"

namespace natlab {
namespace {

// VmRSS from /proc/self/status, in kB.
long resident_kb() {
    std::ifstream status("/proc/self/status");
    std::string key;
    long value = 0;
    while (status >> key) {
        if (key == "VmRSS:") {
            status >> value;
            return value;
        }
        status.ignore(4096, '\n');
    }
    return 0;
}

RandomSource counter_random() {
    auto next = std::make_shared<std::uint64_t>(0);
    return [next](std::span<std::byte> out) {
        for (auto& b : out) b = static_cast<std::byte>(((*next)++ * 0x9E3779B97F4A7C15ull) >> 56);
    };
}

std::string name_of(std::size_t i) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "peer-%07zu", i);
    return buffer;
}

int run(std::size_t clients, std::size_t locals) {
    long before = resident_kb();
    ServerConfig config;
    config.max_clients = clients + 1;
    RendezvousServer server(counter_random(), config);
    TimePoint now{};
    const auto step = std::chrono::duration_cast<Duration>(std::chrono::seconds(10)) / clients;
    TimePoint next_tick = now + std::chrono::seconds(1);
    std::size_t refused = 0;
    for (std::size_t i = 0; i < clients; ++i) {
        Endpoint source{Ipv4{0xC6120000u + static_cast<std::uint32_t>(i >> 14)},
                        static_cast<std::uint16_t>(1024 + (i & 0x3fff))};
        proto::RegisterRequest r{name_of(i), {}};
        for (std::size_t k = 0; k < locals; ++k)
            r.local.push_back(Endpoint{Ipv4{0x0A000000u + static_cast<std::uint32_t>(i)},
                                       static_cast<std::uint16_t>(40000 + k)});
        stun::TransactionId id{};
        std::memcpy(id.data(), &i, sizeof i);
        auto out = server.handle(proto::to_wire(proto::build(r, id)), source, now);
        refused +=
            out.datagrams.size() == 1 && proto::parse_error(*stun::decode(out.datagrams[0].bytes).message);
        now += step;
        if (now >= next_tick) {
            server.tick(now);
            next_tick += std::chrono::seconds(1);
        }
    }
    server.tick(now);
    long after = resident_kb();
    nlohmann::ordered_json j;
    j["clients"] = server.registry().size();
    j["refused"] = refused;
    j["local_endpoints"] = locals;
    j["rss_mb_before"] = static_cast<double>(before) / 1024.0;
    j["rss_mb"] = static_cast<double>(after) / 1024.0;
    j["bytes_per_client"] = static_cast<double>(after - before) * 1024.0 / static_cast<double>(clients);
    std::cout << j.dump() << std::endl;
    return server.registry().size() == clients ? 0 : 1;
}

}  // namespace
}  // namespace natlab

int main(int argc, char** argv) {
    CLI::App app{"resident memory of the rendezvous core with N registered clients", "registry_memory"};
    std::size_t clients = 1'000'000, locals = 1;
    app.add_option("--clients", clients, "registrations")
        ->check(CLI::Range(1, 50'000'000))
        ->capture_default_str();
    app.add_option("--local-endpoints", locals, "local endpoints per client")
        ->check(CLI::Range(0, 16))
        ->capture_default_str();
    try {
        app.parse(argc, argv);
        return natlab::run(clients, locals);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    } catch (const std::exception& e) {
        std::cerr << "registry_memory: " << e.what() << std::endl;
        return 1;
    }
}
