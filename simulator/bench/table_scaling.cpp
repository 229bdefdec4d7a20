// nat-bench-table: does the translate rate hold up as the table grows?
//
// Two NATs in one run, one holding 10 live mappings and one holding 100 000
// (same configuration: port-restricted, paired pooling over two external
// addresses). Each round drives one of them with a fixed number of packets:
// for each active flow in turn, an outbound datagram and the server's answer
// inbound, so both lookups (by inside endpoint, by external endpoint), the
// filter, the refresh and both rewrites run every time; every 2^20 packets
// the sweep walks the whole table (more often than the shell's once a
// second). Rounds alternate between the two NATs, 5 each, and the best round
// of each counts.
//
// Two traffic patterns:
//  - the same 10 active flows in both NATs (in the big one, 10 mappings
//    picked at random among the 100 000, the rest idle, as in a lab where a
//    few connections carry traffic and many keepalive mappings wait). Same
//    work, only the table size differs: this is the table-scaling figure, and
//    the last line, which should stay above 0.8:
//        table 100000/10 rate ratio: R
//  - every live mapping in turn, so each packet finds its mapping out of the
//    CPU caches: a memory-latency figure, printed for information.
//
//   build/bin/nat-bench-table [PACKETS_PER_ROUND]

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <numeric>
#include <random>
#include <string>

#include "bench_flows.h"

namespace {

using namespace natlab::nat;
using namespace natlab::nat::bench;
using natlab::Endpoint;
using Clock = std::chrono::steady_clock;

struct Table {
    Nat nat;
    double now = 0;  // simulated seconds

    explicit Table(std::uint32_t mappings) : nat(NatConfig{}, bench_addresses(), 1) {
        auto buffer = template_datagram({inside_of(0), kServer});
        for (std::uint32_t i = 0; i < mappings; ++i)
            if (!send_outbound(nat, buffer, i, at_seconds(0))) std::abort();
    }
};

// `count` of the flows 0..live-1, picked at random, in a shuffled order.
std::vector<std::uint32_t> pick(std::uint32_t live, std::uint32_t count) {
    std::vector<std::uint32_t> all(live);
    std::iota(all.begin(), all.end(), 0u);
    std::shuffle(all.begin(), all.end(), std::mt19937{5});
    all.resize(count);
    return all;
}

// One outbound datagram and its answer per flow, round robin; returns packets handled.
std::uint64_t run(Table& table, const std::vector<std::uint32_t>& flows, std::uint64_t packets) {
    static auto out = template_datagram({inside_of(0), kServer});
    static auto in = template_datagram({kServer, {bench_addresses().external[0], 20000}});
    std::uint64_t done = 0;
    DropReason why;
    for (std::size_t k = 0; done < packets; k = k + 1 == flows.size() ? 0 : k + 1) {
        TimePoint now = at_seconds(table.now += 1e-7);
        Endpoint external;
        if (!send_outbound(table.nat, out, flows[k], now, &external)) std::abort();
        auto answer = Ipv4Packet::parse(in, why);
        answer->set_destination(external);
        answer->set_ttl(64);
        if (!table.nat.handle(*answer, Direction::Inbound, now)) std::abort();
        done += 2;
        if ((done & ((1u << 20) - 1)) == 0) table.nat.expire(now);
    }
    return done;
}

double rate(Table& table, const std::vector<std::uint32_t>& flows, std::uint64_t packets) {
    auto start = Clock::now();
    std::uint64_t done = run(table, flows, packets);
    return double(done) / std::chrono::duration<double>(Clock::now() - start).count();
}

struct Comparison {
    double small = 0, large = 0;
};

Comparison compare(Table& small, const std::vector<std::uint32_t>& small_flows, Table& large,
                   const std::vector<std::uint32_t>& large_flows, std::uint64_t packets) {
    run(small, small_flows, packets / 4);  // warm up
    run(large, large_flows, packets / 4);
    Comparison best;
    for (int round = 0; round < 5; ++round) {
        best.small = std::max(best.small, rate(small, small_flows, packets));
        best.large = std::max(best.large, rate(large, large_flows, packets));
    }
    return best;
}

}  // namespace

int main(int argc, char** argv) {
    const std::uint64_t packets = argc > 1 ? std::stoull(argv[1]) : 4'000'000;
    Table small{10}, large{100000};
    auto hot = compare(small, pick(10, 10), large, pick(100000, 10), packets);
    auto cold = compare(small, pick(10, 10), large, pick(100000, 100000), packets);
    std::printf("UDP translations (an outbound datagram and its answer), best of 5 rounds of %llu packets\n",
                static_cast<unsigned long long>(packets));
    std::printf(
        "same 10 active flows:  10 live mappings %.2f Mpackets/s, 100000 live mappings %.2f Mpackets/s\n",
        hot.small / 1e6, hot.large / 1e6);
    std::printf(
        "every mapping in turn: 10 live mappings %.2f Mpackets/s, 100000 live mappings %.2f Mpackets/s "
        "(ratio %.3f, bound by memory latency)\n",
        cold.small / 1e6, cold.large / 1e6, cold.large / cold.small);
    auto sweep_start = Clock::now();
    large.nat.expire(at_seconds(large.now));
    double sweep_ms = std::chrono::duration<double, std::milli>(Clock::now() - sweep_start).count();
    std::printf("one sweep of %zu live mappings: %.2f ms\n", large.nat.mappings_live(), sweep_ms);
    std::printf("table 100000/10 rate ratio: %.3f\n", hot.large / hot.small);
    return 0;
}
