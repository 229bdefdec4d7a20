#include "simulator/nat/filter.h"

#include <algorithm>
#include <string>

namespace natlab::nat {
namespace {

bool live(TimePoint last, TimePoint now, Millis lifetime) {
    return now - last < lifetime;
}

DropReason filtered(FilteringBehaviour behaviour, const std::string& whom) {
    return {DropCode::Filtered,
            "filtered (" + std::string{to_string(behaviour)} + "): no mapping has sent to " + whom};
}

}  // namespace

template <class F>
void SentTo::for_each(F&& f) {
    if (first_.last != kNone) f(first_);
    if (more_)
        for (auto& p : *more_) f(p);
}

template <class F>
bool SentTo::any(F&& f) const {
    if (first_.last != kNone && f(first_)) return true;
    return more_ && std::any_of(more_->begin(), more_->end(), f);
}

SentTo::Permission* SentTo::find(Endpoint remote) {
    if (first_.last != kNone && first_.remote == remote) return &first_;
    if (!more_) return nullptr;
    auto it =
        std::find_if(more_->begin(), more_->end(), [&](const Permission& p) { return p.remote == remote; });
    return it == more_->end() ? nullptr : &*it;
}

bool SentTo::record(Endpoint remote, TimePoint now, Millis lifetime) {
    if (Permission* p = find(remote)) {
        bool opened = !live(p->last, now, lifetime);
        p->last = now;
        return opened;
    }
    if (first_.last == kNone || !live(first_.last, now, lifetime)) {
        first_ = {remote, now};
        return true;
    }
    if (!more_) more_ = std::make_unique<std::vector<Permission>>();
    more_->push_back({remote, now});
    return true;
}

void SentTo::renew(Endpoint remote, TimePoint now) {
    if (Permission* p = find(remote)) {
        p->last = now;
        return;
    }
    for_each([&](Permission& p) {
        if (p.remote.addr == remote.addr) p.last = now;
    });
}

void SentTo::prune(TimePoint now, Millis lifetime) {
    if (more_) std::erase_if(*more_, [&](const Permission& p) { return !live(p.last, now, lifetime); });
    if (first_.last != kNone && !live(first_.last, now, lifetime)) {
        first_.last = kNone;
        if (more_ && !more_->empty()) {
            first_ = more_->back();
            more_->pop_back();
        }
    }
    if (more_ && more_->empty()) more_.reset();
}

bool SentTo::address_live(Ipv4 remote, TimePoint now, Millis lifetime) const {
    return any([&](const Permission& p) { return p.remote.addr == remote && live(p.last, now, lifetime); });
}

bool SentTo::endpoint_live(Endpoint remote, TimePoint now, Millis lifetime) const {
    return any([&](const Permission& p) { return p.remote == remote && live(p.last, now, lifetime); });
}

std::optional<DropReason> filter_inbound(FilteringBehaviour behaviour, const SentTo& sent_to, Endpoint remote,
                                         TimePoint now, Millis lifetime) {
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
