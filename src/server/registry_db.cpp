// SQLite copy of the registry. See registry_db.h.
//
// One table, one row per name:
//
//   clients(name TEXT PRIMARY KEY, grp TEXT, public TEXT, local TEXT,
//           secret BLOB(16), last_seen_ms INTEGER)
//
// `public` is "a.b.c.d:port", `local` the local endpoints separated by
// spaces, `last_seen_ms` wall-clock milliseconds since the Unix epoch. The
// database runs in WAL mode with synchronous=NORMAL: a power cut may lose
// the last second of refreshes, which expiry makes harmless.
#include "src/server/registry_db.h"

#include <sqlite3.h>

#include <stdexcept>

namespace natlab {
namespace {

struct Finalizer {
    void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using Statement = std::unique_ptr<sqlite3_stmt, Finalizer>;

std::int64_t to_ms(WallTime t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

std::string join(const std::vector<IpEndpoint>& endpoints) {
    std::string text;
    for (const auto& e : endpoints) {
        if (!text.empty()) text += ' ';
        text += e.to_string();
    }
    return text;
}

std::vector<IpEndpoint> split(std::string_view text) {
    std::vector<IpEndpoint> out;
    while (!text.empty()) {
        auto space = text.find(' ');
        if (auto e = IpEndpoint::parse(text.substr(0, space))) out.push_back(*e);
        text = space == std::string_view::npos ? "" : text.substr(space + 1);
    }
    return out;
}

std::string column_text(sqlite3_stmt* s, int i) {
    const auto* text = sqlite3_column_text(s, i);
    return text ? reinterpret_cast<const char*>(text) : "";
}

// One stored row as a record, or nullopt if a column is unusable.
std::optional<StoredClient> read_row(sqlite3_stmt* s) {
    StoredClient r;
    r.name = column_text(s, 0);
    r.group = column_text(s, 1);
    auto pub = IpEndpoint::parse(column_text(s, 2));
    r.local_endpoints = split(column_text(s, 3));
    if (!pub || !proto::valid_name(r.name) || sqlite3_column_bytes(s, 4) != static_cast<int>(r.secret.size()))
        return std::nullopt;
    r.public_endpoint = *pub;
    const auto* secret = static_cast<const std::byte*>(sqlite3_column_blob(s, 4));
    std::copy(secret, secret + r.secret.size(), r.secret.begin());
    return r;
}

}  // namespace

void RegistryDb::Closer::operator()(sqlite3* db) const {
    sqlite3_close(db);
}

RegistryDb::RegistryDb(const std::string& path) : path_(path) {
    sqlite3* raw = nullptr;
    int rc = sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
    db_.reset(raw);
    if (rc != SQLITE_OK) fail("cannot open");
    sqlite3_busy_timeout(db_.get(), 1000);
    exec("PRAGMA journal_mode=WAL");
    exec("PRAGMA synchronous=NORMAL");
    exec(
        "CREATE TABLE IF NOT EXISTS clients(name TEXT PRIMARY KEY, grp TEXT NOT NULL, public TEXT NOT NULL,"
        " local TEXT NOT NULL, secret BLOB NOT NULL, last_seen_ms INTEGER NOT NULL)");
}

RegistryDb::~RegistryDb() = default;

void RegistryDb::fail(const std::string& what) {
    std::string message = db_ ? sqlite3_errmsg(db_.get()) : "out of memory";
    throw std::runtime_error(path_ + ": " + what + ": " + message);
}

void RegistryDb::exec(const char* sql) {
    if (sqlite3_exec(db_.get(), sql, nullptr, nullptr, nullptr) != SQLITE_OK) fail(sql);
}

std::size_t RegistryDb::load(Registry& registry, TimePoint now, WallTime wall_now) {
    sqlite3_stmt* raw = nullptr;
    if (sqlite3_prepare_v2(db_.get(), "SELECT name, grp, public, local, secret, last_seen_ms FROM clients",
                           -1, &raw, nullptr) != SQLITE_OK)
        fail("cannot read");
    Statement select(raw);
    std::size_t restored = 0;
    int rc = SQLITE_ROW;
    while ((rc = sqlite3_step(select.get())) == SQLITE_ROW) {
        auto record = read_row(select.get());
        auto age = std::chrono::milliseconds(to_ms(wall_now) - sqlite3_column_int64(select.get(), 5));
        if (!record || age >= Registry::kLifetime) continue;
        record->last_seen = now - std::max(age, std::chrono::milliseconds(0));
        restored += registry.restore(*record) ? 1 : 0;
    }
    if (rc != SQLITE_DONE) fail("cannot read");  // never a silent "restored 0"
    auto cutoff = std::to_string(to_ms(wall_now - Registry::kLifetime));
    exec(("DELETE FROM clients WHERE last_seen_ms <= " + cutoff).c_str());
    return restored;
}

std::size_t RegistryDb::save(Registry& registry, TimePoint now, WallTime wall_now) {
    auto changes = registry.take_changes();
    if (changes.empty()) return 0;
    try {
        write(registry, changes, now, wall_now);
    } catch (...) {
        registry.return_changes(changes);  // the next save tries them again
        throw;
    }
    return changes.size();
}

void RegistryDb::write(const Registry& registry, const std::vector<std::string>& changes, TimePoint now,
                       WallTime wall_now) {
    sqlite3_stmt *raw_put = nullptr, *raw_del = nullptr;
    const char* put =
        "INSERT OR REPLACE INTO clients(name, grp, public, local, secret, last_seen_ms) VALUES(?,?,?,?,?,?)";
    if (sqlite3_prepare_v2(db_.get(), put, -1, &raw_put, nullptr) != SQLITE_OK) fail("cannot write");
    Statement upsert(raw_put);
    if (sqlite3_prepare_v2(db_.get(), "DELETE FROM clients WHERE name = ?", -1, &raw_del, nullptr) !=
        SQLITE_OK)
        fail("cannot write");
    Statement remove(raw_del);
    exec("BEGIN");
    for (const auto& name : changes) {
        const ClientRecord* record = registry.find(name, now);
        std::optional<StoredClient> r;
        if (record) r = registry.stored(*record);
        sqlite3_stmt* s = r ? upsert.get() : remove.get();
        sqlite3_reset(s);
        sqlite3_bind_text(s, 1, name.c_str(), static_cast<int>(name.size()), SQLITE_TRANSIENT);
        if (r) {
            auto seen = wall_now - std::chrono::duration_cast<WallTime::duration>(now - r->last_seen);
            sqlite3_bind_text(s, 2, r->group.c_str(), static_cast<int>(r->group.size()), SQLITE_TRANSIENT);
            sqlite3_bind_text(s, 3, r->public_endpoint.to_string().c_str(), -1, SQLITE_TRANSIENT);
            sqlite3_bind_text(s, 4, join(r->local_endpoints).c_str(), -1, SQLITE_TRANSIENT);
            sqlite3_bind_blob(s, 5, r->secret.data(), static_cast<int>(r->secret.size()), SQLITE_TRANSIENT);
            sqlite3_bind_int64(s, 6, to_ms(seen));
        }
        if (sqlite3_step(s) != SQLITE_DONE) rollback_and_fail("cannot write " + name);
    }
    if (sqlite3_exec(db_.get(), "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK)
        rollback_and_fail("COMMIT");
}

// Leaves no transaction open behind a failed write (the next save starts
// its own), then throws with SQLite's message.
void RegistryDb::rollback_and_fail(const std::string& what) {
    std::string message = sqlite3_errmsg(db_.get());
    sqlite3_exec(db_.get(), "ROLLBACK", nullptr, nullptr, nullptr);
    throw std::runtime_error(path_ + ": " + what + ": " + message);
}

std::size_t RegistryDb::rows() {
    sqlite3_stmt* raw = nullptr;
    if (sqlite3_prepare_v2(db_.get(), "SELECT count(*) FROM clients", -1, &raw, nullptr) != SQLITE_OK)
        fail("cannot count");
    Statement count(raw);
    if (sqlite3_step(count.get()) != SQLITE_ROW) fail("cannot count");
    return static_cast<std::size_t>(sqlite3_column_int64(count.get(), 0));
}

}  // namespace natlab
