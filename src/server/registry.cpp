// Registry of active rendezvous clients. See registry.h for the lifecycle,
// the ownership rules and the memory layout.
//
// Two indexes are kept in step: by name (a set ordered by the records' own
// names, so that List pages resume from a name) and by public endpoint (to
// recognise who sent a Connect or List), the latter pointing into the
// former (set nodes never move). Expiry is lazy for lookups (a silent entry
// is invisible at once) and eager in expire(), which the server calls on
// its timer to free the memory and log the departure. Rooms are counted
// references: a room's id is freed with its last member and reused.
#include "src/server/registry.h"

#include <algorithm>

#include "src/net/invariant.h"

namespace natlab {

// ---- ClientRecord -----------------------------------------------------------

ClientRecord::ClientRecord(std::string name, IpEndpoint public_endpoint, std::span<const IpEndpoint> local,
                           const proto::Secret& secret, TimePoint last_seen)
    : name(std::move(name)), last_seen(last_seen), secret(secret) {
    assign(std::span(&public_endpoint, 1), local, {});
}

ClientRecord::ClientRecord(const ClientRecord& other)
    : name(other.name), last_seen(other.last_seen), secret(other.secret), room(other.room) {
    assign(other.public_endpoints(), other.local_endpoints(), other.mapped_endpoints());
}

ClientRecord& ClientRecord::operator=(const ClientRecord& other) {
    if (this != &other) *this = ClientRecord(other);
    return *this;
}

std::vector<IpEndpoint> ClientRecord::slice(std::size_t from, std::size_t count) const {
    return std::vector<IpEndpoint>(endpoints_.get() + from, endpoints_.get() + from + count);
}

std::vector<IpEndpoint> ClientRecord::public_endpoints() const {
    return slice(0, public_count_);
}

std::vector<IpEndpoint> ClientRecord::local_endpoints() const {
    return slice(public_count_, local_count_);
}

std::vector<IpEndpoint> ClientRecord::mapped_endpoints() const {
    return slice(std::size_t{public_count_} + local_count_, mapped_count_);
}

std::optional<IpEndpoint> ClientRecord::public_of(Family family) const {
    for (std::size_t i = 0; i < public_count_; ++i)
        if (endpoints_[i].family() == family) return endpoints_[i];
    return std::nullopt;
}

void ClientRecord::set_public(const IpEndpoint& e) {
    auto publics = public_endpoints();
    auto same = std::find_if(publics.begin(), publics.end(),
                             [&](const IpEndpoint& p) { return p.family() == e.family(); });
    if (same == publics.end())
        publics.push_back(e);
    else
        *same = e;
    assign(publics, local_endpoints(), mapped_endpoints());
}

void ClientRecord::set_local_endpoints(std::span<const IpEndpoint> local) {
    set_endpoints(local, {});
}

void ClientRecord::set_endpoints(std::span<const IpEndpoint> local, std::span<const IpEndpoint> mapped) {
    assign(public_endpoints(), local, mapped);
}

void ClientRecord::assign(std::span<const IpEndpoint> publics, std::span<const IpEndpoint> local,
                          std::span<const IpEndpoint> mapped) {
    NATLAB_INVARIANT(!publics.empty() && publics.size() <= 2);
    NATLAB_INVARIANT(local.size() <= 0xff && mapped.size() <= 0xff);
    std::vector<IpEndpoint> all(publics.begin(), publics.end());
    all.insert(all.end(), local.begin(), local.end());
    all.insert(all.end(), mapped.begin(), mapped.end());
    public_count_ = static_cast<std::uint8_t>(publics.size());
    local_count_ = static_cast<std::uint8_t>(local.size());
    mapped_count_ = static_cast<std::uint8_t>(mapped.size());
    endpoints_.reset(new IpEndpoint[all.size()]);
    std::copy(all.begin(), all.end(), endpoints_.get());
}

// ---- helpers ----------------------------------------------------------------

std::string_view to_string(RegisterOutcome outcome) {
    switch (outcome) {
        case RegisterOutcome::added:
            return "added";
        case RegisterOutcome::refreshed:
            return "refreshed";
        case RegisterOutcome::moved:
            return "moved";
        case RegisterOutcome::joined:
            return "joined";
        case RegisterOutcome::taken:
            return "taken";
        case RegisterOutcome::full:
            return "full";
    }
    return "?";
}

bool same_secret(const proto::Secret& a, const proto::Secret& b) {
    unsigned diff = 0;
    for (std::size_t i = 0; i < a.size(); ++i) diff |= std::to_integer<unsigned>(a[i] ^ b[i]);
    return diff == 0;
}

bool Registry::alive(const ClientRecord& record, TimePoint now) const {
    return now - record.last_seen < kLifetime;
}

void Registry::note(std::string_view name) {
    if (journal_) changed_.emplace(name);
}

// ---- rooms --------------------------------------------------------------------

std::optional<RoomId> Registry::room_id(std::string_view room) const {
    if (room.empty()) return 0;
    auto it = room_ids_.find(std::string(room));
    if (it == room_ids_.end()) return std::nullopt;
    return it->second;
}

RoomId Registry::join(std::string_view room) {
    RoomId id = room_id(room).value_or(0);
    if (!room.empty() && id == 0) {
        if (free_rooms_.empty()) {
            id = static_cast<RoomId>(rooms_.size());
            rooms_.push_back({});
        } else {
            id = free_rooms_.back();
            free_rooms_.pop_back();
        }
        rooms_[id] = Room{std::string(room), 0};
        room_ids_.emplace(room, id);
    }
    ++rooms_[id].members;
    return id;
}

void Registry::leave(RoomId id) {
    if (id == 0 || --rooms_[id].members > 0) return;
    room_ids_.erase(rooms_[id].name);
    rooms_[id] = Room{};
    free_rooms_.push_back(id);
}

const std::string& Registry::room_name(RoomId room) const {
    NATLAB_INVARIANT(room < rooms_.size());
    return rooms_[room].name;
}

// ---- records ------------------------------------------------------------------

void Registry::erase(std::string_view name) {
    auto it = by_name_.find(name);
    if (it == by_name_.end()) return;
    note(name);
    leave(it->room);
    for (const auto& e : it->public_endpoints())
        if (auto owner = by_endpoint_.find(e); owner != by_endpoint_.end() && owner->second == &*it)
            by_endpoint_.erase(owner);
    by_name_.erase(it);
}

void Registry::place(ClientRecord record) {
    note(record.name);
    auto [it, added] = by_name_.insert(std::move(record));
    NATLAB_INVARIANT(added);
    for (const auto& e : it->public_endpoints()) by_endpoint_[e] = &*it;
    NATLAB_INVARIANT(by_name_.size() <= by_endpoint_.size() && by_endpoint_.size() <= 2 * by_name_.size());
}

// The record's public endpoint of the source's family decides: the same
// endpoint refreshes; another one (with the secret) moves it; none yet
// (with the secret) joins the source as the record's second family.
RegisterOutcome Registry::upsert(const Registration& r, TimePoint now) {
    auto it = by_name_.find(r.name);
    const ClientRecord* live = it != by_name_.end() && alive(*it, now) ? &*it : nullptr;
    auto current = live ? live->public_of(r.source.family()) : std::nullopt;
    bool same_place = current == r.source;
    bool proven = live && r.presented && same_secret(*r.presented, live->secret);
    if (live && !same_place && !proven) return RegisterOutcome::taken;
    if (!live && by_name_.size() >= capacity_) {
        expire(now);
        if (by_name_.size() >= capacity_) return RegisterOutcome::full;
    }
    auto outcome = !live        ? RegisterOutcome::added
                   : same_place ? RegisterOutcome::refreshed
                   : current    ? RegisterOutcome::moved
                                : RegisterOutcome::joined;
    ClientRecord record = live ? ClientRecord(*live) : ClientRecord(r.name, r.source, {}, r.fresh, now);
    record.set_public(r.source);
    record.set_endpoints(r.local, r.mapped);
    record.last_seen = now;
    erase(r.name);  // a dead record of the name, or the live one being replaced
    if (auto owner = by_endpoint_.find(r.source); owner != by_endpoint_.end()) erase(owner->second->name);
    record.room = join(r.group);
    place(std::move(record));
    return outcome;
}

void Registry::touch(const IpEndpoint& public_endpoint, TimePoint now) {
    auto owner = by_endpoint_.find(public_endpoint);
    if (owner == by_endpoint_.end() || !alive(*owner->second, now)) return;
    mutable_record(*owner->second).last_seen = now;
    note(owner->second->name);
}

const ClientRecord* Registry::find(std::string_view name, TimePoint now) const {
    auto it = by_name_.find(name);
    if (it == by_name_.end() || !alive(*it, now)) return nullptr;
    return &*it;
}

const ClientRecord* Registry::find_by_endpoint(const IpEndpoint& public_endpoint, TimePoint now) const {
    auto owner = by_endpoint_.find(public_endpoint);
    if (owner == by_endpoint_.end() || !alive(*owner->second, now)) return nullptr;
    return owner->second;
}

ListPage Registry::list(std::string_view group, std::string_view cursor, std::string_view except,
                        std::size_t limit, std::size_t max_scan, TimePoint now) const {
    NATLAB_INVARIANT(limit > 0 && max_scan > 0);
    ListPage page;
    auto room = room_id(group);
    if (!room) return page;
    auto it = cursor.empty() ? by_name_.begin() : by_name_.upper_bound(cursor);
    for (std::size_t scanned = 0; it != by_name_.end(); ++it, ++scanned) {
        if (page.names.size() == limit || scanned == max_scan) {
            page.cursor = std::prev(it)->name;
            break;
        }
        if (it->room == *room && it->name != except && alive(*it, now)) page.names.push_back(it->name);
    }
    return page;
}

std::vector<ClientRecord> Registry::expire(TimePoint now) {
    std::vector<ClientRecord> gone;
    for (const auto& record : by_name_)
        if (!alive(record, now)) gone.push_back(record);
    for (const auto& record : gone) erase(record.name);
    return gone;
}

std::vector<std::string> Registry::take_changes() {
    std::vector<std::string> names(changed_.begin(), changed_.end());
    changed_.clear();
    return names;
}

void Registry::return_changes(const std::vector<std::string>& names) {
    if (journal_) changed_.insert(names.begin(), names.end());
}

bool Registry::restore(const StoredClient& s) {
    if (by_name_.size() >= capacity_ || by_name_.count(s.name)) return false;
    if (by_endpoint_.count(s.public_endpoint)) return false;
    ClientRecord record(s.name, s.public_endpoint, s.local_endpoints, s.secret, s.last_seen);
    record.room = join(s.group);
    bool journal = journal_;
    journal_ = false;  // it came from storage: nothing to write back
    place(std::move(record));
    journal_ = journal;
    return true;
}

StoredClient Registry::stored(const ClientRecord& r) const {
    return {r.name, room_name(r.room), r.public_endpoint(), r.local_endpoints(), r.secret, r.last_seen};
}

}  // namespace natlab
