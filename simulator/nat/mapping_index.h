// A compact hash index from a key to a mapping's slot number.
//
// Theory of operation
// -------------------
// The mapping table needs two lookups per packet (by inside endpoint and
// remote for outbound packets, by external endpoint for inbound ones) over
// up to a few hundred thousand live mappings, with little memory per entry.
// A node-based std::unordered_map spends a heap node and a bucket pointer
// per entry, about 50 bytes; this index spends 8.
//
// It is an open-addressing table with linear probing. A slot holds the
// slot number of a mapping and 32 bits of the key's hash; the keys
// themselves stay in the mappings, and the caller's `matches(id)` compares
// them, only for slots whose stored hash is equal. Capacity is a power of
// two, grown (doubled, every entry re-placed from its stored hash) before
// the load passes 3/4, so a lookup ends within a few adjacent slots. Erasing
// shifts the following entries of the run back into the hole ("backward
// shift deletion"), so there are no tombstones and lookups stay short however
// many mappings come and go.
//
// Memory. Beyond the CPU caches each lookup costs two trips to memory (the
// slot, then the mapping it points to), each a few hundred nanoseconds on
// the lab's VMs, more than the rest of a packet's translation. A caller with
// a batch of packets hides them: warm() every packet's slot, then read every
// candidate() mapping, then handle the packets. The reads of one pass do not
// depend on each other, so the CPU has many in flight at once and the trips
// of a whole batch overlap instead of following one another. (They are real
// reads, not prefetch instructions: on the VM this was measured on,
// __builtin_prefetch made no difference and plain reads doubled the rate.)
//
// The index knows nothing of mappings or keys; nat_table.cpp hashes the keys.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "simulator/nat/huge_pages.h"

namespace natlab::nat {

class MappingIndex {
public:
    using Id = std::uint32_t;
    static constexpr Id kNone = 0xffffffffu;

    // The id whose hash is `hash` and for which `matches(id)` holds, or kNone.
    template <class Matches>
    Id find(std::uint64_t hash, Matches&& matches) const {
        if (slots_.empty()) return kNone;
        auto tag = static_cast<std::uint32_t>(hash);
        for (std::size_t i = tag & mask_;; i = (i + 1) & mask_) {
            const Slot& slot = slots_[i];
            if (slot.id == kNone) return kNone;
            if (slot.tag == tag && matches(slot.id)) return slot.id;
        }
    }

    // Batches: reads the slot where a lookup of `hash` starts, so that a
    // later find() finds it in the cache. Returns what it read, for the
    // caller to keep (an unused read could be optimised away).
    std::uint32_t warm(std::uint64_t hash) const {
        return slots_.empty() ? 0 : slots_[static_cast<std::uint32_t>(hash) & mask_].id;
    }
    // The first id stored with `hash`'s tag, without comparing keys (so
    // without touching the mappings): the likely answer of find(), to prefetch.
    Id candidate(std::uint64_t hash) const {
        return find(hash, [](Id) { return true; });
    }

    // Precondition: no entry with this id.
    void insert(std::uint64_t hash, Id id);
    // Precondition: the entry (hash, id) is present.
    void erase(std::uint64_t hash, Id id);

    std::size_t size() const { return count_; }
    std::size_t capacity() const { return slots_.size(); }

private:
    struct Slot {
        Id id = kNone;
        std::uint32_t tag = 0;
    };
    void grow();
    void place(Slot slot);

    std::vector<Slot, HugePageAllocator<Slot>> slots_;
    std::size_t mask_ = 0;
    std::size_t count_ = 0;
};

// A 64-bit mix (the splitmix64 finaliser): every input bit moves every output bit.
inline std::uint64_t mix64(std::uint64_t x) {
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

}  // namespace natlab::nat
