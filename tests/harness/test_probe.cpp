// nat-lab probe's pure core: tables of {observations, want verdict}, the
// timeout grids, the printed NAT block and the option checks.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "harness/plan/scenario.h"
#include "harness/probe/probe_core.h"
#include "harness/probe/probe_options.h"
#include "harness/probe/probe_report.h"

using namespace natlab;
using namespace natlab::probe;
using M = nat::MappingBehaviour;
using F = nat::FilteringBehaviour;
using A = nat::PortAllocation;

namespace {

Endpoint ep(const char* text) {
    return *Endpoint::parse(text);
}
Millis s(double seconds) {
    return Millis{static_cast<long>(seconds * 1000)};
}

TEST(ProbeMapping, Rfc5780Section43) {
    struct Case {
        const char *primary, *other_ip, *other_both;
        M want;
        Certainty sure;
    } cases[] = {
        {"198.18.1.1:4000", "198.18.1.1:4000", "198.18.1.1:4000", M::EndpointIndependent,
         Certainty::Measured},
        {"198.18.1.1:4000", "198.18.1.1:4001", "198.18.1.1:4001", M::AddressDependent, Certainty::Measured},
        {"198.18.1.1:4000", "198.18.1.1:4001", "198.18.1.1:4002", M::AddressAndPortDependent,
         Certainty::Measured},
        {"198.18.1.1:4000", nullptr, nullptr, M::EndpointIndependent, Certainty::Assumed},  // no alternate
    };
    for (const auto& c : cases) {
        MappingAnswers a{ep(c.primary), std::nullopt, std::nullopt};
        if (c.other_ip) a.other_ip = ep(c.other_ip), a.other_both = ep(c.other_both);
        auto v = classify_mapping(a);
        EXPECT_EQ(v.value, c.want) << c.other_ip;
        EXPECT_EQ(v.certainty, c.sure);
    }
}

TEST(ProbeFiltering, Rfc5780Section44) {
    struct Case {
        FilteringAnswers answers;
        F want;
        Certainty sure;
    } cases[] = {
        {{true, true, false}, F::EndpointIndependent, Certainty::Measured},
        {{true, false, true}, F::AddressDependent, Certainty::Measured},
        {{true, false, false}, F::AddressAndPortDependent, Certainty::Measured},
        {{false, false, false}, F::AddressAndPortDependent, Certainty::Assumed},
    };
    for (const auto& c : cases) {
        auto v = classify_filtering(c.answers);
        EXPECT_EQ(v.value, c.want);
        EXPECT_EQ(v.certainty, c.sure);
    }
}

std::vector<PortSample> samples(std::vector<std::pair<int, const char*>> rows) {
    std::vector<PortSample> out;
    for (auto [local, mapped] : rows) out.push_back({static_cast<std::uint16_t>(local), ep(mapped)});
    return out;
}

TEST(ProbeAllocation, PreserveSequentialRandom) {
    struct Case {
        std::vector<PortSample> samples;
        A want;
        int step;
        bool parity;
    } cases[] = {
        {samples({{40001, "198.18.1.1:40001"}, {40100, "198.18.1.1:40100"}, {40203, "198.18.1.1:40203"}}),
         A::Preserve, 0, true},
        {samples({{40001, "198.18.1.1:1024"}, {40100, "198.18.1.1:1025"}, {40203, "198.18.1.1:1026"}}),
         A::Sequential, 1, false},
        {samples({{40001, "198.18.1.1:1030"}, {40100, "198.18.1.1:1028"}, {40203, "198.18.1.1:1026"}}),
         A::Sequential, -2, false},
        // two external addresses, each with its own sequence
        {samples({{40001, "198.18.1.1:1024"},
                  {40100, "198.18.1.2:1024"},
                  {40203, "198.18.1.1:1025"},
                  {40300, "198.18.1.2:1025"}}),
         A::Sequential, 1, false},
        {samples({{40001, "198.18.1.1:51234"}, {40100, "198.18.1.1:2207"}, {40203, "198.18.1.1:33001"}}),
         A::Random, 0, false},
        // a step this large is chance, not a policy
        {samples({{40001, "198.18.1.1:1000"}, {40100, "198.18.1.1:2000"}, {40203, "198.18.1.1:3000"}}),
         A::Random, 0, false},
    };
    for (const auto& c : cases) {
        auto a = classify_allocation(c.samples);
        EXPECT_EQ(a.policy.value, c.want) << a.policy.evidence;
        EXPECT_EQ(a.step, c.step);
        EXPECT_EQ(a.parity.value, c.parity) << a.parity.evidence;
    }
}

TEST(ProbeAllocation, Contiguity) {
    auto low = PortSample{30000, ep("198.18.1.1:5000")};
    EXPECT_TRUE(classify_contiguity(low, PortSample{30001, ep("198.18.1.1:5001")}).value);
    EXPECT_FALSE(classify_contiguity(low, PortSample{30001, ep("198.18.1.1:5007")}).value);
    EXPECT_FALSE(classify_contiguity(low, PortSample{30001, ep("198.18.1.2:5001")}).value);
    EXPECT_EQ(classify_contiguity(low, std::nullopt).certainty, Certainty::Assumed);
}

TEST(ProbeHairpin, HeardOrObservableSilence) {
    struct Case {
        bool heard;
        M mapping;
        F filtering;
        bool want;
        Certainty sure;
    } cases[] = {
        {true, M::AddressAndPortDependent, F::AddressAndPortDependent, true, Certainty::Measured},
        {false, M::EndpointIndependent, F::AddressAndPortDependent, false, Certainty::Measured},
        {false, M::AddressAndPortDependent, F::EndpointIndependent, false, Certainty::Measured},
        {false, M::AddressDependent, F::AddressDependent, false, Certainty::Assumed},
    };
    for (const auto& c : cases) {
        auto v = classify_hairpin(c.heard, c.mapping, c.filtering);
        EXPECT_EQ(v.value, c.want);
        EXPECT_EQ(v.certainty, c.sure);
    }
}

TEST(ProbePooling, OneOrSeveralAddresses) {
    std::vector<Endpoint> one{ep("198.18.1.1:1"), ep("198.18.1.1:2")};
    std::vector<Endpoint> two{ep("198.18.1.1:1"), ep("198.18.1.2:2"), ep("198.18.1.1:3")};
    EXPECT_EQ(classify_pooling(one).value, nat::AddressPooling::Paired);
    EXPECT_EQ(classify_pooling(one).certainty, Certainty::Inferred);
    EXPECT_EQ(classify_pooling(two).value, nat::AddressPooling::Arbitrary);
    EXPECT_EQ(distinct_addresses(two).size(), 2u);
}

TEST(ProbeTimeout, Grids) {
    EXPECT_EQ(coarse_grid(s(5)), (std::vector<Millis>{s(1), s(1.5), s(2.25), s(3.375)}));
    EXPECT_TRUE(coarse_grid(s(0.5)).empty());
    Bracket b{s(5), s(7.5)};
    EXPECT_EQ(fine_grid(b, 5, s(60)), (std::vector<Millis>{s(5.5), s(6), s(6.5), s(7)}));
    EXPECT_EQ(fine_grid(b, 5, s(6)), (std::vector<Millis>{s(5.5), s(6)}));
    EXPECT_TRUE(fine_grid(Bracket{s(5), std::nullopt}, 5, s(60)).empty());
}

TEST(ProbeTimeout, BracketAndEstimate) {
    struct Case {
        std::vector<Trial> trials;
        std::optional<Millis> alive, dead;
        Millis want;
        Certainty sure;
    } cases[] = {
        {{{s(1), true}, {s(3), true}, {s(5), false}, {s(7), false}}, s(3), s(5), s(4), Certainty::Measured},
        {{{s(1), true}, {s(2), std::nullopt}, {s(3), true}}, s(3), std::nullopt, s(3), Certainty::Assumed},
        {{{s(1), false}}, std::nullopt, s(1), s(1), Certainty::Assumed},
        {{}, std::nullopt, std::nullopt, s(120), Certainty::Assumed},
        // an early loss before a later answer: the answer wins, the bracket stays above it
        {{{s(2), false}, {s(3), true}, {s(4.5), false}}, s(3), s(4.5), s(3.8), Certainty::Measured},
    };
    for (const auto& c : cases) {
        auto b = bracket(c.trials);
        EXPECT_EQ(b.alive, c.alive);
        EXPECT_EQ(b.dead, c.dead);
        auto v = estimate_timeout(b);
        EXPECT_EQ(v.value, c.want) << v.evidence;
        EXPECT_EQ(v.certainty, c.sure);
    }
}

TEST(ProbeTimeout, SkipsChecksPastADeadOne) {
    std::vector<Trial> trials{{s(1), true}, {s(5), false}};
    EXPECT_TRUE(still_needed(s(3), trials));
    EXPECT_FALSE(still_needed(s(5), trials));
    EXPECT_FALSE(still_needed(s(8), trials));
}

TEST(ProbeRefresh, ChecksEveryHalfTheLowEndUntilPastTheHighEnd) {
    Bracket b{s(4), s(6)};
    EXPECT_EQ(refresh_checks(b, s(60)), (std::vector<Millis>{s(2), s(4), s(6), s(7.2)}));
    EXPECT_TRUE(refresh_checks(b, s(7)).empty());  // the last check would be past the budget
    EXPECT_TRUE(classify_refresh(b, true).value);
    EXPECT_FALSE(classify_refresh(b, false).value);
    EXPECT_EQ(classify_refresh(b, std::nullopt).certainty, Certainty::Assumed);
}

TEST(ProbeExhaustion, AllAnsweredIsALowerBound) {
    EXPECT_EQ(classify_exhaustion({100, 100}).certainty, Certainty::Inferred);
    auto lossy = classify_exhaustion({100, 98, false});
    EXPECT_EQ(lossy.value, 98);
    EXPECT_EQ(lossy.certainty, Certainty::Inferred) << "two answers lost, no three in a row: no limit";
    auto v = classify_exhaustion({53, 50, true});
    EXPECT_EQ(v.value, 50);
    EXPECT_EQ(v.certainty, Certainty::Measured);
    auto crowded = classify_exhaustion({53, 50, true, false});
    EXPECT_EQ(crowded.value, 50);
    EXPECT_EQ(crowded.certainty, Certainty::Inferred)
        << "earlier mappings may have taken some of the allowance";
}

Findings sample_findings() {
    Findings f;
    f.server = ep("198.18.0.2:3478");
    f.alternate = ep("198.18.0.3:3479");
    f.mapping = {M::EndpointIndependent, Certainty::Measured, "same"};
    f.filtering = {F::AddressDependent, Certainty::Measured, "other port only"};
    f.allocation.policy = {A::Sequential, Certainty::Measured, "+1"};
    f.allocation.step = 1;
    f.timeout = {s(6.1), Certainty::Measured, "bracket"};
    f.refresh_on_inbound = {true, Certainty::Measured, "kept"};
    f.hairpin = {true, Certainty::Measured, "came back"};
    f.pooling = {nat::AddressPooling::Arbitrary, Certainty::Measured, "two"};
    f.external_addresses = {*Ipv4::parse("198.18.1.60"), *Ipv4::parse("198.18.1.61")};
    return f;
}

TEST(ProbeReport, YamlIsAScenarioNatWithACommentPerLine) {
    std::string yaml = to_yaml(sample_findings());
    for (const char* want :
         {"nats:\n  probed:\n", "    mapping: endpoint-independent ", "    filtering: address-dependent ",
          "    port_allocation: sequential ", "    mapping_timeout: 6.1s ", "    refresh_on_inbound: true ",
          "    hairpin: true ", "    pooling: arbitrary ", "    addresses: [198.18.1.60, 198.18.1.61] ",
          "# measured: other port only\n", "    # sequential step: 1\n"})
        EXPECT_NE(yaml.find(want), std::string::npos) << want << "\n" << yaml;
}

// port_parity is always a key; mappings_per_host only when the limit was
// reached after the earlier mappings timed out (else a comment).
TEST(ProbeReport, ParityAndMappingLimit) {
    struct Case {
        const char* what;
        bool parity;
        std::optional<Exhaustion> exhaustion;
        std::vector<std::string> present, absent;
    };
    const std::vector<Case> cases{
        {"no --exhaust",
         true,
         std::nullopt,
         {"    port_parity: true "},
         {"mappings_per_host", "mappings per host"}},
        {"limit reached",
         false,
         Exhaustion{23, 20, true, true},
         {"    port_parity: false ", "    mappings_per_host: 20 ",
          "# measured: 20 of 23 sockets got a mapping"},
         {"# mappings per host"}},
        {"every socket mapped",
         false,
         Exhaustion{40, 40, false, true},
         {"    # mappings per host: 40 or more  # inferred: at least"},
         {"    mappings_per_host:"}},
        {"earlier mappings perhaps live",
         false,
         Exhaustion{23, 17, true, false},
         {"    # mappings per host: 17 or more  # inferred: "},
         {"    mappings_per_host:"}},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.what);
        auto f = sample_findings();
        f.allocation.parity = {c.parity, Certainty::Measured, "8 of 8"};
        if (c.exhaustion) f.mappings_per_host = classify_exhaustion(*c.exhaustion);
        std::string yaml = to_yaml(f);
        for (const auto& want : c.present)
            EXPECT_NE(yaml.find(want), std::string::npos) << want << "\n" << yaml;
        for (const auto& not_want : c.absent)
            EXPECT_EQ(yaml.find(not_want), std::string::npos) << not_want << "\n" << yaml;
    }
}

TEST(ProbeReport, AddressesOffTheLabInternetAreOnlyAComment) {
    auto f = sample_findings();
    f.external_addresses = {*Ipv4::parse("203.0.113.5"), *Ipv4::parse("203.0.113.6")};
    std::string yaml = to_yaml(f);
    EXPECT_EQ(yaml.find("    addresses:"), std::string::npos);
    EXPECT_NE(yaml.find("# external addresses seen: [203.0.113.5, 203.0.113.6]"), std::string::npos);
}

TEST(ProbeReport, Json) {
    std::string json = to_json(sample_findings());
    for (const char* want :
         {R"("mapping": {)", R"("value": "endpoint-independent")", R"("certainty": "measured")",
          R"("value": 6.1)", R"("alternate": "198.18.0.3:3479")"})
        EXPECT_NE(json.find(want), std::string::npos) << want << "\n" << json;
}

std::optional<Endpoint> parse_only(const std::string& text, std::string& error) {
    auto e = Endpoint::parse(text);
    if (!e) error = "expected HOST:PORT, not '" + text + "'";
    return e;
}

TEST(ProbeOptions, BadFlagsAreOneLine) {
    struct Case {
        Flags flags;
        const char* want;  // the start of the error; nullptr: accepted
    } cases[] = {
        {{"198.18.0.2:3478", "198.18.0.3:3479", "60s", 0, false}, nullptr},
        {{"198.18.0.2:3478", "", "5s", 1000, true}, nullptr},
        {{"", "", "60s", 0, false}, "--server HOST:PORT is required"},
        {{"nowhere", "", "60s", 0, false}, "--server: expected HOST:PORT"},
        {{"198.18.0.2:0", "", "60s", 0, false}, "--server: needs a specific address and a port"},
        {{"198.18.0.2:3478", "198.18.0.2:3479", "60s", 0, false}, "--alternate: must differ"},
        {{"198.18.0.2:3478", "198.18.0.3:3478", "60s", 0, false}, "--alternate: must differ"},
        {{"198.18.0.2:3478", "", "4s", 0, false}, "--max-time: a duration from 5s to 1h"},
        {{"198.18.0.2:3478", "", "soon", 0, false}, "--max-time: a duration from 5s to 1h"},
        {{"198.18.0.2:3478", "", "60s", 1001, false}, "--exhaust: from 1 to 1000"},
        {{"198.18.0.2:3478", "", "60s", -1, false}, "--exhaust: from 1 to 1000"},
    };
    for (const auto& c : cases) {
        auto got = check_flags(c.flags, parse_only);
        if (!c.want) {
            EXPECT_TRUE(std::holds_alternative<Settings>(got)) << std::get<std::string>(got);
            continue;
        }
        ASSERT_TRUE(std::holds_alternative<std::string>(got)) << c.want;
        EXPECT_EQ(std::get<std::string>(got).rfind(c.want, 0), 0u) << std::get<std::string>(got);
    }
}

}  // namespace
