// Rendezvous server core: datagram in, datagrams out, with a fake clock and
// a deterministic random source.
#include <gtest/gtest.h>

#include "src/server/rendezvous_server.h"
#include "src/stun/rendezvous_protocol.h"

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

IpEndpoint ip(std::string_view text) {
    return *IpEndpoint::parse(text);
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

    ServerOutput send(const stun::Message& m, const IpEndpoint& from, TimePoint at = t0) {
        return server.handle(proto::to_wire(m), from, at);
    }
    ServerOutput register_as(const std::string& name, const IpEndpoint& from, const IpEndpoint& local,
                             TimePoint at = t0) {
        return send(proto::build(proto::RegisterRequest{name, {local}}, txid(1)), from, at);
    }
    ServerOutput connect(const std::string& partner, const IpEndpoint& from, TimePoint at = t0) {
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

TEST_F(ServerTest, RegisterRepliesWithObservedEndpointAndSecret) {
    auto out = register_as("alice", kAlice, kAliceLocal);
    ASSERT_EQ(out.datagrams.size(), 1u);
    EXPECT_EQ(out.datagrams[0].destination, kAlice);
    auto m = decode_ok(out.datagrams[0]);
    EXPECT_EQ(m.method, proto::method::register_);
    EXPECT_EQ(proto::parse_mapped(m), kAlice);
    auto answer = proto::parse_register_answer(m);
    ASSERT_TRUE(answer);
    EXPECT_EQ(answer->secret, server.registry().find("alice", t0)->secret);
    ASSERT_EQ(out.log.size(), 1u);
    EXPECT_EQ(out.log[0], "registered alice public 198.18.1.1:40000 local 10.0.1.3:40000");
    EXPECT_EQ(server.registry().find("alice", t0)->local_endpoints(), std::vector<IpEndpoint>{kAliceLocal});
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
    EXPECT_EQ(to_alice->peer_local, std::vector<IpEndpoint>{kBobLocal});
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
    auto wire = [](const stun::Message& m) { return proto::to_wire(m); };
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
        {"classic, not Binding", hex("0101 0000 a1b2c3d4 0102030405060708090a0b0c"), false},
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

// ---- RFC 5780: two addresses, two ports -----------------------------------

const Endpoint kA1P1 = ep("198.18.0.1:3478");
const Endpoint kA1P2 = ep("198.18.0.1:3479");
const Endpoint kA2P1 = ep("198.18.0.2:3478");
const Endpoint kA2P2 = ep("198.18.0.2:3479");

ServerConfig rfc5780_config() {
    ServerConfig c;
    c.addresses = {kA1P1, kA2P2};
    return c;
}

stun::Message change_request(std::uint32_t flags, std::uint8_t seed = 9) {
    stun::Message m = proto::binding_request(txid(seed));
    m.add(stun::make_u32(stun::attr::change_request, flags));
    return m;
}

std::optional<Endpoint> plain_address(const stun::Message& m, std::uint16_t type) {
    const auto* a = m.find(type);
    if (!a) return std::nullopt;
    auto address = stun::read_address(*a);
    return address ? address->ipv4() : std::nullopt;
}

TEST(StunAddresses, FourListenersAndTheirOthers) {
    StunAddresses a{kA1P1, kA2P2};
    EXPECT_EQ(a.listeners(), (std::vector<Endpoint>{kA1P1, kA1P2, kA2P1, kA2P2}));
    struct Row {
        Endpoint local;
        Endpoint other;
    };
    const Row rows[] = {{kA1P1, kA2P2}, {kA1P2, kA2P1}, {kA2P1, kA1P2}, {kA2P2, kA1P1}};
    for (const auto& r : rows) EXPECT_EQ(a.other(r.local), r.other) << r.local.to_string();
    StunAddresses single{kA1P1, std::nullopt};
    EXPECT_FALSE(single.other(kA1P1));
}

// RFC 5780 section 7.2: CHANGE-REQUEST picks the socket the answer leaves
// from; RESPONSE-ORIGIN names it, OTHER-ADDRESS names the one differing from
// the receiving socket in both IP and port.
TEST(RendezvousServer5780, ChangeRequestTable) {
    struct Row {
        const char* what;
        Endpoint local;
        std::uint32_t flags;
        Endpoint origin;
        Endpoint other;
    };
    const Row rows[] = {
        {"no change", kA1P1, 0, kA1P1, kA2P2},
        {"change port", kA1P1, stun::kChangePort, kA1P2, kA2P2},
        {"change IP", kA1P1, stun::kChangeIp, kA2P1, kA2P2},
        {"change both", kA1P1, stun::kChangeIp | stun::kChangePort, kA2P2, kA2P2},
        {"at A2:P1, change port", kA2P1, stun::kChangePort, kA2P2, kA1P2},
        {"at A2:P2, change both", kA2P2, stun::kChangeIp | stun::kChangePort, kA1P1, kA1P1},
    };
    RendezvousServer server(counter_random(), rfc5780_config());
    for (const auto& r : rows) {
        auto out = server.handle(proto::to_wire(change_request(r.flags)), kAlice, r.local, t0);
        ASSERT_EQ(out.datagrams.size(), 1u) << r.what;
        const Outgoing& d = out.datagrams[0];
        EXPECT_EQ(d.destination, kAlice) << r.what;
        EXPECT_EQ(d.origin, r.origin) << r.what;
        auto m = decode_ok(d);
        EXPECT_EQ(m.cls, stun::Class::success) << r.what;
        EXPECT_EQ(proto::parse_mapped(m), kAlice) << r.what;
        EXPECT_EQ(plain_address(m, stun::attr::mapped_address), kAlice) << r.what;  // ALG check
        EXPECT_EQ(plain_address(m, stun::attr::response_origin), r.origin) << r.what;
        EXPECT_EQ(plain_address(m, stun::attr::other_address), r.other) << r.what;
    }
}

TEST(RendezvousServer5780, BindingAnswerBytes) {
    RendezvousServer server(counter_random(), rfc5780_config());
    stun::TransactionId id;
    for (std::size_t i = 0; i < id.size(); ++i) id[i] = static_cast<std::byte>(i + 1);
    stun::Message request = proto::binding_request(id);
    request.add(stun::make_u32(stun::attr::change_request, stun::kChangePort));
    auto out = server.handle(proto::to_wire(request), ep("198.18.1.1:40000"), kA1P1, t0);
    ASSERT_EQ(out.datagrams.size(), 1u);
    EXPECT_EQ(
        stun::to_hex(out.datagrams[0].bytes),
        stun::to_hex(*stun::from_hex("0101 0048"                     // Binding success, 72 bytes
                                     "2112a442"                      // magic cookie
                                     "0102030405060708090a0b0c"      // transaction id
                                     "0020 0008 0001 bd52 e700a543"  // XOR-MAPPED-ADDRESS 198.18.1.1:40000
                                     "0001 0008 0001 9c40 c6120101"  // MAPPED-ADDRESS (ALG check)
                                     "802b 0008 0001 0d97 c6120001"  // RESPONSE-ORIGIN 198.18.0.1:3479
                                     "802c 0008 0001 0d97 c6120002"  // OTHER-ADDRESS 198.18.0.2:3479
                                     "8022 000b 6e61742d6c616220302e31 00"  // SOFTWARE
                                     "8028 0004 7e8086d0")));               // FINGERPRINT
}

// RFC 3489 clients read SOURCE-ADDRESS and CHANGED-ADDRESS, and get no FINGERPRINT.
TEST(RendezvousServer5780, ClassicClientGetsSourceAndChangedAddress) {
    RendezvousServer server(counter_random(), rfc5780_config());
    auto request = *stun::from_hex("0001 0008 a1b2c3d4 0102030405060708090a0b0c 0003 0004 00000004");
    auto out = server.handle(request, kAlice, kA1P1, t0);
    ASSERT_EQ(out.datagrams.size(), 1u);
    EXPECT_EQ(out.datagrams[0].origin, kA2P1);  // change IP
    auto m = decode_ok(out.datagrams[0]);
    EXPECT_EQ(plain_address(m, stun::attr::mapped_address), kAlice);
    EXPECT_EQ(plain_address(m, stun::attr::source_address), kA2P1);
    EXPECT_EQ(plain_address(m, stun::attr::changed_address), kA2P2);
    EXPECT_FALSE(m.find(stun::attr::fingerprint));
    EXPECT_FALSE(m.find(stun::attr::xor_mapped_address));
}

// RFC 5780 section 7.5: the answer goes to RESPONSE-PORT at the source's own address.
TEST(RendezvousServer5780, ResponsePortAimsAtTheSameAddressOnly) {
    RendezvousServer server(counter_random(), rfc5780_config());
    stun::Message m = proto::binding_request(txid(4));
    m.add({stun::attr::response_port, *stun::from_hex("c7170000")});
    auto out = server.handle(proto::to_wire(m), kAlice, kA1P1, t0);
    ASSERT_EQ(out.datagrams.size(), 1u);
    EXPECT_EQ(out.datagrams[0].destination, (Endpoint{kAlice.addr, 0xc717}));
}

TEST(RendezvousServer5780, RefusalsTable) {
    struct Row {
        const char* what;
        bool alternate;
        stun::Message request;
        int code;
        std::vector<std::uint16_t> unknown;
    };
    stun::Message unknown_attr = proto::binding_request(txid(5));
    unknown_attr.add({0x7777, stun::to_bytes("x")});
    unknown_attr.add({0xC123, stun::to_bytes("optional: ignored")});
    stun::Message bad_change = proto::binding_request(txid(6));
    bad_change.add({stun::attr::change_request, stun::to_bytes("xy")});
    stun::Message port_zero = proto::binding_request(txid(7));
    port_zero.add({stun::attr::response_port, *stun::from_hex("00000000")});
    const Row rows[] = {
        {"change without an alternate",
         false,
         change_request(stun::kChangeIp),
         420,
         {stun::attr::change_request}},
        {"unknown comprehension-required", true, unknown_attr, 420, {0x7777}},
        {"CHANGE-REQUEST not 4 bytes", true, bad_change, 400, {}},
        {"RESPONSE-PORT 0", true, port_zero, 400, {}},
    };
    for (const auto& r : rows) {
        RendezvousServer server(counter_random(), r.alternate ? rfc5780_config() : ServerConfig{});
        auto out = server.handle(proto::to_wire(r.request), kAlice, t0);
        ASSERT_EQ(out.datagrams.size(), 1u) << r.what;
        EXPECT_EQ(out.datagrams[0].destination, kAlice) << r.what;
        EXPECT_LE(out.datagrams[0].bytes.size(), kMaxBindingAnswer) << r.what;
        auto m = decode_ok(out.datagrams[0]);
        ASSERT_EQ(m.cls, stun::Class::error) << r.what;
        EXPECT_EQ(proto::parse_error(m)->code, r.code) << r.what;
        const auto* listed = m.find(stun::attr::unknown_attributes);
        EXPECT_EQ(listed ? stun::read_unknown_attributes(*listed) : std::vector<std::uint16_t>{}, r.unknown)
            << r.what;
    }
    // A change of nothing needs no alternate.
    RendezvousServer plain(counter_random());
    EXPECT_EQ(decode_ok(plain.handle(proto::to_wire(change_request(0)), kAlice, t0).datagrams[0]).cls,
              stun::Class::success);
}

// ---- ownership, amplification, rate limits ---------------------------------

TEST_F(ServerTest, NameBelongsToItsOwner) {
    auto first =
        proto::parse_register_answer(decode_ok(register_as("alice", kAlice, kAliceLocal).datagrams[0]));
    const Endpoint thief = ep("198.18.9.9:1234");
    auto stolen = register_as("alice", thief, kAliceLocal);
    ASSERT_EQ(stolen.datagrams.size(), 1u);
    auto error = proto::parse_error(decode_ok(stolen.datagrams[0]));
    ASSERT_TRUE(error);
    EXPECT_EQ(error->code, 409);
    EXPECT_EQ(error->reason, "name taken");
    EXPECT_EQ(server.counters().name_conflicts, 1u);
    EXPECT_EQ(server.registry().find("alice", t0)->public_endpoint(), kAlice);
    // The owner's NAT mapping moves: with the secret, the name follows.
    const Endpoint moved = ep("198.18.1.1:40002");
    auto request = proto::build(proto::RegisterRequest{"alice", {kAliceLocal}, "", first->secret}, txid(3));
    auto out = send(request, moved);
    EXPECT_EQ(proto::parse_register_answer(decode_ok(out.datagrams[0]))->secret, first->secret);
    EXPECT_EQ(out.log, std::vector<std::string>{"moved alice public 198.18.1.1:40002 local 10.0.1.3:40000"});
}

// RFC 8489 section 14.2: the answer's XOR-MAPPED-ADDRESS has the request's
// family, whichever socket family it came in on; over IPv6 there is no
// RFC 5780 alternate, so no OTHER-ADDRESS even when IPv4 has one.
TEST(RendezvousServerIpv6, BindingAnswersInTheRequestsFamily) {
    ServerConfig config;
    config.addresses = {ep("198.18.0.2:3478"), ep("198.18.0.3:3479")};
    RendezvousServer server(counter_random(), config);
    struct Row {
        const char* source;
        const char* local;
        bool other_address;
    };
    const Row rows[] = {
        {"[2001:2:0:1::2]:40000", "[2001:2::2]:3478", false},
        {"198.18.1.1:40000", "198.18.0.2:3478", true},
    };
    for (const auto& r : rows) {
        auto out =
            server.handle(proto::to_wire(proto::binding_request(txid(5))), ip(r.source), ip(r.local), t0);
        ASSERT_EQ(out.datagrams.size(), 1u) << r.source;
        EXPECT_EQ(out.datagrams[0].destination, ip(r.source));
        EXPECT_EQ(out.datagrams[0].origin, ip(r.local));
        auto m = decode_ok(out.datagrams[0]);
        EXPECT_EQ(proto::parse_mapped(m), ip(r.source)) << r.source;
        EXPECT_EQ(m.find(stun::attr::other_address) != nullptr, r.other_address) << r.source;
    }
}

// A peer registers over IPv4, then over IPv6 with the secret: one name,
// two public endpoints; an introduction names all of them, the
// recipient's own family first, and all local endpoints of both families.
TEST_F(ServerTest, DualStackPeerIsIntroducedWithBothFamilies) {
    const IpEndpoint alice6 = ip("[2001:2:0:1::3]:40000");
    const std::vector<IpEndpoint> locals{kAliceLocal, alice6};
    auto first = send(proto::build(proto::RegisterRequest{"alice", locals}, txid(1)), kAlice);
    auto secret = proto::parse_register_answer(decode_ok(first.datagrams[0]))->secret;
    auto second = send(proto::build(proto::RegisterRequest{"alice", locals, "", secret}, txid(3)), alice6);
    ASSERT_EQ(second.datagrams.size(), 1u);
    EXPECT_EQ(second.datagrams[0].destination, alice6);
    EXPECT_EQ(proto::parse_register_answer(decode_ok(second.datagrams[0]))->observed, alice6);
    EXPECT_EQ(second.log, std::vector<std::string>{"joined alice public [2001:2:0:1::3]:40000 local "
                                                   "10.0.1.3:40000 [2001:2:0:1::3]:40000"});
    EXPECT_EQ(server.registry().size(), 1u);

    const IpEndpoint bob6 = ip("[2001:2:0:2::5]:50000");
    register_as("bob", bob6, bob6);  // an IPv6-only partner
    auto out = connect("alice", bob6);
    ASSERT_EQ(out.datagrams.size(), 3u);
    auto to_bob = proto::parse_introduction(decode_ok(out.datagrams[1]));
    ASSERT_TRUE(to_bob);
    EXPECT_EQ(out.datagrams[1].destination, bob6);
    EXPECT_EQ(to_bob->peer_public, alice6);  // bob's own family first
    EXPECT_EQ(to_bob->all_public(), (std::vector<IpEndpoint>{alice6, kAlice}));
    EXPECT_EQ(to_bob->peer_local, locals);
    auto to_alice = proto::parse_introduction(decode_ok(out.datagrams[2]));
    ASSERT_TRUE(to_alice);
    EXPECT_EQ(out.datagrams[2].destination, kAlice);  // the primary public endpoint
    EXPECT_EQ(to_alice->all_public(), std::vector<IpEndpoint>{bob6});
    // Either of alice's endpoints speaks for her.
    EXPECT_EQ(connect("bob", alice6).datagrams.size(), 3u);
    EXPECT_EQ(connect("bob", kAlice).datagrams.size(), 3u);
}

// A source that is not registered gets one answer per request, to itself,
// no bigger than a Binding answer can be; nothing goes anywhere else.
TEST_F(ServerTest, NoAmplificationTowardsUnregisteredSources) {
    register_as("alice", kAlice, kAliceLocal);
    register_as("bob", kBob, kBobLocal);
    connect("bob", kAlice);  // a live session exists
    const Endpoint stranger = ep("203.0.113.7:9999");
    proto::Token token = proto::parse_introduction(decode_ok(connect("bob", kAlice).datagrams[1]))->token;
    const stun::Message requests[] = {
        proto::binding_request(txid(1)),
        proto::build(proto::ConnectRequest{"", "bob"}, txid(2)),
        proto::build(proto::ConnectRequest{"alice", "bob"}, txid(3)),
        proto::build(proto::ListRequest{}, txid(4)),
        proto::build(proto::Relay{token, "", stun::to_bytes("payload")}, txid(5)),
        proto::build(proto::RegisterRequest{"alice", {}}, txid(6)),  // someone else's name
    };
    for (const auto& m : requests) {
        auto out = send(m, stranger);
        EXPECT_LE(out.datagrams.size(), 1u) << proto::method_name(m.method);
        for (const auto& d : out.datagrams) {
            EXPECT_EQ(d.destination, stranger) << proto::method_name(m.method);
            EXPECT_LE(d.bytes.size(), kMaxBindingAnswer) << proto::method_name(m.method);
        }
    }
}

TEST(RendezvousServerLimits, RequestsPerSourceAreRateLimited) {
    ServerConfig c;
    c.request_rate = 10;
    c.request_burst = 20;
    RendezvousServer server(counter_random(), c);
    auto binding = proto::to_wire(proto::binding_request(txid(1)));
    struct Row {
        const char* what;
        Endpoint from;
        std::chrono::milliseconds at;
        int count;
        int answered;
    };
    const Row rows[] = {
        {"a burst of 25: 20 pass", kAlice, std::chrono::milliseconds(0), 25, 20},
        {"another source is not affected", kBob, std::chrono::milliseconds(0), 5, 5},
        {"100 ms later: one token back", kAlice, std::chrono::milliseconds(100), 3, 1},
        {"2 s later: the bucket is full again", kAlice, std::chrono::milliseconds(2100), 25, 20},
    };
    for (const auto& r : rows) {
        int answered = 0;
        for (int i = 0; i < r.count; ++i)
            answered += !server.handle(binding, r.from, t0 + r.at).datagrams.empty();
        EXPECT_EQ(answered, r.answered) << r.what;
    }
    EXPECT_EQ(server.counters().dropped[static_cast<std::size_t>(DropReason::rate_limited)], 5u + 2u + 5u);
}

TEST(RendezvousServerLimits, EveryMalformedDatagramIsCountedByReason) {
    RendezvousServer server(counter_random());
    auto hex = [](std::string_view h) { return *stun::from_hex(h); };
    auto good = proto::to_wire(proto::binding_request(txid(1)));
    auto bad_fp = good;
    bad_fp.back() ^= std::byte{1};
    struct Row {
        stun::Bytes datagram;
        DropReason reason;
    };
    const std::vector<Row> rows = {
        {hex("0001"), DropReason::too_short},
        {hex("c001 0000 2112a442 000000000000000000000000"), DropReason::not_stun},
        {hex("0001 0002 2112a442 000000000000000000000000 0000"), DropReason::length_not_aligned},
        {hex("0001 0008 2112a442 000000000000000000000000"), DropReason::length_overruns},
        {hex("0001 0000 2112a442 000000000000000000000000 00000000"), DropReason::trailing_bytes},
        {hex("0001 0004 2112a442 000000000000000000000000 c0010008"), DropReason::attribute_overruns},
        {bad_fp, DropReason::bad_fingerprint},
        {hex("0101 0000 a1b2c3d4 0102030405060708090a0b0c"), DropReason::classic_not_binding},
        {proto::to_wire(proto::mapped_response(proto::binding_request(txid(2)), kAlice)),
         DropReason::unexpected_message},
    };
    for (const auto& r : rows) {
        auto before = server.counters().dropped[static_cast<std::size_t>(r.reason)];
        auto out = server.handle(r.datagram, kAlice, t0);
        EXPECT_TRUE(out.datagrams.empty()) << to_string(r.reason);
        EXPECT_EQ(out.dropped.substr(0, to_string(r.reason).size()), to_string(r.reason));
        EXPECT_EQ(server.counters().dropped[static_cast<std::size_t>(r.reason)], before + 1)
            << to_string(r.reason);
    }
    EXPECT_EQ(server.counters().malformed, 7u);
    EXPECT_EQ(server.counters().unexpected, 2u);
    auto json = counters_json(server.counters(), 0);
    EXPECT_NE(json.find("\"bad FINGERPRINT\":1"), std::string::npos) << json;
    EXPECT_EQ(json.find('\n'), std::string::npos);  // one line
}

// ---- List -------------------------------------------------------------------

TEST_F(ServerTest, ListPagesTheRequestersRoomOnly) {
    auto register_in = [&](const std::string& name, Endpoint from, const std::string& group) {
        return send(proto::build(proto::RegisterRequest{name, {}, group, std::nullopt}, txid(1)), from);
    };
    for (int i = 0; i < 20; ++i)
        register_in("peer" + std::to_string(100 + i), ep("198.18.3.1:" + std::to_string(1000 + i)), "lab");
    register_in("outsider", ep("198.18.4.1:1"), "other");
    register_in("alice", kAlice, "lab");
    std::vector<std::string> seen;
    std::string cursor;
    for (int page = 0; page < 5; ++page) {
        auto out =
            send(proto::build(proto::ListRequest{cursor}, txid(static_cast<std::uint8_t>(page))), kAlice);
        ASSERT_EQ(out.datagrams.size(), 1u);
        EXPECT_LE(out.datagrams[0].bytes.size(), 600u);  // pages stay small
        auto answer = proto::parse_list_answer(decode_ok(out.datagrams[0]));
        ASSERT_TRUE(answer);
        seen.insert(seen.end(), answer->names.begin(), answer->names.end());
        cursor = answer->cursor;
        if (cursor.empty()) break;
    }
    EXPECT_EQ(seen.size(), 20u);  // all of the room, without alice herself or the outsider
    EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));
    auto refused = send(proto::build(proto::ListRequest{}, txid(9)), ep("203.0.113.7:9"));
    EXPECT_EQ(proto::parse_error(decode_ok(refused.datagrams[0]))->code, 403);
}

// No List answer is ever 148 bytes (Wireshark would call it WireGuard).
TEST(RendezvousServerList, NoAnswerLooksLikeWireGuard) {
    for (std::size_t length = 1; length <= 64; ++length) {
        RendezvousServer server(counter_random());
        auto reg = [&](const std::string& name, Endpoint from) {
            server.handle(proto::to_wire(proto::build(proto::RegisterRequest{name, {}}, txid(1))), from, t0);
        };
        reg("a", kAlice);
        for (int i = 0; i < 3; ++i)
            reg(std::string(length, static_cast<char>('b' + i)), ep("198.18.5.1:" + std::to_string(i + 1)));
        for (const char* cursor : {"", "b", "c"}) {
            auto out =
                server.handle(proto::to_wire(proto::build(proto::ListRequest{cursor}, txid(2))), kAlice, t0);
            ASSERT_EQ(out.datagrams.size(), 1u);
            EXPECT_FALSE(proto::wireguard_lookalike(out.datagrams[0].bytes)) << length;
            EXPECT_TRUE(proto::parse_list_answer(decode_ok(out.datagrams[0]))) << length;
        }
    }
}

// ---- Connect after a lost path ------------------------------------------------

TEST_F(ServerTest, ConnectNamingTheLostTokenStartsANewSession) {
    register_as("alice", kAlice, kAliceLocal);
    register_as("bob", kBob, kBobLocal);
    auto first = proto::parse_introduction(decode_ok(connect("bob", kAlice).datagrams[1]));
    auto lost = proto::build(proto::ConnectRequest{"", "alice", first->token}, txid(4));
    auto out = send(lost, kBob, t0 + seconds(1));
    ASSERT_EQ(out.datagrams.size(), 3u);
    auto second = proto::parse_introduction(decode_ok(out.datagrams[1]));
    EXPECT_NE(second->token, first->token);
    EXPECT_EQ(second->role, proto::Role::controlling);  // bob asked: bob controls now
    // Retransmissions (still naming the old token) find the new session.
    auto again = proto::parse_introduction(decode_ok(send(lost, kBob, t0 + seconds(2)).datagrams[1]));
    EXPECT_EQ(again->token, second->token);
    EXPECT_EQ(server.counters().introductions, 2u);
}

// ---- Relay ------------------------------------------------------------------

class RelayTest : public ServerTest {
protected:
    proto::Token token{};
    const Endpoint carol = ep("198.18.3.1:30000");

    void SetUp() override {
        register_as("alice", kAlice, kAliceLocal);
        register_as("bob", kBob, kBobLocal);
        register_as("carol", carol, ep("10.0.3.3:30000"));
        token = proto::parse_introduction(decode_ok(connect("bob", kAlice).datagrams[1]))->token;
    }
    ServerOutput relay(Endpoint from, proto::Token t, std::size_t size = 100, TimePoint at = t0) {
        return send(proto::build(proto::Relay{t, "", stun::Bytes(size, std::byte{0x42})}, txid(7)), from, at);
    }
};

TEST_F(RelayTest, ForwardsOnlyBetweenThePeersOfALiveSession) {
    proto::Token stranger_token = token;
    stranger_token[0] ^= std::byte{0xff};
    struct Row {
        const char* what;
        Endpoint from;
        proto::Token token;
        std::optional<DropReason> refused;
        Endpoint to;  // when forwarded
    };
    const Row rows[] = {
        {"alice to bob", kAlice, token, std::nullopt, kBob},
        {"bob to alice", kBob, token, std::nullopt, kAlice},
        {"unregistered source", ep("203.0.113.7:9"), token, DropReason::relay_unregistered, {}},
        {"unknown token", kAlice, stranger_token, DropReason::relay_no_session, {}},
        {"carol is not in the session", carol, token, DropReason::relay_not_member, {}},
    };
    for (const auto& r : rows) {
        auto out = relay(r.from, r.token);
        if (r.refused) {
            EXPECT_TRUE(out.datagrams.empty()) << r.what;
            EXPECT_EQ(out.dropped, to_string(*r.refused)) << r.what;
            continue;
        }
        ASSERT_EQ(out.datagrams.size(), 1u) << r.what;
        EXPECT_EQ(out.datagrams[0].destination, r.to) << r.what;
        auto forwarded = proto::parse_relay(decode_ok(out.datagrams[0]));
        ASSERT_TRUE(forwarded) << r.what;
        EXPECT_EQ(forwarded->peer_name, r.from == kAlice ? "alice" : "bob") << r.what;  // who sent it
        EXPECT_EQ(forwarded->payload, stun::Bytes(100, std::byte{0x42})) << r.what;
    }
    EXPECT_EQ(server.counters().relayed, 2u);
    EXPECT_EQ(server.counters().relayed_bytes, 200u);
}

TEST_F(RelayTest, PartnerGoneSessionExpiredAndMalformed) {
    // bob stays silent; alice keeps refreshing and keeps the session in use.
    register_as("alice", kAlice, kAliceLocal, t0 + seconds(25));
    token =
        proto::parse_introduction(decode_ok(connect("bob", kAlice, t0 + seconds(25)).datagrams[1]))->token;
    EXPECT_EQ(relay(kAlice, token, 100, t0 + seconds(30)).dropped, to_string(DropReason::relay_partner_gone));
    EXPECT_EQ(relay(kAlice, token, 100, t0 + seconds(45)).dropped, to_string(DropReason::relay_no_session));
    auto too_long = relay(kAlice, token, proto::kMaxRelayBytes + 1, t0 + seconds(45));
    EXPECT_EQ(too_long.dropped, to_string(DropReason::relay_malformed));
}

TEST(RendezvousServerRelay, PerClientByteRateAndSwitchOff) {
    for (bool enabled : {true, false}) {
        ServerConfig c;
        c.relay = enabled;
        c.relay_rate = 1000;
        c.relay_burst = 1000;
        RendezvousServer server(counter_random(), c);
        auto send = [&](const stun::Message& m, Endpoint from, TimePoint at) {
            return server.handle(proto::to_wire(m), from, at);
        };
        send(proto::build(proto::RegisterRequest{"alice", {}}, txid(1)), kAlice, t0);
        send(proto::build(proto::RegisterRequest{"bob", {}}, txid(1)), kBob, t0);
        auto token =
            proto::parse_introduction(
                decode_ok(
                    send(proto::build(proto::ConnectRequest{"", "bob"}, txid(2)), kAlice, t0).datagrams[1]))
                ->token;
        auto relay = proto::build(proto::Relay{token, "", stun::Bytes(400, std::byte{1})}, txid(3));
        int forwarded = 0;
        for (int i = 0; i < 4; ++i) forwarded += static_cast<int>(send(relay, kAlice, t0).datagrams.size());
        EXPECT_EQ(forwarded, enabled ? 2 : 0);  // 2 x 400 bytes fit a 1000-byte bucket
        auto why = enabled ? DropReason::relay_rate_limited : DropReason::relay_disabled;
        EXPECT_EQ(server.counters().dropped[static_cast<std::size_t>(why)], enabled ? 2u : 4u);
        if (enabled) {
            EXPECT_EQ(send(relay, kBob, t0).datagrams.size(), 1u);  // bob has his own bucket
        }
    }
}

}  // namespace
}  // namespace natlab
