#include "filter.h"

#include <string>

namespace natlab::nat {
namespace {

bool live(TimePoint last, TimePoint now, Duration lifetime) {
    return now - last < lifetime;
}

template <class Map>
bool live_in(const Map& map, const typename Map::key_type& key, TimePoint now, Duration lifetime) {
    auto it = map.find(key);
    return it != map.end() && live(it->second, now, lifetime);
}

template <class Map>
void renew_if_present(Map& map, const typename Map::key_type& key, TimePoint now) {
    if (auto it = map.find(key); it != map.end()) it->second = now;
}

template <class Map>
void erase_dead(Map& map, TimePoint now, Duration lifetime) {
    std::erase_if(map, [&](const auto& entry) { return !live(entry.second, now, lifetime); });
}

DropReason filtered(FilteringBehaviour behaviour, const std::string& whom) {
    return {DropCode::Filtered,
            "filtered (" + std::string{to_string(behaviour)} + "): no mapping has sent to " + whom};
}

}  // namespace

bool SentTo::record(Endpoint remote, TimePoint now, Duration lifetime) {
    bool opened = !endpoint_live(remote, now, lifetime);
    endpoints_[remote] = now;
    addresses_[remote.addr.value] = now;
    return opened;
}

void SentTo::renew(Endpoint remote, TimePoint now) {
    renew_if_present(endpoints_, remote, now);
    renew_if_present(addresses_, remote.addr.value, now);
}

void SentTo::prune(TimePoint now, Duration lifetime) {
    erase_dead(endpoints_, now, lifetime);
    erase_dead(addresses_, now, lifetime);
}

bool SentTo::address_live(Ipv4 remote, TimePoint now, Duration lifetime) const {
    return live_in(addresses_, remote.value, now, lifetime);
}

bool SentTo::endpoint_live(Endpoint remote, TimePoint now, Duration lifetime) const {
    return live_in(endpoints_, remote, now, lifetime);
}

std::optional<DropReason> filter_inbound(FilteringBehaviour behaviour, const SentTo& sent_to, Endpoint remote,
                                         TimePoint now, Duration lifetime) {
    switch (behaviour) {
        case FilteringBehaviour::EndpointIndependent:
            return std::nullopt;
        case FilteringBehaviour::AddressDependent:
            if (sent_to.address_live(remote.addr, now, lifetime)) return std::nullopt;
            return filtered(behaviour, remote.addr.to_string());
        case FilteringBehaviour::AddressAndPortDependent:
            if (sent_to.endpoint_live(remote, now, lifetime)) return std::nullopt;
            return filtered(behaviour, remote.to_string());
    }
    return filtered(behaviour, remote.to_string());
}

}  // namespace natlab::nat
