#include "nat_table.h"

#include <cassert>

namespace natlab::nat {

std::size_t NatTable::KeyHash::operator()(const Key& k) const noexcept {
    EndpointHash h;
    return h(k.inside) * 0x9e3779b97f4a7c15ull ^ h(k.remote);
}

NatTable::Key NatTable::key_for(Endpoint inside, Endpoint remote) const {
    switch (behaviour_) {
        case MappingBehaviour::EndpointIndependent:
            return {inside, {}};
        case MappingBehaviour::AddressDependent:
            return {inside, {remote.addr, 0}};
        case MappingBehaviour::AddressAndPortDependent:
            return {inside, remote};
    }
    return {inside, remote};
}

Mapping* NatTable::find_outbound(Endpoint inside, Endpoint remote) {
    auto it = by_key_.find(key_for(inside, remote));
    return it == by_key_.end() ? nullptr : find_inbound(it->second);
}

Mapping* NatTable::find_inbound(std::uint16_t external_port) {
    auto it = by_port_.find(external_port);
    return it == by_port_.end() ? nullptr : &it->second;
}

const Mapping* NatTable::find_inbound(std::uint16_t external_port) const {
    auto it = by_port_.find(external_port);
    return it == by_port_.end() ? nullptr : &it->second;
}

Mapping& NatTable::insert(Mapping mapping) {
    auto port = mapping.outside.port;
    auto [key_it, key_added] = by_key_.emplace(key_for(mapping.inside, mapping.first_remote), port);
    auto [it, port_added] = by_port_.emplace(port, std::move(mapping));
    assert(key_added && port_added && "a mapping key or external port is used twice");
    (void)key_it, (void)key_added, (void)port_added;
    return it->second;
}

Mapping NatTable::remove(std::uint16_t external_port) {
    auto it = by_port_.find(external_port);
    assert(it != by_port_.end() && "removing a mapping that is not in the table");
    Mapping mapping = std::move(it->second);
    by_port_.erase(it);
    by_key_.erase(key_for(mapping.inside, mapping.first_remote));
    return mapping;
}

std::vector<Mapping> NatTable::remove_expired(TimePoint now) {
    std::vector<std::uint16_t> ports;
    for (const auto& [port, mapping] : by_port_)
        if (!live(mapping, now)) ports.push_back(port);
    std::vector<Mapping> expired;
    expired.reserve(ports.size());
    for (auto port : ports) expired.push_back(remove(port));
    return expired;
}

}  // namespace natlab::nat
