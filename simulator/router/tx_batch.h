// The frames one link will write, in the order they were added.
#pragma once

#include <span>
#include <vector>

#include "simulator/wire/ethernet.h"

namespace natlab::nat {

// Frames waiting to be written to one link.
class TxBatch {
public:
    struct Entry {
        std::span<const std::byte> bytes;
        FrameMeta meta;
    };
    // A frame that lives elsewhere (a receive buffer) until it is sent.
    void add(std::span<const std::byte> frame, FrameMeta meta) { entries_.push_back({frame, meta}); }
    // A frame the batch keeps alive itself (ARP, released queues, ICMP errors).
    void add(Frame frame);
    std::span<const Entry> entries() const { return entries_; }
    bool empty() const { return entries_.empty(); }
    void clear();

private:
    std::vector<Entry> entries_;
    std::vector<std::vector<std::byte>> owned_;
};

}  // namespace natlab::nat
