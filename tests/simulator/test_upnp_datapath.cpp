// The IGD on the frame path (router/datapath.cpp): SSDP multicast frames and
// the HTTP port reach it from the LAN, never from outside, and its answers
// leave by the inside link.
#include <gtest/gtest.h>

#include <deque>

#include "simulator/portmap/igd_server.h"
#include "simulator/portmap/ssdp.h"
#include "simulator/router/datapath.h"
#include "tests/simulator/test_datapath_macs.h"
#include "tests/simulator/test_nat_support.h"
#include "tests/simulator/upnp_fake_grants.h"

namespace natlab::nat::testing {
namespace {

const MacAddress kSsdpMac{{0x01, 0x00, 0x5e, 0x7f, 0xff, 0xfa}};  // 239.255.255.250 (RFC 1112 §6.4)
const MacAddress kMdnsMac{{0x01, 0x00, 0x5e, 0x00, 0x00, 0xfb}};  // 224.0.0.251

std::vector<std::byte> frame_of(MacAddress to, MacAddress from, const std::vector<std::byte>& datagram) {
    std::vector<std::byte> frame(kEthernetHeaderSize + datagram.size());
    write_ethernet(frame, {to, from, kEtherTypeIpv4});
    std::copy(datagram.begin(), datagram.end(), frame.begin() + kEthernetHeaderSize);
    return frame;
}

std::vector<std::byte> who_has(MacAddress from, const char* sender, const char* target) {
    return build_arp_frame({ArpOp::Request, from, ip(sender), {}, ip(target)}, MacAddress::broadcast()).bytes;
}

const std::string kSearch =
    "M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nST: upnp:rootdevice\r\n"
    "MAN: \"ssdp:discover\"\r\nMX: 2\r\n\r\n";

class UpnpDatapath : public ::testing::Test {
protected:
    UpnpDatapath()
        : path({"test",
                {*Cidr::parse("10.0.1.0/24"), *Cidr::parse("198.18.0.0/15"), std::nullopt},
                ip("10.0.1.1"),
                {ip("198.18.1.1")},
                kInsideMac,
                kOutsideMac,
                NatConfig{},
                false},
               1, {}),
          igd({ip("10.0.1.1"), 5000, 1}, {}, grants, TimePoint{}) {
        path.attach(&igd);
        receive(Side::Inside, who_has(kHostMac, "10.0.1.2", "10.0.1.1"));
        receive(Side::Outside, who_has(kRemoteMac, "198.18.0.2", "198.18.1.1"));
        clear();
    }
    void receive(Side side, std::vector<std::byte> frame) {
        frames.push_back(std::move(frame));
        path.receive(side, frames.back(), {}, TimePoint{});
    }
    void clear() {
        path.sent(Side::Inside, path.outgoing(Side::Inside).entries().size());
        path.sent(Side::Outside, path.outgoing(Side::Outside).entries().size());
    }
    std::span<const TxBatch::Entry> sent(Side side) { return path.outgoing(side).entries(); }
    std::optional<Flow> flow_sent(Side side, std::size_t i) {
        auto bytes = std::vector<std::byte>(sent(side)[i].bytes.begin(), sent(side)[i].bytes.end());
        DropReason why;
        auto packet = Ipv4Packet::parse(std::span{bytes}.subspan(kEthernetHeaderSize), why);
        return packet ? std::optional{packet->flow()} : std::nullopt;
    }

    std::deque<std::vector<std::byte>> frames;
    portmap::FakeGrants grants;
    Datapath path;
    portmap::IgdServer igd;
};

TEST_F(UpnpDatapath, SearchToTheGroupIsAnsweredOnTheLan) {
    receive(Side::Inside, frame_of(kSsdpMac, kHostMac,
                                   build_udp_datagram({{ep("10.0.1.2:40000"), ep("239.255.255.250:1900")},
                                                       text_bytes(kSearch)})));
    ASSERT_EQ(sent(Side::Inside).size(), 1u);
    EXPECT_EQ(flow_sent(Side::Inside, 0)->source, ep("10.0.1.1:1900"));
    EXPECT_EQ(flow_sent(Side::Inside, 0)->destination, ep("10.0.1.2:40000"));
    EXPECT_TRUE(sent(Side::Outside).empty());
}

TEST_F(UpnpDatapath, OtherGroupsAreStillIgnored) {
    receive(Side::Inside, frame_of(kMdnsMac, kHostMac,
                                   build_udp_datagram({{ep("10.0.1.2:5353"), ep("224.0.0.251:5353")}, {}})));
    EXPECT_TRUE(sent(Side::Inside).empty());
    EXPECT_TRUE(sent(Side::Outside).empty());
    EXPECT_EQ(path.counters().shell_dropped[DropCode::NotOurMac], 1u);
}

TEST_F(UpnpDatapath, WithoutTheServiceTheGroupIsIgnored) {
    path.attach(nullptr);
    receive(Side::Inside, frame_of(kSsdpMac, kHostMac,
                                   build_udp_datagram({{ep("10.0.1.2:40000"), ep("239.255.255.250:1900")},
                                                       text_bytes(kSearch)})));
    EXPECT_TRUE(sent(Side::Inside).empty());
}

TEST_F(UpnpDatapath, HttpPortIsServedInsideOnly) {
    TcpSegmentSpec syn;
    syn.flow = {ep("10.0.1.2:40001"), ep("10.0.1.1:5000"), Protocol::Tcp};
    receive(Side::Inside, frame_of(kInsideMac, kHostMac, build_tcp_segment(syn)));
    ASSERT_EQ(sent(Side::Inside).size(), 1u);
    EXPECT_EQ(flow_sent(Side::Inside, 0)->source, ep("10.0.1.1:5000"));
    clear();
    syn.flow = {ep("198.18.0.2:40001"), ep("198.18.1.1:5000"), Protocol::Tcp};
    receive(Side::Outside, frame_of(kOutsideMac, kRemoteMac, build_tcp_segment(syn)));
    EXPECT_TRUE(sent(Side::Inside).empty());
    EXPECT_TRUE(sent(Side::Outside).empty());
    EXPECT_EQ(igd.counters().tcp.connections, 1u);
}

}  // namespace
}  // namespace natlab::nat::testing
