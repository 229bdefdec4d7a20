// The port mapping fuzzers' seeds through the targets themselves, built
// with the normal compiler and without libFuzzer (simulator/fuzz/): so that
// a target that no longer builds, or whose checks a well-formed message
// breaks, fails the unit tests and not only ci/fuzz.
#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>

#include "simulator/fuzz/portmap_seeds.h"

extern "C" int fuzz_natpmp_one_input(const std::uint8_t* data, std::size_t size);
extern "C" int fuzz_pcp_one_input(const std::uint8_t* data, std::size_t size);
extern "C" int fuzz_ssdp_one_input(const std::uint8_t* data, std::size_t size);
extern "C" int fuzz_http_soap_one_input(const std::uint8_t* data, std::size_t size);
extern "C" int fuzz_ipv6_one_input(const std::uint8_t* data, std::size_t size);

namespace natlab::nat::fuzz {
namespace {

using Target = int (*)(const std::uint8_t*, std::size_t);

TEST(FuzzSeeds, EveryTargetTakesItsSeeds) {
    const struct {
        const char* target;
        Target run;
        std::vector<Seed> seeds;
    } cases[] = {
        {"fuzz_natpmp", fuzz_natpmp_one_input, natpmp_seeds()},
        {"fuzz_pcp", fuzz_pcp_one_input, pcp_seeds()},
        {"fuzz_ssdp", fuzz_ssdp_one_input, ssdp_seeds()},
        {"fuzz_http_soap", fuzz_http_soap_one_input, http_soap_seeds()},
        {"fuzz_ipv6", fuzz_ipv6_one_input, ipv6_seeds()},
    };
    for (const auto& c : cases) {
        EXPECT_GE(c.seeds.size(), 3u) << c.target;
        for (const auto& [name, bytes] : c.seeds) {
            EXPECT_GT(bytes.size(), 1u) << c.target << "/" << name;
            EXPECT_EQ(c.run(bytes.data(), bytes.size()), 0) << c.target << "/" << name;
        }
    }
}

}  // namespace
}  // namespace natlab::nat::fuzz
