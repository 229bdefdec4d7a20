// Registry and pair-session lifecycles, driven by a fake clock: ownership of
// names, expiry, List pages, and the SQLite copy (in a temporary file).
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "src/server/pair_sessions.h"
#include "src/server/registry.h"
#include "src/server/registry_db.h"

namespace natlab {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

const TimePoint t0{};
Endpoint ep(std::string_view text) {
    return *Endpoint::parse(text);
}

IpEndpoint ip(std::string_view text) {
    return *IpEndpoint::parse(text);
}

proto::Secret secret(std::uint8_t fill) {
    proto::Secret s;
    s.fill(std::byte{fill});
    return s;
}

// A Register from `source`; a newborn record would get secret(0xA0 + n).
Registration reg(std::string name, std::string_view source, std::optional<proto::Secret> presented = {},
                 std::vector<IpEndpoint> local = {}, std::string group = "") {
    return {std::move(name), ip(source), std::move(local), std::move(group), presented, secret(0xA1)};
}

RegisterOutcome upsert(Registry& r, std::string name, std::string_view source, TimePoint at = t0,
                       std::optional<proto::Secret> presented = {}) {
    return r.upsert(reg(std::move(name), source, presented), at);
}

TEST(RendezvousRegistry, OwnershipTable) {
    struct Row {
        const char* what;
        const char* name;
        const char* source;
        std::optional<proto::Secret> presented;
        RegisterOutcome want;
        const char* alice_at;  // where alice's record is afterwards
    };
    const Row rows[] = {
        {"first", "alice", "198.18.1.1:40000", {}, RegisterOutcome::added, "198.18.1.1:40000"},
        {"refresh, no secret yet",
         "alice",
         "198.18.1.1:40000",
         {},
         RegisterOutcome::refreshed,
         "198.18.1.1:40000"},
        {"other endpoint, no secret",
         "alice",
         "198.18.9.9:1234",
         {},
         RegisterOutcome::taken,
         "198.18.1.1:40000"},
        {"other endpoint, wrong secret", "alice", "198.18.9.9:1234", secret(0x01), RegisterOutcome::taken,
         "198.18.1.1:40000"},
        {"mapping moved, right secret", "alice", "198.18.1.1:40002", secret(0xA1), RegisterOutcome::moved,
         "198.18.1.1:40002"},
        {"another name", "bob", "198.18.2.1:50000", {}, RegisterOutcome::added, "198.18.1.1:40002"},
    };
    Registry registry;
    for (const auto& r : rows) {
        EXPECT_EQ(upsert(registry, r.name, r.source, t0, r.presented), r.want) << r.what;
        EXPECT_EQ(registry.find("alice", t0)->public_endpoint(), ep(r.alice_at)) << r.what;
    }
    EXPECT_EQ(registry.size(), 2u);
    EXPECT_EQ(registry.find("alice", t0)->secret, secret(0xA1));          // the secret survives the move
    EXPECT_FALSE(registry.find_by_endpoint(ep("198.18.1.1:40000"), t0));  // old mapping gone
}

// A dual-stack client registers over IPv4 and over IPv6 under one name: the
// second family joins the record with the secret, and each family's
// endpoint then refreshes and moves on its own.
TEST(RendezvousRegistry, BothFamiliesTable) {
    struct Row {
        const char* what;
        const char* source;
        std::optional<proto::Secret> presented;
        RegisterOutcome want;
        std::vector<const char*> publics;  // alice's afterwards, primary first
    };
    const Row rows[] = {
        {"first, over IPv4", "198.18.1.1:40000", {}, RegisterOutcome::added, {"198.18.1.1:40000"}},
        {"IPv6 without the secret",
         "[2001:2:0:1::2]:40000",
         {},
         RegisterOutcome::taken,
         {"198.18.1.1:40000"}},
        {"IPv6, wrong secret",
         "[2001:2:0:1::2]:40000",
         secret(0x01),
         RegisterOutcome::taken,
         {"198.18.1.1:40000"}},
        {"IPv6 with the secret joins",
         "[2001:2:0:1::2]:40000",
         secret(0xA1),
         RegisterOutcome::joined,
         {"198.18.1.1:40000", "[2001:2:0:1::2]:40000"}},
        {"IPv6 refresh",
         "[2001:2:0:1::2]:40000",
         {},
         RegisterOutcome::refreshed,
         {"198.18.1.1:40000", "[2001:2:0:1::2]:40000"}},
        {"IPv4 refresh",
         "198.18.1.1:40000",
         {},
         RegisterOutcome::refreshed,
         {"198.18.1.1:40000", "[2001:2:0:1::2]:40000"}},
        {"IPv4 mapping moves, IPv6 stays",
         "198.18.1.1:40009",
         secret(0xA1),
         RegisterOutcome::moved,
         {"198.18.1.1:40009", "[2001:2:0:1::2]:40000"}},
        {"IPv6 address changes",
         "[2001:2:0:1::7]:40000",
         secret(0xA1),
         RegisterOutcome::moved,
         {"198.18.1.1:40009", "[2001:2:0:1::7]:40000"}},
    };
    Registry registry;
    for (const auto& r : rows) {
        EXPECT_EQ(registry.upsert(reg("alice", r.source, r.presented), t0), r.want) << r.what;
        std::vector<IpEndpoint> want;
        for (const char* p : r.publics) want.push_back(ip(p));
        EXPECT_EQ(registry.find("alice", t0)->public_endpoints(), want) << r.what;
        for (const auto& e : want) EXPECT_EQ(registry.find_by_endpoint(e, t0)->name, "alice") << r.what;
    }
    EXPECT_EQ(registry.size(), 1u);
    EXPECT_FALSE(registry.find_by_endpoint(ip("198.18.1.1:40000"), t0));       // the old IPv4 mapping
    EXPECT_FALSE(registry.find_by_endpoint(ip("[2001:2:0:1::2]:40000"), t0));  // the old IPv6 address
    EXPECT_EQ(registry.find("alice", t0)->public_of(Family::ipv6), ip("[2001:2:0:1::7]:40000"));
    // A new name from one of the two endpoints takes that socket: the old record goes.
    EXPECT_EQ(registry.upsert(reg("bob", "[2001:2:0:1::7]:40000"), t0), RegisterOutcome::added);
    EXPECT_FALSE(registry.find("alice", t0));
    EXPECT_FALSE(registry.find_by_endpoint(ip("198.18.1.1:40009"), t0));
    // Silence expires both endpoints with the record.
    registry.expire(t0 + seconds(30));
    EXPECT_EQ(registry.size(), 0u);
    EXPECT_FALSE(registry.find_by_endpoint(ip("[2001:2:0:1::7]:40000"), t0));
}

TEST(RendezvousRegistry, RecordKeepsEndpointsOfBothFamilies) {
    ClientRecord r("x", ip("[2001:2::1]:1"), std::vector<IpEndpoint>{ip("10.0.0.1:1"), ip("[2001:2::1]:1")},
                   secret(1), t0);
    r.set_endpoints(r.local_endpoints(), std::vector<IpEndpoint>{ip("198.18.0.9:9")});
    r.set_public(ip("198.18.0.1:1"));
    ClientRecord copy = r;
    EXPECT_EQ(copy.public_endpoints(), (std::vector<IpEndpoint>{ip("[2001:2::1]:1"), ip("198.18.0.1:1")}));
    EXPECT_EQ(copy.public_endpoint(), ip("[2001:2::1]:1"));
    EXPECT_EQ(copy.local_endpoints(), (std::vector<IpEndpoint>{ip("10.0.0.1:1"), ip("[2001:2::1]:1")}));
    EXPECT_EQ(copy.mapped_endpoints(), std::vector<IpEndpoint>{ip("198.18.0.9:9")});
    EXPECT_EQ(to_string(RegisterOutcome::joined), "joined");
}

TEST(RendezvousRegistry, ExpiredNameIsFreeForAnyone) {
    Registry registry;
    upsert(registry, "alice", "198.18.1.1:40000", t0);
    auto thief = reg("alice", "198.18.9.9:1234");
    thief.fresh = secret(0xB2);
    EXPECT_EQ(registry.upsert(thief, t0 + seconds(29)), RegisterOutcome::taken);
    EXPECT_EQ(registry.upsert(thief, t0 + seconds(30)), RegisterOutcome::added);
    EXPECT_EQ(registry.find("alice", t0 + seconds(30))->secret, secret(0xB2));  // a new secret
}

TEST(RendezvousRegistry, NewNameFromSameSocketReplacesOldName) {
    Registry registry;
    upsert(registry, "alice", "198.18.1.1:40000");
    upsert(registry, "alice2", "198.18.1.1:40000");
    EXPECT_FALSE(registry.find("alice", t0));
    EXPECT_EQ(registry.find_by_endpoint(ep("198.18.1.1:40000"), t0)->name, "alice2");
    EXPECT_EQ(registry.size(), 1u);
}

TEST(RendezvousRegistry, ExpiresAfterThirtySecondsOfSilence) {
    struct Row {
        milliseconds at;
        bool alice_alive;
    };
    Registry registry;
    registry.upsert(reg("alice", "198.18.1.1:40000", {}, {ep("10.0.1.3:40000")}), t0);
    const Row rows[] = {
        {milliseconds(0), true},
        {milliseconds(29'999), true},
        {milliseconds(30'000), false},  // lifetime is exclusive
    };
    for (const auto& r : rows) EXPECT_EQ(registry.find("alice", t0 + r.at) != nullptr, r.alice_alive);
    auto gone = registry.expire(t0 + seconds(30));
    ASSERT_EQ(gone.size(), 1u);
    EXPECT_EQ(gone[0].name, "alice");
    EXPECT_EQ(registry.size(), 0u);
}

TEST(RendezvousRegistry, RefreshAndTouchKeepAlive) {
    Registry registry;
    upsert(registry, "alice", "198.18.1.1:40000", t0);
    upsert(registry, "alice", "198.18.1.1:40000", t0 + seconds(20));  // refresh
    registry.touch(ep("198.18.1.1:40000"), t0 + seconds(45));         // any request
    EXPECT_TRUE(registry.find("alice", t0 + seconds(74)));
    EXPECT_FALSE(registry.find("alice", t0 + seconds(75)));
    EXPECT_TRUE(registry.expire(t0 + seconds(74)).empty());
}

TEST(RendezvousRegistry, CapacityCountsOnlyLiveEntries) {
    Registry registry(2);
    EXPECT_EQ(upsert(registry, "a", "198.18.0.1:1"), RegisterOutcome::added);
    EXPECT_EQ(upsert(registry, "b", "198.18.0.1:2"), RegisterOutcome::added);
    EXPECT_EQ(upsert(registry, "c", "198.18.0.1:3"), RegisterOutcome::full);
    EXPECT_EQ(upsert(registry, "a", "198.18.0.1:1"), RegisterOutcome::refreshed);
    EXPECT_EQ(upsert(registry, "c", "198.18.0.1:3", t0 + seconds(31)),
              RegisterOutcome::added);  // a and b expired to make room
}

// Pages of a room, in name order, the requester left out, resumable.
TEST(RendezvousRegistry, ListPagesOneRoom) {
    Registry registry;
    const char* names[] = {"ann", "bea", "cat", "dan", "eve", "fay", "gus"};
    std::uint16_t port = 1;
    for (const char* n : names)
        registry.upsert(reg(n, "198.18.0.1:" + std::to_string(port++), {}, {}, "room1"), t0);
    registry.upsert(reg("zed", "198.18.0.2:1", {}, {}, "room2"), t0);
    registry.upsert(reg("old", "198.18.0.2:2", {}, {}, "room1"), t0 - seconds(31));  // expired
    struct Row {
        const char* cursor;
        std::vector<std::string> want;
        const char* want_cursor;
    };
    const Row rows[] = {
        {"", {"ann", "bea", "cat"}, "cat"},  // "dan" (the requester) is left out
        {"cat", {"eve", "fay", "gus"}, "gus"},
        {"gus", {}, ""},
        {"b", {"bea", "cat", "eve"}, "eve"},  // a cursor need not be a name
    };
    for (const auto& r : rows) {
        auto page = registry.list("room1", r.cursor, "dan", 3, 100, t0);
        EXPECT_EQ(page.names, r.want) << "after '" << r.cursor << "'";
        EXPECT_EQ(page.cursor, r.want_cursor) << "after '" << r.cursor << "'";
    }
    EXPECT_EQ(registry.list("room2", "", "dan", 3, 100, t0).names, std::vector<std::string>{"zed"});
}

TEST(RendezvousRegistry, ListLooksAtABoundedNumberOfRecords) {
    Registry registry;
    for (int i = 0; i < 10; ++i)
        registry.upsert(reg("n" + std::to_string(i), "198.18.0.1:" + std::to_string(i + 1)), t0);
    registry.upsert(reg("p", "198.18.0.2:1", {}, {}, "sparse"), t0);
    auto page = registry.list("sparse", "", "", 5, 4, t0);  // 4 records looked at, none in the room
    EXPECT_TRUE(page.names.empty());
    EXPECT_EQ(page.cursor, "n3");
    page = registry.list("sparse", "n9", "", 5, 4, t0);
    EXPECT_EQ(page.names, std::vector<std::string>{"p"});
}

TEST(RendezvousRegistry, RoomsAreCountedAndReused) {
    Registry registry;
    registry.upsert(reg("ann", "198.18.0.1:1", {}, {}, "room1"), t0);
    registry.upsert(reg("bea", "198.18.0.1:2", {}, {}, "room1"), t0);
    registry.upsert(reg("cat", "198.18.0.1:3", {}, {}, "room2"), t0);
    EXPECT_EQ(registry.rooms(), 3u);  // "", room1, room2
    EXPECT_EQ(registry.find("ann", t0)->room, registry.find("bea", t0)->room);
    registry.upsert(reg("cat", "198.18.0.1:3", {}, {}, "room3"), t0);  // cat changes room
    EXPECT_EQ(registry.rooms(), 3u);                                   // room2 freed, room3 born
    EXPECT_EQ(registry.room_name(registry.find("cat", t0)->room), "room3");
    registry.expire(t0 + seconds(30));
    EXPECT_EQ(registry.rooms(), 1u);
}

TEST(RendezvousRegistry, RecordKeepsItsLocalEndpoints) {
    for (std::size_t n : {0u, 1u, 2u, 16u}) {
        std::vector<IpEndpoint> local;
        for (std::size_t i = 0; i < n; ++i)
            local.push_back(Endpoint{Ipv4{0x0A000001}, static_cast<std::uint16_t>(i + 1)});
        ClientRecord r("x", ep("198.18.0.1:1"), local, secret(1), t0);
        EXPECT_EQ(r.local_endpoints(), local);
        ClientRecord copy = r;
        EXPECT_EQ(copy.local_endpoints(), local);
    }
    EXPECT_LE(sizeof(ClientRecord), 88u);  // with a set node: one 128-byte allocation
}

TEST(RendezvousRegistry, JournalNamesEveryChange) {
    Registry registry;
    registry.keep_journal(true);
    upsert(registry, "alice", "198.18.1.1:40000");
    upsert(registry, "bob", "198.18.2.1:50000");
    auto changes = registry.take_changes();
    std::sort(changes.begin(), changes.end());
    EXPECT_EQ(changes, (std::vector<std::string>{"alice", "bob"}));
    EXPECT_TRUE(registry.take_changes().empty());
    registry.expire(t0 + seconds(30));
    EXPECT_EQ(registry.take_changes().size(), 2u);
}

TEST(RendezvousPairSessions, SameSessionFromEitherSideUntilTenSecondsIdle) {
    PairSessions sessions;
    proto::Token token{};
    token[0] = std::byte{0x5a};
    sessions.create("alice", "bob", token, 1, t0);
    auto* again = sessions.find("bob", "alice", t0 + seconds(9));  // reversed order
    ASSERT_TRUE(again);
    EXPECT_EQ(again->controlling, "alice");
    EXPECT_EQ(again->token, token);
    EXPECT_TRUE(sessions.find_by_token(token, t0 + seconds(18)));  // kept alive by use at 9 s
    EXPECT_FALSE(sessions.find("alice", "bob", t0 + seconds(28)));
    EXPECT_EQ(sessions.size(), 0u);
}

TEST(RendezvousPairSessions, CreateReplacesTheSessionOfThePair) {
    PairSessions sessions;
    proto::Token a{}, b{};
    a[0] = std::byte{1};
    b[0] = std::byte{2};
    sessions.create("alice", "bob", a, 1, t0);
    sessions.create("bob", "alice", b, 2, t0 + seconds(1));
    EXPECT_FALSE(sessions.find_by_token(a, t0 + seconds(1)));
    ASSERT_TRUE(sessions.find_by_token(b, t0 + seconds(1)));
    EXPECT_EQ(sessions.find("alice", "bob", t0 + seconds(1))->controlling, "bob");
    EXPECT_EQ(sessions.size(), 1u);
}

// ---- SQLite ---------------------------------------------------------------

class TempDb : public ::testing::Test {
protected:
    std::filesystem::path path = std::filesystem::temp_directory_path() /
                                 ("natlab-registry-" + std::to_string(::getpid()) + ".sqlite");
    void TearDown() override {
        for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path.string() + suffix);
    }
};

const WallTime w0 = WallTime{} + std::chrono::hours(24 * 365 * 50);

TEST_F(TempDb, RestartKeepsTheListAndTheSecrets) {
    {
        Registry registry;
        registry.keep_journal(true);
        RegistryDb db(path.string());
        registry.upsert(
            reg("alice", "198.18.1.1:40000", {}, {ep("10.0.1.2:40000"), ep("10.0.2.2:40000")}, "lab"), t0);
        registry.upsert(reg("bob", "198.18.2.1:50000"), t0 + seconds(10));
        EXPECT_EQ(db.save(registry, t0 + seconds(10), w0 + seconds(10)), 2u);
        EXPECT_EQ(db.rows(), 2u);
    }
    // A new process, 5 s of wall time later; its steady clock starts anywhere.
    const TimePoint t1 = t0 + std::chrono::hours(7);
    Registry registry;
    RegistryDb db(path.string());
    EXPECT_EQ(db.load(registry, t1, w0 + seconds(15)), 2u);
    const ClientRecord* alice = registry.find("alice", t1);
    ASSERT_TRUE(alice);
    EXPECT_EQ(alice->public_endpoint(), ep("198.18.1.1:40000"));
    EXPECT_EQ(alice->local_endpoints(),
              (std::vector<IpEndpoint>{ep("10.0.1.2:40000"), ep("10.0.2.2:40000")}));
    EXPECT_EQ(registry.room_name(alice->room), "lab");
    EXPECT_EQ(alice->secret, secret(0xA1));
    EXPECT_EQ(registry.find_by_endpoint(ep("198.18.2.1:50000"), t1)->name, "bob");
    // Expiry still applies: alice was last seen 15 s ago, bob 5 s ago.
    EXPECT_FALSE(registry.find("alice", t1 + seconds(15)));
    EXPECT_TRUE(registry.find("bob", t1 + seconds(24)));
    EXPECT_FALSE(registry.find("bob", t1 + seconds(25)));
}

TEST_F(TempDb, ExpiredRowsAreNotRestoredAndAreDeleted) {
    {
        Registry registry;
        registry.keep_journal(true);
        RegistryDb db(path.string());
        upsert(registry, "alice", "198.18.1.1:40000", t0);
        upsert(registry, "bob", "198.18.2.1:50000", t0 + seconds(20));
        db.save(registry, t0 + seconds(20), w0 + seconds(20));
    }
    Registry registry;
    RegistryDb db(path.string());
    EXPECT_EQ(db.load(registry, t0, w0 + seconds(35)), 1u);  // alice is 35 s old
    EXPECT_FALSE(registry.find("alice", t0));
    EXPECT_TRUE(registry.find("bob", t0));
    EXPECT_EQ(db.rows(), 1u);
}

TEST_F(TempDb, ExpiryAndMovesAreWrittenThrough) {
    Registry registry;
    registry.keep_journal(true);
    RegistryDb db(path.string());
    upsert(registry, "alice", "198.18.1.1:40000", t0);
    upsert(registry, "bob", "198.18.2.1:50000", t0 + seconds(20));
    db.save(registry, t0 + seconds(20), w0 + seconds(20));
    upsert(registry, "bob", "198.18.2.1:50002", t0 + seconds(21), secret(0xA1));  // moved
    registry.expire(t0 + seconds(30));                                            // alice gone
    db.save(registry, t0 + seconds(30), w0 + seconds(30));
    EXPECT_EQ(db.rows(), 1u);
    Registry again;
    db.load(again, t0, w0 + seconds(30));
    EXPECT_EQ(again.find("bob", t0)->public_endpoint(), ep("198.18.2.1:50002"));
}

// A save that fails (here: the table is gone, as if another program broke
// the file) throws, and loses nothing: the next save that can write writes
// every change the failed one had taken.
TEST_F(TempDb, FailedSaveKeepsItsChangesForTheNext) {
    Registry registry;
    registry.keep_journal(true);
    RegistryDb db(path.string());
    upsert(registry, "alice", "198.18.1.1:40000", t0);
    {
        sqlite3* other = nullptr;
        ASSERT_EQ(sqlite3_open(path.c_str(), &other), SQLITE_OK);
        ASSERT_EQ(sqlite3_exec(other, "DROP TABLE clients", nullptr, nullptr, nullptr), SQLITE_OK);
        sqlite3_close(other);
    }
    EXPECT_THROW(db.save(registry, t0, w0), std::runtime_error);
    {
        sqlite3* other = nullptr;
        ASSERT_EQ(sqlite3_open(path.c_str(), &other), SQLITE_OK);
        ASSERT_EQ(
            sqlite3_exec(other,
                         "CREATE TABLE clients(name TEXT PRIMARY KEY, grp TEXT NOT NULL, public TEXT NOT "
                         "NULL, local TEXT NOT NULL, secret BLOB NOT NULL, last_seen_ms INTEGER NOT NULL)",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
        sqlite3_close(other);
    }
    EXPECT_EQ(db.save(registry, t0, w0), 1u);
    EXPECT_EQ(db.rows(), 1u);
}

// A load whose reading stops with an error half-way (here: a row that
// fails to compute, integer overflow) is an error naming the file, never a
// short registry that looks like "fewer were registered".
TEST_F(TempDb, UnreadableTableIsAnErrorNotAnEmptyList) {
    { RegistryDb db(path.string()); }
    {
        sqlite3* other = nullptr;
        ASSERT_EQ(sqlite3_open(path.c_str(), &other), SQLITE_OK);
        ASSERT_EQ(sqlite3_exec(other,
                               "DROP TABLE clients; CREATE VIEW clients AS SELECT 'bob' AS name, '' AS grp, "
                               "'198.18.2.1:50000' AS public, '' AS local, zeroblob(16) AS secret, "
                               "abs(-9223372036854775807 - 1) AS last_seen_ms",
                               nullptr, nullptr, nullptr),
                  SQLITE_OK);
        sqlite3_close(other);
    }
    Registry registry;
    RegistryDb db(path.string());
    try {
        db.load(registry, t0, w0);
        FAIL() << "loaded";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("cannot read"), std::string::npos) << e.what();
    }
}

TEST_F(TempDb, UnopenableFileIsOneClearError) {
    try {
        RegistryDb db("/nonexistent-dir/registry.sqlite");
        FAIL() << "opened";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("/nonexistent-dir/registry.sqlite"), std::string::npos)
            << e.what();
    }
}

}  // namespace
}  // namespace natlab
