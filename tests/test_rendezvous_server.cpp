// Rendezvous server core: datagram in, datagrams out, with a fake clock and
// a deterministic random source.
#include <gtest/gtest.h>

#include "rendezvous_protocol.h"
#include "rendezvous_server.h"

namespace natlab {
namespace {

using std::chrono::seconds;

const TimePoint t0{};
Endpoint ep(std::string_view text) {
    return *Endpoint::parse(text);
}

// Fills every request with the next values of a byte counter.
RandomSource counter_random() {
    auto next = std::make_shared<unsigned>(0);
    return [next](std::span<std::byte> out) {
        for (auto& b : out) b = static_cast<std::byte>((*next)++ & 0xff);
    };
}

stun::TransactionId txid(std::uint8_t seed) {
    stun::TransactionId id{};
    id.fill(static_cast<std::byte>(seed));
    return id;
}

stun::Message decode_ok(const Outgoing& d) {
    auto decoded = stun::decode(d.bytes, {.accept_classic = true});
    EXPECT_TRUE(decoded.message) << stun::to_string(decoded.error);
    return decoded.message.value_or(stun::Message{});
}

const Endpoint kAlice = ep("198.18.1.1:40000");
const Endpoint kAliceLocal = ep("10.0.1.3:40000");
const Endpoint kBob = ep("198.18.2.1:50000");
const Endpoint kBobLocal = ep("10.0.2.5:50000");

class ServerTest : public ::testing::Test {
protected:
    RendezvousServer server{counter_random()};

    ServerOutput send(const stun::Message& m, Endpoint from, TimePoint at = t0) {
        return server.handle(proto::to_wire(m), from, at);
    }
    ServerOutput register_as(const std::string& name, Endpoint from, Endpoint local, TimePoint at = t0) {
        return send(proto::build(proto::RegisterRequest{name, {local}}, txid(1)), from, at);
    }
    ServerOutput connect(const std::string& partner, Endpoint from, TimePoint at = t0) {
        return send(proto::build(proto::ConnectRequest{"", partner}, txid(2)), from, at);
    }
};

TEST_F(ServerTest, BindingAnswersWithObservedSource) {
    auto out = send(proto::binding_request(txid(9)), kAlice);
    ASSERT_EQ(out.datagrams.size(), 1u);
    EXPECT_EQ(out.datagrams[0].destination, kAlice);
    auto m = decode_ok(out.datagrams[0]);
    EXPECT_EQ(m.cls, stun::Class::success);
    EXPECT_EQ(m.transaction, txid(9));
    EXPECT_EQ(proto::parse_mapped(m), kAlice);
}

// RFC 3489 client: no magic cookie, answered with MAPPED-ADDRESS.
TEST_F(ServerTest, ClassicBindingAnswersWithMappedAddress) {
    auto request = *stun::from_hex("0001 0000 a1b2c3d4 0102030405060708090a0b0c");
    auto out = server.handle(request, kAlice, t0);
    ASSERT_EQ(out.datagrams.size(), 1u);
    auto m = decode_ok(out.datagrams[0]);
    EXPECT_EQ(m.cookie, 0xa1b2c3d4u);
    EXPECT_FALSE(m.find(stun::attr::fingerprint));
    EXPECT_EQ(stun::read_address(*m.find(stun::attr::mapped_address))->ipv4(), kAlice);
}

TEST_F(ServerTest, RegisterRepliesWithObservedEndpoint) {
    auto out = register_as("alice", kAlice, kAliceLocal);
    ASSERT_EQ(out.datagrams.size(), 1u);
    EXPECT_EQ(out.datagrams[0].destination, kAlice);
    auto m = decode_ok(out.datagrams[0]);
    EXPECT_EQ(m.method, proto::method::register_);
    EXPECT_EQ(proto::parse_mapped(m), kAlice);
    ASSERT_EQ(out.log.size(), 1u);
    EXPECT_EQ(out.log[0], "registered alice public 198.18.1.1:40000 local 10.0.1.3:40000");
    EXPECT_EQ(server.registry().find("alice", t0)->local_endpoints, std::vector<Endpoint>{kAliceLocal});
    EXPECT_TRUE(register_as("alice", kAlice, kAliceLocal).log.empty());  // refresh: quiet
}

TEST_F(ServerTest, ConnectIntroducesBothWithSameTokenOppositeRoles) {
    register_as("alice", kAlice, kAliceLocal);
    register_as("bob", kBob, kBobLocal);
    auto out = connect("bob", kAlice);
    ASSERT_EQ(out.datagrams.size(), 3u);

    // 1: success to the requester.
    EXPECT_EQ(out.datagrams[0].destination, kAlice);
    EXPECT_EQ(decode_ok(out.datagrams[0]).cls, stun::Class::success);
    // 2: introduction of bob to alice; alice controls.
    EXPECT_EQ(out.datagrams[1].destination, kAlice);
    auto to_alice = proto::parse_introduction(decode_ok(out.datagrams[1]));
    ASSERT_TRUE(to_alice);
    EXPECT_EQ(to_alice->peer_name, "bob");
    EXPECT_EQ(to_alice->peer_public, kBob);
    EXPECT_EQ(to_alice->peer_local, std::vector<Endpoint>{kBobLocal});
    EXPECT_EQ(to_alice->role, proto::Role::controlling);
    // 3: introduction of alice to bob; bob is controlled; same token.
    EXPECT_EQ(out.datagrams[2].destination, kBob);
    auto to_bob = proto::parse_introduction(decode_ok(out.datagrams[2]));
    ASSERT_TRUE(to_bob);
    EXPECT_EQ(to_bob->peer_name, "alice");
    EXPECT_EQ(to_bob->peer_public, kAlice);
    EXPECT_EQ(to_bob->role, proto::Role::controlled);
    EXPECT_EQ(to_bob->token, to_alice->token);
    EXPECT_EQ(server.counters().introductions, 1u);
}

TEST_F(ServerTest, RetransmittedConnectRepeatsTheSameIntroduction) {
    register_as("alice", kAlice, kAliceLocal);
    register_as("bob", kBob, kBobLocal);
    auto first = proto::parse_introduction(decode_ok(connect("bob", kAlice).datagrams[1]));
    struct Row {
        Endpoint from;
        const char* partner;
        seconds at;
    };
    const Row rows[] = {
        {kAlice, "bob", seconds(1)},   // alice retransmits
        {kBob, "alice", seconds(2)},   // bob asks too: same session, alice still controls
        {kAlice, "bob", seconds(11)},  // 9 s after the last use: still alive
    };
    for (const auto& r : rows) {
        auto out = connect(r.partner, r.from, t0 + r.at);
        ASSERT_EQ(out.datagrams.size(), 3u);
        auto to_requester = proto::parse_introduction(decode_ok(out.datagrams[1]));
        EXPECT_EQ(to_requester->token, first->token);
        bool requester_is_alice = r.from == kAlice;
        EXPECT_EQ(to_requester->role,
                  requester_is_alice ? proto::Role::controlling : proto::Role::controlled);
        EXPECT_TRUE(out.log.empty());  // no new "introduced" line
    }
    EXPECT_EQ(server.counters().introductions, 1u);
}

TEST_F(ServerTest, ConnectErrors) {
    register_as("alice", kAlice, kAliceLocal);
    struct Row {
        const char* what;
        Endpoint from;
        const char* partner;
        int code;
        const char* reason;
    };
    const Row rows[] = {
        {"unknown partner", kAlice, "carol", 404, "unknown peer"},
        {"unregistered requester", kBob, "alice", 403, "not registered"},
        {"self", kAlice, "alice", 400, "cannot connect to self"},
    };
    for (const auto& r : rows) {
        auto out = connect(r.partner, r.from);
        ASSERT_EQ(out.datagrams.size(), 1u) << r.what;
        EXPECT_EQ(out.datagrams[0].destination, r.from);
        auto error = proto::parse_error(decode_ok(out.datagrams[0]));
        ASSERT_TRUE(error) << r.what;
        EXPECT_EQ(error->code, r.code) << r.what;
        EXPECT_EQ(error->reason, r.reason) << r.what;
    }
}

TEST_F(ServerTest, ExpiredPartnerIsUnknown) {
    register_as("alice", kAlice, kAliceLocal, t0 + seconds(25));
    register_as("bob", kBob, kBobLocal, t0);
    auto out = connect("bob", kAlice, t0 + seconds(30));
    EXPECT_EQ(proto::parse_error(decode_ok(out.datagrams[0]))->code, 404);
    auto tick = server.tick(t0 + seconds(30));
    EXPECT_EQ(tick.log, std::vector<std::string>{"expired bob (198.18.2.1:50000)"});
}

TEST_F(ServerTest, MalformedAndUnexpectedAreDroppedAndCounted) {
    register_as("alice", kAlice, kAliceLocal);
    auto hex = [](std::string_view h) { return *stun::from_hex(h); };
    auto wire = [](stun::Message m) { return proto::to_wire(m); };
    stun::Message indication = proto::binding_request(txid(3));
    indication.cls = stun::Class::indication;
    stun::Message response = proto::mapped_response(proto::binding_request(txid(4)), kAlice);
    stun::Message unknown = proto::binding_request(txid(5));
    unknown.method = 0x0C0F;
    stun::Message probe = proto::build(proto::ProbeRequest{"alice", {}, false}, txid(6));
    struct Row {
        const char* what;
        stun::Bytes datagram;
        bool malformed;  // else: well-formed but unexpected
    };
    const std::vector<Row> rows = {
        {"empty", {}, true},
        {"text", stun::to_bytes("hello, world"), true},
        {"lying length", hex("00e1 0100 2112a442 000000000000000000000000"), true},
        {"register, truncated",
         [&] {
             auto b = wire(proto::build(proto::RegisterRequest{"x", {}}, txid(7)));
             b.resize(b.size() - 4);
             return b;
         }(),
         true},
        {"binding indication", wire(indication), false},
        {"a response", wire(response), false},
        {"unknown method", wire(unknown), false},
        {"probe (peer-to-peer only)", wire(probe), false},
    };
    for (const auto& r : rows) {
        auto before = server.counters();
        auto out = server.handle(r.datagram, kAlice, t0);
        EXPECT_TRUE(out.datagrams.empty()) << r.what;
        EXPECT_FALSE(out.dropped.empty()) << r.what;
        EXPECT_EQ(server.counters().malformed - before.malformed, r.malformed ? 1u : 0u) << r.what;
        EXPECT_EQ(server.counters().unexpected - before.unexpected, r.malformed ? 0u : 1u) << r.what;
    }
}

TEST_F(ServerTest, RegisterWithoutNameIsABadRequest) {
    stun::Message m = proto::build(proto::RegisterRequest{"alice", {}}, txid(8));
    m.attributes.clear();
    auto out = send(m, kAlice);
    ASSERT_EQ(out.datagrams.size(), 1u);
    EXPECT_EQ(proto::parse_error(decode_ok(out.datagrams[0]))->code, 400);
    EXPECT_EQ(server.registry().size(), 0u);
}

}  // namespace
}  // namespace natlab
