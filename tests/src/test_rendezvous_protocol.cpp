// Rendezvous protocol wire tests: each message as bytes with a comment per
// field (the same examples as docs/protocol.md), round trips, and the
// messages a parser must refuse.
#include <gtest/gtest.h>

#include "src/stun/rendezvous_protocol.h"

namespace natlab::proto {
namespace {

using stun::Bytes;

stun::TransactionId test_id() {
    stun::TransactionId id;
    for (std::size_t i = 0; i < id.size(); ++i) id[i] = static_cast<std::byte>(i + 1);
    return id;
}

Token test_token() {
    Token t;
    for (std::size_t i = 0; i < t.size(); ++i) t[i] = static_cast<std::byte>(0xa0 + i);
    return t;
}

Endpoint ep(std::string_view text) {
    return *Endpoint::parse(text);
}

IpEndpoint ip(std::string_view text) {
    return *IpEndpoint::parse(text);
}

stun::Bytes to_bytes_of(std::string_view text) {
    return stun::to_bytes(text);
}

std::string squash(std::string_view hex) {
    std::string out;
    for (char c : hex)
        if (c != ' ') out += c;
    return out;
}

stun::Message decoded(const Bytes& wire) {
    auto d = stun::decode(wire);
    EXPECT_TRUE(d.message) << stun::to_string(d.error);
    return d.message.value_or(stun::Message{});
}

TEST(RendezvousProtocol, RegisterBytes) {
    RegisterRequest r{"alice", {ep("10.0.1.3:40001")}};
    EXPECT_EQ(stun::to_hex(to_wire(build(r, test_id()))),
              squash("00e1 0020"                    // Register request, 32 bytes of attributes
                     "2112a442"                     // magic cookie
                     "0102030405060708090a0b0c"     // transaction id
                     "c001 0005 616c696365 000000"  // NAME "alice" + padding
                     "c002 0008"                    // LOCAL-ENDPOINT, 8 bytes
                     "00 01 bd53"                   //   IPv4, port 40001 ^ 0x2112
                     "2b12a541"                     //   10.0.1.3 ^ 0x2112a442
                     "8028 0004 cb4391c6"));        // FINGERPRINT
}

TEST(RendezvousProtocol, IntroduceBytes) {
    Introduction i{"bob",        ep("198.18.2.1:50000"), {ep("10.0.2.5:50001")},
                   test_token(), Role::controlling,      0x0102030405060708};
    EXPECT_EQ(stun::to_hex(to_wire(build(i, test_id()))),
              squash("00f3 0048"                                   // Introduce indication, 72 bytes
                     "2112a442"                                    // magic cookie
                     "0102030405060708090a0b0c"                    // transaction id
                     "c003 0003 626f62 00"                         // PEER-NAME "bob" + padding
                     "c004 0008 0001 e242 e700a643"                // PEER-PUBLIC-ENDPOINT 198.18.2.1:50000
                     "c005 0008 0001 e243 2b12a647"                // PEER-LOCAL-ENDPOINT 10.0.2.5:50001
                     "c006 0010 a0a1a2a3a4a5a6a7a8a9aaabacadaeaf"  // TOKEN, 16 bytes
                     "802a 0008 0102030405060708"                  // ICE-CONTROLLING, tie breaker
                     "8028 0004 077dcb1b"));                       // FINGERPRINT
}

TEST(RendezvousProtocol, ProbeAnswerBytes) {
    auto probe = build(ProbeRequest{"alice", test_token(), true}, test_id());
    EXPECT_EQ(stun::to_hex(to_wire(probe)),
              squash("00e4 002c 2112a442 0102030405060708090a0b0c"  // Probe request, 44 bytes
                     "c001 0005 616c696365 000000"                  // NAME "alice"
                     "c006 0010 a0a1a2a3a4a5a6a7a8a9aaabacadaeaf"   // TOKEN
                     "0025 0000"                                    // USE-CANDIDATE
                     "8028 0004 2519cd28"));                        // FINGERPRINT
    auto answer = build_answer({"bob", test_token(), ep("198.18.1.1:40000")}, probe);
    EXPECT_EQ(stun::to_hex(to_wire(answer)),
              squash("01e4 0030 2112a442 0102030405060708090a0b0c"  // Probe success, same id
                     "0020 0008 0001 bd52 e700a543"                 // XOR-MAPPED-ADDRESS 198.18.1.1:40000
                     "c001 0003 626f62 00"                          // NAME "bob"
                     "c006 0010 a0a1a2a3a4a5a6a7a8a9aaabacadaeaf"   // TOKEN
                     "8028 0004 93d06e5d"));                        // FINGERPRINT
}

TEST(RendezvousProtocol, DataBytes) {
    auto data = build(DataRequest{test_token(), 1, stun::to_bytes("hi")}, test_id());
    EXPECT_EQ(stun::to_hex(to_wire(data)),
              squash("00e5 002c 2112a442 0102030405060708090a0b0c"  // Data request, 44 bytes
                     "c006 0010 a0a1a2a3a4a5a6a7a8a9aaabacadaeaf"   // TOKEN
                     "c007 0004 00000001"                           // SEQUENCE 1
                     "0013 0002 6869 0000"                          // DATA "hi" + padding
                     "8028 0004 47a546b2"));                        // FINGERPRINT
}

TEST(RendezvousProtocol, ErrorBytes) {
    auto connect = build(ConnectRequest{"", "carol"}, test_id());
    EXPECT_EQ(stun::to_hex(to_wire(error_response(connect, {404, "unknown peer"}))),
              squash("01f2 002c 2112a442 0102030405060708090a0b0c"    // Connect error response
                     "0009 0010 0000 04 04 756e6b6e6f776e2070656572"  // ERROR-CODE 404 "unknown peer"
                     "8022 000b 6e61742d6c616220302e31 00"            // SOFTWARE "nat-lab 0.1"
                     "8028 0004 313e230d"));                          // FINGERPRINT
}

TEST(RendezvousProtocol, RoundTrips) {
    auto id = test_id();
    RegisterRequest r{"alice", {ep("10.0.1.3:40001"), ep("192.168.7.2:40001")}};
    auto r2 = parse_register(decoded(to_wire(build(r, id))));
    ASSERT_TRUE(r2);
    EXPECT_EQ(r2->name, "alice");
    EXPECT_EQ(r2->local, r.local);

    Introduction i{"bob", ep("198.18.2.1:50000"), {}, test_token(), Role::controlled, 7};
    auto i2 = parse_introduction(decoded(to_wire(build(i, id))));
    ASSERT_TRUE(i2);
    EXPECT_EQ(i2->peer_public, i.peer_public);
    EXPECT_EQ(i2->role, Role::controlled);
    EXPECT_EQ(i2->token, i.token);
    EXPECT_EQ(i2->tiebreaker, 7u);

    auto request = build(DataRequest{test_token(), 9, stun::to_bytes("x")}, id);
    auto ack = parse_data_ack(decoded(to_wire(build_ack({test_token(), 9}, request))));
    ASSERT_TRUE(ack);
    EXPECT_EQ(ack->sequence, 9u);
}

// An IPv6 endpoint attribute: family 0x02, the port xored with the top of
// the cookie, the 16 address bytes with the cookie and the transaction id
// (RFC 8489 section 14.2), as for XOR-MAPPED-ADDRESS.
TEST(RendezvousProtocol, RegisterIpv6Bytes) {
    RegisterRequest r{"alice", {ip("[2001:2:0:1::3]:40001")}};
    EXPECT_EQ(stun::to_hex(to_wire(build(r, test_id()))),
              squash("00e1 002c"                    // Register request, 44 bytes of attributes
                     "2112a442"                     // magic cookie
                     "0102030405060708090a0b0c"     // transaction id
                     "c001 0005 616c696365 000000"  // NAME "alice" + padding
                     "c002 0014"                    // LOCAL-ENDPOINT, 20 bytes
                     "00 02 bd53"                   //   IPv6, port 40001 ^ 0x2112
                     "0113a440"                     //   2001:0002 ^ 2112a442
                     "01020305"                     //   0000:0001 ^ 01020304
                     "05060708"                     //   0000:0000 ^ 05060708
                     "090a0b0f"                     //   0000:0003 ^ 090a0b0c
                     "8028 0004 299e18b4"));        // FINGERPRINT
}

// Every endpoint attribute carries either family, and a list may mix them.
TEST(RendezvousProtocol, EndpointsOfBothFamiliesRoundTrip) {
    auto id = test_id();
    RegisterRequest r{"alice",
                      {ep("10.0.1.3:40001"), ip("[2001:2:0:1::3]:40001")},
                      "",
                      {},
                      {ip("[2001:2::9]:7"), ep("198.18.1.1:7")}};
    auto r2 = parse_register(decoded(to_wire(build(r, id))));
    ASSERT_TRUE(r2);
    EXPECT_EQ(r2->local, r.local);
    EXPECT_EQ(r2->mapped, r.mapped);

    Introduction i{"bob",
                   ip("[2001:2:0:2::5]:50000"),
                   {ep("10.0.2.5:50001"), ip("[2001:2:0:2::5]:50001")},
                   test_token(),
                   Role::controlling,
                   1,
                   {ip("[2001:2::7]:9")},
                   {ep("198.18.2.1:50000")}};
    auto i2 = parse_introduction(decoded(to_wire(build(i, id))));
    ASSERT_TRUE(i2);
    EXPECT_EQ(i2->peer_public, i.peer_public);
    EXPECT_EQ(i2->peer_other_public, i.peer_other_public);
    EXPECT_EQ(i2->all_public(),
              (std::vector<IpEndpoint>{ip("[2001:2:0:2::5]:50000"), ep("198.18.2.1:50000")}));
    EXPECT_EQ(i2->peer_local, i.peer_local);
    EXPECT_EQ(i2->peer_mapped, i.peer_mapped);

    auto probe = build(ProbeRequest{"alice", test_token()}, id);
    auto answer =
        parse_probe_answer(decoded(to_wire(build_answer({"bob", test_token(), ip("[2001:2::1]:3")}, probe))));
    ASSERT_TRUE(answer);
    EXPECT_EQ(answer->observed, ip("[2001:2::1]:3"));

    auto binding = binding_request(id);
    EXPECT_EQ(parse_mapped(decoded(to_wire(mapped_response(binding, ip("[2001:2::1]:3"))))),
              ip("[2001:2::1]:3"));
    EXPECT_EQ(parse_mapped(decoded(to_wire(mapped_response(binding, ep("198.18.0.9:3"))))),
              ep("198.18.0.9:3"));
}

// An introduction from a server that knows one family has one
// PEER-PUBLIC-ENDPOINT and reads as before: no other public endpoints.
TEST(RendezvousProtocol, IntroductionWithOnePublicEndpoint) {
    Introduction i{"bob", ep("198.18.2.1:50000"), {}, test_token(), Role::controlled, 7};
    auto i2 = parse_introduction(decoded(to_wire(build(i, test_id()))));
    ASSERT_TRUE(i2);
    EXPECT_TRUE(i2->peer_other_public.empty());
    EXPECT_EQ(i2->all_public(), std::vector<IpEndpoint>{ep("198.18.2.1:50000")});
}

TEST(RendezvousProtocol, ParsersRefuseIncompleteMessages) {
    auto id = test_id();
    stun::Message no_name = build(RegisterRequest{"alice", {}}, id);
    no_name.attributes.clear();
    EXPECT_FALSE(parse_register(no_name));

    stun::Message bad_name = build(RegisterRequest{"alice", {}}, id);
    bad_name.attributes[0].value = {std::byte{0xff}};  // not UTF-8
    EXPECT_FALSE(parse_register(bad_name));

    stun::Message as_indication = build(RegisterRequest{"alice", {}}, id);
    as_indication.cls = stun::Class::indication;
    EXPECT_FALSE(parse_register(as_indication));

    Introduction i{"bob", ep("198.18.2.1:50000"), {}, test_token(), Role::controlling, 0};
    stun::Message both_roles = build(i, id);
    both_roles.add(stun::make_u64(stun::attr::ice_controlled, 0));
    EXPECT_FALSE(parse_introduction(both_roles));

    stun::Message short_token = build(ProbeRequest{"alice", test_token(), false}, id);
    short_token.attributes[1].value.pop_back();
    EXPECT_FALSE(parse_probe(short_token));
}

TEST(RendezvousProtocol, Names) {
    struct Row {
        std::string name;
        bool valid;
    };
    const Row rows[] = {
        {"alice", true},
        {"", false},                    // empty
        {std::string(64, 'a'), true},   // 64 bytes
        {std::string(65, 'a'), false},  // 65 bytes
        {"b\xc3\xa9"
         "atrice",
         true},                   // UTF-8 e-acute
        {"\xc3", false},          // truncated sequence
        {"\xc0\xaf", false},      // overlong '/'
        {"\xed\xa0\x80", false},  // surrogate
        {"tab\there", false},     // control character
        {"del\x7f", false},       // DEL
    };
    for (const auto& r : rows) EXPECT_EQ(valid_name(r.name), r.valid) << r.name;
}

// ---- ownership, rooms, List, Relay ------------------------------------------

Secret test_secret() {
    Secret s;
    for (std::size_t i = 0; i < s.size(); ++i) s[i] = static_cast<std::byte>(0x50 + i);
    return s;
}

TEST(RendezvousProtocol, RegisterWithGroupAndSecretBytes) {
    RegisterRequest r{"alice", {ep("10.0.1.3:40001")}, "lab", test_secret()};
    EXPECT_EQ(stun::to_hex(to_wire(build(r, test_id()))),
              squash("00e1 003c"                                   // Register request, 60 bytes
                     "2112a442"                                    // magic cookie
                     "0102030405060708090a0b0c"                    // transaction id
                     "c001 0005 616c696365 000000"                 // NAME "alice"
                     "c002 0008 0001 bd53 2b12a541"                // LOCAL-ENDPOINT 10.0.1.3:40001
                     "c009 0003 6c6162 00"                         // GROUP "lab"
                     "c008 0010 505152535455565758595a5b5c5d5e5f"  // SECRET, 16 bytes
                     "8028 0004 3fadb79f"));                       // FINGERPRINT
}

TEST(RendezvousProtocol, RegisterAnswerBytes) {
    auto request = build(RegisterRequest{"alice", {}}, test_id());
    EXPECT_EQ(stun::to_hex(to_wire(build_register_answer({ep("198.18.1.1:40000"), test_secret()}, request))),
              squash("01e1 0038 2112a442 0102030405060708090a0b0c"  // Register success, 56 bytes
                     "0020 0008 0001 bd52 e700a543"                 // XOR-MAPPED-ADDRESS 198.18.1.1:40000
                     "c008 0010 505152535455565758595a5b5c5d5e5f"   // SECRET: the name's, for moving it
                     "8022 000b 6e61742d6c616220302e31 00"          // SOFTWARE "nat-lab 0.1"
                     "8028 0004 881b2937"));                        // FINGERPRINT
}

TEST(RendezvousProtocol, ConnectAfterLostPathBytes) {
    ConnectRequest c{"", "bob", test_token()};
    EXPECT_EQ(stun::to_hex(to_wire(build(c, test_id()))),
              squash("00e2 0024 2112a442 0102030405060708090a0b0c"  // Connect request, 36 bytes
                     "c003 0003 626f62 00"                          // PEER-NAME "bob"
                     "c006 0010 a0a1a2a3a4a5a6a7a8a9aaabacadaeaf"   // TOKEN: the session whose path died
                     "8028 0004 e8ac4c3a"));                        // FINGERPRINT
}

TEST(RendezvousProtocol, ListBytes) {
    auto request = build(ListRequest{"bob"}, test_id());
    EXPECT_EQ(stun::to_hex(to_wire(request)),
              squash("00e6 0010 2112a442 0102030405060708090a0b0c"  // List request, 16 bytes
                     "c00a 0003 626f62 00"                          // CURSOR "bob": names after it
                     "8028 0004 3d0c321e"));                        // FINGERPRINT
    auto answer = build_list_answer({{"carol", "dave"}, "dave"}, request);
    EXPECT_EQ(stun::to_hex(to_wire(answer)),
              squash("01e6 0034 2112a442 0102030405060708090a0b0c"  // List success, 52 bytes
                     "c003 0005 6361726f6c 000000"                  // PEER-NAME "carol"
                     "c003 0004 64617665"                           // PEER-NAME "dave"
                     "c00a 0004 64617665"                           // CURSOR "dave": ask again from here
                     "8022 000b 6e61742d6c616220302e31 00"          // SOFTWARE
                     "8028 0004 d2da585b"));                        // FINGERPRINT
    auto parsed = parse_list_answer(decoded(to_wire(answer)));
    ASSERT_TRUE(parsed);
    EXPECT_EQ(parsed->names, (std::vector<std::string>{"carol", "dave"}));
    EXPECT_EQ(parsed->cursor, "dave");
}

TEST(RendezvousProtocol, RelayBytes) {
    Relay up{test_token(), "", to_bytes_of("hi")};
    EXPECT_EQ(stun::to_hex(to_wire(build(up, test_id()))),
              squash("00f7 0024 2112a442 0102030405060708090a0b0c"  // Relay indication, peer -> server
                     "c006 0010 a0a1a2a3a4a5a6a7a8a9aaabacadaeaf"   // TOKEN of the pair session
                     "0013 0002 6869 0000"                          // DATA: the wrapped message
                     "8028 0004 7609c8fc"));                        // FINGERPRINT
    Relay down{test_token(), "alice", to_bytes_of("hi")};
    EXPECT_EQ(stun::to_hex(to_wire(build(down, test_id()))),
              squash("00f7 0030 2112a442 0102030405060708090a0b0c"  // Relay indication, server -> peer
                     "c006 0010 a0a1a2a3a4a5a6a7a8a9aaabacadaeaf"   // TOKEN
                     "c003 0005 616c696365 000000"                  // PEER-NAME "alice": who sent it
                     "0013 0002 6869 0000"                          // DATA
                     "8028 0004 22287b33"));                        // FINGERPRINT
    auto parsed = parse_relay(decoded(to_wire(build(down, test_id()))));
    ASSERT_TRUE(parsed);
    EXPECT_EQ(parsed->peer_name, "alice");
    EXPECT_EQ(parsed->payload, to_bytes_of("hi"));
}

TEST(RendezvousProtocol, NewParsersRefuseBadValues) {
    auto id = test_id();
    stun::Message short_secret = build(RegisterRequest{"alice", {}, "", test_secret()}, id);
    short_secret.attributes.back().value.pop_back();
    EXPECT_FALSE(parse_register(short_secret));
    stun::Message bad_group = build(RegisterRequest{"alice", {}, "lab"}, id);
    bad_group.attributes.back().value = {std::byte{0x01}};  // control character
    EXPECT_FALSE(parse_register(bad_group));
    stun::Message long_relay = build(Relay{test_token(), "", stun::Bytes(kMaxRelayBytes + 1)}, id);
    EXPECT_FALSE(parse_relay(long_relay));
    stun::Message relay_request = build(Relay{test_token(), "", to_bytes_of("x")}, id);
    relay_request.cls = stun::Class::request;
    EXPECT_FALSE(parse_relay(relay_request));
    stun::Message no_secret_answer =
        build_register_answer({ep("198.18.1.1:1"), test_secret()}, build(RegisterRequest{"a", {}}, id));
    no_secret_answer.attributes.erase(no_secret_answer.attributes.begin() + 1);
    EXPECT_FALSE(parse_register_answer(no_secret_answer));
}

TEST(RendezvousProtocol, WireGuardLookalike) {
    EXPECT_TRUE(wireguard_lookalike(stun::Bytes(148, std::byte{0x01})));
    EXPECT_FALSE(wireguard_lookalike(stun::Bytes(148, std::byte{0x00})));
    EXPECT_FALSE(wireguard_lookalike(stun::Bytes(152, std::byte{0x01})));
}

}  // namespace
}  // namespace natlab::proto
