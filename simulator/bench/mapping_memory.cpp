// nat-bench-memory: heap bytes per live mapping, measured.
//
// Creates 100 000 UDP mappings (200 inside hosts x 500 ports, two external
// addresses, paired pooling) in the pure NAT core and reports how much the
// heap grew, per mapping, two ways:
//   - "requested": bytes asked of operator new and not yet freed, counted by
//     this program's own replacement of the global operator new/delete;
//   - "malloc": glibc's mallinfo2() in-use bytes (small chunks plus mmap()ed
//     big ones), which also counts malloc's own per-chunk overhead.
// Both include everything the NAT holds for the mappings: the table's
// records and indexes (with their spare capacity), filter state, the address
// pool's pairings. The table's big arrays live in mappings of their own
// (huge_pages.h), which neither figure sees, so both add
// huge_page_array_bytes(). Exit status 1 if either exceeds the 256-byte
// budget.
//
//   build/bin/nat-bench-memory [MAPPINGS]

#include <malloc.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <new>
#include <string>

#include "simulator/bench/bench_flows.h"
#include "simulator/nat/huge_pages.h"

namespace {

std::atomic<std::size_t> g_live{0};

// Each block carries its size in a prefix as large as its alignment, so
// delete knows what it frees.
void* counted_new(std::size_t size, std::size_t align = 16) {
    void* block = std::aligned_alloc(align, (size + 2 * align - 1) / align * align);
    if (!block) throw std::bad_alloc{};
    *static_cast<std::size_t*>(block) = size;
    g_live += size;
    return static_cast<char*>(block) + align;
}

void counted_delete(void* p, std::size_t align = 16) noexcept {
    if (!p) return;
    void* block = static_cast<char*>(p) - align;
    g_live -= *static_cast<std::size_t*>(block);
    std::free(block);
}

std::size_t malloc_in_use() {
    struct mallinfo2 m = mallinfo2();
    return m.uordblks + m.hblkhd;  // small chunks and mmap()ed big ones
}

}  // namespace

void* operator new(std::size_t size) {
    return counted_new(size);
}
void* operator new[](std::size_t size) {
    return counted_new(size);
}
void* operator new(std::size_t size, std::align_val_t a) {
    return counted_new(size, std::size_t(a));
}
void* operator new[](std::size_t size, std::align_val_t a) {
    return counted_new(size, std::size_t(a));
}
void operator delete(void* p) noexcept {
    counted_delete(p);
}
void operator delete[](void* p) noexcept {
    counted_delete(p);
}
void operator delete(void* p, std::size_t) noexcept {
    counted_delete(p);
}
void operator delete[](void* p, std::size_t) noexcept {
    counted_delete(p);
}
void operator delete(void* p, std::align_val_t a) noexcept {
    counted_delete(p, std::size_t(a));
}
void operator delete[](void* p, std::align_val_t a) noexcept {
    counted_delete(p, std::size_t(a));
}
void operator delete(void* p, std::size_t, std::align_val_t a) noexcept {
    counted_delete(p, std::size_t(a));
}
void operator delete[](void* p, std::size_t, std::align_val_t a) noexcept {
    counted_delete(p, std::size_t(a));
}

int main(int argc, char** argv) {
    using namespace natlab;
    using namespace natlab::nat;
    using namespace natlab::nat::bench;
    const std::uint32_t mappings = argc > 1 ? static_cast<std::uint32_t>(std::stoul(argv[1])) : 100000;
    constexpr double kBudget = 256;

    auto buffer = template_datagram({inside_of(0), kServer});
    Nat nat{NatConfig{}, bench_addresses(), 1};
    std::size_t requested_before = g_live + huge_page_array_bytes();
    std::size_t malloc_before = malloc_in_use() + huge_page_array_bytes();

    for (std::uint32_t i = 0; i < mappings; ++i)
        if (!send_outbound(nat, buffer, i, at_seconds(i * 1e-6))) {
            std::fprintf(stderr, "flow %u dropped: %s\n", i, nat.last_drop().text.c_str());
            return 2;
        }

    const auto live = static_cast<double>(nat.mappings_live());
    double requested = static_cast<double>(g_live + huge_page_array_bytes() - requested_before) / live;
    double by_malloc = static_cast<double>(malloc_in_use() + huge_page_array_bytes() - malloc_before) / live;
    std::printf("live mappings: %zu (sizeof(Mapping) = %zu bytes)\n", nat.mappings_live(), sizeof(Mapping));
    std::printf("table (records, free list, indexes): %.1f bytes/mapping\n",
                static_cast<double>(nat.table_memory_bytes()) / live);
    std::printf("requested (operator new + huge-page arrays): %.1f bytes/mapping\n", requested);
    std::printf("in use (mallinfo2 + huge-page arrays): %.1f bytes/mapping\n", by_malloc);
    bool within = requested <= kBudget && by_malloc <= kBudget;
    std::printf("bytes per mapping: %.1f (budget %.0f): %s\n", std::max(requested, by_malloc), kBudget,
                within ? "ok" : "OVER BUDGET");
    return within ? 0 : 1;
}
