// Port mapping: grants in the NAT core, the policy of the MappingService,
// and the NAT-PMP and PCP servers over it, on a fake clock.

#include <gtest/gtest.h>

#include <memory>

#include "simulator/portmap/nat_mapping_service.h"
#include "simulator/portmap/responder.h"
#include "tests/simulator/test_nat_support.h"

namespace natlab::nat::testing {
namespace {

using portmap::Granted;
using portmap::GrantRequest;
using portmap::Policy;
using portmap::Refusal;
using portmap::Refused;

std::vector<std::byte> bytes(std::initializer_list<int> values) {
    std::vector<std::byte> out;
    for (int v : values) out.push_back(static_cast<std::byte>(v));
    return out;
}

GrantAsk ask(const std::string& inside, std::uint16_t port, std::uint32_t lifetime, bool exact = false) {
    return {Requester::Pcp, Protocol::Udp, ep(inside), port, exact, lifetime};
}

// ---- grants in the NAT core ------------------------------------------------

TEST(NatGrant, SymmetricNatGrantIsEndpointIndependentAndUnfiltered) {
    NatUnderTest nut{NatConfig::preset(NatType::Symmetric)};
    DropReason why;
    auto granted = nut.nat.grant(ask("10.0.1.2:4000", 4000, 60), t(0), why);
    ASSERT_TRUE(granted) << why.text;
    EXPECT_EQ(granted->external, ep("198.18.1.1:4000"));
    EXPECT_FALSE(granted->renewed);
    // RFC 6887 §11: anyone may send in, and every remote sees the same endpoint.
    EXPECT_EQ(nut.in("198.18.0.9:777", "198.18.1.1:4000", 1)->destination, ep("10.0.1.2:4000"));
    EXPECT_EQ(nut.out("10.0.1.2:4000", "198.18.0.3:1", 2)->source, ep("198.18.1.1:4000"));
    EXPECT_EQ(nut.out("10.0.1.2:4000", "198.18.0.4:2", 3)->source, ep("198.18.1.1:4000"));
    EXPECT_EQ(nut.nat.counters().grants, 1u);
}

TEST(NatGrant, LivesForItsLifetimeWhateverTheTraffic) {
    NatUnderTest nut{NatConfig::preset(NatType::Symmetric)};
    DropReason why;
    ASSERT_TRUE(nut.nat.grant(ask("10.0.1.2:4000", 4000, 30), t(0), why));
    EXPECT_TRUE(nut.in("198.18.0.9:777", "198.18.1.1:4000", 29.9));
    EXPECT_TRUE(nut.out("10.0.1.2:4000", "198.18.0.3:1", 29.9));  // does not extend it
    EXPECT_FALSE(nut.in("198.18.0.9:777", "198.18.1.1:4000", 30.1));
    nut.nat.expire(t(31));
    EXPECT_EQ(nut.nat.counters().grants_expired, 1u);
    ASSERT_FALSE(nut.events.empty());
}

TEST(NatGrant, RenewalKeepsThePortAndMovesTheLifetime) {
    NatUnderTest nut{NatConfig::preset(NatType::Symmetric)};
    DropReason why;
    ASSERT_TRUE(nut.nat.grant(ask("10.0.1.2:4000", 4000, 30), t(0), why));
    auto renewed = nut.nat.grant(ask("10.0.1.2:4000", 5000, 30), t(20), why);
    ASSERT_TRUE(renewed);
    EXPECT_TRUE(renewed->renewed);
    EXPECT_EQ(renewed->external, ep("198.18.1.1:4000"));
    EXPECT_TRUE(nut.in("198.18.0.9:777", "198.18.1.1:4000", 45));
}

TEST(NatGrant, DeletionFreesThePort) {
    NatUnderTest nut{NatConfig::preset(NatType::Symmetric)};
    DropReason why;
    ASSERT_TRUE(nut.nat.grant(ask("10.0.1.2:4000", 4000, 30), t(0), why));
    EXPECT_TRUE(nut.nat.ungrant(Requester::Pcp, Protocol::Udp, ep("10.0.1.2:4000"), t(1)));
    EXPECT_FALSE(nut.nat.ungrant(Requester::Pcp, Protocol::Udp, ep("10.0.1.2:4000"), t(1)));
    EXPECT_FALSE(nut.in("198.18.0.9:777", "198.18.1.1:4000", 2));
    EXPECT_EQ(nut.drops().back().reason.code, DropCode::NoMapping);
}

struct PortCase {
    const char* name;
    std::uint16_t suggested;
    bool exact;
    bool want_granted;
    std::uint16_t want_port;  // 0: any other than 4000
};

TEST(NatGrant, SuggestedPortTakenByAnotherHost) {
    const PortCase cases[] = {
        {"free suggestion honoured", 4001, false, true, 4001},
        {"taken suggestion: another port", 4000, false, true, 0},
        {"taken and only it will do: refused", 4000, true, false, 0},
    };
    for (const auto& c : cases) {
        NatUnderTest nut{NatConfig::preset(NatType::Symmetric)};
        DropReason why;
        ASSERT_TRUE(nut.nat.grant(ask("10.0.1.3:4000", 4000, 30), t(0), why));
        auto granted = nut.nat.grant(ask("10.0.1.2:4000", c.suggested, 30, c.exact), t(0), why);
        EXPECT_EQ(granted.has_value(), c.want_granted) << c.name;
        if (!granted) continue;
        if (c.want_port)
            EXPECT_EQ(granted->external.port, c.want_port) << c.name;
        else
            EXPECT_NE(granted->external.port, 4000) << c.name;
    }
}

TEST(NatGrant, EndpointIndependentNatAdoptsTheMappingTrafficMade) {
    NatUnderTest nut{NatConfig::preset(NatType::PortRestricted)};
    auto first = nut.out("10.0.1.2:4000", "198.18.0.2:3478", 0);
    ASSERT_TRUE(first);
    DropReason why;
    auto granted = nut.nat.grant(ask("10.0.1.2:4000", 0, 60), t(1), why);
    ASSERT_TRUE(granted);
    EXPECT_EQ(granted->external, first->source);  // RFC 6887 §11.3
    EXPECT_EQ(nut.nat.mappings_live(), 1u);
    EXPECT_TRUE(nut.in("198.18.0.77:1", first->source.to_string(), 2)) << "no longer filtered";
}

// ---- the service's policy --------------------------------------------------

struct Service {
    explicit Service(Policy policy, NatType type = NatType::Symmetric)
        : nut{NatConfig::preset(type)},
          service{nut.nat, policy, [this](const NatEvent& e) { events.push_back(e); }, t(0)} {}
    NatUnderTest nut;
    std::vector<NatEvent> events;
    portmap::NatMappingService service;
};

Policy pcp_on() {
    Policy p;
    p.pcp = true;
    p.nat_pmp = true;
    return p;
}

TEST(MappingService, PolicyTable) {
    struct Case {
        const char* name;
        Policy policy;
        GrantRequest request;
        std::optional<Refusal> want_refusal;
        std::int64_t want_lifetime;
    };
    Policy refusing = pcp_on();
    refusing.refuse = true;
    Policy short_life = pcp_on();
    short_life.max_lifetime = std::chrono::seconds{300};
    Policy no_honour = pcp_on();
    no_honour.honour_port = false;
    GrantRequest plain{Requester::Pcp, Protocol::Udp, ep("10.0.1.2:4000"), 4000, std::chrono::seconds{3600}};
    GrantRequest exact = plain;
    exact.exact = true;
    GrantRequest upnp = plain;
    upnp.by = Requester::Upnp;
    GrantRequest icmp = plain;
    icmp.protocol = Protocol::Icmp;
    GrantRequest brief = plain;
    brief.lifetime = std::chrono::seconds{10};
    const Case cases[] = {
        {"granted as asked", pcp_on(), plain, std::nullopt, 3600},
        {"refuse: not authorized", refusing, plain, Refusal::NotAuthorized, 0},
        {"protocol switched off: not authorized", pcp_on(), upnp, Refusal::NotAuthorized, 0},
        {"icmp: unsupported protocol", pcp_on(), icmp, Refusal::UnsupportedProtocol, 0},
        {"long lifetime clamped", short_life, plain, std::nullopt, 300},
        {"short lifetime raised to the minimum", pcp_on(), brief, std::nullopt, 120},
        {"exact port, suggestions not honoured", no_honour, exact, Refusal::CannotProvideExternal, 0},
    };
    for (const auto& c : cases) {
        Service s{c.policy};
        auto result = s.service.grant(c.request, t(0));
        if (c.want_refusal) {
            auto* refused = std::get_if<Refused>(&result);
            ASSERT_TRUE(refused) << c.name;
            EXPECT_EQ(refused->reason, *c.want_refusal) << c.name;
        } else {
            auto* granted = std::get_if<Granted>(&result);
            ASSERT_TRUE(granted) << c.name;
            EXPECT_EQ(granted->lifetime.count(), c.want_lifetime) << c.name;
        }
    }
}

TEST(MappingService, HostQuota) {
    Policy p = pcp_on();
    p.per_host = 2;
    Service s{p};
    auto grant = [&](std::uint16_t port) {
        return s.service.grant(
            {Requester::Pcp, Protocol::Udp, {ip("10.0.1.2"), port}, port, std::chrono::seconds{60}}, t(0));
    };
    EXPECT_TRUE(std::holds_alternative<Granted>(grant(4000)));
    EXPECT_TRUE(std::holds_alternative<Granted>(grant(4001)));
    EXPECT_TRUE(std::holds_alternative<Granted>(grant(4001))) << "a renewal is not a new mapping";
    auto third = grant(4002);
    ASSERT_TRUE(std::holds_alternative<Refused>(third));
    EXPECT_EQ(std::get<Refused>(third).reason, Refusal::NoResources);
}

// ---- NAT-PMP (RFC 6886) ----------------------------------------------------

struct Responder {
    explicit Responder(Policy policy, NatType type = NatType::Symmetric)
        : s{policy, type}, responder{s.service} {}
    std::vector<std::byte> ask(std::vector<std::byte> request, double at = 5) {
        return responder.serve(ep("10.0.1.2:4000"), request, t(at)).value_or(std::vector<std::byte>{});
    }
    Service s;
    portmap::PortMapResponder responder;
};

TEST(NatPmpServer, Answers) {
    struct Case {
        const char* name;
        std::vector<std::byte> request;
        std::vector<std::byte> want;
    };
    const Case cases[] = {
        {"external address (§3.2)", bytes({0, 0}),
         bytes({0, 128,            // version 0, opcode 0 + 128
                0, 0,              // result 0: success
                0, 0, 0, 5,        // seconds since start of epoch
                198, 18, 1, 1})},  // external address
        {"UDP mapping (§3.3)",
         bytes({0, 1, 0, 0,           // version 0, opcode 1 (UDP), reserved
                0x0f, 0xa0,           // internal port 4000
                0x0f, 0xa1,           // suggested external port 4001
                0, 0, 0x0e, 0x10}),   // lifetime 3600
         bytes({0, 129, 0, 0,         // opcode 1 + 128, success
                0, 0, 0, 5,           // epoch
                0x0f, 0xa0,           // internal port 4000
                0x0f, 0xa1,           // mapped external port 4001
                0, 0, 0x0e, 0x10})},  // lifetime 3600
        {"version 1: unsupported version (§3.5, erratum 3618)", bytes({1, 0}),
         bytes({0, 128, 0, 1, 0, 0, 0, 5})},
        {"opcode 3: unsupported opcode, the header alone", bytes({0, 3}), bytes({0, 131, 0, 5, 0, 0, 0, 5})},
        {"a mapping request cut short: no answer", bytes({0, 1, 0, 0, 0x0f}), {}},
        {"an answer is not a request: no answer", bytes({0, 128}), {}},
    };
    Policy natpmp_only;  // with PCP on too, version 1 would be PCP's to answer
    natpmp_only.nat_pmp = true;
    for (const auto& c : cases) {
        Responder r{natpmp_only};
        EXPECT_EQ(r.ask(c.request), c.want) << c.name;
    }
}

TEST(NatPmpServer, RefusedByPolicyAnswersNotAuthorized) {
    Policy p = pcp_on();
    p.refuse = true;
    Responder r{p};
    auto answer = r.ask(bytes({0, 1, 0, 0, 0x0f, 0xa0, 0x0f, 0xa0, 0, 0, 0x0e, 0x10}));
    EXPECT_EQ(answer, bytes({0, 129, 0, 2,                  // result 2: not authorized / refused
                             0, 0, 0, 5, 0x0f, 0xa0, 0, 0,  // no mapped port
                             0, 0, 0, 0}));                 // no lifetime
    auto* refused = std::get_if<PortMapEvent>(&r.s.events.back());
    ASSERT_TRUE(refused);
    EXPECT_EQ(refused->change, PortMapChange::Refused);
    EXPECT_EQ(refused->code, "2");
}

TEST(NatPmpServer, LifetimeZeroDeletes) {
    Responder r{pcp_on()};
    r.ask(bytes({0, 1, 0, 0, 0x0f, 0xa0, 0x0f, 0xa0, 0, 0, 0x0e, 0x10}));
    EXPECT_TRUE(r.s.service.lookup(Protocol::Udp, ep("10.0.1.2:4000"), t(5)));
    auto answer = r.ask(bytes({0, 1, 0, 0, 0x0f, 0xa0, 0, 0, 0, 0, 0, 0}));
    EXPECT_EQ(answer, bytes({0, 129, 0, 0, 0, 0, 0, 5, 0x0f, 0xa0, 0, 0, 0, 0, 0, 0}));
    EXPECT_FALSE(r.s.service.lookup(Protocol::Udp, ep("10.0.1.2:4000"), t(5)));
}

// ---- PCP (RFC 6887) --------------------------------------------------------

pcp::Message map_request(std::uint16_t port = 4000, std::uint32_t lifetime = 3600, std::uint8_t nonce = 7) {
    pcp::Message m{pcp::kVersion, pcp::kOpMap};
    m.lifetime = lifetime;
    m.client = ip("10.0.1.2");
    m.map.nonce.fill(nonce);
    m.map.internal_port = 4000;
    m.map.external = {Ipv4{}, port};
    return m;
}

pcp::Message answer_to(Responder& r, const pcp::Message& request, double at = 5) {
    pcp::Message answer;
    EXPECT_TRUE(pcp::decode_response(r.ask(pcp::encode(request), at), answer));
    return answer;
}

TEST(PcpCodec, MapRequestBytes) {
    pcp::Message m = map_request(4001, 3600, 7);
    m.options.prefer_failure = true;
    const auto want = bytes({
        2,    1,    0,    0,                                   // version 2, R=0 opcode MAP, reserved
        0,    0,    0x0e, 0x10,                                // requested lifetime 3600
        0,    0,    0,    0,    0, 0, 0, 0, 0, 0, 0xff, 0xff,  // client address, IPv4-mapped ...
        10,   0,    1,    2,                                   // ... 10.0.1.2
        7,    7,    7,    7,    7, 7, 7, 7, 7, 7, 7,    7,     // mapping nonce
        17,   0,    0,    0,                                   // protocol UDP, reserved
        0x0f, 0xa0,                                            // internal port 4000
        0x0f, 0xa1,                                            // suggested external port 4001
        0,    0,    0,    0,    0, 0, 0, 0, 0, 0, 0xff, 0xff,  // suggested external address ...
        0,    0,    0,    0,                                   // ... 0.0.0.0: any
        2,    0,    0,    0,                                   // option PREFER_FAILURE, length 0
    });
    EXPECT_EQ(pcp::encode(m), want);
    pcp::Message back;
    ASSERT_EQ(pcp::decode_request(want, back), pcp::Result::Success);
    EXPECT_EQ(back.map, m.map);
    EXPECT_EQ(back.client, m.client);
    EXPECT_TRUE(back.options.prefer_failure);
}

TEST(PcpServer, AnswersTable) {
    struct Case {
        const char* name;
        Policy policy;
        pcp::Message request;
        pcp::Result want;
    };
    Policy refusing = pcp_on();
    refusing.refuse = true;
    Policy third_party_ok = pcp_on();
    third_party_ok.third_party = true;
    pcp::Message announce{pcp::kVersion, pcp::kOpAnnounce};
    announce.client = ip("10.0.1.2");
    pcp::Message third = map_request();
    third.options.third_party = ip("10.0.1.9");
    pcp::Message mismatch = map_request();
    mismatch.client = ip("10.0.1.3");
    pcp::Message all_protocols = map_request();
    all_protocols.map.protocol = 0;
    pcp::Message filtered = map_request();
    filtered.options.filters.push_back({128, 0, ip("198.18.0.2")});
    pcp::Message elsewhere = map_request();
    elsewhere.options.prefer_failure = true;
    elsewhere.map.external.addr = ip("198.18.9.9");
    const Case cases[] = {
        {"MAP granted", pcp_on(), map_request(), pcp::Result::Success},
        {"ANNOUNCE", pcp_on(), announce, pcp::Result::Success},
        {"refused by policy", refusing, map_request(), pcp::Result::NotAuthorized},
        {"THIRD_PARTY refused", pcp_on(), third, pcp::Result::NotAuthorized},
        {"THIRD_PARTY allowed", third_party_ok, third, pcp::Result::Success},
        {"client address is not the source", pcp_on(), mismatch, pcp::Result::AddressMismatch},
        {"protocol 0", pcp_on(), all_protocols, pcp::Result::UnsuppProtocol},
        {"FILTER", pcp_on(), filtered, pcp::Result::Success},
        {"PREFER_FAILURE for an address not ours", pcp_on(), elsewhere, pcp::Result::CannotProvideExternal},
    };
    for (const auto& c : cases) {
        Responder r{c.policy};
        auto answer = answer_to(r, c.request);
        EXPECT_EQ(answer.result, c.want) << c.name << ": " << pcp::to_string(answer.result);
        EXPECT_EQ(answer.epoch, 5u) << c.name;
    }
}

TEST(PcpServer, MapGivesTheSuggestedEndpointAndChecksTheNonce) {
    Responder r{pcp_on()};
    auto granted = answer_to(r, map_request(4001));
    EXPECT_EQ(granted.map.external, ep("198.18.1.1:4001"));
    EXPECT_EQ(granted.lifetime, 3600u);
    EXPECT_EQ(answer_to(r, map_request(4001, 3600, 8)).result, pcp::Result::NotAuthorized) << "another nonce";
    auto renewed = answer_to(r, map_request(4001, 600), 100);
    EXPECT_EQ(renewed.result, pcp::Result::Success);
    EXPECT_EQ(renewed.lifetime, 600u);
    auto deleted = answer_to(r, map_request(4001, 0), 101);
    EXPECT_EQ(deleted.result, pcp::Result::Success);
    EXPECT_FALSE(r.s.service.lookup(Protocol::Udp, ep("10.0.1.2:4000"), t(101)));
}

TEST(PcpServer, MalformedAndUnknown) {
    Responder r{pcp_on()};
    pcp::Message answer;
    auto short_map = pcp::encode(map_request());
    short_map.resize(40);  // the MAP data cut short
    ASSERT_TRUE(pcp::decode_response(r.ask(short_map), answer));
    EXPECT_EQ(answer.result, pcp::Result::MalformedRequest);
    auto opcode_9 = pcp::encode(map_request());
    opcode_9[1] = std::byte{9};
    ASSERT_TRUE(pcp::decode_response(r.ask(opcode_9), answer));
    EXPECT_EQ(answer.result, pcp::Result::UnsuppOpcode);
    auto version_3 = pcp::encode(map_request());
    version_3[0] = std::byte{3};
    ASSERT_TRUE(pcp::decode_response(r.ask(version_3), answer));
    EXPECT_EQ(answer.result, pcp::Result::UnsuppVersion);
    EXPECT_EQ(answer.version, pcp::kVersion);
}

// A MAP with two FILTER options (RFC 6887 §13.3), byte by byte.
TEST(PcpCodec, MapWithFiltersBytes) {
    pcp::Message m = map_request(4000, 600, 1);
    m.options.filters = {{120, 3478, ip("198.18.0.2")}, {128, 0, ip("198.18.2.7")}};
    auto want = pcp::encode(map_request(4000, 600, 1));
    const auto filters = bytes({
        3,    0,    0, 20,                                // option FILTER, length 20
        0,    120,                                        // reserved, prefix length 120 (/24)
        0x0d, 0x96,                                       // remote peer port 3478
        0,    0,    0, 0,  0, 0, 0, 0, 0, 0, 0xff, 0xff,  // remote peer address, IPv4-mapped ...
        198,  18,   0, 2,                                 // ... 198.18.0.2
        3,    0,    0, 20,                                // option FILTER, length 20
        0,    128,                                        // reserved, prefix length 128 (/32)
        0,    0,                                          // remote peer port 0: any
        0,    0,    0, 0,  0, 0, 0, 0, 0, 0, 0xff, 0xff,  // remote peer address ...
        198,  18,   2, 7,                                 // ... 198.18.2.7
    });
    want.insert(want.end(), filters.begin(), filters.end());
    EXPECT_EQ(pcp::encode(m), want);
    pcp::Message back;
    ASSERT_EQ(pcp::decode_request(want, back), pcp::Result::Success);
    EXPECT_EQ(back.options.filters, m.options.filters);
}

// Options the codec refuses: {what, option bytes after the MAP data, opcode, want}.
TEST(PcpCodec, BadOptionsTable) {
    auto filter = [](int prefix, int a0) {
        return bytes({3, 0, 0, 20, 0, prefix, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, a0, 18, 0, 2});
    };
    struct Case {
        const char* name;
        std::vector<std::byte> option;
        std::uint8_t opcode;
        std::optional<pcp::Result> want;
    } cases[] = {
        {"FILTER /32", filter(128, 198), pcp::kOpMap, pcp::Result::Success},
        {"FILTER /0: clears", filter(0, 198), pcp::kOpMap, pcp::Result::Success},
        {"FILTER prefix 97 (a /1)", filter(97, 198), pcp::kOpMap, pcp::Result::Success},
        {"FILTER prefix 95", filter(95, 198), pcp::kOpMap, pcp::Result::MalformedOption},
        {"FILTER prefix 1", filter(1, 198), pcp::kOpMap, pcp::Result::MalformedOption},
        {"FILTER prefix 129", filter(129, 198), pcp::kOpMap, pcp::Result::MalformedOption},
        {"FILTER length 16", bytes({3, 0, 0, 16, 0, 128, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff}),
         pcp::kOpMap, pcp::Result::MalformedOption},
        {"FILTER in PEER", filter(128, 198), pcp::kOpPeer, pcp::Result::MalformedOption},
        {"unknown mandatory option 99", bytes({99, 0, 0, 0}), pcp::kOpMap, pcp::Result::UnsuppOption},
        {"unknown optional option 200: skipped", bytes({200, 0, 0, 4, 1, 2, 3, 4}), pcp::kOpMap,
         pcp::Result::Success},
        {"option header cut short", bytes({3, 0, 0, 20}), pcp::kOpMap, pcp::Result::MalformedOption},
        // Found by fuzz_pcp: a FILTER too short for its prefix length, last
        // in the datagram, had its prefix read from past the datagram's end.
        {"FILTER length 0, last", bytes({3, 0, 0, 0}), pcp::kOpMap, pcp::Result::MalformedOption},
        {"FILTER length 1 (padded), last", bytes({3, 0, 0, 1, 0, 0, 0, 0}), pcp::kOpMap,
         pcp::Result::MalformedOption},
        {"FILTER length 0 in PEER, last", bytes({3, 0, 0, 0}), pcp::kOpPeer, pcp::Result::MalformedOption},
    };
    for (auto& c : cases) {
        pcp::Message m = map_request();
        m.opcode = c.opcode;
        auto request = pcp::encode(m);
        request.insert(request.end(), c.option.begin(), c.option.end());
        // Exactly the datagram's bytes, so that AddressSanitizer (ci/test-sanitize) sees a read past them.
        auto datagram = std::make_unique<std::byte[]>(request.size());
        std::copy(request.begin(), request.end(), datagram.get());
        pcp::Message back;
        EXPECT_EQ(pcp::decode_request({datagram.get(), request.size()}, back), c.want) << c.name;
    }
}

// What a grant made with FILTERs lets in: {filters, remote, admitted}.
TEST(PcpServer, FilterRestrictsWhoMaySendIn) {
    struct Case {
        const char* name;
        std::vector<pcp::Filter> filters;
        const char* remote;
        bool admitted;
    } cases[] = {
        {"no FILTER: anyone", {}, "198.18.7.7:9", true},
        {"/32 any port: that address", {{128, 0, ip("198.18.0.2")}}, "198.18.0.2:1234", true},
        {"/32 any port: another address", {{128, 0, ip("198.18.0.2")}}, "198.18.0.3:1234", false},
        {"/32 one port: that port", {{128, 3478, ip("198.18.0.2")}}, "198.18.0.2:3478", true},
        {"/32 one port: another port", {{128, 3478, ip("198.18.0.2")}}, "198.18.0.2:3479", false},
        {"/24: inside the prefix", {{120, 0, ip("198.18.2.0")}}, "198.18.2.200:5", true},
        {"/24: outside it", {{120, 0, ip("198.18.2.0")}}, "198.18.3.1:5", false},
        {"two FILTERs: the second matches",
         {{128, 0, ip("198.18.0.2")}, {128, 0, ip("198.18.2.7")}},
         "198.18.2.7:40000",
         true},
        {"prefix 0 clears the one before",
         {{128, 0, ip("198.18.0.2")}, {0, 0, Ipv4{}}},
         "198.18.9.9:1",
         true},
        {"prefix 0 then another", {{0, 0, Ipv4{}}, {128, 0, ip("198.18.0.2")}}, "198.18.9.9:1", false},
    };
    for (auto& c : cases) {
        Responder r{pcp_on()};
        pcp::Message m = map_request(4000);
        m.options.filters = c.filters;
        auto answer = answer_to(r, m);
        ASSERT_EQ(answer.result, pcp::Result::Success) << c.name;
        EXPECT_EQ(answer.options.filters, c.filters) << c.name << ": the answer echoes the filters";
        auto in = r.s.nut.in(c.remote, "198.18.1.1:4000", 6);
        EXPECT_EQ(in.has_value(), c.admitted) << c.name;
        if (!c.admitted) {
            EXPECT_EQ(r.s.nut.nat.last_drop().code, DropCode::Filtered) << c.name;
        }
    }
}

// A renewal replaces the filters; deleting the grant forgets them.
TEST(PcpServer, RenewalReplacesFilters) {
    Responder r{pcp_on()};
    pcp::Message only_server = map_request(4000);
    only_server.options.filters = {{128, 0, ip("198.18.0.2")}};
    ASSERT_EQ(answer_to(r, only_server).result, pcp::Result::Success);
    EXPECT_FALSE(r.s.nut.in("198.18.5.5:1", "198.18.1.1:4000", 6));
    ASSERT_EQ(answer_to(r, map_request(4000), 7).result, pcp::Result::Success);  // no FILTER: open
    EXPECT_TRUE(r.s.nut.in("198.18.5.5:1", "198.18.1.1:4000", 8));
    ASSERT_EQ(answer_to(r, only_server, 9).result, pcp::Result::Success);
    ASSERT_EQ(answer_to(r, map_request(4000, 0), 10).result, pcp::Result::Success);  // deleted
    ASSERT_EQ(answer_to(r, map_request(4000), 11).result, pcp::Result::Success);     // granted anew
    EXPECT_TRUE(r.s.nut.in("198.18.5.5:1", "198.18.1.1:4000", 12)) << "the old filters are gone";
}

pcp::Message peer_request(const char* remote, std::uint8_t protocol = pcp::kProtocolUdp,
                          std::uint16_t internal_port = 4000) {
    pcp::Message m{pcp::kVersion, pcp::kOpPeer};
    m.lifetime = 3600;
    m.client = ip("10.0.1.2");
    m.map.nonce.fill(3);
    m.map.protocol = protocol;
    m.map.internal_port = internal_port;
    m.remote = ep(remote);
    return m;
}

// PEER (RFC 6887 §12): the mapping toward one remote, made or looked up;
// the answer names the external endpoint the remote sees, and the remote
// may then send in. {NAT, what the host did first, PEER, result, external
// port (0: not checked), lifetime}.
TEST(PcpServer, PeerTable) {
    struct Case {
        const char* name;
        NatType type;
        bool traffic_first;  // the host sent to the remote before asking
        bool mapped_first;   // the host holds a grant (MAP) of port 4000
        pcp::Message request;
        pcp::Result want;
        std::uint32_t lifetime;
    } cases[] = {
        {"symmetric, no mapping yet: one is made", NatType::Symmetric, false, false,
         peer_request("198.18.0.2:3478"), pcp::Result::Success, 120},
        {"symmetric, traffic made it: the same one", NatType::Symmetric, true, false,
         peer_request("198.18.0.2:3478"), pcp::Result::Success, 120},
        {"port-restricted: the host's one mapping", NatType::PortRestricted, true, false,
         peer_request("198.18.0.2:3478"), pcp::Result::Success, 120},
        {"a grant: its endpoint and what is left of its life", NatType::Symmetric, false, true,
         peer_request("198.18.0.2:3478"), pcp::Result::Success, 3599},
        {"TCP without a session", NatType::Symmetric, false, false,
         peer_request("198.18.0.2:80", pcp::kProtocolTcp), pcp::Result::NoResources, 30},
        {"protocol 0", NatType::Symmetric, false, false, peer_request("198.18.0.2:3478", 0),
         pcp::Result::UnsuppProtocol, 30},
        {"internal port 0", NatType::Symmetric, false, false,
         peer_request("198.18.0.2:3478", pcp::kProtocolUdp, 0), pcp::Result::UnsuppProtocol, 30},
    };
    for (auto& c : cases) {
        Responder r{pcp_on(), c.type};
        std::optional<Endpoint> seen;
        if (c.mapped_first) {
            ASSERT_EQ(answer_to(r, map_request(4000), 4).result, pcp::Result::Success);
        }
        if (c.traffic_first) seen = r.s.nut.out("10.0.1.2:4000", "198.18.0.2:3478", 4)->source;
        auto answer = answer_to(r, c.request, 5);
        ASSERT_EQ(answer.result, c.want) << c.name << ": " << pcp::to_string(answer.result);
        EXPECT_EQ(answer.lifetime, c.lifetime) << c.name;
        if (c.want != pcp::Result::Success) continue;
        EXPECT_EQ(answer.remote, c.request.remote) << c.name << ": the answer echoes the remote";
        if (seen) {
            EXPECT_EQ(answer.map.external, *seen) << c.name;
        }
        if (c.mapped_first) {
            EXPECT_EQ(answer.map.external, ep("198.18.1.1:4000")) << c.name;
        }
        // The remote reaches the host through the endpoint PEER named...
        auto in = r.s.nut.in("198.18.0.2:3478", answer.map.external.to_string(), 6);
        ASSERT_TRUE(in) << c.name << ": " << r.s.nut.nat.last_drop().text;
        EXPECT_EQ(in->destination, ep("10.0.1.2:4000")) << c.name;
        // ... and the host's traffic to it leaves from there.
        EXPECT_EQ(r.s.nut.out("10.0.1.2:4000", "198.18.0.2:3478", 7)->source, answer.map.external) << c.name;
    }
}

// RFC 6886 §3.4: lifetime 0 with internal and external port 0 deletes every
// mapping of the host for that protocol. {what is asked, which grants stay}.
TEST(NatPmpServer, DeleteAllOfAHostForAProtocol) {
    struct Case {
        const char* name;
        std::vector<std::byte> request;
        bool udp_left, tcp_left;
    } cases[] = {
        {"UDP, ports 0, lifetime 0: every UDP grant", bytes({0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}), false,
         true},
        {"TCP: every TCP grant", bytes({0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}), true, false},
        {"external port not 0: nothing", bytes({0, 1, 0, 0, 0, 0, 0x0f, 0xa0, 0, 0, 0, 0}), true, true},
    };
    for (auto& c : cases) {
        Responder r{pcp_on()};
        r.ask(bytes({0, 1, 0, 0, 0x0f, 0xa0, 0x0f, 0xa0, 0, 0, 0x0e, 0x10}));  // UDP 4000, NAT-PMP
        r.ask(bytes({0, 1, 0, 0, 0x0f, 0xa1, 0x0f, 0xa1, 0, 0, 0x0e, 0x10}));  // UDP 4001, NAT-PMP
        r.ask(bytes({0, 2, 0, 0, 0x0f, 0xa0, 0x0f, 0xa0, 0, 0, 0x0e, 0x10}));  // TCP 4000, NAT-PMP
        pcp::Message by_pcp = map_request(4002);
        by_pcp.map.internal_port = 4002;
        ASSERT_EQ(answer_to(r, by_pcp).result, pcp::Result::Success);  // UDP 4002, PCP
        GrantRequest other{Requester::NatPmp, Protocol::Udp, ep("10.0.1.3:4000"), 5000,
                           std::chrono::seconds{600}};
        ASSERT_TRUE(std::holds_alternative<Granted>(r.s.service.grant(other, t(5))));  // another host
        auto answer = r.ask(c.request, 6);
        EXPECT_EQ(answer,
                  bytes({0, static_cast<int>(c.request[1]) + 128, 0, 0, 0, 0, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0}))
            << c.name << ": success, ports and lifetime 0";
        auto held = [&](Protocol p, const char* inside) {
            return r.s.service.lookup(p, ep(inside), t(6)).has_value();
        };
        EXPECT_EQ(held(Protocol::Udp, "10.0.1.2:4000"), c.udp_left) << c.name;
        EXPECT_EQ(held(Protocol::Udp, "10.0.1.2:4001"), c.udp_left) << c.name;
        EXPECT_EQ(held(Protocol::Udp, "10.0.1.2:4002"), c.udp_left) << c.name << ": PCP's grant too";
        EXPECT_EQ(held(Protocol::Tcp, "10.0.1.2:4000"), c.tcp_left) << c.name;
        EXPECT_TRUE(held(Protocol::Udp, "10.0.1.3:4000")) << c.name << ": another host's grant stays";
    }
}

// RFC 6887 §9: one port, two versions.
TEST(PortMapResponder, VersionNegotiation) {
    Policy natpmp_only;
    natpmp_only.nat_pmp = true;
    Responder old{natpmp_only};
    EXPECT_EQ(old.ask(pcp::encode(map_request())), bytes({0, 128, 0, 1, 0, 0, 0, 5}))
        << "a PCP request to a NAT-PMP-only gateway: NAT-PMP's unsupported version";
    Policy pcp_only;
    pcp_only.pcp = true;
    Responder fresh{pcp_only};
    pcp::Message answer;
    ASSERT_TRUE(pcp::decode_response(fresh.ask(bytes({0, 0})), answer));
    EXPECT_EQ(answer.result, pcp::Result::UnsuppVersion) << "a NAT-PMP request to a PCP-only gateway";
}

// ---- the NAT's side: the service port ------------------------------------

TEST(NatService, ServedFromInsideDroppedFromOutside) {
    Service s{pcp_on()};
    portmap::PortMapResponder responder{s.service};
    s.nut.nat.serve(kPortMappingServerPort, &responder);
    Datagram request{
        build_udp_datagram({{ep("10.0.1.2:4000"), ep("10.0.1.1:5351"), Protocol::Udp}, bytes({0, 0})})};
    EXPECT_FALSE(s.nut.send(request, Direction::Outbound, 1));
    auto replies = s.nut.nat.take_generated();
    ASSERT_EQ(replies.size(), 1u);
    Datagram reply{replies[0]};
    EXPECT_EQ(reply.view().flow().source, ep("10.0.1.1:5351"));
    EXPECT_EQ(reply.view().flow().destination, ep("10.0.1.2:4000"));
    EXPECT_FALSE(s.nut.in("198.18.0.9:5000", "198.18.1.1:5351", 2));
    EXPECT_EQ(s.nut.drops().back().reason.code, DropCode::PortMappingOutside);
    EXPECT_EQ(s.nut.nat.counters().dropped[DropCode::PortMappingOutside], 1u);
}

}  // namespace
}  // namespace natlab::nat::testing
