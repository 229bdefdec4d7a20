// The peer's port mapping client (src/peer/port_mapping_client.h) fed
// gateway answers as bytes, on a fake clock.
#include <gtest/gtest.h>

#include <vector>

#include "src/peer/port_mapping_client.h"
#include "src/portmap/natpmp_codec.h"

namespace natlab {
namespace {

const Endpoint kGateway{Ipv4{0x0a000101}, 0};
const Endpoint kInternal{Ipv4{0x0a000102}, 4000};
const Endpoint kMapped{Ipv4{0xc6120101}, 4000};
const pcp::Nonce kNonce{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};

std::vector<std::byte> bytes(std::initializer_list<int> values) {
    std::vector<std::byte> out;
    for (int v : values) out.push_back(static_cast<std::byte>(v));
    return out;
}

// A PCP MAP answer (RFC 6887 §11.1) for kNonce: 198.18.1.1:4000 for 120 s.
std::vector<std::byte> pcp_granted() {
    pcp::Message m{pcp::kVersion, pcp::kOpMap, true, pcp::Result::Success, 120, 5};
    m.map = {kNonce, pcp::kProtocolUdp, 4000, kMapped};
    return pcp::encode(m);
}

TimePoint at(int seconds) {
    return TimePoint{} + std::chrono::seconds{seconds};
}

// Found by fuzz_pcp: a NAT-PMP "unsupported version" answer to a PCP
// renewal made the client give up the PCP step while it still held the
// mapping, which then named no protocol (and `auto` went on to NAT-PMP
// holding it). A failed renewal keeps the mapping.
TEST(PortMappingClient, RenewalAnswersKeepTheMapping) {
    const struct {
        const char* name;
        PortMappingMode mode;
        std::vector<std::byte> answer;  // to the renewal, at 60 s
    } cases[] = {
        {"NAT-PMP unsupported version (RFC 6886 §3.5), pcp", PortMappingMode::pcp,
         bytes({0, 128, 0, 1, 0, 0, 0, 9})},
        {"NAT-PMP unsupported version, auto", PortMappingMode::automatic, bytes({0, 128, 0, 1, 0, 0, 0, 9})},
        {"PCP NOT_AUTHORIZED", PortMappingMode::pcp,
         [] {
             auto refused = pcp_granted();
             refused[3] = std::byte{2};
             return refused;
         }()},
    };
    for (const auto& c : cases) {
        PortMappingClient client{c.mode, kGateway, kInternal, kNonce};
        ASSERT_EQ(client.on_tick(at(0)).size(), 1u) << c.name;
        client.on_datagram(pcp_granted(), at(0));
        ASSERT_TRUE(client.mapped()) << c.name;
        ASSERT_EQ(client.on_tick(at(60)).size(), 1u) << c.name << ": the renewal";
        client.on_datagram(c.answer, at(60));
        EXPECT_EQ(client.mapped(), kMapped) << c.name;
        EXPECT_EQ(client.protocol(), MappingProtocol::pcp) << c.name;
        EXPECT_EQ(client.answers().size(), 1u) << c.name;
        EXPECT_EQ(client.release().size(), 1u) << c.name << ": the deletion";
    }
}

}  // namespace
}  // namespace natlab
