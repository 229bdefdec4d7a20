// The whole frame path without sockets (simulator/datapath.cpp): Ethernet
// noise and non-IPv4 frames, ARP for every owned address, offload metadata
// carried through, frames the NAT answers or originates.

#include <gtest/gtest.h>

#include <deque>
#include <functional>

#include "simulator/router/datapath.h"
#include "simulator/wire/bytes.h"
#include "simulator/wire/checksum.h"
#include "simulator/wire/icmp.h"
#include "tests/simulator/test_datapath_macs.h"
#include "tests/simulator/test_nat_support.h"

namespace natlab::nat::testing {
namespace {

constexpr std::size_t kEth = kEthernetHeaderSize;

std::vector<std::byte> frame_of(MacAddress to, MacAddress from, std::uint16_t ethertype,
                                const std::vector<std::byte>& payload) {
    std::vector<std::byte> frame(kEth + payload.size());
    write_ethernet(frame, {to, from, ethertype});
    std::copy(payload.begin(), payload.end(), frame.begin() + kEth);
    return frame;
}

std::vector<std::byte> who_has(MacAddress from, const char* sender, const char* target) {
    return build_arp_frame({ArpOp::Request, from, ip(sender), {}, ip(target)}, MacAddress::broadcast()).bytes;
}

// A datapath for 10.0.1.0/24 inside and two external addresses, with the
// inside host 10.0.1.2 and the remote 198.18.0.2 already known by ARP.
class DatapathTest : public ::testing::Test {
protected:
    DatapathTest()
        : path({"test",
                {*Cidr::parse("10.0.1.0/24"), *Cidr::parse("198.18.0.0/15"), std::nullopt},
                ip("10.0.1.1"),
                {ip("198.18.1.1"), ip("198.18.1.2")},
                kInsideMac,
                kOutsideMac,
                NatConfig{},
                false},
               1, [this](const NatEvent& e) { events.push_back(e); }) {
        receive(Side::Inside, who_has(kHostMac, "10.0.1.2", "10.0.1.1"));
        receive(Side::Outside, who_has(kRemoteMac, "198.18.0.2", "198.18.1.1"));
        clear();
    }

    void receive(Side side, std::vector<std::byte> frame, RxInfo info = {}, double at = 0) {
        frames.push_back(std::move(frame));  // kept alive: the batches may point into it
        path.receive(side, frames.back(), info, t(at));
    }
    void clear() {
        path.sent(Side::Inside, path.outgoing(Side::Inside).entries().size());
        path.sent(Side::Outside, path.outgoing(Side::Outside).entries().size());
        events.clear();
    }
    std::span<const TxBatch::Entry> sent(Side side) { return path.outgoing(side).entries(); }
    std::uint64_t dropped(DropCode code) {
        auto c = path.counters();
        return c.nat.dropped[code] + c.shell_dropped[code];
    }

    std::deque<std::vector<std::byte>> frames;
    std::vector<NatEvent> events;
    Datapath path;
};

TEST_F(DatapathTest, ArpIsAnsweredForEveryAddressWeOwn) {
    struct Case {
        Side side;
        const char* target;
        bool want_reply;
        MacAddress want_mac;
    };
    for (auto c :
         {Case{Side::Inside, "10.0.1.1", true, kInsideMac},
          Case{Side::Outside, "198.18.1.1", true, kOutsideMac},
          Case{Side::Outside, "198.18.1.2", true, kOutsideMac}, Case{Side::Outside, "198.18.1.3", false, {}},
          Case{Side::Inside, "198.18.1.2", false, {}}}) {
        SCOPED_TRACE(c.target);
        clear();
        auto asker = c.side == Side::Inside ? "10.0.1.5" : "198.18.0.5";
        receive(c.side, who_has(kStrangerMac, asker, c.target));
        ASSERT_EQ(sent(c.side).size(), c.want_reply ? 1u : 0u);
        if (!c.want_reply) continue;
        auto reply = parse_arp(sent(c.side)[0].bytes.subspan(kEth));
        ASSERT_TRUE(reply);
        EXPECT_EQ(reply->op, ArpOp::Reply);
        EXPECT_EQ(reply->sender_ip, ip(c.target));
        EXPECT_EQ(reply->sender_mac, c.want_mac);
        EXPECT_EQ(reply->target_mac, kStrangerMac);
    }
}

struct NoiseCase {
    const char* name;
    Side side;
    std::function<std::vector<std::byte>()> frame;
    RxInfo info;
    DropCode want;
    bool want_logged;  // IPv4 drops are events; Ethernet noise is only counted
};

TEST_F(DatapathTest, EveryFrameItDoesNotForwardHasACode) {
    auto udp = [] { return Datagram{{ep("10.0.1.2:4000"), ep("198.18.0.2:3478")}}.bytes; };
    auto with = [](std::vector<std::byte> d, std::size_t at, std::uint8_t v) {
        store8(d, at, v);
        store16(d, 10, 0);
        store16(d, 10, internet_checksum(std::span{d}.first(20)));
        return d;
    };
    RxInfo vlan;
    vlan.vlan_tagged = true;
    RxInfo truncated;
    truncated.truncated = true;
    const NoiseCase cases[] = {
        {"runt", Side::Inside, [] { return std::vector<std::byte>(10); }, {}, DropCode::Malformed, false},
        {"truncated by the link", Side::Inside,
         [&] { return frame_of(kInsideMac, kHostMac, kEtherTypeIpv4, udp()); }, truncated,
         DropCode::Malformed, false},
        {"IPv6",
         Side::Outside,
         [&] { return frame_of(kOutsideMac, kRemoteMac, 0x86dd, udp()); },
         {},
         DropCode::UnsupportedEthertype,
         false},
        {"802.3 length field",
         Side::Inside,
         [&] { return frame_of(kInsideMac, kHostMac, 0x0040, udp()); },
         {},
         DropCode::UnsupportedEthertype,
         false},
        {"VLAN tag (stripped by the kernel)", Side::Inside,
         [&] { return frame_of(kInsideMac, kHostMac, kEtherTypeIpv4, udp()); }, vlan,
         DropCode::UnsupportedEthertype, false},
        {"another station's frame",
         Side::Outside,
         [&] { return frame_of(kStrangerMac, kRemoteMac, kEtherTypeIpv4, udp()); },
         {},
         DropCode::NotOurMac,
         false},
        {"a bad ARP payload",
         Side::Inside,
         [&] {
             return frame_of(MacAddress::broadcast(), kHostMac, kEtherTypeArp, std::vector<std::byte>(28));
         },
         {},
         DropCode::Malformed,
         false},
        {"IPv4 fragment (first)",
         Side::Inside,
         [&] { return frame_of(kInsideMac, kHostMac, kEtherTypeIpv4, with(udp(), 6, 0x20)); },
         {},
         DropCode::Fragment,
         true},
        {"IPv4 fragment (later)",
         Side::Outside,
         [&] { return frame_of(kOutsideMac, kRemoteMac, kEtherTypeIpv4, with(udp(), 7, 0x10)); },
         {},
         DropCode::Fragment,
         true},
        {"GRE",
         Side::Inside,
         [&] { return frame_of(kInsideMac, kHostMac, kEtherTypeIpv4, with(udp(), 9, 47)); },
         {},
         DropCode::UnsupportedProtocol,
         true},
        {"bad IPv4 header checksum",
         Side::Inside,
         [&] {
             auto d = udp();
             store8(d, 8, 1);
             return frame_of(kInsideMac, kHostMac, kEtherTypeIpv4, d);
         },
         {},
         DropCode::Malformed,
         true},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        clear();
        auto before = dropped(c.want);
        receive(c.side, c.frame(), c.info);
        EXPECT_EQ(dropped(c.want), before + 1);
        EXPECT_TRUE(sent(Side::Inside).empty() && sent(Side::Outside).empty());
        ASSERT_EQ(events.size(), c.want_logged ? 1u : 0u);
        if (c.want_logged) {
            EXPECT_EQ(std::get<DropEvent>(events[0]).reason.code, c.want);
        }
    }
}

TEST_F(DatapathTest, AUdpDatagramCrossesWithOurMacsAndComesBack) {
    receive(Side::Inside, frame_of(kInsideMac, kHostMac, kEtherTypeIpv4,
                                   Datagram{{ep("10.0.1.2:4000"), ep("198.18.0.2:3478")}}.bytes));
    ASSERT_EQ(sent(Side::Outside).size(), 1u);
    auto out = sent(Side::Outside)[0].bytes;
    EXPECT_EQ(parse_ethernet(out)->destination, kRemoteMac);
    EXPECT_EQ(parse_ethernet(out)->source, kOutsideMac);
    EXPECT_EQ(load32(out, kEth + 12), ip("198.18.1.1").value) << "the host's paired address";
    clear();
    receive(Side::Outside, frame_of(kOutsideMac, kRemoteMac, kEtherTypeIpv4,
                                    Datagram{{ep("198.18.0.2:3478"), ep("198.18.1.1:4000")}}.bytes));
    ASSERT_EQ(sent(Side::Inside).size(), 1u);
    EXPECT_EQ(parse_ethernet(sent(Side::Inside)[0].bytes)->destination, kHostMac);
    EXPECT_EQ(path.counters().nat.translated_in, 1u);
}

// What a host kernel hands to veth for TCP: a 3-segment super-frame whose
// checksum field holds only the pseudo-header sum (CHECKSUM_PARTIAL, GSO).
std::vector<std::byte> offloaded_tcp(FrameMeta& meta) {
    TcpSegmentSpec spec;
    spec.flow = {ep("10.0.1.2:5000"), ep("198.18.0.2:80"), Protocol::Tcp};
    spec.flags = kTcpSyn;
    spec.payload = std::vector<std::byte>(std::size_t{3} * 1448, std::byte{'x'});
    auto d = build_tcp_segment(spec);
    auto segment = std::span{d}.subspan(20);
    std::uint32_t pseudo =
        pseudo_header_sum(spec.flow.source.addr, spec.flow.destination.addr, 6, segment.size());
    store16(segment, 16, static_cast<std::uint16_t>(~checksum_finish(pseudo)));  // folded, not complemented
    meta = {true, kEth + 20, 16, 1, 1448, kEth + 20 + 20};
    return frame_of(kInsideMac, kHostMac, kEtherTypeIpv4, d);
}

// What the kernel does for a CHECKSUM_PARTIAL frame on output.
std::uint16_t finish_like_the_kernel(std::span<const std::byte> frame, const FrameMeta& meta) {
    return checksum_finish(checksum_add(frame.subspan(meta.checksum_start)));
}

TEST_F(DatapathTest, OffloadMetadataTravelsWithTheFrameAndThePartialSumStaysRight) {
    FrameMeta meta;
    RxInfo info;
    info.meta = meta;
    auto frame = offloaded_tcp(info.meta);
    receive(Side::Inside, frame, info);
    ASSERT_EQ(sent(Side::Outside).size(), 1u)
        << (events.empty() ? "" : std::get<DropEvent>(events[0]).reason.text);
    const auto& out = sent(Side::Outside)[0];
    EXPECT_EQ(out.meta, info.meta) << "NEEDS_CSUM and GSO are handed on for the kernel to finish";
    EXPECT_EQ(out.bytes.size(), frame.size()) << "a 64 KiB-style super-frame is translated whole";
    std::vector<std::byte> finished(out.bytes.begin(), out.bytes.end());
    store16(finished, kEth + 20 + 16, finish_like_the_kernel(finished, out.meta));
    Datagram d{std::vector<std::byte>(finished.begin() + kEth, finished.end())};
    auto p = d.view();
    EXPECT_EQ(p.source(), ep("198.18.1.1:5000"));
    EXPECT_EQ(tcp_checksum(p.source().addr, p.destination().addr, p.transport()), p.transport_checksum())
        << "finished after translation, the checksum is the full one";
}

TEST_F(DatapathTest, OffloadMetadataMustPointAtTheTransportChecksum) {
    RxInfo info;
    auto frame = offloaded_tcp(info.meta);
    info.meta.checksum_offset = 6;  // UDP's place, in a TCP segment
    receive(Side::Inside, frame, info);
    EXPECT_TRUE(sent(Side::Outside).empty());
    EXPECT_EQ(dropped(DropCode::Malformed), 1u);
}

TEST_F(DatapathTest, AnOffloadedPingIsFinishedHere) {
    auto ping = echo(ip("10.0.1.2"), ip("198.18.0.2"), 7).bytes;
    store16(ping, 22, 0);  // the checksum left to "the hardware"
    RxInfo info;
    info.meta = {true, kEth + 20, 2, 0, 0, 0};
    receive(Side::Inside, frame_of(kInsideMac, kHostMac, kEtherTypeIpv4, ping), info);
    ASSERT_EQ(sent(Side::Outside).size(), 1u);
    EXPECT_FALSE(sent(Side::Outside)[0].meta.checksum_partial);
    EXPECT_EQ(internet_checksum(sent(Side::Outside)[0].bytes.subspan(kEth + 20)), 0);
}

TEST_F(DatapathTest, TtlExpiryIsAnsweredOnTheInsideLink) {
    Datagram probe{{ep("10.0.1.2:40000"), ep("198.18.0.2:33434")}, "traceroute", 1};
    receive(Side::Inside, frame_of(kInsideMac, kHostMac, kEtherTypeIpv4, probe.bytes));
    EXPECT_TRUE(sent(Side::Outside).empty());
    ASSERT_EQ(sent(Side::Inside).size(), 1u);
    auto f = sent(Side::Inside)[0].bytes;
    EXPECT_EQ(parse_ethernet(f)->destination, kHostMac);
    EXPECT_EQ(parse_ethernet(f)->source, kInsideMac);
    EXPECT_EQ(load32(f, kEth + 12), ip("10.0.1.1").value);
    EXPECT_EQ(load8(f, kEth + 20), kIcmpTimeExceeded);
    EXPECT_EQ(path.counters().nat.icmp_errors_sent, 1u);
}

TEST_F(DatapathTest, PingingTheNatsLanAddressIsAnswered) {
    receive(Side::Inside,
            frame_of(kInsideMac, kHostMac, kEtherTypeIpv4, echo(ip("10.0.1.2"), ip("10.0.1.1"), 3).bytes));
    ASSERT_EQ(sent(Side::Inside).size(), 1u);
    auto f = sent(Side::Inside)[0].bytes;
    EXPECT_EQ(load32(f, kEth + 12), ip("10.0.1.1").value);
    EXPECT_EQ(load32(f, kEth + 16), ip("10.0.1.2").value);
    EXPECT_EQ(load8(f, kEth + 20), kIcmpEchoReply);
}

TEST_F(DatapathTest, AFrameWaitingForArpKeepsItsMetadata) {
    RxInfo info;
    auto frame = offloaded_tcp(info.meta);
    store32(frame, kEth + 16, ip("198.18.0.9").value);  // a remote not yet known
    store16(frame, kEth + 10, 0);
    store16(frame, kEth + 10, internet_checksum(std::span{frame}.subspan(kEth, 20)));
    receive(Side::Inside, frame, info);
    ASSERT_EQ(sent(Side::Outside).size(), 1u) << "an ARP request, the frame waits";
    EXPECT_EQ(load16(sent(Side::Outside)[0].bytes, 12), kEtherTypeArp);
    clear();
    receive(Side::Outside,
            build_arp_frame({ArpOp::Reply, kStrangerMac, ip("198.18.0.9"), kOutsideMac, ip("198.18.1.1")},
                            kOutsideMac)
                .bytes);
    ASSERT_EQ(sent(Side::Outside).size(), 1u);
    EXPECT_EQ(parse_ethernet(sent(Side::Outside)[0].bytes)->destination, kStrangerMac);
    EXPECT_EQ(sent(Side::Outside)[0].meta, info.meta);
}

}  // namespace
}  // namespace natlab::nat::testing
