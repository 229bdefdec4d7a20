// The rendezvous server's list of active clients.
//
// A client is born when a Register from a new name arrives, refreshed by
// every later Register (or any request) from it, and dies after 30 s of
// silence. The public endpoint is the source the server observed; the local
// endpoints are what the client reported. One public endpoint belongs to at
// most one name: a socket that registers under a new name replaces its old
// entry, and a name that registers from a new socket moves there.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "clock.h"
#include "endpoint.h"

namespace natlab {

struct ClientRecord {
    std::string name;
    Endpoint public_endpoint;
    std::vector<Endpoint> local_endpoints;
    TimePoint last_seen;
};

enum class RegisterOutcome {
    added,      // a new name
    refreshed,  // same name, same public endpoint
    moved,      // same name, new public endpoint (the client's NAT mapping changed)
    full,       // refused: the registry is at capacity
};

class Registry {
public:
    static constexpr Duration kLifetime = std::chrono::seconds(30);

    explicit Registry(std::size_t capacity = 4096) : capacity_(capacity) {}

    RegisterOutcome upsert(const std::string& name, Endpoint public_endpoint,
                           std::vector<Endpoint> local_endpoints, TimePoint now);
    // Marks the client at this public endpoint as heard from.
    void touch(Endpoint public_endpoint, TimePoint now);

    // Live entries only; nullptr when absent or silent for kLifetime.
    const ClientRecord* find(std::string_view name, TimePoint now) const;
    const ClientRecord* find_by_endpoint(Endpoint public_endpoint, TimePoint now) const;

    // Removes and returns every entry silent for kLifetime.
    std::vector<ClientRecord> expire(TimePoint now);
    std::size_t size() const { return by_name_.size(); }

private:
    bool alive(const ClientRecord& record, TimePoint now) const;
    void erase(const std::string& name);

    std::size_t capacity_;
    std::map<std::string, ClientRecord, std::less<>> by_name_;
    std::unordered_map<Endpoint, std::string, EndpointHash> by_endpoint_;
};

}  // namespace natlab
