// The rendezvous server's list of active clients.
//
// A client is born when a Register from a new name arrives, refreshed by
// every later Register (or any request) from it, and dies after 30 s of
// silence. The public endpoint is the source the server observed; the local
// endpoints and the group (room) are what the client reported. A dual-stack
// client has one public endpoint per family: it registers over IPv4 and
// over IPv6 under one name, and the record keeps both (the first one it
// got is its primary public endpoint); the local and mapped endpoints are
// those of its latest Register, of either family.
//
// Ownership. A name belongs to whoever registered it first, for as long as
// it stays alive. At birth the record gets a secret (16 random bytes from
// the caller; the registry itself has no randomness), which the server
// hands only to the registering source. Then:
//   - a Register from the same public endpoint refreshes the record (the
//     source address is the proof; a client's first retransmissions do not
//     know the secret yet);
//   - a Register from another endpoint is accepted only if it presents the
//     secret; otherwise it is refused as `taken` and the record stays where
//     it was. With the secret, an endpoint of a family the record already
//     has moves the record's endpoint of that family there (the client's
//     NAT mapping changed: `moved`); one of a family it has not adds it as
//     the record's second public endpoint (`joined`);
//   - one public endpoint holds at most one name: a socket that registers a
//     new name gives up its old one.
// Once a record has expired its name is free again, with a new secret.
//
// The registry can keep a journal of the names whose record changed or
// vanished, for registry_db.cpp to write to disk; restore() puts records
// read back from disk in place.
//
// Memory: a public server may hold a million records, so a record is
// compact (72 bytes; with the tree node, one 112-byte allocation): the name
// is stored once (the set is ordered by the record's own name), the room is
// an id into a reference-counted table of room names, and the endpoints
// (public, then local, then mapped; 20 bytes each, of either family) live
// in one small array on the heap.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "src/net/address.h"
#include "src/net/clock.h"
#include "src/net/endpoint.h"
#include "src/stun/rendezvous_protocol.h"

namespace natlab {

using RoomId = std::uint32_t;  // 0 is the default room ""

class ClientRecord {
public:
    ClientRecord() = default;
    ClientRecord(std::string name, IpEndpoint public_endpoint, std::span<const IpEndpoint> local,
                 const proto::Secret& secret, TimePoint last_seen);
    ClientRecord(const ClientRecord& other);
    ClientRecord& operator=(const ClientRecord& other);
    ClientRecord(ClientRecord&&) noexcept = default;
    ClientRecord& operator=(ClientRecord&&) noexcept = default;

    // The primary public endpoint (the first the record got), then the one
    // of the other family, if the client registered over both.
    IpEndpoint public_endpoint() const { return endpoints_[0]; }
    std::vector<IpEndpoint> public_endpoints() const;
    std::optional<IpEndpoint> public_of(Family family) const;
    // Sets the public endpoint of `e`'s family (adding it if the record had none).
    void set_public(const IpEndpoint& e);
    std::vector<IpEndpoint> local_endpoints() const;
    void set_local_endpoints(std::span<const IpEndpoint> local);
    // Endpoints the client's NAT mapped for it (port mapping protocols);
    // kept in memory only, not in the database.
    std::vector<IpEndpoint> mapped_endpoints() const;
    void set_endpoints(std::span<const IpEndpoint> local, std::span<const IpEndpoint> mapped);

    std::string name;
    TimePoint last_seen;
    proto::Secret secret{};
    RoomId room = 0;

private:
    std::vector<IpEndpoint> slice(std::size_t from, std::size_t count) const;
    void assign(std::span<const IpEndpoint> publics, std::span<const IpEndpoint> local,
                std::span<const IpEndpoint> mapped);

    std::uint8_t public_count_ = 0;
    std::uint8_t local_count_ = 0;
    std::uint8_t mapped_count_ = 0;
    std::unique_ptr<IpEndpoint[]> endpoints_;  // public, local, mapped; never empty (one public at least)
};

// A record as read from or written to storage: plain values.
struct StoredClient {
    std::string name;
    std::string group;
    IpEndpoint public_endpoint;  // the primary one
    std::vector<IpEndpoint> local_endpoints;
    proto::Secret secret{};
    TimePoint last_seen;
};

// What one Register asks for.
struct Registration {
    std::string name;
    IpEndpoint source;  // the observed public endpoint
    std::vector<IpEndpoint> local;
    std::string group;
    std::optional<proto::Secret> presented;  // the secret the request carried
    proto::Secret fresh{};                   // the secret a newborn record gets
    std::vector<IpEndpoint> mapped{};        // the requester's mapped endpoints
};

enum class RegisterOutcome {
    added,      // a new name
    refreshed,  // same name, same public endpoint
    moved,      // same name, new public endpoint, right secret (the client's NAT mapping changed)
    joined,     // same name, right secret, a public endpoint of the record's other family (dual-stack)
    taken,      // refused: the name is alive at another endpoint and the secret is missing or wrong
    full,       // refused: the registry is at capacity
};
std::string_view to_string(RegisterOutcome outcome);

struct ListPage {
    std::vector<std::string> names;
    std::string cursor;  // non-empty: there may be more after this name
};

class Registry {
public:
    static constexpr Duration kLifetime = std::chrono::seconds(30);

    explicit Registry(std::size_t capacity = 4096) : capacity_(capacity) {}

    RegisterOutcome upsert(const Registration& r, TimePoint now);
    // Marks the client at this public endpoint as heard from.
    void touch(const IpEndpoint& public_endpoint, TimePoint now);

    // Live entries only; nullptr when absent or silent for kLifetime.
    const ClientRecord* find(std::string_view name, TimePoint now) const;
    const ClientRecord* find_by_endpoint(const IpEndpoint& public_endpoint, TimePoint now) const;

    // Live names of `group` that sort after `cursor`, leaving out `except`:
    // at most `limit` names, looking at no more than `max_scan` records (so
    // a sparse group costs a bounded amount per call; the cursor resumes).
    ListPage list(std::string_view group, std::string_view cursor, std::string_view except, std::size_t limit,
                  std::size_t max_scan, TimePoint now) const;

    // Removes and returns every entry silent for kLifetime.
    std::vector<ClientRecord> expire(TimePoint now);
    std::size_t size() const { return by_name_.size(); }

    // The name of a room id ("" for the default room).
    const std::string& room_name(RoomId room) const;
    std::size_t rooms() const { return rooms_.size() - free_rooms_.size(); }

    // Journal for persistence: off by default.
    void keep_journal(bool on) { journal_ = on; }
    // Names whose record was born, changed or removed since the last call.
    std::vector<std::string> take_changes();
    // Puts names taken by take_changes() back, when writing them failed, so
    // the next save writes them (nothing is lost by a failed save).
    void return_changes(const std::vector<std::string>& names);
    // Puts a stored record in place as it is; false (and nothing changes) if
    // its name or endpoint is already taken or the registry is full.
    bool restore(const StoredClient& stored);
    // The record as plain values, for storage.
    StoredClient stored(const ClientRecord& record) const;

private:
    struct ByName {
        using is_transparent = void;
        bool operator()(const ClientRecord& a, const ClientRecord& b) const { return a.name < b.name; }
        bool operator()(const ClientRecord& a, std::string_view b) const { return a.name < b; }
        bool operator()(std::string_view a, const ClientRecord& b) const { return a < b.name; }
    };
    struct Room {
        std::string name;
        std::size_t members = 0;
    };

    bool alive(const ClientRecord& record, TimePoint now) const;
    // Set elements are const to keep the order safe; every field but the
    // name (the key) may change in place.
    static ClientRecord& mutable_record(const ClientRecord& r) { return const_cast<ClientRecord&>(r); }
    void erase(std::string_view name);
    void note(std::string_view name);
    void place(ClientRecord record);
    RoomId join(std::string_view room);
    void leave(RoomId id);
    std::optional<RoomId> room_id(std::string_view room) const;

    std::size_t capacity_;
    std::set<ClientRecord, ByName> by_name_;
    std::unordered_map<IpEndpoint, const ClientRecord*, IpEndpointHash>
        by_endpoint_;                       // every public endpoint
    std::vector<Room> rooms_{Room{"", 1}};  // id -> room; 0 is permanent
    std::vector<RoomId> free_rooms_;
    std::unordered_map<std::string, RoomId> room_ids_;
    bool journal_ = false;
    std::unordered_set<std::string> changed_;
};

// Constant-time comparison of two secrets (no early exit on the first
// differing byte).
bool same_secret(const proto::Secret& a, const proto::Secret& b);

}  // namespace natlab
