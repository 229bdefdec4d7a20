// The peer's port mapping client (src/peer/port_mapping_client.h) against
// answers written with the codecs: the plan of protocols tried in turn, the
// answers recorded, and the UPnP step that the shell carries out.
#include <gtest/gtest.h>

#include <vector>

#include "src/peer/port_mapping_client.h"
#include "src/portmap/natpmp_codec.h"

namespace natlab {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

const Endpoint kGateway = *Endpoint::parse("10.0.1.1:0");
const Endpoint kInternal = *Endpoint::parse("10.0.1.2:40000");
const Endpoint kExternal = *Endpoint::parse("198.18.1.1:40000");
const pcp::Nonce kNonce{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
const TimePoint t0{};

std::vector<std::byte> pcp_answer(pcp::Result result) {
    pcp::Message m{pcp::kVersion, pcp::kOpMap, true, result, 7200};
    m.map = {kNonce, pcp::kProtocolUdp, kInternal.port, kExternal};
    return pcp::encode(m);
}

std::vector<std::byte> natpmp_answer(std::uint8_t opcode, natpmp::Result result) {
    natpmp::Response r{opcode, result};
    r.external = kExternal.addr;
    r.internal_port = r.mapped_port = kExternal.port;
    r.lifetime = 7200;
    return natpmp::encode(r);
}

// Ticks the client every 50 ms until `until`, answering each request it
// sends with `answer(request number)` (empty: silence).
struct Gateway {
    PortMappingClient client;
    std::function<std::vector<std::byte>(int)> answer = [](int) { return std::vector<std::byte>{}; };
    int requests = 0;

    TimePoint run(TimePoint from, Duration length) {
        TimePoint now = from;
        for (; now < from + length; now += milliseconds(50))
            for (const auto& out : client.on_tick(now)) {
                EXPECT_EQ(out.destination.port(), 5351);
                auto bytes = answer(requests++);
                if (!bytes.empty()) client.on_datagram(bytes, now);
            }
        return now;
    }
};

Gateway gateway(PortMappingMode mode) {
    return {PortMappingClient(mode, kGateway, kInternal, kNonce)};
}

std::string answers_of(const PortMappingClient& c) {
    std::string s;
    for (const auto& a : c.answers()) s += std::string{to_string(a.protocol)} + "=" + a.answer + ";";
    return s;
}

TEST(PortMappingClient, PlanTable) {
    struct Case {
        const char* what;
        PortMappingMode mode;
        std::function<std::vector<std::byte>(int)> answer;
        std::optional<MappingProtocol> protocol;
        const char* answers;
        bool wants_upnp;
    };
    auto silent = [](int) { return std::vector<std::byte>{}; };
    const std::vector<Case> cases{
        {"pcp granted", PortMappingMode::pcp, [](int) { return pcp_answer(pcp::Result::Success); },
         MappingProtocol::pcp, "pcp=SUCCESS;", false},
        {"pcp refused, alone", PortMappingMode::pcp,
         [](int) { return pcp_answer(pcp::Result::NotAuthorized); }, std::nullopt, "pcp=NOT_AUTHORIZED;",
         false},
        {"auto: a NAT-PMP-only gateway (RFC 6887 §9), then NAT-PMP grants", PortMappingMode::automatic,
         [](int n) {
             if (n == 0) return natpmp_answer(0, natpmp::Result::UnsupportedVersion);
             return natpmp_answer(n == 1 ? natpmp::kOpExternalAddress : natpmp::kOpMapUdp,
                                  natpmp::Result::Success);
         },
         MappingProtocol::nat_pmp, "pcp=UNSUPP_VERSION (NAT-PMP only);nat-pmp=success;", false},
        {"auto: both refuse, then the UPnP step is the shell's", PortMappingMode::automatic,
         [](int n) {
             return n == 0 ? pcp_answer(pcp::Result::NotAuthorized)
                           : natpmp_answer(0, natpmp::Result::NotAuthorized);
         },
         std::nullopt, "pcp=NOT_AUTHORIZED;nat-pmp=not-authorized;", true},
        {"auto: a silent gateway, 4 tries each", PortMappingMode::automatic, silent, std::nullopt,
         "pcp=no answer;nat-pmp=no answer;", true},
        {"upnp: nothing sent on 5351, the shell is asked", PortMappingMode::upnp, silent, std::nullopt, "",
         true},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.what);
        auto g = gateway(c.mode);
        g.answer = c.answer;
        g.run(t0, seconds(3));
        EXPECT_EQ(g.client.protocol(), c.protocol);
        EXPECT_EQ(answers_of(g.client), c.answers);
        EXPECT_EQ(g.client.take_upnp_request(), c.wants_upnp);
        EXPECT_FALSE(g.client.take_upnp_request()) << "asked once only";
        EXPECT_EQ(g.client.settled(), !c.wants_upnp);
    }
    auto upnp = gateway(PortMappingMode::upnp);
    upnp.run(t0, seconds(3));
    EXPECT_EQ(upnp.requests, 0);
}

TEST(PortMappingClient, UpnpStepTakesTheShellsAnswer) {
    struct Case {
        const char* what;
        std::optional<Endpoint> external;
        const char* answer;
        std::optional<MappingProtocol> protocol;
        const char* answers;
    };
    const std::vector<Case> cases{
        {"mapped", kExternal, "success", MappingProtocol::upnp,
         "pcp=no answer;nat-pmp=no answer;upnp=success;"},
        {"refused by policy", std::nullopt, "error 606", std::nullopt,
         "pcp=no answer;nat-pmp=no answer;upnp=error 606;"},
        {"no gateway", std::nullopt, "no gateway", std::nullopt,
         "pcp=no answer;nat-pmp=no answer;upnp=no gateway;"},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.what);
        auto g = gateway(PortMappingMode::automatic);
        TimePoint now = g.run(t0, seconds(3));
        ASSERT_TRUE(g.client.take_upnp_request());
        EXPECT_TRUE(g.client.on_upnp_answer(c.external, 600, c.answer, now));
        EXPECT_TRUE(g.client.settled());
        EXPECT_EQ(g.client.protocol(), c.protocol);
        EXPECT_EQ(g.client.mapped(), c.external);
        EXPECT_EQ(answers_of(g.client), c.answers);
        // The shell renews and deletes a UPnP mapping: nothing goes to 5351.
        int before = g.requests;
        g.run(now, seconds(400));
        EXPECT_EQ(g.requests, before);
        EXPECT_TRUE(g.client.release().empty());
        EXPECT_EQ(g.client.renewals(), 0u);
    }
}

TEST(PortMappingClient, UpnpStepGivesUpWithoutTheShellsAnswer) {
    PortMappingTimers timers;
    timers.upnp_wait = seconds(2);
    PortMappingClient client(PortMappingMode::upnp, kGateway, kInternal, kNonce, 7200, timers);
    EXPECT_TRUE(client.on_tick(t0).empty());
    ASSERT_TRUE(client.take_upnp_request());
    client.on_tick(t0 + milliseconds(1999));
    EXPECT_FALSE(client.settled());
    client.on_tick(t0 + seconds(2));
    EXPECT_TRUE(client.settled());
    EXPECT_EQ(answers_of(client), "upnp=no answer;");
    EXPECT_FALSE(client.on_upnp_answer(kExternal, 600, "success", t0 + seconds(3))) << "too late";
    EXPECT_FALSE(client.mapped());
}

TEST(PortMappingClient, PcpMappingRenewedAtHalfItsLifetimeAndDeleted) {
    auto g = gateway(PortMappingMode::pcp);
    g.answer = [](int) { return pcp_answer(pcp::Result::Success); };
    TimePoint now = g.run(t0, seconds(1));
    EXPECT_EQ(g.requests, 1);
    g.run(now, seconds(3601));
    EXPECT_EQ(g.requests, 2);
    EXPECT_EQ(g.client.renewals(), 1u);
    auto release = g.client.release();
    ASSERT_EQ(release.size(), 1u);
    pcp::Message m;
    ASSERT_EQ(pcp::decode_request(release[0].bytes, m), pcp::Result::Success);
    EXPECT_EQ(m.lifetime, 0u);
}

// Renewals, fed raw gateway answers.
namespace renewal {

const Endpoint kGateway{Ipv4{0x0a000101}, 0};
const Endpoint kInternal{Ipv4{0x0a000102}, 4000};
const Endpoint kMapped{Ipv4{0xc6120101}, 4000};
const pcp::Nonce kNonce{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};

std::vector<std::byte> bytes(std::initializer_list<int> values) {
    std::vector<std::byte> out;
    for (int v : values) out.push_back(static_cast<std::byte>(v));
    return out;
}

// A PCP MAP answer (RFC 6887 §11.1) for kNonce: 198.18.1.1:4000 for 120 s.
std::vector<std::byte> pcp_granted() {
    pcp::Message m{pcp::kVersion, pcp::kOpMap, true, pcp::Result::Success, 120, 5};
    m.map = {kNonce, pcp::kProtocolUdp, 4000, kMapped};
    return pcp::encode(m);
}

TimePoint at(int seconds) {
    return TimePoint{} + std::chrono::seconds{seconds};
}

// Found by fuzz_pcp: a NAT-PMP "unsupported version" answer to a PCP
// renewal made the client give up the PCP step while it still held the
// mapping, which then named no protocol (and `auto` went on to NAT-PMP
// holding it). A failed renewal keeps the mapping.
TEST(PortMappingClient, RenewalAnswersKeepTheMapping) {
    const struct {
        const char* name;
        PortMappingMode mode;
        std::vector<std::byte> answer;  // to the renewal, at 60 s
    } cases[] = {
        {"NAT-PMP unsupported version (RFC 6886 §3.5), pcp", PortMappingMode::pcp,
         bytes({0, 128, 0, 1, 0, 0, 0, 9})},
        {"NAT-PMP unsupported version, auto", PortMappingMode::automatic, bytes({0, 128, 0, 1, 0, 0, 0, 9})},
        {"PCP NOT_AUTHORIZED", PortMappingMode::pcp,
         [] {
             auto refused = pcp_granted();
             refused[3] = std::byte{2};
             return refused;
         }()},
    };
    for (const auto& c : cases) {
        PortMappingClient client{c.mode, kGateway, kInternal, kNonce};
        ASSERT_EQ(client.on_tick(at(0)).size(), 1u) << c.name;
        client.on_datagram(pcp_granted(), at(0));
        ASSERT_TRUE(client.mapped()) << c.name;
        ASSERT_EQ(client.on_tick(at(60)).size(), 1u) << c.name << ": the renewal";
        client.on_datagram(c.answer, at(60));
        EXPECT_EQ(client.mapped(), kMapped) << c.name;
        EXPECT_EQ(client.protocol(), MappingProtocol::pcp) << c.name;
        EXPECT_EQ(client.answers().size(), 1u) << c.name;
        EXPECT_EQ(client.release().size(), 1u) << c.name << ": the deletion";
    }
}

}  // namespace renewal

}  // namespace
}  // namespace natlab
