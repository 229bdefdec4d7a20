// Port-block allocation per inside host (RFC 6888 REQ-4, RFC 7422, RFC 7753).
//
// Theory of operation
// -------------------
// A carrier-grade NAT that logs every mapping of every subscriber logs a
// great deal. RFC 7422 cuts that by giving each subscriber a range of ports
// fixed in advance; the dynamic form most CGNs ship (bulk port allocation)
// gives each inside host blocks of contiguous external ports on demand and
// logs once per block, and RFC 7753 lets a host ask for such a port set over
// PCP. Here: each inside host is given blocks of contiguous external ports,
// and its mappings take ports inside them; RFC 6888 REQ-4 (a CGN must be
// able to limit the ports a subscriber holds) is the blocks' count. One PortBlocks serves one external
// address and one protocol, beside that address's PortAllocator (address_pool.h), which still owns the fact
// "this port is in use".
//
// The range is cut into blocks of `size` ports from its first port (a short
// remainder at the top is never used). The life of a block:
//  - reserved when a host needs a port and none of its blocks has a free one,
//    if it holds fewer than `per_host` blocks and some block is unowned: the
//    lowest such block, or under random port allocation a drawn one (so
//    the block, like a random port, is hard to guess);
//  - used: the host's new mappings take ports of its blocks, the oldest
//    block first, by the allocator's policy inside the block (preserve
//    when the wanted port lies in it, else lowest free, or random);
//  - released when its last mapping is gone: the block is unowned again.
// When the host holds `per_host` blocks and all their ports are in use, or
// no block is left to reserve, the mapping is refused: "ports exhausted",
// with which of the two it was.
//
// Ports taken outside blocks (a port mapping protocol's exact claim) are
// not counted in any block, and their release does not touch one.
//
// Pure bookkeeping: no clock, no events; the NAT counts the reservations.
#pragma once

#include <bitset>
#include <cstdint>
#include <optional>
#include <unordered_map>
#include <vector>

#include "simulator/nat/behaviour.h"
#include "simulator/nat/port_allocator.h"
#include "simulator/wire/drop_reason.h"
#include "src/net/endpoint.h"

namespace natlab::nat {

class PortBlocks {
public:
    // Precondition: 1 <= size <= range.size(), per_host >= 1.
    PortBlocks(PortRange range, std::uint16_t size, std::uint16_t per_host);

    // A port of `host`'s blocks for a new mapping, taken from `ports`;
    // nullopt and `why` when there is none and no block may be reserved.
    std::optional<std::uint16_t> allocate(Ipv4 host, std::uint16_t wanted, PortAllocator& ports,
                                          DropReason& why);
    // The port of a mapping that died; frees it in `ports` too.
    void release(std::uint16_t port, PortAllocator& ports);

    std::size_t blocks_of(Ipv4 host) const;
    // The block that holds `port`, if the port is in a whole block.
    std::optional<PortRange> block_of(std::uint16_t port) const;
    std::uint64_t reserved() const { return reserved_; }  // reservations so far
    std::uint64_t released() const { return released_; }  // releases so far

private:
    struct Block {
        std::uint32_t owner = 0;
        std::uint16_t used = 0;  // mappings in it
        bool owned = false;
    };

    std::optional<std::uint16_t> from_held(Ipv4 host, std::uint16_t wanted, PortAllocator& ports);
    std::optional<std::size_t> reserve(Ipv4 host, PortAllocator& ports);
    void disown(std::size_t block);
    std::optional<std::size_t> first_unowned(std::size_t start) const;
    std::optional<std::uint16_t> take(std::size_t block, std::uint16_t wanted, PortAllocator& ports);
    PortRange span(std::size_t block) const;
    DropReason refusal(Ipv4 host) const;

    PortRange range_;
    std::uint16_t size_;
    std::uint16_t per_host_;
    std::vector<Block> blocks_;
    std::unordered_map<std::uint32_t, std::vector<std::size_t>> held_;  // host -> its blocks, oldest first
    std::bitset<65536> counted_;                                        // ports allocated through a block
    std::uint64_t reserved_ = 0, released_ = 0;
};

}  // namespace natlab::nat
