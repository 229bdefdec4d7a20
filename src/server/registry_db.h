// The registry kept in an SQLite file (rendezvous --db FILE), so a restart
// keeps the list of active clients and the secrets of their names.
//
// The in-memory Registry stays the only authority while the server runs;
// this is its write-behind copy. save() writes the registry's journal (names
// born, refreshed, moved, expired since the last save) in one transaction;
// the server calls it once a second and at exit. load() at start puts back
// every stored record that has not expired, so expiry still applies across
// a restart: a record silent for 30 s in total (before and after) is gone.
//
// Time: rows carry wall-clock milliseconds (steady time means nothing to
// another process). Both clocks come in as arguments; nothing here reads a
// clock.
//
// Errors: opening, preparing or reading throws std::runtime_error naming
// the file and SQLite's message (a setup failure: a load that stops early
// is an error, never a short list); a failed save() rolls back, keeps the
// unwritten changes in the registry's journal for the next save, and throws
// the same way; the shell reports it and keeps serving from memory.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "src/net/clock.h"
#include "src/server/registry.h"

struct sqlite3;

namespace natlab {

using WallTime = std::chrono::system_clock::time_point;

class RegistryDb {
public:
    explicit RegistryDb(const std::string& path);
    ~RegistryDb();
    RegistryDb(const RegistryDb&) = delete;
    RegistryDb& operator=(const RegistryDb&) = delete;

    // Restores the live rows into `registry` and deletes the expired ones.
    // Returns the number of records restored.
    std::size_t load(Registry& registry, TimePoint now, WallTime wall_now);
    // Writes the registry's journal. Returns the rows written or deleted.
    std::size_t save(Registry& registry, TimePoint now, WallTime wall_now);

    std::size_t rows();

private:
    void write(const Registry& registry, const std::vector<std::string>& changes, TimePoint now,
               WallTime wall_now);
    void exec(const char* sql);
    [[noreturn]] void fail(const std::string& what);
    [[noreturn]] void rollback_and_fail(const std::string& what);

    std::string path_;
    struct Closer {
        void operator()(sqlite3* db) const;
    };
    std::unique_ptr<sqlite3, Closer> db_;
};

}  // namespace natlab
