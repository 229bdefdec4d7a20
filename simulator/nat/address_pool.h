// External addresses and their ports (RFC 4787 §4.1 pooling, §4.2 port assignment).
//
// Theory of operation
// -------------------
// The NAT owns one or more external addresses. Each address has, for each
// protocol, a PortAllocator: a port of an address belongs to at most one
// mapping of a protocol at a time (no port overloading, §4.2.2; RFC 5382
// REQ-7 for TCP; ICMP identifiers likewise). UDP and TCP ports come from the
// configured range; ICMP identifiers from all of 0-65535.
//
// Which address a new mapping gets is the pooling behaviour:
//  - paired (REQ-2, the recommended one): an inside host is paired with one
//    external address the first time it needs a mapping, and every mapping
//    of that host, for UDP, TCP and ICMP alike (RFC 7857 §4), uses it. A
//    new host is paired with the address that has the fewest hosts (the
//    first such address on a tie), so hosts spread evenly and the first host
//    gets the first address. A pairing lasts while the host has a mapping;
//    once its last one is gone the host may be paired anew. When the paired
//    address has no free port left, the mapping is refused ("ports
//    exhausted") even if another address has room: that is what paired means.
//  - arbitrary: each new mapping takes the next address, round robin, that
//    has a free port.
// With a single address both are the same.
//
// Port blocks (port_blocks.h), when the NAT has them, sit beside the UDP and
// TCP allocators of each address: a host's ports come from its blocks on the
// address it gets (paired: its one address; arbitrary: any address where its
// blocks, or a new one, have room). ICMP identifiers are never blocked.
// Parity (§4.2.2) is the allocators' own (port_allocator.h).
//
// The pool is pure bookkeeping: nat.cpp asks for an endpoint when it creates
// a mapping and gives it back when the mapping dies.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <unordered_map>
#include <vector>

#include "simulator/nat/behaviour.h"
#include "simulator/nat/port_allocator.h"
#include "simulator/nat/port_blocks.h"
#include "simulator/wire/drop_reason.h"
#include "simulator/wire/packet.h"
#include "src/net/endpoint.h"

namespace natlab::nat {

class AddressPool {
public:
    // Precondition: `addresses` is not empty and has no duplicates.
    AddressPool(std::vector<Ipv4> addresses, AddressPooling pooling, PortAllocation policy, PortRange range,
                std::uint64_t seed);
    // The same, with the configuration's port parity and port blocks.
    AddressPool(std::vector<Ipv4> addresses, const NatConfig& config, std::uint64_t seed);

    // An external endpoint for a new `protocol` mapping of `inside`; nullopt
    // and `why` when there is no free port where the pooling allows one.
    std::optional<Endpoint> allocate(Protocol protocol, Endpoint inside, DropReason& why);
    // Exactly `port` for a new `protocol` mapping of `inside` (a port mapping
    // protocol's suggestion), on the address the pooling allows; nullopt when
    // it is taken there.
    std::optional<Endpoint> claim(Protocol protocol, Endpoint inside, std::uint16_t port);
    // Gives back the endpoint of a mapping of `inside` that died.
    void release(Protocol protocol, Endpoint external, Ipv4 inside);

    bool owns(Ipv4 address) const;
    const std::vector<Ipv4>& addresses() const { return addresses_; }
    // The address `inside` is paired with, if it is (paired pooling only).
    std::optional<Ipv4> paired_with(Ipv4 inside) const;
    // Port blocks reserved and released so far, over every address and protocol.
    std::uint64_t blocks_reserved() const;
    std::uint64_t blocks_released() const;
    // How many blocks `inside` holds for `protocol`, over every address.
    std::size_t blocks_of(Protocol protocol, Ipv4 inside) const;

private:
    struct External {
        std::array<PortAllocator, kProtocolCount> ports;
        std::size_t hosts = 0;  // inside hosts paired with this address
        std::array<std::optional<PortBlocks>, kProtocolCount> blocks;  // UDP and TCP, when configured
    };
    struct Pairing {
        std::size_t index = 0;
        std::size_t mappings = 0;
    };

    std::optional<Endpoint> allocate_paired(Protocol protocol, Endpoint inside, DropReason& why);
    std::optional<Endpoint> allocate_arbitrary(Protocol protocol, Endpoint inside, DropReason& why);
    std::size_t least_paired() const;
    std::optional<std::size_t> index_of(Ipv4 address) const;
    PortAllocator& ports(std::size_t index, Protocol protocol);
    std::optional<std::uint16_t> take_port(std::size_t index, Protocol protocol, Endpoint inside,
                                           DropReason& why);
    DropReason exhausted(Protocol protocol, const std::string& where) const;

    std::vector<Ipv4> addresses_;
    std::vector<External> externals_;
    std::unordered_map<std::uint32_t, Pairing> pairs_;
    AddressPooling pooling_;
    PortRange range_;
    std::size_t next_ = 0;  // arbitrary pooling: where the round robin goes on
};

}  // namespace natlab::nat
