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
// Not modelled: port parity (§4.2.2 says "may"), port contiguity for RTP, and
// pooling over several external addresses.
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
    PortAllocator(PortAllocation policy, PortRange range, std::uint64_t seed);

    // An unused port for a mapping whose inside source port is `wanted`;
    // nullopt when every port of the range is in use.
    std::optional<std::uint16_t> allocate(std::uint16_t wanted);
    void release(std::uint16_t port);
    // Takes exactly `port` (a port mapping protocol's suggestion): false when
    // it is out of range or in use.
    bool claim(std::uint16_t port);

    bool in_use(std::uint16_t port) const { return used_[port]; }
    std::size_t used() const { return count_; }

private:
    std::optional<std::uint16_t> first_free_from(std::uint16_t start) const;
    std::optional<std::uint16_t> next_sequential();
    std::optional<std::uint16_t> next_random();
    std::uint16_t after(std::uint16_t port) const;
    std::uint16_t take(std::uint16_t port);

    PortAllocation policy_;
    PortRange range_;
    std::bitset<65536> used_;
    std::size_t count_ = 0;
    std::uint16_t cursor_;  // where the next sequential search starts
    std::mt19937_64 rng_;
};

}  // namespace natlab::nat
