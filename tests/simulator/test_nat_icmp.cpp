// ICMP through the NAT (RFC 5508; simulator/icmp.cpp, nat_icmp.cpp): echo as a
// query mapping, errors translated both ways and checked byte by byte, errors
// the NAT originates, and pings of the NAT itself.

#include <gtest/gtest.h>

#include <functional>

#include "simulator/wire/bytes.h"
#include "simulator/wire/checksum.h"
#include "simulator/wire/icmp.h"
#include "tests/simulator/test_nat_support.h"

namespace natlab::nat::testing {
namespace {

using M = MappingBehaviour;
using F = FilteringBehaviour;

constexpr std::size_t kIp = 20;              // IPv4 header, no options
constexpr std::size_t kIcmp = 8;             // ICMP header
constexpr std::size_t kQuote = kIp + kIcmp;  // where the quoted packet starts

// Sends an echo request or reply; the translated flow or nullopt.
std::optional<Flow> ping(NatUnderTest& nut, const char* from, const char* to, std::uint16_t id, Direction d,
                         double at = 0, bool request = true) {
    auto e = echo(ip(from), ip(to), id, request);
    return nut.send(e, d, at);
}

// An ICMP message of any type (8 bytes of header, 4 of payload).
Datagram icmp_message(const char* from, const char* to, std::uint8_t type, std::uint8_t code) {
    auto d = echo(ip(from), ip(to), 1);
    auto message = std::span{d.bytes}.subspan(kIp);
    store8(message, 0, type);
    store8(message, 1, code);
    store16(message, 2, icmp_checksum(message));
    return d;
}

// An ICMP error from `from` quoting the first `quote_size` bytes of `about` (0: all).
Datagram error_about(const char* from, const Datagram& about, std::uint8_t type = kIcmpDestinationUnreachable,
                     std::uint8_t code = kIcmpPortUnreachable, std::size_t quote_size = 0) {
    std::span<const std::byte> original = about.bytes;
    if (quote_size) original = original.first(quote_size);
    auto error = build_icmp_error(ip(from), type, code, original);
    return Datagram{std::move(error)};
}

// `d` with its TTL lowered by one, as a router forwards it.
Datagram hop(Datagram d) {
    d.view().decrement_ttl();
    return d;
}

// Every checksum of a translated ICMP error, recomputed: outer IPv4, ICMP,
// quoted IPv4; and the quoted transport checksum when the whole packet is quoted.
void expect_error_checksums(const Datagram& error) {
    auto b = std::span<const std::byte>{error.bytes};
    EXPECT_EQ(internet_checksum(b.first(kIp)), 0) << "outer IPv4 header";
    EXPECT_EQ(internet_checksum(b.subspan(kIp)), 0) << "ICMP message";
    auto quote = b.subspan(kQuote);
    EXPECT_EQ(internet_checksum(quote.first(kIp)), 0) << "quoted IPv4 header";
}

// --- echo: a query mapping keyed by the identifier (RFC 5508 REQ-1) ---

TEST(NatIcmp, EchoRequestAndReplyTranslateByIdentifier) {
    NatUnderTest nut{NatConfig{}};
    auto out = ping(nut, "10.0.1.2", "198.18.0.2", 7, Direction::Outbound);
    ASSERT_TRUE(out) << nut.nat.last_drop().text;
    EXPECT_EQ(*out, (Flow{ep("198.18.1.1:7"), ep("198.18.0.2:0"), Protocol::Icmp}));
    EXPECT_EQ(internet_checksum(std::span{nut.last.bytes}.subspan(kIp)), 0) << "ICMP checksum patched";
    auto back = ping(nut, "198.18.0.2", "198.18.1.1", 7, Direction::Inbound, 1, false);
    ASSERT_TRUE(back) << nut.nat.last_drop().text;
    EXPECT_EQ(*back, (Flow{ep("198.18.0.2:0"), ep("10.0.1.2:7"), Protocol::Icmp}));
    EXPECT_EQ(internet_checksum(std::span{nut.last.bytes}.subspan(kIp)), 0);
    auto created = nut.mapping_events(MappingChange::Created);
    ASSERT_EQ(created.size(), 1u);
    EXPECT_EQ(created[0].protocol, Protocol::Icmp);
}

TEST(NatIcmp, ASecondHostWithTheSameIdentifierGetsAnotherOne) {
    NatUnderTest nut{NatConfig{}};
    ASSERT_TRUE(ping(nut, "10.0.1.3", "198.18.0.2", 7, Direction::Outbound));
    auto second = ping(nut, "10.0.1.2", "198.18.0.2", 7, Direction::Outbound);
    ASSERT_TRUE(second);
    EXPECT_EQ(second->source.addr, ip("198.18.1.1"));
    EXPECT_NE(second->source.port, 7) << "no identifier overloading";
    auto reply = ping(nut, "198.18.0.2", "198.18.1.1", second->source.port, Direction::Inbound, 0, false);
    ASSERT_TRUE(reply);
    EXPECT_EQ(reply->destination, ep("10.0.1.2:7"));
    EXPECT_EQ(internet_checksum(std::span{nut.last.bytes}.subspan(kIp)), 0);
}

struct EchoFilterCase {
    const char* name;
    FilteringBehaviour filtering;
    const char* replier;
    bool want_admitted;
};

TEST(NatIcmp, RepliesAreFilteredLikeUdp) {
    const EchoFilterCase cases[] = {
        {"the pinged host, APDF", F::AddressAndPortDependent, "198.18.0.2", true},
        {"another host, APDF", F::AddressAndPortDependent, "198.18.0.3", false},
        {"another host, ADF", F::AddressDependent, "198.18.0.3", false},
        {"another host, EIF", F::EndpointIndependent, "198.18.0.3", true},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        NatUnderTest nut{config_of(M::EndpointIndependent, c.filtering)};
        ping(nut, "10.0.1.2", "198.18.0.2", 7, Direction::Outbound);
        auto reply = ping(nut, c.replier, "198.18.1.1", 7, Direction::Inbound, 1, false);
        EXPECT_EQ(reply.has_value(), c.want_admitted) << nut.nat.last_drop().text;
        if (!c.want_admitted) {
            EXPECT_EQ(nut.nat.last_drop().code, DropCode::Filtered);
        }
    }
}

TEST(NatIcmp, QueryMappingsLiveSixtySecondsByDefault) {
    struct Case {
        const char* name;
        double reply_at;
        bool want;
    };
    for (auto c : {Case{"just inside", 59.9, true}, Case{"at 60 s", 60, false}}) {
        SCOPED_TRACE(c.name);
        NatUnderTest nut{NatConfig{}};
        ping(nut, "10.0.1.2", "198.18.0.2", 7, Direction::Outbound, 0);
        EXPECT_EQ(ping(nut, "198.18.0.2", "198.18.1.1", 7, Direction::Inbound, c.reply_at, false).has_value(),
                  c.want);
        if (!c.want) {
            EXPECT_EQ(nut.nat.last_drop().code, DropCode::NoMapping);
        }
    }
    NatConfig longer;
    longer.icmp_timeout = std::chrono::seconds{90};
    NatUnderTest nut{longer};
    ping(nut, "10.0.1.2", "198.18.0.2", 7, Direction::Outbound, 0);
    EXPECT_TRUE(ping(nut, "198.18.0.2", "198.18.1.1", 7, Direction::Inbound, 80, false));
}

struct UnsupportedCase {
    const char* name;
    const char* from;
    const char* to;
    std::uint8_t type;
    Direction direction;
};

TEST(NatIcmp, OtherTypesAreUnsupported) {
    const UnsupportedCase cases[] = {
        {"timestamp request from inside", "10.0.1.2", "198.18.0.2", 13, Direction::Outbound},
        {"redirect from outside", "198.18.0.2", "198.18.1.1", 5, Direction::Inbound},
        {"router advertisement from outside", "198.18.0.2", "198.18.1.1", 9, Direction::Inbound},
        {"source quench (deprecated)", "198.18.0.2", "198.18.1.1", 4, Direction::Inbound},
        {"echo reply from inside", "10.0.1.2", "198.18.0.2", kIcmpEchoReply, Direction::Outbound},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        NatUnderTest nut{NatConfig{}};
        auto m = icmp_message(c.from, c.to, c.type, 0);
        EXPECT_FALSE(nut.send(m, c.direction, 0));
        EXPECT_EQ(nut.nat.last_drop().code, DropCode::UnsupportedIcmp) << nut.nat.last_drop().text;
    }
}

// --- pings of the NAT itself ---

TEST(NatIcmp, TheNatAnswersPingsToItsOwnAddresses) {
    struct Case {
        const char* name;
        const char* asker;
        const char* us;
        Direction d;
    };
    for (auto c : {Case{"LAN address from inside", "10.0.1.2", "10.0.1.1", Direction::Outbound},
                   Case{"external address from outside", "198.18.0.2", "198.18.1.1", Direction::Inbound},
                   Case{"external address from inside", "10.0.1.2", "198.18.1.1", Direction::Outbound}}) {
        SCOPED_TRACE(c.name);
        NatUnderTest nut{NatConfig{}};
        auto reply = ping(nut, c.asker, c.us, 42, c.d, 0);
        ASSERT_TRUE(reply) << nut.nat.last_drop().text;
        EXPECT_EQ(reply->source.addr, ip(c.us));
        EXPECT_EQ(reply->destination, (Endpoint{ip(c.asker), 42})) << "an echo reply, same identifier";
        auto p = nut.last.view();
        EXPECT_EQ(p.icmp_type(), kIcmpEchoReply);
        EXPECT_EQ(internet_checksum(p.header()), 0);
        EXPECT_EQ(internet_checksum(p.transport()), 0);
        EXPECT_EQ(nut.nat.counters().echo_replies_sent, 1u);
        EXPECT_EQ(nut.nat.mappings_live(), 0u);
    }
}

TEST(NatIcmp, OtherTrafficToTheLanAddressIsNotOurs) {
    NatUnderTest nut{NatConfig{}};
    EXPECT_FALSE(nut.out("10.0.1.2:4000", "10.0.1.1:53"));
    EXPECT_EQ(nut.nat.last_drop().code, DropCode::NotOurAddress);
}

// --- errors the NAT originates ---

TEST(NatIcmp, TtlExpiryIsAnsweredWithTimeExceededFromTheIngressAddress) {
    struct Case {
        const char* name;
        Flow flow;
        Direction d;
        const char* want_from;
    };
    const Case cases[] = {
        {"from inside: the LAN address (traceroute shows the NAT)",
         {ep("10.0.1.2:4000"), ep("198.18.0.2:33434")},
         Direction::Outbound,
         "10.0.1.1"},
        {"from outside: the external address",
         {ep("198.18.0.2:3478"), ep("198.18.1.1:4000")},
         Direction::Inbound,
         "198.18.1.1"},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        NatUnderTest nut{NatConfig{}};
        Datagram d{c.flow, "probe", 1};
        EXPECT_FALSE(nut.send(d, c.d, 0));
        EXPECT_EQ(nut.nat.last_drop().code, DropCode::TtlExpired);
        auto generated = nut.nat.take_generated();
        ASSERT_EQ(generated.size(), 1u);
        Datagram error{generated[0]};
        auto p = error.view();
        EXPECT_EQ(p.source().addr, ip(c.want_from));
        EXPECT_EQ(p.destination().addr, c.flow.source.addr);
        EXPECT_EQ(p.icmp_type(), kIcmpTimeExceeded);
        EXPECT_EQ(p.icmp_code(), kIcmpTtlExceededInTransit);
        expect_error_checksums(error);
        EXPECT_TRUE(std::equal(d.bytes.begin(), d.bytes.end(), error.bytes.begin() + kQuote))
            << "the whole packet, as received, is quoted";
        EXPECT_EQ(nut.nat.counters().icmp_errors_sent, 1u);
    }
}

TEST(NatIcmp, NoErrorAboutAnErrorOrWhenSwitchedOff) {
    NatUnderTest quiet_nut{[] {
        NatConfig c;
        c.icmp_errors = false;
        return c;
    }()};
    Datagram d{{ep("10.0.1.2:4000"), ep("198.18.0.2:33434")}, "probe", 1};
    EXPECT_FALSE(quiet_nut.send(d, Direction::Outbound, 0));
    EXPECT_TRUE(quiet_nut.nat.take_generated().empty()) << "--icmp-errors off";

    NatUnderTest nut{NatConfig{}};
    auto error = icmp_message("10.0.1.2", "198.18.0.2", kIcmpDestinationUnreachable, kIcmpPortUnreachable);
    error.view().set_ttl(1);
    EXPECT_FALSE(nut.send(error, Direction::Outbound, 0));
    EXPECT_EQ(nut.nat.last_drop().code, DropCode::TtlExpired);
    EXPECT_TRUE(nut.nat.take_generated().empty()) << "RFC 1812 §4.3.2.7: never an error about an error";
}

TEST(NatIcmp, ExhaustedPortsAreAnsweredAdministrativelyProhibited) {
    NatConfig config;
    config.ports = {5000, 5000};
    NatUnderTest nut{config};
    ASSERT_TRUE(nut.out("10.0.1.2:5000", "198.18.0.2:3478"));
    Datagram refused{{ep("10.0.1.3:5000"), ep("198.18.0.2:3478")}};
    EXPECT_FALSE(nut.send(refused, Direction::Outbound, 0));
    EXPECT_EQ(nut.nat.last_drop().code, DropCode::PortsExhausted);
    auto generated = nut.nat.take_generated();
    ASSERT_EQ(generated.size(), 1u);
    Datagram error{generated[0]};
    auto p = error.view();
    EXPECT_EQ(p.source().addr, ip("10.0.1.1"));
    EXPECT_EQ(p.destination().addr, ip("10.0.1.3"));
    EXPECT_EQ(p.icmp_type(), kIcmpDestinationUnreachable);
    EXPECT_EQ(p.icmp_code(), kIcmpAdministrativelyProhibited);
    expect_error_checksums(error);
}

// --- errors about translated flows (RFC 5508 REQ-3 to REQ-7) ---

struct QuoteCase {
    const char* name;
    Protocol protocol;
    std::size_t quote_size;  // 0: the whole packet
    std::uint8_t type;
    std::uint8_t code;
};

// The inside host's packet, as it left the host, and the NAT set up so that
// its external port/identifier differs from the inside one (another host
// took it first), to show both are translated back.
Datagram inside_packet(NatUnderTest& nut, Protocol protocol) {
    switch (protocol) {
        case Protocol::Udp:
            nut.out("10.0.1.9:4000", "198.18.0.2:3478");
            return Datagram{{ep("10.0.1.2:4000"), ep("198.18.0.2:3478")}, "datagram!"};
        case Protocol::Tcp:
            nut.tcp_out("10.0.1.9:4000", "198.18.0.2:80", kTcpSyn);
            return tcp_segment(ep("10.0.1.2:4000"), ep("198.18.0.2:80"), kTcpSyn);
        case Protocol::Icmp:
            ping(nut, "10.0.1.9", "198.18.0.2", 4000, Direction::Outbound);
            return echo(ip("10.0.1.2"), ip("198.18.0.2"), 4000);
    }
    return Datagram{std::vector<std::byte>{}};
}

TEST(NatIcmpErrors, InboundErrorsAreTranslatedBackByteForByte) {
    const QuoteCase cases[] = {
        {"udp, port unreachable, whole packet", Protocol::Udp, 0, kIcmpDestinationUnreachable,
         kIcmpPortUnreachable},
        {"udp, fragmentation needed, 8 bytes", Protocol::Udp, kIp + 8, kIcmpDestinationUnreachable,
         kIcmpFragmentationNeeded},
        {"tcp, time exceeded, whole segment", Protocol::Tcp, 0, kIcmpTimeExceeded, 0},
        {"tcp, host unreachable, 8 bytes (no checksum quoted)", Protocol::Tcp, kIp + 8,
         kIcmpDestinationUnreachable, 1},
        {"icmp echo, time exceeded, whole request", Protocol::Icmp, 0, kIcmpTimeExceeded, 0},
        {"udp, parameter problem", Protocol::Udp, 0, kIcmpParameterProblem, 0},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        NatUnderTest nut{NatConfig{}};
        Datagram original = inside_packet(nut, c.protocol);
        ASSERT_TRUE(nut.send(original, Direction::Outbound, 1)) << nut.nat.last_drop().text;
        Datagram sent = nut.last;  // as it left the NAT, from 198.18.1.1 and another port/identifier
        ASSERT_EQ(sent.view().source().addr, ip("198.18.1.1"));
        ASSERT_NE(sent.view().source().port, 4000);
        Datagram error = error_about("198.18.0.7", hop(sent), c.type, c.code, c.quote_size);

        auto back = nut.send(error, Direction::Inbound, 2);
        ASSERT_TRUE(back) << nut.nat.last_drop().text;
        Datagram& got = nut.last;
        EXPECT_EQ(back->source.addr, ip("198.18.0.7")) << "the reporting router stays the source";
        EXPECT_EQ(back->destination.addr, ip("10.0.1.2")) << "REQ-4c: outer destination follows the quote";
        EXPECT_EQ(load8(got.bytes, kIp), c.type) << "type and code unchanged (REQ-4b)";
        EXPECT_EQ(load8(got.bytes, kIp + 1), c.code);
        expect_error_checksums(got);
        // The quote is now exactly the inside host's packet after two hops (the NAT, the router),
        // down to its transport checksum when that was quoted.
        Datagram want = hop(hop(original));
        std::size_t quoted = c.quote_size ? c.quote_size : want.bytes.size();
        ASSERT_EQ(got.bytes.size(), kQuote + quoted);
        for (std::size_t i = 0; i < quoted; ++i)
            EXPECT_EQ(got.bytes[kQuote + i], want.bytes[i]) << "quote byte " << i;
        EXPECT_EQ(nut.nat.counters().icmp_errors_translated, 1u);
    }
}

TEST(NatIcmpErrors, OutboundErrorsAreTranslatedByteForByte) {
    NatUnderTest nut{NatConfig{}};
    nut.out("10.0.1.9:4000", "198.18.0.2:3478");
    ASSERT_TRUE(nut.out("10.0.1.2:4000", "198.18.0.2:3478", 1));
    Datagram from_remote{{ep("198.18.0.2:3478"), ep("198.18.1.1:1024")}, "answer"};
    ASSERT_TRUE(nut.send(from_remote, Direction::Inbound, 2));
    Datagram delivered = nut.last;                        // 198.18.0.2:3478 -> 10.0.1.2:4000, TTL 63
    Datagram error = error_about("10.0.1.2", delivered);  // the host's socket is gone

    auto out = nut.send(error, Direction::Outbound, 3);
    ASSERT_TRUE(out) << nut.nat.last_drop().text;
    EXPECT_EQ(out->source.addr, ip("198.18.1.1")) << "REQ-5c: our external address";
    EXPECT_EQ(out->destination.addr, ip("198.18.0.2"));
    expect_error_checksums(nut.last);
    Datagram want = hop(from_remote);  // what the remote sent, as it reached the host
    ASSERT_EQ(nut.last.bytes.size(), kQuote + want.bytes.size());
    EXPECT_TRUE(std::equal(want.bytes.begin(), want.bytes.end(), nut.last.bytes.begin() + kQuote));
    Datagram quote{std::vector<std::byte>(nut.last.bytes.begin() + kQuote, nut.last.bytes.end())};
    auto quoted = quote.view();
    EXPECT_EQ(udp_checksum(quoted.source().addr, quoted.destination().addr, quoted.transport()),
              quoted.transport_checksum())
        << "quoted UDP checksum, recomputed";
}

TEST(NatIcmpErrors, HairpinnedErrorsReachTheSender) {
    NatConfig config = NatConfig::preset(NatType::FullCone);
    config.hairpin = true;
    NatUnderTest nut{config};
    nut.out("10.0.1.2:4000", "198.18.0.2:3478");
    nut.out("10.0.1.3:5000", "198.18.0.2:3478");
    ASSERT_TRUE(nut.out("10.0.1.2:4000", "198.18.1.1:5000", 1));
    Datagram delivered = nut.last;  // 198.18.1.1:4000 -> 10.0.1.3:5000
    Datagram error = error_about("10.0.1.3", delivered);
    auto back = nut.send(error, Direction::Outbound, 2);
    ASSERT_TRUE(back) << nut.nat.last_drop().text;
    EXPECT_EQ(back->source.addr, ip("198.18.1.1"));
    EXPECT_EQ(back->destination.addr, ip("10.0.1.2")) << "REQ-7a";
    expect_error_checksums(nut.last);
    Datagram quote{std::vector<std::byte>(nut.last.bytes.begin() + kQuote, nut.last.bytes.end())};
    auto quoted = quote.view();
    EXPECT_EQ(quoted.flow(), (Flow{ep("10.0.1.2:4000"), ep("198.18.1.1:5000")}));
}

// ICMP errors about the traffic of a granted mapping (port_mapping.h) are
// translated as for any other mapping (RFC 5508 REQ-4, REQ-5), whatever the
// NAT's mapping behaviour: {NAT, direction of the error}.
TEST(NatIcmpErrors, ErrorsAboutAGrantsTrafficAreTranslated) {
    struct Case {
        const char* name;
        NatType type;
        Direction direction;
    } cases[] = {
        {"symmetric, from inside about what came in through the grant", NatType::Symmetric,
         Direction::Outbound},
        {"symmetric, from outside about what left through the grant", NatType::Symmetric, Direction::Inbound},
        {"full cone, from inside", NatType::FullCone, Direction::Outbound},
        {"full cone, from outside", NatType::FullCone, Direction::Inbound},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        NatUnderTest nut{NatConfig::preset(c.type)};
        DropReason why;
        ASSERT_TRUE(
            nut.nat.grant({Requester::Pcp, Protocol::Udp, ep("10.0.1.2:4000"), 4000, false, 600}, t(0), why))
            << why.text;
        Datagram error{std::vector<std::byte>{}};
        if (c.direction == Direction::Outbound) {
            // Someone the host never sent to comes in through the grant; the host answers unreachable.
            ASSERT_TRUE(nut.send(Datagram{{ep("198.18.0.5:1"), ep("198.18.1.1:4000")}, "hello"},
                                 Direction::Inbound, 1));
            error = error_about("10.0.1.2", nut.last);
        } else {
            ASSERT_TRUE(nut.out("10.0.1.2:4000", "198.18.0.9:777", 1));
            ASSERT_EQ(nut.last.view().source(), ep("198.18.1.1:4000"));
            error = error_about("198.18.0.7", hop(nut.last));
        }
        auto translated = nut.send(error, c.direction, 2);
        ASSERT_TRUE(translated) << nut.nat.last_drop().text;
        Datagram quote{std::vector<std::byte>(nut.last.bytes.begin() + kQuote, nut.last.bytes.end())};
        if (c.direction == Direction::Outbound) {
            EXPECT_EQ(translated->source.addr, ip("198.18.1.1"));
            EXPECT_EQ(translated->destination.addr, ip("198.18.0.5"));
            EXPECT_EQ(quote.view().flow(), (Flow{ep("198.18.0.5:1"), ep("198.18.1.1:4000")}));
        } else {
            EXPECT_EQ(translated->destination.addr, ip("10.0.1.2"));
            EXPECT_EQ(quote.view().source(), ep("10.0.1.2:4000"));
        }
        expect_error_checksums(nut.last);
        EXPECT_EQ(nut.nat.counters().icmp_errors_translated, 1u);
    }
}

struct UnmatchedCase {
    const char* name;
    std::function<Datagram(NatUnderTest&)> make;
    Direction direction;
    DropCode want;
};

TEST(NatIcmpErrors, ErrorsThatMatchNoFlowAreDropped) {
    auto sent_udp = [](NatUnderTest& nut) {
        nut.out("10.0.1.2:4000", "198.18.0.2:3478");
        return hop(nut.last);
    };
    const UnmatchedCase cases[] = {
        {"about an external port no mapping owns",
         [](NatUnderTest&) {
             return error_about("198.18.0.2", Datagram{{ep("198.18.1.1:4999"), ep("198.18.0.2:3478")}});
         },
         Direction::Inbound, DropCode::IcmpErrorUnmatched},
        {"about a packet the mapping never sent",
         [&](NatUnderTest& nut) {
             sent_udp(nut);
             return error_about("198.18.0.2", Datagram{{ep("198.18.1.1:4000"), ep("198.18.0.66:53")}});
         },
         Direction::Inbound, DropCode::IcmpErrorUnmatched},
        {"from inside about a flow with no mapping",
         [](NatUnderTest&) {
             return error_about("10.0.1.2", Datagram{{ep("198.18.0.2:3478"), ep("10.0.1.2:4000")}});
         },
         Direction::Outbound, DropCode::IcmpErrorUnmatched},
        {"bad ICMP checksum (REQ-3)",
         [&](NatUnderTest& nut) {
             auto e = error_about("198.18.0.2", sent_udp(nut));
             store16(e.bytes, kIp + 2, 0x1234);
             return e;
         },
         Direction::Inbound, DropCode::Malformed},
        {"quoted IPv4 header damaged (REQ-3a)",
         [&](NatUnderTest& nut) {
             auto sent = sent_udp(nut);
             store16(sent.bytes, 10, 0x1234);
             return error_about("198.18.0.2", sent);
         },
         Direction::Inbound, DropCode::Malformed},
        {"quote shorter than 8 transport bytes",
         [&](NatUnderTest& nut) { return error_about("198.18.0.2", sent_udp(nut), 3, 3, kIp + 4); },
         Direction::Inbound, DropCode::Malformed},
        {"quoting a protocol the NAT does not translate",
         [&](NatUnderTest& nut) {
             auto sent = sent_udp(nut);
             store8(sent.bytes, 9, 47);
             store16(sent.bytes, 10, 0);
             store16(sent.bytes, 10, internet_checksum(std::span{sent.bytes}.first(kIp)));
             return error_about("198.18.0.2", sent);
         },
         Direction::Inbound, DropCode::IcmpErrorUnmatched},
        {"to an address that is not ours",
         [&](NatUnderTest& nut) {
             auto e = error_about("198.18.0.2", sent_udp(nut));
             e.view().set_destination_address(ip("198.18.1.77"));
             return e;
         },
         Direction::Inbound, DropCode::NotOurAddress},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        NatUnderTest nut{NatConfig{}};
        Datagram error = c.make(nut);
        EXPECT_FALSE(nut.send(error, c.direction, 1));
        EXPECT_EQ(nut.nat.last_drop().code, c.want) << nut.nat.last_drop().text;
    }
}

TEST(NatIcmpErrors, ErrorsNeverRefreshTheMapping) {
    NatConfig config;
    config.mapping_timeout = std::chrono::seconds{30};
    config.refresh_on_inbound = true;
    NatUnderTest nut{config};
    nut.out("10.0.1.2:4000", "198.18.0.2:3478", 0);
    Datagram error = error_about("198.18.0.2", hop(nut.last));
    ASSERT_TRUE(nut.send(error, Direction::Inbound, 25));
    EXPECT_FALSE(nut.in("198.18.0.2:3478", "198.18.1.1:4000", 31)) << "REQ-6: the error did not refresh";
    EXPECT_EQ(nut.nat.last_drop().code, DropCode::NoMapping);
}

}  // namespace
}  // namespace natlab::nat::testing
