// The birthday punch's plan (birthday.h): what goes out, from which socket,
// when, and the bounds of --birthday N,M.
#include <gtest/gtest.h>

#include <random>
#include <set>

#include "src/peer/birthday.h"

namespace natlab {
namespace {

using std::chrono::milliseconds;

RandomSource seeded(unsigned seed) {
    auto rng = std::make_shared<std::mt19937>(seed);
    return [rng](std::span<std::byte> out) {
        for (auto& b : out) b = static_cast<std::byte>((*rng)() & 0xff);
    };
}

const Endpoint kPartner = *Endpoint::parse("198.18.2.1:40000");

BirthdayConfig config(std::size_t n, std::size_t m, std::uint16_t lo, std::uint16_t hi, std::uint32_t rate) {
    BirthdayConfig c;
    c.sockets = n;
    c.probes = m;
    c.low = lo;
    c.high = hi;
    c.rate = rate;
    return c;
}

struct ParseRow {
    const char* text;
    bool ok;
    std::size_t sockets, probes;
};

TEST(BirthdayParse, BoundsOfNAndM) {
    const ParseRow rows[] = {
        //  text          ok     N     M
        {"256,256", true, 256, 256}, {"1,0", true, 1, 0},    {"1024,65535", true, 1024, 65535},
        {"0,10", false, 0, 0},      // at least the main socket
        {"1025,10", false, 0, 0},   // at most 1024 sockets
        {"10,65536", false, 0, 0},  // at most 65535 probes
        {"10", false, 0, 0},        // both numbers
        {"10,", false, 0, 0},        {",10", false, 0, 0},   {"10,x", false, 0, 0},
        {"-1,5", false, 0, 0},       {"5,5,5", false, 0, 0},
    };
    for (const auto& row : rows) {
        std::string why;
        auto c = parse_birthday(row.text, why);
        ASSERT_EQ(c.has_value(), row.ok) << row.text;
        EXPECT_EQ(why.empty(), row.ok) << row.text;
        if (!row.ok) continue;
        EXPECT_EQ(c->sockets, row.sockets);
        EXPECT_EQ(c->probes, row.probes);
    }
}

TEST(BirthdayParse, PortRange) {
    const std::pair<const char*, bool> rows[] = {
        {"20000-22047", true}, {"1-65535", true},  {"5-5", true},   {"0-10", false},
        {"10-5", false},       {"1-65536", false}, {"1024", false}, {"a-b", false},
    };
    for (const auto& [text, ok] : rows) {
        BirthdayConfig c;
        std::string why;
        EXPECT_EQ(parse_birthday_ports(text, c, why), ok) << text;
    }
}

// Openers: sockets 1..N-1, each once, to the partner's public endpoint.
// Spray: M distinct ports of the range, on the partner's address, from the
// sockets in turn.
TEST(BirthdayPlan, OpenersThenDistinctGuessesFromEverySocket) {
    auto random = seeded(1);
    TimePoint t0{};
    BirthdayPlan plan(config(4, 100, 20000, 20999, 1'000'000), kPartner, random, t0);
    EXPECT_EQ(plan.total(), 103u);
    auto probes = plan.due(t0 + milliseconds(1000));
    ASSERT_EQ(probes.size(), 103u);
    EXPECT_TRUE(plan.done());
    for (std::size_t k = 0; k < 3; ++k) {
        EXPECT_EQ(probes[k].socket, k + 1);
        EXPECT_EQ(probes[k].to, kPartner);
        EXPECT_FALSE(probes[k].spray);
    }
    std::set<std::uint16_t> ports;
    for (std::size_t j = 3; j < probes.size(); ++j) {
        const auto& p = probes[j];
        EXPECT_TRUE(p.spray);
        EXPECT_EQ(p.socket, (j - 3) % 4);
        EXPECT_EQ(p.to.addr, kPartner.addr);
        EXPECT_GE(p.to.port, 20000);
        EXPECT_LE(p.to.port, 20999);
        EXPECT_TRUE(plan.guessed(p.to));
        ports.insert(p.to.port);
    }
    EXPECT_EQ(ports.size(), 100u);  // no port guessed twice
    EXPECT_TRUE(plan.due(t0 + milliseconds(2000)).empty());
}

TEST(BirthdayPlan, MoreProbesThanPortsCoverTheRangeOnce) {
    auto random = seeded(2);
    BirthdayPlan plan(config(1, 500, 30000, 30099, 1'000'000), kPartner, random, TimePoint{});
    auto probes = plan.due(TimePoint{} + milliseconds(1000));
    std::set<std::uint16_t> ports;
    for (const auto& p : probes) ports.insert(p.to.port);
    EXPECT_EQ(probes.size(), 100u);
    EXPECT_EQ(ports.size(), 100u);
}

// At `rate` per second: the openers from the start, the spray from
// spray_delay (or the openers' end), never both at once.
struct PaceRow {
    std::size_t sockets, probes;
    int at_ms;
    std::size_t want_sent;
};

TEST(BirthdayPlan, PacedByTheRateAndTheSprayDelay) {
    const PaceRow rows[] = {
        // N    M    at ms   sent (rate 1000/s, spray delay 500 ms)
        {101, 100, 0, 1},                             // one token at once
        {101, 100, 50, 51},                           // openers at 1 per ms
        {101, 100, 99, 100},                          // all 100 openers out
        {101, 100, 300, 100},                         // then nothing until the spray delay
        {101, 100, 500, 101},                         // the spray's first
        {101, 100, 549, 150}, {101, 100, 5000, 200},  // all done
        {801, 100, 500, 501},                         // openers still going: no spray yet
        {801, 100, 800, 801},                         // openers done at 800 ms; the spray starts then
        {801, 100, 850, 851},
    };
    for (const auto& row : rows) {
        auto random = seeded(3);
        TimePoint t0{};
        BirthdayPlan plan(config(row.sockets, row.probes, 1024, 65535, 1000), kPartner, random, t0);
        std::size_t sent = 0;
        std::size_t most_at_once = 0;
        for (int ms = 0; ms <= row.at_ms; ++ms) {
            std::size_t n = plan.due(t0 + milliseconds(ms)).size();
            sent += n;
            most_at_once = std::max(most_at_once, n);
        }
        EXPECT_EQ(sent, row.want_sent) << row.sockets << " at " << row.at_ms;
        EXPECT_LE(most_at_once, 2u);
        EXPECT_EQ(plan.sent(), sent);
    }
}

}  // namespace
}  // namespace natlab
