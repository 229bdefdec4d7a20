// The stateful IPv6 firewall (simulator/v6/firewall6.h) as tables on a
// fake clock: the three filtering behaviours, timeouts and refresh, ICMPv6.
#include <gtest/gtest.h>

#include "simulator/v6/firewall6.h"

namespace natlab::v6 {
namespace {

using nat::FilteringBehaviour;
using std::chrono::seconds;

Endpoint6 ep(const char* address, std::uint16_t port) {
    return {*Ipv6::parse(address), port};
}

const Ipv6Prefix kLan = *Ipv6Prefix::parse("2001:2:0:1::/64");
const Endpoint6 kHost = ep("2001:2:0:1::2", 40000);
const Endpoint6 kServer = ep("2001:2::2", 3478);
const TimePoint t0{};

Flow6 out(Endpoint6 to, nat::Protocol p = nat::Protocol::Udp) {
    return {kHost, to, p};
}
Flow6 in(Endpoint6 from, nat::Protocol p = nat::Protocol::Udp) {
    return {from, kHost, p};
}

std::string verdict(const std::optional<Refused>& r) {
    return r ? std::string{to_string(r->why)} : "pass";
}

// After the host sent to kServer: who gets in, per behaviour.
TEST(Firewall6, FilteringTable) {
    struct Case {
        const char* from;
        std::uint16_t port;
        const char* eif;
        const char* adf;
        const char* apdf;
    };
    const Case cases[] = {
        {"2001:2::2", 3478, "pass", "pass", "pass"},          // the endpoint sent to
        {"2001:2::2", 3479, "pass", "pass", "filtered"},      // its address, another port
        {"2001:2::3", 3478, "pass", "filtered", "filtered"},  // another address
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.from + std::string(":") + std::to_string(c.port));
        const std::pair<FilteringBehaviour, const char*> behaviours[] = {
            {FilteringBehaviour::EndpointIndependent, c.eif},
            {FilteringBehaviour::AddressDependent, c.adf},
            {FilteringBehaviour::AddressAndPortDependent, c.apdf}};
        for (auto [behaviour, want] : behaviours) {
            Firewall6 fw({behaviour}, kLan);
            ASSERT_FALSE(fw.outbound(out(kServer), t0));
            EXPECT_EQ(verdict(fw.inbound(in(ep(c.from, c.port)), t0 + seconds(1))), want)
                << nat::to_string(behaviour);
        }
    }
}

TEST(Firewall6, NothingGetsInUnasked) {
    Firewall6 fw({FilteringBehaviour::EndpointIndependent}, kLan);
    auto r = fw.inbound(in(kServer), t0);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->why, Refusal::no_state);
    EXPECT_EQ(r->text, "no state for udp [2001:2:0:1::2]:40000: the inside has not sent from it");
    ASSERT_FALSE(fw.outbound(out(kServer), t0));
    EXPECT_EQ(verdict(fw.inbound(in(kServer, nat::Protocol::Tcp), t0)), "no-state")
        << "state is per protocol";
    EXPECT_EQ(verdict(fw.inbound({kServer, ep("2001:2:0:1::2", 40001), nat::Protocol::Udp}, t0)), "no-state")
        << "and per inside port";
}

TEST(Firewall6, SpoofedSourcesDoNotLeave) {
    Firewall6 fw({}, kLan);
    auto r = fw.outbound({ep("2001:2:0:9::2", 1), kServer, nat::Protocol::Udp}, t0);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->why, Refusal::not_inside);
    EXPECT_EQ(fw.states(), 0u);
}

TEST(Firewall6, TimeoutsAndRefresh) {
    struct Case {
        const char* what;
        bool refresh_on_inbound;
        int inbound_at;  // seconds; an admitted inbound packet
        int probe_at;    // then another inbound packet
        const char* want;
    };
    const Case cases[] = {
        {"alive before the timeout", false, 10, 29, "pass"},
        {"gone at the timeout", false, 10, 30, "no-state"},
        {"inbound does not refresh by default", false, 25, 35, "no-state"},
        {"inbound refreshes when configured", true, 25, 35, "pass"},
        {"refreshed, then gone", true, 25, 55, "no-state"},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.what);
        FirewallConfig config{FilteringBehaviour::AddressAndPortDependent, Millis{30'000}};
        config.refresh_on_inbound = c.refresh_on_inbound;
        Firewall6 fw(config, kLan);
        ASSERT_FALSE(fw.outbound(out(kServer), t0));
        ASSERT_FALSE(fw.inbound(in(kServer), t0 + seconds(c.inbound_at)));
        EXPECT_EQ(verdict(fw.inbound(in(kServer), t0 + seconds(c.probe_at))), c.want);
    }
}

TEST(Firewall6, OutboundRefreshesAndExpireForgets) {
    Firewall6 fw({FilteringBehaviour::AddressDependent, Millis{30'000}}, kLan);
    ASSERT_FALSE(fw.outbound(out(kServer), t0));
    ASSERT_FALSE(fw.outbound(out(kServer), t0 + seconds(20)));
    EXPECT_EQ(verdict(fw.inbound(in(kServer), t0 + seconds(45))), "pass");
    EXPECT_EQ(fw.expire(t0 + seconds(49)), 0u);
    EXPECT_EQ(fw.expire(t0 + seconds(50)), 1u);
    EXPECT_EQ(fw.states(), 0u);
}

TEST(Firewall6, TcpLivesLonger) {
    Firewall6 fw({}, kLan);
    ASSERT_FALSE(fw.outbound(out(kServer, nat::Protocol::Tcp), t0));
    ASSERT_FALSE(fw.outbound(out(kServer), t0));
    EXPECT_EQ(verdict(fw.inbound(in(kServer, nat::Protocol::Tcp), t0 + seconds(7439))), "pass")
        << "2 h 4 min";
    EXPECT_EQ(verdict(fw.inbound(in(kServer), t0 + seconds(300))), "no-state") << "UDP: 5 min";
}

TEST(Firewall6, Icmpv6) {
    Endpoint6 pinger = ep("2001:2::9", 0);
    Firewall6 fw({FilteringBehaviour::AddressAndPortDependent}, kLan);
    // Echo requests from outside cross by default (RFC 4890 section 4.3.1).
    EXPECT_EQ(verdict(fw.inbound({pinger, ep("2001:2:0:1::2", 0), nat::Protocol::Icmp}, t0,
                                 Icmp6Kind::echo_request)),
              "pass");
    Firewall6 closed(
        {FilteringBehaviour::AddressAndPortDependent, Millis{30'000}, Millis{30'000}, false, false}, kLan);
    EXPECT_EQ(verdict(closed.inbound({pinger, ep("2001:2:0:1::2", 0), nat::Protocol::Icmp}, t0,
                                     Icmp6Kind::echo_request)),
              "no-state");
    // An echo reply only for the host's own echo, by identifier.
    ASSERT_FALSE(fw.outbound({ep("2001:2:0:1::2", 77), pinger, nat::Protocol::Icmp}, t0));
    EXPECT_EQ(verdict(fw.inbound({pinger, ep("2001:2:0:1::2", 77), nat::Protocol::Icmp}, t0,
                                 Icmp6Kind::echo_reply)),
              "pass");
    EXPECT_EQ(verdict(fw.inbound({pinger, ep("2001:2:0:1::2", 78), nat::Protocol::Icmp}, t0,
                                 Icmp6Kind::echo_reply)),
              "no-state");
    EXPECT_EQ(
        verdict(fw.inbound({pinger, ep("2001:2:0:1::2", 77), nat::Protocol::Icmp}, t0, Icmp6Kind::other)),
        "unsupported-icmp");
    // An error only for a packet that left: its quoted flow must match state.
    ASSERT_FALSE(fw.outbound(out(kServer), t0));
    EXPECT_EQ(verdict(fw.inbound_error(out(kServer), t0 + seconds(1))), "pass");
    EXPECT_EQ(verdict(fw.inbound_error(out(ep("2001:2::77", 53)), t0 + seconds(1))), "icmp-error-unmatched");
    EXPECT_EQ(nat::icmp6_kind(1), Icmp6Kind::error);
    EXPECT_EQ(nat::icmp6_kind(2), Icmp6Kind::error);
    EXPECT_EQ(nat::icmp6_kind(4), Icmp6Kind::error);
    EXPECT_EQ(nat::icmp6_kind(128), Icmp6Kind::echo_request);
    EXPECT_EQ(nat::icmp6_kind(129), Icmp6Kind::echo_reply);
    EXPECT_EQ(nat::icmp6_kind(135), Icmp6Kind::other);
}

TEST(Firewall6, RefusalTextsNameTheBehaviourAndEndpoints) {
    Firewall6 fw({FilteringBehaviour::AddressDependent}, kLan);
    ASSERT_FALSE(fw.outbound(out(kServer), t0));
    auto r = fw.inbound(in(ep("2001:2::3", 1)), t0);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->text, "filtered (address-dependent): [2001:2:0:1::2]:40000 has not sent to 2001:2::3");
    for (int i = 0;; ++i) {
        auto name = to_string(static_cast<Refusal>(i));
        if (name == "?") break;
        EXPECT_FALSE(name.empty());
    }
}

}  // namespace
}  // namespace natlab::v6
