// Registry of active rendezvous clients. See registry.h for the lifecycle.
//
// Two indexes are kept in step: by name (the owner of the record) and by
// public endpoint (to recognise who sent a Connect). Expiry is lazy for
// lookups (a silent entry is invisible at once) and eager in expire(), which
// the server calls on its timer to free the memory and log the departure.
#include "registry.h"

#include "invariant.h"

namespace natlab {

bool Registry::alive(const ClientRecord& record, TimePoint now) const {
    return now - record.last_seen < kLifetime;
}

void Registry::erase(const std::string& name) {
    auto it = by_name_.find(name);
    if (it == by_name_.end()) return;
    by_endpoint_.erase(it->second.public_endpoint);
    by_name_.erase(it);
}

RegisterOutcome Registry::upsert(const std::string& name, Endpoint public_endpoint,
                                 std::vector<Endpoint> local_endpoints, TimePoint now) {
    auto owner = by_endpoint_.find(public_endpoint);
    if (owner != by_endpoint_.end() && owner->second != name) erase(std::string(owner->second));
    auto it = by_name_.find(name);
    if (it == by_name_.end() && by_name_.size() >= capacity_) {
        expire(now);
        if (by_name_.size() >= capacity_) return RegisterOutcome::full;
    }
    auto outcome = RegisterOutcome::added;
    if (it != by_name_.end()) {
        bool same = it->second.public_endpoint == public_endpoint;
        outcome = same ? RegisterOutcome::refreshed : RegisterOutcome::moved;
        by_endpoint_.erase(it->second.public_endpoint);
    }
    by_name_[name] = ClientRecord{name, public_endpoint, std::move(local_endpoints), now};
    by_endpoint_[public_endpoint] = name;
    NATLAB_INVARIANT(by_name_.size() == by_endpoint_.size());
    return outcome;
}

void Registry::touch(Endpoint public_endpoint, TimePoint now) {
    auto owner = by_endpoint_.find(public_endpoint);
    if (owner == by_endpoint_.end()) return;
    auto& record = by_name_.at(owner->second);
    if (alive(record, now)) record.last_seen = now;
}

const ClientRecord* Registry::find(std::string_view name, TimePoint now) const {
    auto it = by_name_.find(name);
    if (it == by_name_.end() || !alive(it->second, now)) return nullptr;
    return &it->second;
}

const ClientRecord* Registry::find_by_endpoint(Endpoint public_endpoint, TimePoint now) const {
    auto owner = by_endpoint_.find(public_endpoint);
    if (owner == by_endpoint_.end()) return nullptr;
    return find(owner->second, now);
}

std::vector<ClientRecord> Registry::expire(TimePoint now) {
    std::vector<ClientRecord> gone;
    for (const auto& [name, record] : by_name_)
        if (!alive(record, now)) gone.push_back(record);
    for (const auto& record : gone) erase(record.name);
    return gone;
}

}  // namespace natlab
