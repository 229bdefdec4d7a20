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
// Arrays of one huge page (2 MiB) and more get a private anonymous mapping
// of their own, aligned to 2 MiB (mmap, then the unaligned head and tail
// given back), and the kernel is advised (madvise MADV_HUGEPAGE) to back its
// whole huge pages with huge pages. The hash indexes are exactly 2 MiB at
// 100 000 mappings: taken from malloc, unaligned, they would hold no whole
// huge page at all. Nothing is over-allocated; since malloc does not see
// these arrays, huge_page_array_bytes() counts them for the memory
// benchmark. Smaller arrays are allocated as by std::allocator. The advice
// is only advice: where transparent huge pages are off, nothing changes but
// speed.
#pragma once

#include <sys/mman.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <new>

namespace natlab::nat {

inline constexpr std::size_t kHugePage = std::size_t{2} << 20;

// Bytes held now in the huge-page arrays of every HugePageAllocator.
inline std::atomic<std::size_t> huge_page_array_bytes_held{0};
inline std::size_t huge_page_array_bytes() {
    return huge_page_array_bytes_held.load();
}

// A mapping of `bytes` (a multiple of the page size) aligned to kHugePage.
inline void* map_huge_page_array(std::size_t bytes) {
    void* raw =
        ::mmap(nullptr, bytes + kHugePage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED) throw std::bad_alloc{};
    // The aligned start is found by pointer arithmetic from the mapping
    // (only its address's remainder is read as a number), so every pointer
    // below is derived from `raw`: no integer is cast back to a pointer.
    auto* base = static_cast<char*>(raw);
    std::size_t head = (kHugePage - reinterpret_cast<std::uintptr_t>(raw) % kHugePage) % kHugePage;
    char* start = base + head;
    if (head) ::munmap(base, head);
    std::size_t tail = kHugePage - head;  // what is left past start + bytes
    if (tail) ::munmap(start + bytes, tail);
    ::madvise(start, bytes, MADV_HUGEPAGE);
    huge_page_array_bytes_held += bytes;
    return start;
}

inline void unmap_huge_page_array(void* array, std::size_t bytes) noexcept {
    ::munmap(array, bytes);
    huge_page_array_bytes_held -= bytes;
}

template <class T>
struct HugePageAllocator {
    using value_type = T;
    // As std::allocator below a huge page: the aligned operator new only
    // when alignof(T) needs it.
    static constexpr bool kOverAligned = alignof(T) > __STDCPP_DEFAULT_NEW_ALIGNMENT__;

    HugePageAllocator() = default;
    template <class U>
    HugePageAllocator(const HugePageAllocator<U>&) {}

    T* allocate(std::size_t n) {
        std::size_t bytes = n * sizeof(T);
        if (bytes >= kHugePage) return static_cast<T*>(map_huge_page_array(page_rounded(bytes)));
        return static_cast<T*>(kOverAligned ? ::operator new (bytes, std::align_val_t{alignof(T)})
                                            : ::operator new(bytes));
    }
    void deallocate(T* p, std::size_t n) noexcept {
        if (n * sizeof(T) >= kHugePage)
            unmap_huge_page_array(p, page_rounded(n * sizeof(T)));
        else if constexpr (kOverAligned)
            ::operator delete (p, std::align_val_t{alignof(T)});
        else
            ::operator delete(p);
    }

    template <class U>
    bool operator==(const HugePageAllocator<U>&) const {
        return true;
    }

private:
    static std::size_t page_rounded(std::size_t bytes) {
        constexpr std::size_t kPage = 4096;
        return (bytes + kPage - 1) & ~(kPage - 1);
    }
};

}  // namespace natlab::nat
