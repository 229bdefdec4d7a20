// ARP for one link, RFC 826 (simulator/arp.cpp), on the fake clock.

#include <gtest/gtest.h>

#include "simulator/router/arp.h"
#include "simulator/wire/bytes.h"
#include "tests/simulator/test_nat_support.h"

namespace natlab::nat::testing {
namespace {

const MacAddress kOurMac{{0x02, 0x00, 0x00, 0x00, 0x01, 0x01}};
const MacAddress kHostMac{{0x02, 0x00, 0x00, 0x00, 0x01, 0x02}};

std::vector<std::byte> bytes(std::initializer_list<int> values) {
    std::vector<std::byte> out;
    for (int v : values) out.push_back(static_cast<std::byte>(v));
    return out;
}

// The host 10.0.1.2 asks who has 10.0.1.1 (the payload after the Ethernet header).
const std::vector<std::byte> kWhoHas = bytes({
    0x00, 0x01,                          // hardware type: Ethernet
    0x08, 0x00,                          // protocol type: IPv4
    0x06,                                // hardware address length
    0x04,                                // protocol address length
    0x00, 0x01,                          // operation: request
    0x02, 0x00, 0x00, 0x00, 0x01, 0x02,  // sender MAC
    0x0a, 0x00, 0x01, 0x02,              // sender IP 10.0.1.2
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // target MAC: unknown
    0x0a, 0x00, 0x01, 0x01,              // target IP 10.0.1.1
});

ArpMessage parse_frame(const std::vector<std::byte>& frame, EthernetHeader& ethernet) {
    ethernet = *parse_ethernet(frame);
    auto message = parse_arp(std::span{frame}.subspan(kEthernetHeaderSize));
    EXPECT_TRUE(message);
    return message.value_or(ArpMessage{});
}

Frame ip_frame(int marker) {
    Frame frame{std::vector<std::byte>(kEthernetHeaderSize + 20, std::byte{0}), {}};
    store8(frame.bytes, kEthernetHeaderSize, static_cast<std::uint8_t>(marker));
    frame.meta.gso_size = static_cast<std::uint16_t>(marker);  // metadata travels with the frame
    return frame;
}

TEST(Arp, ParsesTheWireVector) {
    auto m = parse_arp(kWhoHas);
    ASSERT_TRUE(m);
    EXPECT_EQ(m->op, ArpOp::Request);
    EXPECT_EQ(m->sender_mac, kHostMac);
    EXPECT_EQ(m->sender_ip, ip("10.0.1.2"));
    EXPECT_EQ(m->target_ip, ip("10.0.1.1"));
}

TEST(Arp, RefusesWhatIsNotEthernetIpv4Arp) {
    auto short_one = kWhoHas;
    short_one.resize(27);
    auto ipv6 = kWhoHas;
    store16(ipv6, 2, 0x86dd);
    auto bad_op = kWhoHas;
    store16(bad_op, 6, 3);
    for (const auto& payload : {short_one, ipv6, bad_op}) EXPECT_FALSE(parse_arp(payload));
}

TEST(Arp, AnswersForOurAddressAndLearnsTheAsker) {
    Arp arp{ip("10.0.1.1"), kOurMac};
    ArpOutput out;
    arp.handle(*parse_arp(kWhoHas), t(0), out);
    ASSERT_EQ(out.send.size(), 1u);
    EthernetHeader ethernet;
    auto reply = parse_frame(out.send[0].bytes, ethernet);
    EXPECT_EQ(ethernet.destination, kHostMac);
    EXPECT_EQ(ethernet.source, kOurMac);
    EXPECT_EQ(ethernet.ethertype, kEtherTypeArp);
    EXPECT_EQ(out.send[0].bytes.size(), kEthernetMinFrame);
    EXPECT_EQ(reply.op, ArpOp::Reply);
    EXPECT_EQ(reply.sender_mac, kOurMac);
    EXPECT_EQ(reply.sender_ip, ip("10.0.1.1"));
    EXPECT_EQ(reply.target_mac, kHostMac);
    EXPECT_EQ(reply.target_ip, ip("10.0.1.2"));
    EXPECT_EQ(arp.lookup(ip("10.0.1.2"), t(0), out), kHostMac);
}

struct LearnCase {
    const char* name;
    ArpMessage message;
    bool want_reply;
    bool want_learned;
};

TEST(Arp, Rfc826MergeRule) {
    const Ipv4 us = ip("10.0.1.1"), host = ip("10.0.1.2"), other = ip("10.0.1.9");
    const LearnCase cases[] = {
        {"request for us", {ArpOp::Request, kHostMac, host, {}, us}, true, true},
        {"request for another host", {ArpOp::Request, kHostMac, host, {}, other}, false, false},
        {"gratuitous, unknown sender", {ArpOp::Request, kHostMac, host, {}, host}, false, false},
        {"probe from 0.0.0.0", {ArpOp::Request, kHostMac, Ipv4{}, {}, us}, true, false},
        {"unsolicited reply to us", {ArpOp::Reply, kHostMac, host, kOurMac, us}, false, true},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        Arp arp{us, kOurMac};
        ArpOutput out;
        arp.handle(c.message, t(0), out);
        EXPECT_EQ(out.send.size(), c.want_reply ? 1u : 0u);
        ArpOutput ignored;
        EXPECT_EQ(arp.lookup(c.message.sender_ip, t(0), ignored).has_value(), c.want_learned);
    }
}

TEST(Arp, QueuesUntilTheReplyThenReleasesInOrder) {
    Arp arp{ip("198.18.1.1"), kOurMac};
    ArpOutput out;
    EXPECT_FALSE(arp.lookup(ip("198.18.0.2"), t(0), out));
    arp.enqueue(ip("198.18.0.2"), ip_frame(1), t(0), out);
    arp.enqueue(ip("198.18.0.2"), ip_frame(2), t(0.1), out);
    ASSERT_EQ(out.send.size(), 1u) << "one request for two waiting frames";
    EthernetHeader ethernet;
    auto request = parse_frame(out.send[0].bytes, ethernet);
    EXPECT_EQ(ethernet.destination, MacAddress::broadcast());
    EXPECT_EQ(request.op, ArpOp::Request);
    EXPECT_EQ(request.target_ip, ip("198.18.0.2"));
    EXPECT_EQ(arp.waiting(), 2u);

    ArpOutput released;
    arp.handle({ArpOp::Reply, kHostMac, ip("198.18.0.2"), kOurMac, ip("198.18.1.1")}, t(0.2), released);
    ASSERT_EQ(released.send.size(), 2u);
    for (int i = 0; i < 2; ++i) {
        EXPECT_EQ(parse_ethernet(released.send[i].bytes)->destination, kHostMac);
        EXPECT_EQ(load8(released.send[i].bytes, kEthernetHeaderSize), i + 1) << "order kept";
        EXPECT_EQ(released.send[i].meta.gso_size, i + 1) << "offload metadata kept";
    }
    EXPECT_EQ(arp.waiting(), 0u);
}

TEST(Arp, RetriesThenGivesUp) {
    Arp arp{ip("198.18.1.1"), kOurMac};  // retry 1 s, 3 attempts
    ArpOutput out;
    arp.enqueue(ip("198.18.0.9"), ip_frame(1), t(0), out);
    const std::pair<double, std::size_t> ticks[] = {{0.5, 1}, {1.0, 2}, {2.0, 3}, {2.5, 3}};
    for (auto [at, want_requests] : ticks) {
        arp.tick(t(at), out);
        EXPECT_EQ(arp.counters().requests_sent, want_requests) << "at " << at;
        EXPECT_TRUE(out.dropped.empty());
    }
    arp.tick(t(3.0), out);
    ASSERT_EQ(out.dropped.size(), 1u);
    EXPECT_EQ(out.dropped[0].reason.code, DropCode::NeighbourUnreachable);
    EXPECT_EQ(out.dropped[0].reason.text, "neighbour unreachable: no ARP reply from 198.18.0.9");
    EXPECT_EQ(arp.waiting(), 0u);
}

TEST(Arp, QueueIsSmall) {
    Arp arp{ip("198.18.1.1"), kOurMac, ArpTimers{.queue_limit = 2}};
    ArpOutput out;
    for (int i = 0; i < 3; ++i) arp.enqueue(ip("198.18.0.9"), ip_frame(i), t(0), out);
    ASSERT_EQ(out.dropped.size(), 1u);
    EXPECT_EQ(out.dropped[0].reason.code, DropCode::ArpQueueFull);
    EXPECT_EQ(arp.waiting(), 2u);
}

TEST(Arp, StaleEntriesKeepWorkingWhileBeingReconfirmed) {
    Arp arp{ip("10.0.1.1"), kOurMac};  // reachable 30 s
    ArpOutput out;
    arp.handle(*parse_arp(kWhoHas), t(0), out);
    out.send.clear();
    EXPECT_EQ(arp.lookup(ip("10.0.1.2"), t(10), out), kHostMac);
    EXPECT_TRUE(out.send.empty()) << "fresh: no request";
    EXPECT_EQ(arp.lookup(ip("10.0.1.2"), t(31), out), kHostMac);
    EXPECT_EQ(out.send.size(), 1u) << "stale: still used, and a request goes out";
    EXPECT_EQ(arp.lookup(ip("10.0.1.2"), t(31.5), out), kHostMac);
    EXPECT_EQ(out.send.size(), 1u) << "at most one request per retry interval";
}

}  // namespace
}  // namespace natlab::nat::testing
