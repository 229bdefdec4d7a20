// Several external addresses (RFC 4787 §4.1 REQ-2, RFC 7857 §4;
// simulator/address_pool.cpp): paired and arbitrary pooling, inbound to any
// address, and port exhaustion spread over the pool.

#include <gtest/gtest.h>

#include "simulator/wire/icmp.h"
#include "tests/simulator/test_nat_support.h"

namespace natlab::nat::testing {
namespace {

NatConfig pooled(AddressPooling pooling, PortRange ports = {}) {
    NatConfig c = NatConfig::preset(NatType::FullCone);
    c.pooling = pooling;
    c.ports = ports;
    return c;
}

NatAddresses two_addresses() {
    return addresses_of({"198.18.1.1", "198.18.1.2"});
}

TEST(NatPooling, PairedGivesEachHostOneAddressForEveryProtocol) {
    NatUnderTest nut{pooled(AddressPooling::Paired), 1, two_addresses()};
    auto a = nut.out("10.0.1.2:4000", "198.18.0.2:3478");
    auto b = nut.out("10.0.1.3:4000", "198.18.0.2:3478");
    auto c = nut.out("10.0.1.4:4000", "198.18.0.2:3478");
    ASSERT_TRUE(a && b && c);
    EXPECT_EQ(a->source, ep("198.18.1.1:4000")) << "first host, first address";
    EXPECT_EQ(b->source, ep("198.18.1.2:4000")) << "second host, the address with fewer hosts";
    EXPECT_EQ(c->source.addr, ip("198.18.1.1")) << "third host: back to the first address";
    // Host a keeps its address for other ports, remotes and protocols (RFC 7857 §4).
    auto a2 = nut.out("10.0.1.2:4001", "198.18.0.9:53");
    auto a_tcp = nut.tcp_out("10.0.1.2:5000", "198.18.0.2:80", kTcpSyn);
    auto a_ping = nut.send(echo(ip("10.0.1.2"), ip("198.18.0.2"), 9), Direction::Outbound, 0);
    ASSERT_TRUE(a2 && a_tcp && a_ping);
    EXPECT_EQ(a2->source.addr, ip("198.18.1.1"));
    EXPECT_EQ(a_tcp->source.addr, ip("198.18.1.1"));
    EXPECT_EQ(a_ping->source.addr, ip("198.18.1.1"));
    EXPECT_EQ(nut.nat.paired_with(ip("10.0.1.3")), ip("198.18.1.2"));
}

TEST(NatPooling, InboundReachesAMappingOnAnyOfTheAddresses) {
    NatUnderTest nut{pooled(AddressPooling::Paired), 1, two_addresses()};
    nut.out("10.0.1.2:4000", "198.18.0.2:3478");
    nut.out("10.0.1.3:4000", "198.18.0.2:3478");
    auto to_second = nut.in("198.18.0.2:3478", "198.18.1.2:4000");
    ASSERT_TRUE(to_second) << nut.nat.last_drop().text;
    EXPECT_EQ(to_second->destination, ep("10.0.1.3:4000"));
    auto to_first = nut.in("198.18.0.2:3478", "198.18.1.1:4000");
    ASSERT_TRUE(to_first);
    EXPECT_EQ(to_first->destination, ep("10.0.1.2:4000"));
    EXPECT_FALSE(nut.in("198.18.0.2:3478", "198.18.1.3:4000"));
    EXPECT_EQ(nut.nat.last_drop().code, DropCode::NotOurAddress);
    EXPECT_EQ(nut.nat.last_drop().text, "not our address: 198.18.1.3 is not one of our external addresses");
}

TEST(NatPooling, APairingEndsWithTheHostsLastMapping) {
    NatConfig config = pooled(AddressPooling::Paired);
    config.mapping_timeout = std::chrono::seconds{30};
    NatUnderTest nut{config, 1, two_addresses()};
    nut.out("10.0.1.2:4000", "198.18.0.2:3478", 0);
    nut.out("10.0.1.3:4000", "198.18.0.2:3478", 10);
    nut.nat.expire(t(35));  // 10.0.1.2's only mapping is gone, 10.0.1.3's lives
    EXPECT_FALSE(nut.nat.paired_with(ip("10.0.1.2")));
    EXPECT_EQ(nut.nat.paired_with(ip("10.0.1.3")), ip("198.18.1.2"));
    auto c = nut.out("10.0.1.4:4000", "198.18.0.2:3478", 36);
    ASSERT_TRUE(c);
    EXPECT_EQ(c->source.addr, ip("198.18.1.1")) << "the freed address now has the fewest hosts";
}

TEST(NatPooling, HairpinToTheOtherAddress) {
    NatConfig config = pooled(AddressPooling::Paired);
    config.hairpin = true;
    NatUnderTest nut{config, 1, two_addresses()};
    nut.out("10.0.1.2:4000", "198.18.0.2:3478");
    nut.out("10.0.1.3:5000", "198.18.0.2:3478");
    auto looped = nut.out("10.0.1.2:4000", "198.18.1.2:5000");
    ASSERT_TRUE(looped) << nut.nat.last_drop().text;
    EXPECT_EQ(*looped, (Flow{ep("198.18.1.1:4000"), ep("10.0.1.3:5000")}));
}

struct Send {
    const char* inside;
    std::optional<const char*> want_outside;  // nullopt: refused, ports exhausted
};

struct ExhaustionCase {
    const char* name;
    AddressPooling pooling;
    std::vector<Send> sends;
    const char* want_last_reason;
};

TEST(NatPooling, PortExhaustionWithSeveralAddresses) {
    const ExhaustionCase cases[] = {
        {"paired: a host's address full is full, even with room on the other",
         AddressPooling::Paired,
         {{"10.0.1.2:4000", "198.18.1.1:5000"},
          {"10.0.1.3:4000", "198.18.1.2:5000"},
          {"10.0.1.2:4001", "198.18.1.1:5001"},
          {"10.0.1.2:4002", std::nullopt},
          {"10.0.1.3:4001", "198.18.1.2:5001"},
          {"10.0.1.3:4002", std::nullopt}},
         "ports exhausted: no free external udp port on 198.18.1.2 (paired with 10.0.1.3) in 5000-5001"},
        {"paired: a new host is not paired with an address it could not use",
         AddressPooling::Paired,
         {{"10.0.1.2:4000", "198.18.1.1:5000"},
          {"10.0.1.2:4001", "198.18.1.1:5001"},
          {"10.0.1.3:4000", "198.18.1.2:5000"},
          {"10.0.1.3:4001", "198.18.1.2:5001"},
          {"10.0.1.4:4000", std::nullopt}},
         "ports exhausted: no free external udp port on 198.18.1.1 (paired with 10.0.1.4) in 5000-5001"},
        {"arbitrary: mappings spill over to the next address",
         AddressPooling::Arbitrary,
         {{"10.0.1.2:4000", "198.18.1.1:5000"},
          {"10.0.1.3:4000", "198.18.1.2:5000"},
          {"10.0.1.2:4001", "198.18.1.1:5001"},
          {"10.0.1.2:4002", "198.18.1.2:5001"},
          {"10.0.1.2:4003", std::nullopt}},
         "ports exhausted: no free external udp port on any external address in 5000-5001"},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        NatUnderTest nut{pooled(c.pooling, {5000, 5001}), 1, two_addresses()};
        for (const auto& s : c.sends) {
            SCOPED_TRACE(s.inside);
            auto out = nut.out(s.inside, "198.18.0.2:3478");
            ASSERT_EQ(out.has_value(), s.want_outside.has_value()) << nut.nat.last_drop().text;
            if (out) {
                EXPECT_EQ(out->source, ep(*s.want_outside));
            } else {
                EXPECT_EQ(nut.nat.last_drop().code, DropCode::PortsExhausted);
            }
        }
        EXPECT_EQ(nut.nat.last_drop().text, c.want_last_reason);
        EXPECT_FALSE(nut.nat.paired_with(ip("10.0.1.4"))) << "a refused host stays unpaired";
    }
}

TEST(NatPooling, ExhaustedPortsAreReportedToTheSenderFromTheLanAddress) {
    NatUnderTest nut{pooled(AddressPooling::Paired, {5000, 5000}), 1, two_addresses()};
    nut.out("10.0.1.2:4000", "198.18.0.2:3478");
    nut.nat.take_generated();
    EXPECT_FALSE(nut.out("10.0.1.2:4001", "198.18.0.2:3478"));
    auto generated = nut.nat.take_generated();
    ASSERT_EQ(generated.size(), 1u);
    Datagram datagram{generated[0]};
    auto error = datagram.view();
    EXPECT_EQ(error.source().addr, ip("10.0.1.1"));
    EXPECT_EQ(error.icmp_code(), kIcmpAdministrativelyProhibited);
}

}  // namespace
}  // namespace natlab::nat::testing
