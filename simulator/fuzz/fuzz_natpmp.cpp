// libFuzzer target: NAT-PMP (RFC 6886) on both sides, nat-emu's server and
// the peer's client, with the checks of udp5351.h. Input: portmap_input.h.
//
//   configuration byte, server side (bit 7 clear): NAT-PMP on, bits 0-5 the
//   policy (portmap_input.h: bit 1 puts PCP on the same port too), bit 6 a
//   symmetric NAT; peer side (bit 7 set): bit 0 the client mode, nat-pmp or
//   auto (PCP first, then NAT-PMP).
//
//   ci/fuzz [SECONDS]

#include <cstddef>
#include <cstdint>

#include "simulator/fuzz/udp5351.h"
#include "src/fuzz/fuzz_entry.h"

extern "C" int NATLAB_FUZZ_ENTRY(const std::uint8_t* data, std::size_t size) {
    return natlab::nat::fuzz::run_input(data, size, true, natlab::PortMappingMode::nat_pmp);
}
