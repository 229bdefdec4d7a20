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
// Packets go through in batches of 32, as the emulator reads them from a
// link, and each batch is first passed to Nat::prefetch, as the emulator's
// datapath does, so that the table lookups of the whole batch overlap.
//
// Two traffic patterns, each giving a ratio that should stay above 0.8:
//  - the same 10 active flows in both NATs (in the big one, 10 mappings
//    picked at random among the 100 000, the rest idle, as in a lab where a
//    few connections carry traffic and many keepalive mappings wait). Same
//    work, only the table size differs;
//  - every live mapping in turn, so each packet finds its mapping out of the
//    CPU caches: the worst case for the table's memory layout. The same
//    pattern without prefetching is printed too, to show what it buys.
// The last line has both ratios:
//        table 100000/10 rate ratio: same flows R1, every mapping in turn R2
//
//   build/bin/nat-bench-table [PACKETS_PER_ROUND]

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <numeric>
#include <random>
#include <string>

#include "simulator/bench/bench_flows.h"

namespace {

using namespace natlab;
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

// A batch of flows as the emulator sees a batch of frames: one datagram
// buffer per packet, each flow's outbound datagram, then the answers.
struct Batch {
    static constexpr std::size_t kSize = 32;  // RxBatch::kCapacity
    std::vector<std::vector<std::byte>> out, in;
    std::array<Endpoint, kSize> external{};
    Batch() {
        for (std::size_t j = 0; j < kSize; ++j) {
            out.push_back(template_datagram({inside_of(0), kServer}));
            in.push_back(template_datagram({kServer, {bench_addresses().external[0], 20000}}));
        }
    }
};

Ipv4Packet view(std::vector<std::byte>& buffer) {
    DropReason why;
    return *Ipv4Packet::parse(buffer, why);
}

// The batch's packets from one side: rewritten to their flows, prefetched
// (when asked: Nat::prefetch), then handled one by one.
template <class Prepare, class Handled>
void handle_batch(Nat& nat, std::vector<std::vector<std::byte>>& buffers, std::size_t n, Direction from,
                  bool prefetch, TimePoint now, Prepare&& prepare, Handled&& handled) {
    std::array<Flow, Batch::kSize> flows;
    for (std::size_t j = 0; j < n; ++j) {
        Ipv4Packet p = view(buffers[j]);
        prepare(p, j);
        p.set_ttl(64);  // the buffers are reused; every pass through the NAT took one
        flows[j] = p.flow();
    }
    if (prefetch) {
        for (std::size_t j = 0; j < n; ++j) nat.prefetch(flows[j], from, Nat::Prefetch::Index);
        for (std::size_t j = 0; j < n; ++j) nat.prefetch(flows[j], from, Nat::Prefetch::Record);
    }
    for (std::size_t j = 0; j < n; ++j) {
        auto result = nat.handle(view(buffers[j]), from, now);
        if (!result) std::abort();
        handled(*result, j);
    }
}

// One outbound datagram and its answer per flow, round robin, a batch at a
// time; returns packets handled.
std::uint64_t run(Table& table, const std::vector<std::uint32_t>& flows, std::uint64_t packets,
                  bool prefetch) {
    static Batch batch;
    std::uint64_t done = 0;
    std::size_t k = 0;
    while (done < packets) {
        TimePoint now = at_seconds(table.now += 1e-6);
        std::size_t n = std::min<std::size_t>(Batch::kSize, flows.size());
        std::array<std::uint32_t, Batch::kSize> ids{};
        for (std::size_t j = 0; j < n; ++j, k = k + 1 == flows.size() ? 0 : k + 1) ids[j] = flows[k];
        handle_batch(
            table.nat, batch.out, n, Direction::Outbound, prefetch, now,
            [&](Ipv4Packet& p, std::size_t j) { p.set_source(inside_of(ids[j])); },
            [&](const Ipv4Packet& p, std::size_t j) { batch.external[j] = p.source(); });
        handle_batch(
            table.nat, batch.in, n, Direction::Inbound, prefetch, now,
            [&](Ipv4Packet& p, std::size_t j) { p.set_destination(batch.external[j]); },
            [](const Ipv4Packet&, std::size_t) {});
        std::uint64_t before = done;
        done += 2 * n;
        if ((before >> 20) != (done >> 20)) table.nat.expire(now);
    }
    return done;
}

double rate(Table& table, const std::vector<std::uint32_t>& flows, std::uint64_t packets, bool prefetch) {
    auto start = Clock::now();
    std::uint64_t done = run(table, flows, packets, prefetch);
    return double(done) / std::chrono::duration<double>(Clock::now() - start).count();
}

struct Comparison {
    double small = 0, large = 0;
    double ratio() const { return large / small; }
};

Comparison compare(Table& small, const std::vector<std::uint32_t>& small_flows, Table& large,
                   const std::vector<std::uint32_t>& large_flows, std::uint64_t packets, bool prefetch) {
    run(small, small_flows, packets / 4, prefetch);  // warm up
    run(large, large_flows, packets / 4, prefetch);
    Comparison best;
    for (int round = 0; round < 5; ++round) {
        best.small = std::max(best.small, rate(small, small_flows, packets, prefetch));
        best.large = std::max(best.large, rate(large, large_flows, packets, prefetch));
    }
    return best;
}

void print(const char* pattern, const Comparison& c) {
    std::printf("%s 10 live mappings %.2f Mpackets/s, 100000 live mappings %.2f Mpackets/s, ratio %.3f\n",
                pattern, c.small / 1e6, c.large / 1e6, c.ratio());
}

}  // namespace

int main(int argc, char** argv) {
    const std::uint64_t packets = argc > 1 ? std::stoull(argv[1]) : 1'000'000;
    Table small{10}, large{100000};
    auto hot = compare(small, pick(10, 10), large, pick(100000, 10), packets, true);
    auto cold = compare(small, pick(10, 10), large, pick(100000, 100000), packets, true);
    auto cold_serial = compare(small, pick(10, 10), large, pick(100000, 100000), packets, false);
    std::printf(
        "UDP translations (an outbound datagram and its answer), batches of %zu, best of 5 rounds of "
        "%llu packets\n",
        Batch::kSize, static_cast<unsigned long long>(packets));
    print("same 10 active flows:                   ", hot);
    print("every mapping in turn:                  ", cold);
    print("every mapping in turn, no prefetching:  ", cold_serial);
    auto sweep_start = Clock::now();
    large.nat.expire(at_seconds(large.now));
    double sweep_ms = std::chrono::duration<double, std::milli>(Clock::now() - sweep_start).count();
    std::printf("one sweep of %zu live mappings: %.2f ms\n", large.nat.mappings_live(), sweep_ms);
    std::printf("table 100000/10 rate ratio: same flows %.3f, every mapping in turn %.3f\n", hot.ratio(),
                cold.ratio());
    return 0;
}
