// External port assignment for new mappings (RFC 4787 §4.2).
//
// Theory of operation
// -------------------
// The NAT has one external address, so a mapping is named by its external
// port alone, and each port belongs to at most one mapping at a time: no
// "port overloading" (the RFC asks NATs not to reuse a port for two internal
// endpoints, §4.2.2). The allocator is the single owner of that fact: a port
// is in use from `allocate` until `release`.
//
// Policies:
//  - preserve: the internal source port if it is in range and free. When it
//    is taken (another host, or another mapping of the same host under a
//    dependent mapping behaviour), fall back to sequential, as most NATs do.
//  - sequential: the first free port after the previously allocated one,
//    wrapping at the end of the range. Successive mappings get consecutive
//    ports, which is what port prediction exploits.
//  - random: a uniformly drawn start, then the first free port from there.
//    The generator is seeded by the caller, so tests are reproducible.
//
// Parity (§4.2.2; REQ-4 recommends it): with `parity` on, every policy only
// considers ports of the inside port's parity, so an even inside port gets an
// even external port and an odd one an odd one. When no port of that parity
// is free the mapping is refused, as when the range is full: the NAT keeps
// its promise rather than hand out the other parity.
//
// Sub-ranges: `allocate_in` applies the same policy inside a part of the
// range (a port block, port_blocks.h): preserve if the wanted port lies in
// it, else the lowest free port (sequential) or a drawn one (random).
//
// Not modelled: port contiguity for RTP (§4.2.3), and pooling over several
// external addresses (address_pool.h does that with one allocator each).
#pragma once

#include <bitset>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <random>

#include "simulator/nat/behaviour.h"

namespace natlab::nat {

class PortAllocator {
public:
    PortAllocator(PortAllocation policy, PortRange range, std::uint64_t seed, bool parity = false);

    // An unused port for a mapping whose inside source port is `wanted`;
    // nullopt when every port of the range is in use.
    std::optional<std::uint16_t> allocate(std::uint16_t wanted);
    // The same inside `part` (within the range): nullopt when no port of it will do.
    std::optional<std::uint16_t> allocate_in(PortRange part, std::uint16_t wanted);
    void release(std::uint16_t port);
    // Takes exactly `port` (a port mapping protocol's suggestion): false when
    // it is out of range or in use.
    bool claim(std::uint16_t port);

    bool in_use(std::uint16_t port) const { return used_[port]; }
    std::size_t used() const { return count_; }
    PortAllocation policy() const { return policy_; }
    // A uniformly drawn number in [0, n), from the allocator's generator.
    std::size_t draw(std::size_t n);

private:
    std::optional<std::uint16_t> first_free_from(std::uint16_t start, PortRange part,
                                                 std::uint16_t wanted) const;
    std::optional<std::uint16_t> next_sequential(std::uint16_t wanted);
    std::optional<std::uint16_t> next_random(PortRange part, std::uint16_t wanted);
    bool fits(std::uint16_t port, std::uint16_t wanted) const;
    static std::uint16_t after(std::uint16_t port, PortRange part);
    std::uint16_t take(std::uint16_t port);

    PortAllocation policy_;
    PortRange range_;
    bool parity_;
    std::bitset<65536> used_;
    std::size_t count_ = 0;
    std::uint16_t cursor_;  // where the next sequential search starts
    std::mt19937_64 rng_;
};

}  // namespace natlab::nat
