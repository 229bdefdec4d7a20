// Writes the port mapping and IPv6 fuzzers' seed corpora (portmap_seeds.h),
// one directory per target: DIR/natpmp, DIR/pcp, DIR/ssdp, DIR/http_soap,
// DIR/ipv6.
//
//   fuzz_portmap_seeds DIR

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "simulator/fuzz/portmap_seeds.h"

int main(int argc, char** argv) {
    using namespace natlab::nat::fuzz;
    if (argc != 2) {
        std::fprintf(stderr, "usage: fuzz_portmap_seeds DIR\n");
        return 2;
    }
    const std::pair<const char*, std::vector<Seed>> corpora[] = {{"natpmp", natpmp_seeds()},
                                                                 {"pcp", pcp_seeds()},
                                                                 {"ssdp", ssdp_seeds()},
                                                                 {"http_soap", http_soap_seeds()},
                                                                 {"ipv6", ipv6_seeds()}};
    for (const auto& [target, seeds] : corpora) {
        auto dir = std::filesystem::path{argv[1]} / target;
        std::filesystem::create_directories(dir);
        for (const auto& [name, bytes] : seeds)
            std::ofstream{dir / name, std::ios::binary}.write(reinterpret_cast<const char*>(bytes.data()),
                                                              static_cast<std::streamsize>(bytes.size()));
    }
    return 0;
}
