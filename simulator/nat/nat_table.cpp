#include "simulator/nat/nat_table.h"

#include <cassert>

namespace natlab::nat {
namespace {

std::uint64_t pack(Protocol protocol, Endpoint e) {
    return (std::uint64_t{static_cast<std::uint8_t>(protocol)} << 48) | (std::uint64_t{e.addr.value} << 16) |
           e.port;
}

std::uint64_t external_hash(Protocol protocol, Endpoint external) {
    return mix64(pack(protocol, external));
}

}  // namespace

Timeouts Timeouts::of(const NatConfig& c) {
    Millis before =
        c.mapping_timeout_before_inbound.count() > 0 ? c.mapping_timeout_before_inbound : c.mapping_timeout;
    return {c.mapping_timeout, before, c.icmp_timeout, c.tcp_established_timeout, c.tcp_transitory_timeout};
}

// The part of the remote that the mapping behaviour keys on; the rest zero.
Endpoint NatTable::key_remote(Endpoint remote) const {
    switch (behaviour_) {
        case MappingBehaviour::EndpointIndependent:
            return {};
        case MappingBehaviour::AddressDependent:
            return {remote.addr, 0};
        case MappingBehaviour::AddressAndPortDependent:
            return remote;
    }
    return remote;
}

std::uint64_t NatTable::key_hash(Protocol protocol, Endpoint inside, Endpoint remote) const {
    return mix64(pack(protocol, inside) ^ mix64(pack(protocol, key_remote(remote))));
}

Mapping* NatTable::find_outbound(Protocol protocol, Endpoint inside, Endpoint remote) {
    Endpoint key = key_remote(remote);
    auto id = by_key_.find(key_hash(protocol, inside, remote), [&](MappingIndex::Id i) {
        const Mapping& m = slots_[i];
        return m.protocol == protocol && m.inside == inside && key_remote(m.first_remote) == key;
    });
    return id == MappingIndex::kNone ? nullptr : &slots_[id];
}

Mapping* NatTable::find_inbound(Protocol protocol, Endpoint external) {
    auto id = by_external_.find(external_hash(protocol, external), [&](MappingIndex::Id i) {
        return slots_[i].protocol == protocol && slots_[i].outside == external;
    });
    return id == MappingIndex::kNone ? nullptr : &slots_[id];
}

void NatTable::prefetch_outbound(Protocol protocol, Endpoint inside, Endpoint remote, Prefetch step) const {
    prefetch(by_key_, key_hash(protocol, inside, remote), step);
}

void NatTable::prefetch_inbound(Protocol protocol, Endpoint external, Prefetch step) const {
    prefetch(by_external_, external_hash(protocol, external), step);
}

void NatTable::prefetch(const MappingIndex& index, std::uint64_t hash, Prefetch step) const {
    if (step == Prefetch::Index) {
        warm_ += index.warm(hash);
        return;
    }
    auto id = index.candidate(hash);
    if (id != MappingIndex::kNone) warm_ += slots_[id].inside.port;
}

const Mapping* NatTable::find_inbound(Protocol protocol, Endpoint external) const {
    return const_cast<NatTable*>(this)->find_inbound(protocol, external);
}

Mapping& NatTable::insert(Mapping mapping) {
    assert(!find_outbound(mapping.protocol, mapping.inside, mapping.first_remote) &&
           !find_inbound(mapping.protocol, mapping.outside) &&
           "a mapping key or external endpoint is used twice");
    mapping.in_use = true;
    MappingIndex::Id id;
    if (free_.empty()) {
        id = static_cast<MappingIndex::Id>(slots_.size());
        slots_.push_back(std::move(mapping));
    } else {
        id = free_.back();
        free_.pop_back();
        slots_[id] = std::move(mapping);
    }
    const Mapping& m = slots_[id];
    by_key_.insert(key_hash(m.protocol, m.inside, m.first_remote), id);
    by_external_.insert(external_hash(m.protocol, m.outside), id);
    ++size_;
    return slots_[id];
}

Mapping NatTable::remove(const Mapping& mapping) {
    auto id = id_of(mapping);
    Mapping removed = std::move(slots_[id]);
    slots_[id] = Mapping{};
    by_key_.erase(key_hash(removed.protocol, removed.inside, removed.first_remote), id);
    by_external_.erase(external_hash(removed.protocol, removed.outside), id);
    free_.push_back(id);
    --size_;
    removed.in_use = false;
    return removed;
}

std::vector<Mapping> NatTable::sweep(TimePoint now) {
    std::vector<Mapping> expired;
    for (Mapping& m : slots_) {
        if (!m.in_use) continue;
        if (live(m, now))
            m.sent_to.prune(now, timeout(m));
        else
            expired.push_back(remove(m));
    }
    return expired;
}

std::vector<Mapping> NatTable::clear() {
    std::vector<Mapping> removed;
    removed.reserve(size_);
    for (Mapping& m : slots_)
        if (m.in_use) removed.push_back(remove(m));
    return removed;
}

Millis NatTable::timeout(const Mapping& m) const {
    if (m.granted()) return std::chrono::seconds{m.lifetime_s};
    switch (m.protocol) {
        case Protocol::Udp:
            return m.answered ? timeouts_.udp : timeouts_.udp_before_inbound;
        case Protocol::Icmp:
            return timeouts_.icmp;
        case Protocol::Tcp:
            return tcp_transitory(m.tcp) ? timeouts_.tcp_transitory : timeouts_.tcp_established;
    }
    return timeouts_.udp;
}

std::size_t NatTable::memory_bytes() const {
    return slots_.capacity() * sizeof(Mapping) + free_.capacity() * sizeof(MappingIndex::Id) +
           (by_key_.capacity() + by_external_.capacity()) * 8;
}

MappingIndex::Id NatTable::id_of(const Mapping& mapping) const {
    assert(&mapping >= slots_.data() && &mapping < slots_.data() + slots_.size() && mapping.in_use &&
           "removing a mapping that is not in the table");
    return static_cast<MappingIndex::Id>(&mapping - slots_.data());
}

}  // namespace natlab::nat
