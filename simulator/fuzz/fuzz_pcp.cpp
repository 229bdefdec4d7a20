// libFuzzer target: PCP (RFC 6887) on both sides, nat-emu's server and
// the peer's client, with the checks of udp5351.h. Input: portmap_input.h.
//
//   configuration byte, server side (bit 7 clear): PCP on, bits 0-5 the
//   policy (portmap_input.h: bit 1 puts NAT-PMP on the same port too), bit 6 a
//   symmetric NAT; peer side (bit 7 set): bit 0 the client mode, pcp or
//   auto (PCP first, then NAT-PMP).
//
//   ci/fuzz [SECONDS]

#include <cstddef>
#include <cstdint>

#include "simulator/fuzz/udp5351.h"

// tests/simulator/test_fuzz_seeds.cpp builds the target with the normal
// compiler under another name, to replay the seeds.
#ifndef NATLAB_FUZZ_ENTRY
#define NATLAB_FUZZ_ENTRY LLVMFuzzerTestOneInput
#endif

extern "C" int NATLAB_FUZZ_ENTRY(const std::uint8_t* data, std::size_t size) {
    using namespace natlab;
    if (size == 0) return 0;
    std::span<const std::uint8_t> in{data + 1, size - 1};
    if (!(data[0] & nat::fuzz::kPeerSide)) {
        nat::fuzz::run_server(data[0], in, false);
        return 0;
    }
    nat::fuzz::run_client((data[0] & 1) ? PortMappingMode::automatic : PortMappingMode::pcp, in);
    return 0;
}
