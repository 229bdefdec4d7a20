// External port assignment, RFC 4787 §4.2 (simulator/port_allocator.cpp).

#include <gtest/gtest.h>

#include <set>

#include "simulator/nat/port_allocator.h"

namespace natlab::nat {
namespace {

struct AllocationCase {
    const char* name;
    PortAllocation policy;
    PortRange range;
    std::vector<std::uint16_t> taken_first;  // allocated (wanted = port) before the step
    std::uint16_t wanted;
    std::optional<std::uint16_t> want;
};

TEST(PortAllocator, Table) {
    using A = PortAllocation;
    const AllocationCase cases[] = {
        {"preserve: free port kept", A::Preserve, {1024, 65535}, {}, 4000, 4000},
        {"preserve: collision falls back to sequential", A::Preserve, {1024, 65535}, {4000}, 4000, 1024},
        {"preserve: below the range falls back", A::Preserve, {2000, 2999}, {}, 80, 2000},
        {"preserve: sequential fallback skips used",
         A::Preserve,
         {2000, 2999},
         {2000, 2001, 4000},
         2001,
         2003},
        {"sequential ignores the wanted port", A::Sequential, {1024, 65535}, {}, 4000, 1024},
        {"sequential follows the previous", A::Sequential, {1024, 65535}, {1, 1, 1}, 4000, 1027},
        {"exhausted range", A::Preserve, {5000, 5001}, {5000, 5001}, 5000, std::nullopt},
        {"exhausted range, random", A::Random, {5000, 5001}, {5000, 5001}, 5000, std::nullopt},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        PortAllocator ports{c.policy, c.range, 7};
        for (auto p : c.taken_first) ASSERT_TRUE(ports.allocate(p));
        EXPECT_EQ(ports.allocate(c.wanted), c.want);
    }
}

TEST(PortAllocator, SequentialWrapsAndSkipsPortsInUse) {
    PortAllocator ports{PortAllocation::Sequential, {100, 102}, 1};
    EXPECT_EQ(ports.allocate(0), 100);
    EXPECT_EQ(ports.allocate(0), 101);
    ports.release(100);
    EXPECT_EQ(ports.allocate(0), 102);
    EXPECT_EQ(ports.allocate(0), 100);  // wrapped
    EXPECT_EQ(ports.allocate(0), std::nullopt);
}

TEST(PortAllocator, NoOverloadingAPortServesOneMappingUntilReleased) {
    PortAllocator ports{PortAllocation::Random, {1024, 65535}, 99};
    std::set<std::uint16_t> seen;
    for (int i = 0; i < 5000; ++i) {
        auto port = ports.allocate(4000);
        ASSERT_TRUE(port);
        EXPECT_TRUE(seen.insert(*port).second) << "port " << *port << " handed out twice";
    }
    EXPECT_EQ(ports.used(), 5000u);
    ports.release(*seen.begin());
    EXPECT_FALSE(ports.in_use(*seen.begin()));
}

TEST(PortAllocator, RandomIsReproducibleFromItsSeedAndNotSequential) {
    PortAllocator a{PortAllocation::Random, {1024, 65535}, 1234};
    PortAllocator b{PortAllocation::Random, {1024, 65535}, 1234};
    std::vector<std::uint16_t> from_a, from_b;
    for (int i = 0; i < 10; ++i) {
        from_a.push_back(*a.allocate(4000));
        from_b.push_back(*b.allocate(4000));
    }
    EXPECT_EQ(from_a, from_b);
    int consecutive = 0;
    for (std::size_t i = 1; i < from_a.size(); ++i) consecutive += from_a[i] == from_a[i - 1] + 1;
    EXPECT_LT(consecutive, 3) << "random allocation should defeat port prediction";
}

TEST(PortAllocator, RandomStaysInRange) {
    PortAllocator ports{PortAllocation::Random, {40000, 40009}, 5};
    for (int i = 0; i < 10; ++i) {
        auto port = ports.allocate(1);
        ASSERT_TRUE(port);
        EXPECT_GE(*port, 40000);
        EXPECT_LE(*port, 40009);
    }
    EXPECT_EQ(ports.allocate(1), std::nullopt);
}

}  // namespace
}  // namespace natlab::nat
