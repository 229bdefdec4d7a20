#include "simulator/nat/mapping_index.h"

#include <cassert>

namespace natlab::nat {
namespace {

constexpr std::size_t kInitialCapacity = 16;

// True when `k` lies cyclically in (hole, j]: the entry at j may not move back to `hole`.
bool stays(std::size_t k, std::size_t hole, std::size_t j) {
    return hole <= j ? (hole < k && k <= j) : (hole < k || k <= j);
}

}  // namespace

void MappingIndex::insert(std::uint64_t hash, Id id) {
    if ((count_ + 1) * 4 > slots_.size() * 3) grow();
    place({id, static_cast<std::uint32_t>(hash)});
    ++count_;
}

void MappingIndex::erase(std::uint64_t hash, Id id) {
    auto tag = static_cast<std::uint32_t>(hash);
    std::size_t hole = tag & mask_;
    while (slots_[hole].id != id) {
        assert(slots_[hole].id != kNone && "erasing an id that is not in the index");
        hole = (hole + 1) & mask_;
    }
    for (std::size_t j = (hole + 1) & mask_; slots_[j].id != kNone; j = (j + 1) & mask_) {
        if (stays(slots_[j].tag & mask_, hole, j)) continue;
        slots_[hole] = slots_[j];
        hole = j;
    }
    slots_[hole] = Slot{};
    --count_;
}

void MappingIndex::grow() {
    auto old = std::move(slots_);
    slots_.assign(old.empty() ? kInitialCapacity : old.size() * 2, Slot{});
    mask_ = slots_.size() - 1;
    for (const Slot& slot : old)
        if (slot.id != kNone) place(slot);
}

void MappingIndex::place(Slot slot) {
    std::size_t i = slot.tag & mask_;
    while (slots_[i].id != kNone) i = (i + 1) & mask_;
    slots_[i] = slot;
}

}  // namespace natlab::nat
