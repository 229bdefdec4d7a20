// An allocator for the NAT table's big arrays that asks for huge pages.
//
// At 100 000 mappings the table's arrays (records and two hash indexes) are
// about 12 MB, touched at random, one cache line per packet. With 4 KiB
// pages that is 3 000 pages, more than the CPU's TLB holds, so nearly every
// lookup also misses the TLB; in a virtual machine each such miss is a
// two-dimensional page walk that costs as much as the cache miss itself.
// Backed by 2 MiB transparent huge pages the record array needs a handful of
// TLB entries.
//
// The allocator takes memory from operator new as usual (nothing extra is
// allocated, and the memory benchmark still sees every byte) and, for arrays
// of kMinBytes and more, advises the kernel (madvise MADV_HUGEPAGE) to back
// the aligned 2 MiB pages that lie inside the array with huge pages. The
// advice is only advice: where transparent huge pages are off, nothing
// changes but speed.
#pragma once

#include <sys/mman.h>

#include <cstddef>
#include <cstdint>
#include <new>

namespace natlab::nat {

template <class T>
struct HugePageAllocator {
    using value_type = T;
    static constexpr std::uintptr_t kHugePage = 2u << 20;
    static constexpr std::size_t kMinBytes = 2 * kHugePage;
    // As std::allocator: the aligned operator new only when alignof(T) needs it.
    static constexpr bool kOverAligned = alignof(T) > __STDCPP_DEFAULT_NEW_ALIGNMENT__;

    HugePageAllocator() = default;
    template <class U>
    HugePageAllocator(const HugePageAllocator<U>&) {}

    T* allocate(std::size_t n) {
        std::size_t bytes = n * sizeof(T);
        auto* array = static_cast<T*>(kOverAligned ? ::operator new (bytes, std::align_val_t{alignof(T)})
                                                   : ::operator new(bytes));
        if (bytes >= kMinBytes) advise(reinterpret_cast<std::uintptr_t>(array), bytes);
        return array;
    }
    void deallocate(T* p, std::size_t) noexcept {
        if constexpr (kOverAligned)
            ::operator delete (p, std::align_val_t{alignof(T)});
        else
            ::operator delete(p);
    }

    template <class U>
    bool operator==(const HugePageAllocator<U>&) const {
        return true;
    }

private:
    static void advise(std::uintptr_t start, std::size_t bytes) {
        std::uintptr_t first = (start + kHugePage - 1) & ~(kHugePage - 1);
        std::uintptr_t end = (start + bytes) & ~(kHugePage - 1);
        if (end > first) ::madvise(reinterpret_cast<void*>(first), end - first, MADV_HUGEPAGE);
    }
};

}  // namespace natlab::nat
