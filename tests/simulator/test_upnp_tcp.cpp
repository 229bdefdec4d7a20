// The IGD's user-space TCP responder on a fake clock: a client's segments in,
// the responder's segments out (RFC 9293 §3.5 open, §3.10 processing,
// RFC 6298 retransmission).
#include <gtest/gtest.h>

#include "simulator/portmap/tcp_responder.h"
#include "simulator/wire/builder.h"
#include "simulator/wire/bytes.h"

namespace natlab::portmap {
namespace {

using namespace std::chrono_literals;
using nat::kTcpAck;
using nat::kTcpFin;
using nat::kTcpRst;
using nat::kTcpSyn;

const Endpoint kServer = *Endpoint::parse("10.0.1.1:5000");
const Endpoint kClient = *Endpoint::parse("10.0.1.2:40000");
const std::string kRequest = "GET /rootDesc.xml HTTP/1.1\r\n\r\n";

struct Sent {
    std::uint8_t flags;
    std::uint32_t seq;
    std::uint32_t ack;
    std::string payload;
    std::uint16_t mss;
};

// One client talking to one responder; `answer` is the whole response to any complete request.
class Exchange {
public:
    explicit Exchange(std::string answer)
        : answer_(std::move(answer)), tcp_(kServer, [this](std::string_view request, Endpoint, TimePoint) {
              ++served;
              return request.ends_with("\r\n\r\n") ? std::optional{answer_} : std::nullopt;
          }) {}

    std::vector<Sent> send(std::uint8_t flags, std::uint32_t seq, std::uint32_t ack, std::string payload = {},
                           std::uint16_t window = 64240, std::uint16_t mss = 0) {
        nat::TcpSegmentSpec spec{{kClient, kServer, nat::Protocol::Tcp}, flags, seq, ack, {}, 64, mss};
        spec.payload.assign(reinterpret_cast<const std::byte*>(payload.data()),
                            reinterpret_cast<const std::byte*>(payload.data()) + payload.size());
        auto bytes = nat::build_tcp_segment(spec);
        if (window != 64240)
            nat::store16(std::span{bytes}.subspan(20), 14, window);  // checksum not read here
        nat::DropReason why;
        auto packet = nat::Ipv4Packet::parse(bytes, why);
        auto segment = read_segment(*packet);
        tcp_.receive(*segment, now);
        return output();
    }
    std::vector<Sent> tick(Duration after) {
        now += after;
        tcp_.tick(now);
        return output();
    }
    // SYN, SYN-ACK, ACK; returns the server's ISS.
    std::uint32_t open(std::uint16_t window = 64240, std::uint16_t mss = 1460) {
        auto synack = send(kTcpSyn, 1000, 0, {}, window, mss);
        EXPECT_EQ(synack.size(), 1u);
        EXPECT_EQ(synack.at(0).flags, kTcpSyn | kTcpAck);
        EXPECT_EQ(synack.at(0).ack, 1001u);
        EXPECT_EQ(synack.at(0).mss, TcpResponder::kOurMss);
        auto iss = synack.at(0).seq;
        EXPECT_TRUE(send(kTcpAck, 1001, iss + 1, {}, window).empty());
        return iss;
    }

    TcpResponder& tcp() { return tcp_; }
    TimePoint now{};
    int served = 0;

private:
    std::vector<Sent> output() {
        std::vector<Sent> sent;
        for (auto& bytes : tcp_.take_output()) {
            nat::DropReason why;
            auto packet = nat::Ipv4Packet::parse(bytes, why);
            EXPECT_EQ(packet->flow().source, kServer);
            EXPECT_EQ(packet->flow().destination, kClient);
            auto s = read_segment(*packet);
            sent.push_back({s->flags, s->seq, s->ack,
                            std::string{reinterpret_cast<const char*>(s->payload.data()), s->payload.size()},
                            s->mss});
        }
        return sent;
    }
    std::string answer_;
    TcpResponder tcp_;
};

TEST(UpnpTcp, OneRequestOneResponseThenBothClose) {
    Exchange x{"HTTP/1.1 200 OK\r\n\r\nhello"};
    auto iss = x.open();
    auto out = x.send(kTcpAck, 1001, iss + 1, kRequest);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].flags, kTcpAck | kTcpFin);  // the whole answer and our FIN
    EXPECT_EQ(out[0].seq, iss + 1);
    EXPECT_EQ(out[0].ack, 1001 + kRequest.size());
    EXPECT_EQ(out[0].payload, "HTTP/1.1 200 OK\r\n\r\nhello");
    auto after_fin = iss + 1 + static_cast<std::uint32_t>(out[0].payload.size()) + 1;
    std::uint32_t client_next = 1001 + static_cast<std::uint32_t>(kRequest.size());
    EXPECT_TRUE(x.send(kTcpAck, client_next, after_fin).empty());
    auto last = x.send(kTcpAck | kTcpFin, client_next, after_fin);
    ASSERT_EQ(last.size(), 1u);
    EXPECT_EQ(last[0].flags, kTcpAck);
    EXPECT_EQ(last[0].ack, client_next + 1);
    EXPECT_EQ(x.tcp().connections(), 0u);
}

struct SegmentingCase {
    const char* name;
    std::uint16_t mss;     // the client's MSS option (0: none, 536 assumed)
    std::uint16_t window;  // the client's window
    std::vector<std::size_t> want_first_flight;
};

TEST(UpnpTcp, ResponseFollowsMssAndWindow) {
    const SegmentingCase cases[] = {
        {"MSS 100, big window", 100, 64240, {100, 100, 100}},
        {"MSS 100, window 150", 100, 150, {100, 50}},
        {"no MSS option: 536", 0, 64240, {300}},
    };
    for (const auto& c : cases) {
        Exchange x{std::string(300, 'x')};
        auto synack = x.send(kTcpSyn, 1000, 0, {}, c.window, c.mss);
        auto iss = synack.at(0).seq;
        x.send(kTcpAck, 1001, iss + 1, {}, c.window);
        auto out = x.send(kTcpAck, 1001, iss + 1, kRequest, c.window);
        std::vector<std::size_t> sizes;
        for (const auto& s : out) sizes.push_back(s.payload.size());
        EXPECT_EQ(sizes, c.want_first_flight) << c.name;
    }
}

TEST(UpnpTcp, WindowOpensAsTheClientAcknowledges) {
    Exchange x{std::string(300, 'x')};
    auto synack = x.send(kTcpSyn, 1000, 0, {}, 150, 100);
    auto iss = synack.at(0).seq;
    x.send(kTcpAck, 1001, iss + 1, {}, 150);
    std::uint32_t next = 1001 + static_cast<std::uint32_t>(kRequest.size());
    x.send(kTcpAck, 1001, iss + 1, kRequest, 150);
    auto more = x.send(kTcpAck, next, iss + 1 + 150, {}, 150);
    ASSERT_EQ(more.size(), 2u);
    EXPECT_EQ(more[0].seq, iss + 1 + 150);
    EXPECT_EQ(more[1].flags & kTcpFin, kTcpFin);
    EXPECT_EQ(more[0].payload.size() + more[1].payload.size(), 150u);
}

TEST(UpnpTcp, RequestInPiecesAndOutOfOrder) {
    Exchange x{"ok"};
    auto iss = x.open();
    auto first = x.send(kTcpAck, 1001, iss + 1, kRequest.substr(0, 10));
    ASSERT_EQ(first.size(), 1u);  // a plain ACK: not complete yet
    EXPECT_EQ(first[0].ack, 1011u);
    EXPECT_TRUE(first[0].payload.empty());
    auto gap = x.send(kTcpAck, 1020, iss + 1, kRequest.substr(19));  // bytes 10..18 missing
    ASSERT_EQ(gap.size(), 1u);
    EXPECT_EQ(gap[0].ack, 1011u);  // still expects byte 10
    auto rest = x.send(kTcpAck, 1011, iss + 1, kRequest.substr(10));
    ASSERT_EQ(rest.size(), 1u);
    EXPECT_EQ(rest[0].payload, "ok");
}

TEST(UpnpTcp, RetransmitsUntilAcknowledgedOrGivesUp) {
    Exchange x{"ok"};
    auto iss = x.open();
    x.send(kTcpAck, 1001, iss + 1, kRequest);
    EXPECT_TRUE(x.tick(999ms).empty());
    auto again = x.tick(1ms);
    ASSERT_EQ(again.size(), 1u);
    EXPECT_EQ(again[0].seq, iss + 1);
    EXPECT_EQ(again[0].payload, "ok");
    EXPECT_EQ(x.tcp().counters().retransmits, 1u);
    EXPECT_TRUE(x.tick(1999ms).empty());  // the timeout doubled
    EXPECT_EQ(x.tick(1ms).size(), 1u);
    for (int i = 0; i < 10 && x.tcp().connections() > 0; ++i) x.tick(20s);
    EXPECT_EQ(x.tcp().connections(), 0u);
}

TEST(UpnpTcp, LostSynAckIsSentAgain) {
    Exchange x{"ok"};
    auto first = x.send(kTcpSyn, 1000, 0);
    auto repeat = x.send(kTcpSyn, 1000, 0);
    ASSERT_EQ(repeat.size(), 1u);
    EXPECT_EQ(repeat[0].seq, first[0].seq);
    EXPECT_EQ(x.tick(1s).size(), 1u);
}

TEST(UpnpTcp, StraySegmentsAreReset) {
    Exchange x{"ok"};
    auto out = x.send(kTcpAck, 5000, 777);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].flags, kTcpRst);
    EXPECT_EQ(out[0].seq, 777u);
    auto fin = x.send(kTcpFin, 5000, 0);
    ASSERT_EQ(fin.size(), 1u);
    EXPECT_EQ(fin[0].flags, kTcpRst | kTcpAck);
    EXPECT_EQ(fin[0].ack, 5001u);
    EXPECT_TRUE(x.send(kTcpRst, 5000, 0).empty());  // never a RST for a RST
}

TEST(UpnpTcp, ResetEndsTheConnection) {
    Exchange x{"ok"};
    auto iss = x.open();
    x.send(kTcpRst, 1001, iss + 1);
    EXPECT_EQ(x.tcp().connections(), 0u);
    EXPECT_EQ(x.served, 0);
}

}  // namespace
}  // namespace natlab::portmap
