// The mapping table's hash index (simulator/mapping_index.cpp) against a
// reference map, through many inserts and erases, so that growth and
// backward-shift deletion are both exercised; and the table on top of it.

#include <gtest/gtest.h>

#include <random>
#include <unordered_map>

#include "simulator/nat/mapping_index.h"
#include "simulator/nat/nat_table.h"
#include "tests/simulator/test_nat_support.h"

namespace natlab::nat::testing {
namespace {

TEST(MappingIndex, AgreesWithAReferenceMap) {
    MappingIndex index;
    std::unordered_map<std::uint32_t, std::uint64_t> reference;  // id -> hash
    std::mt19937_64 rng{3};
    // Few distinct hash values, so that runs are long and collide.
    auto hash_of = [](std::uint32_t id) { return mix64(id % 997) ^ (id % 3); };
    for (int step = 0; step < 200000; ++step) {
        auto id = static_cast<std::uint32_t>(rng() % 5000);
        bool present = reference.contains(id);
        if (!present && rng() % 3 != 0) {
            index.insert(hash_of(id), id);
            reference[id] = hash_of(id);
        } else if (present) {
            index.erase(hash_of(id), id);
            reference.erase(id);
        }
        if (step % 1000 == 0) {
            ASSERT_EQ(index.size(), reference.size());
            for (std::uint32_t probe = 0; probe < 5000; probe += 7) {
                auto found = index.find(hash_of(probe), [&](MappingIndex::Id i) { return i == probe; });
                ASSERT_EQ(found != MappingIndex::kNone, reference.contains(probe)) << "id " << probe;
            }
        }
    }
    EXPECT_LE(index.size() * 4, index.capacity() * 3) << "load stays under 3/4";
}

TEST(NatTable, ReusesFreedSlotsAndFindsByBothKeys) {
    NatTable table{MappingBehaviour::AddressAndPortDependent, Timeouts{}};
    for (std::uint16_t i = 0; i < 1000; ++i)
        table.insert({{ip("10.0.1.2"), i},
                      {ip("198.18.1.1"), static_cast<std::uint16_t>(20000 + i)},
                      ep("198.18.0.2:3478"),
                      t(i),
                      {},
                      Protocol::Udp});
    for (std::uint16_t i = 0; i < 1000; i += 2)
        table.remove(
            *table.find_inbound(Protocol::Udp, {ip("198.18.1.1"), static_cast<std::uint16_t>(20000 + i)}));
    EXPECT_EQ(table.size(), 500u);
    auto bytes_before = table.memory_bytes();
    for (std::uint16_t i = 0; i < 1000; i += 2)
        table.insert({{ip("10.0.1.3"), i},
                      {ip("198.18.1.1"), static_cast<std::uint16_t>(20000 + i)},
                      ep("198.18.0.2:3478"),
                      t(i),
                      {},
                      Protocol::Tcp});
    EXPECT_EQ(table.memory_bytes(), bytes_before) << "freed slots are reused";
    for (std::uint16_t i = 0; i < 1000; ++i) {
        bool odd = i % 2;
        Protocol p = odd ? Protocol::Udp : Protocol::Tcp;
        Endpoint inside{ip(odd ? "10.0.1.2" : "10.0.1.3"), i};
        auto* by_key = table.find_outbound(p, inside, ep("198.18.0.2:3478"));
        auto* by_external = table.find_inbound(p, {ip("198.18.1.1"), static_cast<std::uint16_t>(20000 + i)});
        ASSERT_TRUE(by_key && by_external);
        EXPECT_EQ(by_key, by_external);
        EXPECT_FALSE(table.find_outbound(p, inside, ep("198.18.0.2:3479"))) << "APDM keys on the remote port";
    }
}

TEST(NatTable, AMappingRecordIsOneCacheLine) {
    EXPECT_EQ(sizeof(Mapping), 64u);
    EXPECT_EQ(alignof(Mapping), 64u);
}

}  // namespace
}  // namespace natlab::nat::testing
