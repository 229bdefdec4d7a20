// A fake NAT for the IGD's tests: the MappingGrants side, in a map.
#pragma once

#include <algorithm>
#include <map>
#include <set>
#include <vector>

#include "simulator/portmap/igd_service.h"

namespace natlab::portmap {

inline const Ipv4 kExternal = *Ipv4::parse("198.18.1.1");

// The NAT side: one grant per (protocol, internal endpoint); ports in `busy`
// are held by something else; lifetimes are clamped to `max_lifetime`.
class FakeGrants final : public MappingGrants {
public:
    Ipv4 external_address(Ipv4) const override { return kExternal; }
    GrantAnswer grant(const GrantAsk& ask, TimePoint) override {
        ++asked;
        if (refuse_all) return {std::nullopt, {}, GrantRefusal::NotAuthorized};
        auto key = std::pair{ask.protocol, ask.internal};
        auto port = ask.external_port;
        if (!grants.contains(key) && taken(port)) {
            if (ask.exact) return {std::nullopt, {}, GrantRefusal::Taken};
            while (taken(port)) ++port;
        }
        grants[key] = port;
        return {Endpoint{kExternal, port}, std::min(ask.lifetime, max_lifetime), GrantRefusal::Taken};
    }
    void release(Protocol protocol, Endpoint internal, TimePoint) override {
        grants.erase({protocol, internal});
    }
    void refused(const GrantAsk&, int code, std::string_view, TimePoint) override {
        refusals.push_back(code);
    }

    bool taken(std::uint16_t port) const {
        if (busy.contains(port)) return true;
        for (const auto& [key, held] : grants)
            if (held == port) return true;
        return false;
    }

    std::set<std::uint16_t> busy{7000};
    std::map<std::pair<Protocol, Endpoint>, std::uint16_t> grants;
    std::vector<int> refusals;
    Seconds max_lifetime{86400};
    bool refuse_all = false;
    int asked = 0;
};

}  // namespace natlab::portmap
