// nat-emu's command line (simulator/emu_options.cpp).

#include <gtest/gtest.h>

#include "simulator/emu/emu_options.h"
#include "simulator/io/daemon.h"
#include "src/net/setup_error.h"
#include "tests/simulator/test_nat_support.h"

namespace natlab::nat::testing {
namespace {

using M = MappingBehaviour;
using F = FilteringBehaviour;
using A = PortAllocation;

std::vector<std::string> required_plus(std::vector<std::string> extra) {
    std::vector<std::string> args{
        "--name",    "nat1", "--inside",          "in0",          "--inside-address", "10.0.1.1/24",
        "--outside", "out0", "--outside-address", "198.18.1.1/15"};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
}

TEST(NatOptions, RequiredOnly) {
    auto o = parse_options(required_plus({}));
    EXPECT_EQ(o.name, "nat1");
    EXPECT_EQ(o.inside_interface, "in0");
    EXPECT_EQ(o.inside.address, ip("10.0.1.1"));
    EXPECT_EQ(o.inside.subnet, *Cidr::parse("10.0.1.0/24"));
    EXPECT_EQ(o.outside.address, ip("198.18.1.1"));
    EXPECT_EQ(o.outside.subnet, *Cidr::parse("198.18.0.0/15"));
    EXPECT_EQ(o.type, NatType::PortRestricted);
    EXPECT_EQ(o.nat, NatConfig{});
    EXPECT_FALSE(o.gateway);
    EXPECT_FALSE(o.ready_fd);
    EXPECT_EQ(o.events_path, "");
}

struct BehaviourCase {
    std::vector<std::string> flags;
    MappingBehaviour want_mapping;
    FilteringBehaviour want_filtering;
    PortAllocation want_allocation;
};

TEST(NatOptions, TypeSetsThePresetAndFlagsOverrideIt) {
    const BehaviourCase cases[] = {
        {{}, M::EndpointIndependent, F::AddressAndPortDependent, A::Preserve},
        {{"--type", "full-cone"}, M::EndpointIndependent, F::EndpointIndependent, A::Preserve},
        {{"--type", "restricted"}, M::EndpointIndependent, F::AddressDependent, A::Preserve},
        {{"--type", "symmetric"}, M::AddressAndPortDependent, F::AddressAndPortDependent, A::Random},
        {{"--type", "symmetric", "--port-allocation", "sequential"},
         M::AddressAndPortDependent,
         F::AddressAndPortDependent,
         A::Sequential},
        {{"--filtering", "endpoint-independent", "--type", "symmetric"},
         M::AddressAndPortDependent,
         F::EndpointIndependent,
         A::Random},
        {{"--mapping", "address-dependent"}, M::AddressDependent, F::AddressAndPortDependent, A::Preserve},
    };
    for (const auto& c : cases) {
        std::string joined;
        for (const auto& f : c.flags) joined += f + " ";
        SCOPED_TRACE(joined);
        auto o = parse_options(required_plus(c.flags));
        EXPECT_EQ(o.nat.mapping, c.want_mapping);
        EXPECT_EQ(o.nat.filtering, c.want_filtering);
        EXPECT_EQ(o.nat.port_allocation, c.want_allocation);
    }
}

TEST(NatOptions, TheOtherKnobs) {
    auto o = parse_options(required_plus(
        {"--outside-gateway", "198.18.0.1", "--port-range", "20000-20099", "--mapping-timeout", "2.5",
         "--hairpin", "on", "--refresh-on-inbound", "on", "--events", "/tmp/x.jsonl", "--ready-fd", "3"}));
    EXPECT_EQ(o.gateway, ip("198.18.0.1"));
    EXPECT_EQ(o.nat.ports, (PortRange{20000, 20099}));
    EXPECT_EQ(o.nat.mapping_timeout, std::chrono::milliseconds{2500});
    EXPECT_TRUE(o.nat.hairpin);
    EXPECT_TRUE(o.nat.refresh_on_inbound);
    EXPECT_EQ(o.events_path, "/tmp/x.jsonl");
    EXPECT_EQ(o.ready_fd, 3);
}

TEST(NatOptions, IcmpTcpAndPoolingKnobs) {
    auto defaults = parse_options(required_plus({}));
    EXPECT_EQ(defaults.nat.icmp_timeout, std::chrono::seconds{60});
    EXPECT_EQ(defaults.nat.tcp_established_timeout, std::chrono::seconds{7440});
    EXPECT_EQ(defaults.nat.tcp_transitory_timeout, std::chrono::seconds{240});
    EXPECT_EQ(defaults.nat.pooling, AddressPooling::Paired);
    EXPECT_TRUE(defaults.nat.icmp_errors);
    EXPECT_EQ(defaults.outside_addresses(), std::vector<Ipv4>{ip("198.18.1.1")});
    auto o = parse_options(
        required_plus({"--icmp-timeout", "30", "--tcp-established-timeout", "600", "--tcp-transitory-timeout",
                       "20.5", "--pooling", "arbitrary", "--icmp-errors", "off"}));
    EXPECT_EQ(o.nat.icmp_timeout, std::chrono::seconds{30});
    EXPECT_EQ(o.nat.tcp_established_timeout, std::chrono::seconds{600});
    EXPECT_EQ(o.nat.tcp_transitory_timeout, std::chrono::milliseconds{20500});
    EXPECT_EQ(o.nat.pooling, AddressPooling::Arbitrary);
    EXPECT_FALSE(o.nat.icmp_errors);
}

TEST(NatOptions, OutsideAddressRepeatsForAPool) {
    auto o = parse_options(
        required_plus({"--outside-address", "198.18.1.2", "--outside-address", "198.18.1.3/15"}));
    EXPECT_EQ(o.outside.address, ip("198.18.1.1")) << "the first one is primary";
    EXPECT_EQ(o.outside_addresses(),
              (std::vector<Ipv4>{ip("198.18.1.1"), ip("198.18.1.2"), ip("198.18.1.3")}));
}

struct BadCase {
    std::vector<std::string> args;
    const char* want_message;
};

TEST(NatOptions, BadValuesNameTheirFlag) {
    const BadCase cases[] = {
        {{"--name", "x"}, "is required"},
        {required_plus({"--type", "cone"}),
         "--type: expected full-cone, restricted, port-restricted or symmetric, got 'cone'"},
        {required_plus({"--mapping", "eim"}), "--mapping: expected endpoint-independent"},
        {required_plus({"--filtering", ""}), "--filtering"},
        {required_plus({"--port-allocation", "odd"}),
         "--port-allocation: expected preserve, sequential or random"},
        {required_plus({"--port-range", "9-1"}), "--port-range: expected LO-HI"},
        {required_plus({"--mapping-timeout", "0"}), "--mapping-timeout: expected a positive number"},
        {required_plus({"--mapping-timeout", "soon"}), "--mapping-timeout"},
        {required_plus({"--hairpin", "yes"}), "--hairpin: expected on or off, got 'yes'"},
        {required_plus({"--outside-gateway", "10.0.1.9"}), "is not in the outside subnet 198.18.0.0/15"},
        {required_plus({"--outside-gateway", "198.18.1.1"}), "is our own outside address"},
        {required_plus({"--ready-fd", "-1"}), "--ready-fd"},
        {required_plus({"--icmp-timeout", "0"}), "--icmp-timeout: expected a positive number"},
        {required_plus({"--tcp-established-timeout", "-5"}),
         "--tcp-established-timeout: expected a positive"},
        {required_plus({"--tcp-transitory-timeout", "0"}), "--tcp-transitory-timeout"},
        {required_plus({"--pooling", "random"}), "--pooling: expected paired or arbitrary, got 'random'"},
        {required_plus({"--icmp-errors", "maybe"}), "--icmp-errors: expected on or off"},
        {required_plus({"--outside-address", "198.20.1.1"}), "198.20.1.1 is not in the outside subnet"},
        {required_plus({"--outside-address", "198.18.1.2/24"}), "is not in the outside subnet 198.18.0.0/15"},
        {required_plus({"--outside-address", "198.18.1.1"}), "198.18.1.1 is given twice"},
        {required_plus({"--outside-address", "nope"}), "--outside-address: expected an address"},
        {required_plus({"--outside-address", "198.18.1.2", "--outside-gateway", "198.18.1.2"}),
         "is our own outside address"},
        {required_plus({"--bogus"}), "bogus"},
        {{"--name", "n", "--inside", "a", "--inside-address", "10.0.1.1/33", "--outside", "b",
          "--outside-address", "198.18.1.1/15"},
         "--inside-address: expected an address with prefix, a.b.c.d/len, got '10.0.1.1/33'"},
        {{"--name", "n", "--inside", "a", "--inside-address", "10.0.1.1/8", "--outside", "b",
          "--outside-address", "10.9.1.1/16"},
         "overlap"},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.want_message);
        try {
            parse_options(c.args);
            ADD_FAILURE() << "accepted";
        } catch (const SetupError& e) {
            EXPECT_NE(std::string{e.what()}.find(c.want_message), std::string::npos) << e.what();
        }
    }
}

// The required flags, an IPv6 LAN 2001:2:0:1::/64 and outside 2001:2::/64, and `extra`.
std::vector<std::string> ipv6_plus(std::vector<std::string> extra) {
    std::vector<std::string> args{"--inside6", "2001:2:0:1::1/64", "--outside6", "2001:2::101/64"};
    args.insert(args.end(), extra.begin(), extra.end());
    return required_plus(args);
}

TEST(NatOptions, Ipv6IsOffByDefault) {
    auto o = parse_options(required_plus({}));
    EXPECT_EQ(o.ipv6.mode, Ipv6Mode::Off);
    EXPECT_FALSE(o.ipv6.enabled());
}

TEST(NatOptions, Ipv6FirewallWithEveryKnob) {
    auto o = parse_options(ipv6_plus({"--ipv6",
                                      "firewall",
                                      "--route6",
                                      "2001:2:0:2::/64,2001:2::102",
                                      "--route6",
                                      "2001:2:0:3::/64,fe80::3",
                                      "--ipv6-gateway",
                                      "2001:2::1",
                                      "--ipv6-filtering",
                                      "address-dependent",
                                      "--ipv6-udp-timeout",
                                      "30",
                                      "--ipv6-tcp-timeout",
                                      "600",
                                      "--ipv6-refresh-on-inbound",
                                      "on",
                                      "--ipv6-echo-inbound",
                                      "off",
                                      "--router-advertisements",
                                      "10"}));
    const Ipv6Config& c = o.ipv6;
    EXPECT_EQ(c.mode, Ipv6Mode::Firewall);
    EXPECT_EQ(c.inside.to_string(), "2001:2:0:1::1/64");
    EXPECT_EQ(c.inside.prefix.to_string(), "2001:2:0:1::/64");
    EXPECT_EQ(c.outside.prefix.to_string(), "2001:2::/64");
    ASSERT_EQ(c.routes.size(), 2u);
    EXPECT_EQ(c.routes[0].to_string(), "2001:2:0:2::/64,2001:2::102");
    EXPECT_EQ(c.gateway, Ipv6::parse("2001:2::1"));
    EXPECT_EQ(c.firewall.filtering, F::AddressDependent);
    EXPECT_EQ(c.firewall.udp_timeout, std::chrono::seconds{30});
    EXPECT_EQ(c.firewall.tcp_timeout, std::chrono::seconds{600});
    EXPECT_TRUE(c.firewall.refresh_on_inbound);
    EXPECT_FALSE(c.firewall.echo_inbound);
    EXPECT_EQ(c.router_advertisements, std::chrono::seconds{10});
}

TEST(NatOptions, Ipv6Nptv6AndRoute) {
    auto o = parse_options(required_plus({"--ipv6", "nptv6", "--inside6", "fd00:0:0:1::1/64", "--outside6",
                                          "2001:2::101/64", "--nptv6-prefix", "2001:2:0:11::/64"}));
    EXPECT_EQ(o.ipv6.mode, Ipv6Mode::Nptv6);
    EXPECT_EQ(o.ipv6.nptv6_prefix, Ipv6Prefix::parse("2001:2:0:11::/64"));
    auto r = parse_options(ipv6_plus({"--ipv6", "route"}));
    EXPECT_EQ(r.ipv6.mode, Ipv6Mode::Route);
}

TEST(NatOptions, Ipv6Nat64) {
    auto o = parse_options(required_plus({"--ipv6", "nat64", "--inside6", "2001:2:0:1::1/64"}));
    EXPECT_EQ(o.ipv6.mode, Ipv6Mode::Nat64);
    EXPECT_FALSE(o.ipv6.outside_link);  // the outside may be IPv4 only
    EXPECT_EQ(o.ipv6.nat64_prefix, *Ipv6Prefix::parse("64:ff9b::/96"));
    auto p = parse_options(ipv6_plus({"--ipv6", "nat64", "--nat64-prefix", "64:ff9b:1::/48"}));
    EXPECT_TRUE(p.ipv6.outside_link);
    EXPECT_EQ(p.ipv6.nat64_prefix, *Ipv6Prefix::parse("64:ff9b:1::/48"));
}

TEST(NatOptions, Ipv6BadValuesNameTheirFlag) {
    const BadCase cases[] = {
        {required_plus({"--ipv6", "nat66"}),
         "--ipv6: expected off, route, firewall, nptv6 or nat64, got 'nat66'"},
        {required_plus({"--ipv6", "route"}), "--inside6 is required"},
        {required_plus({"--ipv6", "route", "--inside6", "2001:2:0:1::1/64"}), "--outside6 is required"},
        {required_plus({"--inside6", "2001:2:0:1::1/64"}), "need --ipv6"},
        {required_plus({"--ipv6", "route", "--inside6", "2001:2:0:1::1/48", "--outside6", "2001:2::101/64"}),
         "--inside6: expected"},
        {required_plus({"--ipv6", "route", "--inside6", "2001:2:0:1::1/64", "--outside6", "2001:2::101"}),
         "--outside6: expected"},
        {required_plus({"--ipv6", "route", "--inside6", "fe80::1/64", "--outside6", "2001:2::101/64"}),
         "--inside6: expected a global"},
        {required_plus(
             {"--ipv6", "route", "--inside6", "2001:2:0:1::1/64", "--outside6", "2001:2:0:1::9/64"}),
         "overlap"},
        {ipv6_plus({"--ipv6", "route", "--route6", "2001:2:0:2::/64"}),
         "--route6: expected PREFIX/LEN,NEXTHOP"},
        {ipv6_plus({"--ipv6", "route", "--route6", "2001:2:0:2::/64,2001:3::1"}),
         "is not on the outside link"},
        {ipv6_plus({"--ipv6", "route", "--route6", "2001:2:0:1::/64,2001:2::102"}),
         "overlaps the inside prefix"},
        {ipv6_plus({"--ipv6", "route", "--route6", "2001:2:0:2::/64,2001:2::101"}), "our own address"},
        {ipv6_plus({"--ipv6", "route", "--ipv6-gateway", "bogus"}),
         "--ipv6-gateway: expected an IPv6 address"},
        {ipv6_plus({"--ipv6", "route", "--ipv6-gateway", "2001:9::1"}), "is not on the outside link"},
        {ipv6_plus({"--ipv6", "route", "--ipv6-filtering", "endpoint-independent"}),
         "--ipv6-filtering applies to --ipv6 firewall only"},
        {ipv6_plus({"--ipv6", "firewall", "--ipv6-filtering", "apdf"}),
         "--ipv6-filtering: expected endpoint-independent"},
        {ipv6_plus({"--ipv6", "firewall", "--ipv6-udp-timeout", "0"}),
         "--ipv6-udp-timeout: expected a positive"},
        {ipv6_plus({"--ipv6", "firewall", "--ipv6-refresh-on-inbound", "yes"}),
         "--ipv6-refresh-on-inbound: expected on or off, got 'yes'"},
        {ipv6_plus({"--ipv6", "nptv6"}), "--ipv6 nptv6 needs --nptv6-prefix"},
        {ipv6_plus({"--ipv6", "nptv6", "--nptv6-prefix", "2001:2:0:11::/48"}),
         "--nptv6-prefix: expected a /64"},
        {ipv6_plus({"--ipv6", "nptv6", "--nptv6-prefix", "2001:2::/64"}),
         "overlaps the inside or outside prefix"},
        {ipv6_plus({"--ipv6", "route", "--nptv6-prefix", "2001:2:0:11::/64"}),
         "applies to --ipv6 nptv6 only"},
        {ipv6_plus({"--ipv6", "route", "--router-advertisements", "0"}),
         "--router-advertisements: expected a positive"},
        {required_plus({"--ipv6", "nat64"}), "--inside6 is required"},
        {ipv6_plus({"--ipv6", "nat64", "--nat64-prefix", "64:ff9b::/80"}),
         "--nat64-prefix: expected an RFC 6052"},
        {ipv6_plus({"--ipv6", "nat64", "--nat64-prefix", "64:ff9b:0:0:ff00::/96"}),
         "--nat64-prefix: expected an RFC 6052"},
        {ipv6_plus({"--ipv6", "nat64", "--nat64-prefix", "bogus"}), "--nat64-prefix: expected"},
        {ipv6_plus({"--ipv6", "nat64", "--nat64-prefix", "2001:2::/32"}), "overlaps the inside or outside"},
        {ipv6_plus({"--ipv6", "route", "--nat64-prefix", "64:ff9b::/96"}), "applies to --ipv6 nat64 only"},
        {required_plus({"--ipv6", "nat64", "--inside6", "2001:2:0:1::1/64", "--ipv6-gateway", "2001:2::1"}),
         "need --outside6"},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.want_message);
        try {
            parse_options(c.args);
            ADD_FAILURE() << "accepted";
        } catch (const SetupError& e) {
            EXPECT_NE(std::string{e.what()}.find(c.want_message), std::string::npos) << e.what();
        }
    }
}

TEST(NatOptions, HelpIsNotAnError) {
    try {
        parse_options({"--help"});
        ADD_FAILURE() << "no help";
    } catch (const HelpRequested& help) {
        EXPECT_NE(help.text.find("--outside-gateway"), std::string::npos);
    }
}

TEST(NatOptions, InterfaceAddressKeepsTheHostPart) {
    auto a = InterfaceAddress::parse("198.18.1.1/15");
    ASSERT_TRUE(a);
    EXPECT_EQ(a->address, ip("198.18.1.1"));
    EXPECT_EQ(a->subnet.to_string(), "198.18.0.0/15");
    EXPECT_EQ(a->to_string(), "198.18.1.1/15");
    for (const char* bad : {"198.18.1.1", "198.18.1.1/", "198.18.1.1/0", "198.18.1.1/x", "1.2.3/8"})
        EXPECT_FALSE(InterfaceAddress::parse(bad)) << bad;
}

}  // namespace
}  // namespace natlab::nat::testing
