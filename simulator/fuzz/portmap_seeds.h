// The port mapping fuzzers' seed corpora (portmap_input.h's format), made
// with the project's own encoders and builders: NAT-PMP and PCP requests
// and answers in RFC 6886 and RFC 6887's layouts (natpmp_codec, pcp_codec),
// the peer's M-SEARCH, GET and SOAP requests (upnp_client) and the IGD's
// own answers to them (igd_server, ssdp).
//
// The IPv6 target's seeds (ipv6_seeds.cpp) come along: the same program
// writes them.
//
// fuzz_portmap_seeds writes them as files for libFuzzer (ci/fuzz);
// tests/simulator/test_fuzz_seeds.cpp replays them through each target's
// entry point with the normal compiler.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace natlab::nat::fuzz {

using Seed = std::pair<std::string, std::vector<std::uint8_t>>;  // file name, input

std::vector<Seed> natpmp_seeds();
std::vector<Seed> pcp_seeds();
std::vector<Seed> ssdp_seeds();
std::vector<Seed> http_soap_seeds();
// fuzz_ipv6's (ipv6_seeds.cpp): a mode byte, then an IPv6 or IPv4 packet.
std::vector<Seed> ipv6_seeds();

}  // namespace natlab::nat::fuzz
