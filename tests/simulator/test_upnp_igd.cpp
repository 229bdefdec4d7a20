// WANIPConnection's actions over a fake NAT, on a fake clock: each table is
// one IGD's life, step by step (time, who asks, what, the UPnP error code
// wanted or 0, and out arguments wanted).
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

#include "simulator/portmap/igd_service.h"
#include "tests/simulator/upnp_fake_grants.h"

namespace natlab::portmap {
namespace {

using namespace std::chrono_literals;

const Ipv4 kAlice = *Ipv4::parse("10.0.1.2");
const Ipv4 kBob = *Ipv4::parse("10.0.1.3");

struct Step {
    int at_s;
    Ipv4 from;
    std::string action;
    Arguments arguments;
    int want_code;       // 0: success
    Arguments want_out;  // a subset of the out arguments
};

Arguments add(std::string external, std::string internal_client, std::string lease = "0",
              std::string protocol = "UDP", std::string remote = "") {
    return {{"NewRemoteHost", remote},
            {"NewExternalPort", external},
            {"NewProtocol", protocol},
            {"NewInternalPort", "4500"},
            {"NewInternalClient", internal_client},
            {"NewEnabled", "1"},
            {"NewPortMappingDescription", "test"},
            {"NewLeaseDuration", lease}};
}
Arguments entry(std::string external, std::string protocol = "UDP") {
    return {{"NewRemoteHost", ""}, {"NewExternalPort", external}, {"NewProtocol", protocol}};
}
Arguments index(std::string i) {
    return {{"NewPortMappingIndex", i}};
}

int code_in(const HttpResponse& response) {
    auto at = response.body.find("<errorCode>");
    return at == std::string::npos ? -1 : std::stoi(response.body.substr(at + 11));
}

Arguments out_of(const HttpResponse& response, const std::string& action) {
    auto read = read_call("\"s#" + action + "Response\"", response.body);
    return read.call ? read.call->arguments : Arguments{};
}

void run(const std::vector<Step>& steps, int version, IgdPolicy policy, FakeGrants& nat) {
    DeviceIdentity identity{*Ipv4::parse("10.0.1.1"), 5000, version};
    TimePoint start{};
    IgdService igd{identity, policy, nat, start};
    for (std::size_t i = 0; i < steps.size(); ++i) {
        const auto& s = steps[i];
        SoapCall call{identity.ip_connection_type(), s.action, s.arguments};
        auto response = igd.control(call, s.from, start + std::chrono::seconds{s.at_s});
        auto where = "step " + std::to_string(i) + " " + s.action;
        if (s.want_code != 0) {
            EXPECT_EQ(response.status, 500) << where;
            EXPECT_EQ(code_in(response), s.want_code) << where;
            continue;
        }
        ASSERT_EQ(response.status, 200) << where << "\n" << response.body;
        auto out = out_of(response, s.action);
        for (const auto& want : s.want_out)
            EXPECT_NE(std::ranges::find(out, want), out.end())
                << where << ": " << want.first << "=" << want.second;
    }
}

TEST(UpnpIgd, Igd1MappingsConflictsAndIndexes) {
    FakeGrants nat;
    run(
        {
            {0, kAlice, "GetExternalIPAddress", {}, 0, {{"NewExternalIPAddress", "198.18.1.1"}}},
            {0, kAlice, "GetStatusInfo", {}, 0, {{"NewConnectionStatus", "Connected"}}},
            {0, kAlice, "AddPortMapping", add("4500", "10.0.1.2"), 0, {}},
            {1,
             kAlice,
             "GetSpecificPortMappingEntry",
             entry("4500"),
             0,
             {{"NewInternalClient", "10.0.1.2"}, {"NewInternalPort", "4500"}, {"NewLeaseDuration", "0"}}},
            // ConflictInMappingEntry: another client's port
            {2, kBob, "AddPortMapping", add("4500", "10.0.1.3"), 718, {}},
            // the same request again is a renewal, not a conflict
            {3, kAlice, "AddPortMapping", add("4500", "10.0.1.2"), 0, {}},
            // a port the NAT holds for another flow
            {4, kBob, "AddPortMapping", add("7000", "10.0.1.3"), 718, {}},
            // one grant per internal endpoint: a second external port for it conflicts
            {4, kAlice, "AddPortMapping", add("4501", "10.0.1.2"), 718, {}},
            {5, kBob, "AddPortMapping", add("4600", "10.0.1.3", "0", "TCP"), 0, {}},
            {6,
             kBob,
             "GetGenericPortMappingEntry",
             index("0"),
             0,
             {{"NewExternalPort", "4500"}, {"NewProtocol", "UDP"}, {"NewPortMappingDescription", "test"}}},
            {6,
             kBob,
             "GetGenericPortMappingEntry",
             index("1"),
             0,
             {{"NewExternalPort", "4600"}, {"NewProtocol", "TCP"}}},
            {6, kBob, "GetGenericPortMappingEntry", index("2"), 713, {}},
            {6, kBob, "GetGenericPortMappingEntry", index("x"), 402, {}},
            {7, kBob, "GetSpecificPortMappingEntry", entry("4600", "UDP"), 714, {}},
            // only the owner deletes
            {8, kBob, "DeletePortMapping", entry("4500"), 606, {}},
            {8, kAlice, "DeletePortMapping", entry("4500"), 0, {}},
            {8, kAlice, "DeletePortMapping", entry("4500"), 714, {}},
            {9, kBob, "GetGenericPortMappingEntry", index("0"), 0, {{"NewExternalPort", "4600"}}},
            {9, kBob, "GetGenericPortMappingEntry", index("1"), 713, {}},
        },
        1, {}, nat);
    EXPECT_EQ(nat.grants.size(), 1u);  // bob's TCP one
    EXPECT_EQ(nat.refusals, (std::vector<int>{718, 718, 718}));
}

TEST(UpnpIgd, RefusesWhatTheSpecificationRefuses) {
    FakeGrants nat;
    run(
        {
            {0, kAlice, "AddPortMapping", add("4500", "10.0.1.3"), 606, {}},  // for someone else
            {0, kAlice, "AddPortMapping", add("4500", "10.0.1.2", "0", "UDP", "198.18.0.5"), 726, {}},
            {0, kAlice, "AddPortMapping", add("4500", "10.0.1.2", "0", "UDP", "*"), 0, {}},
            {0, kAlice, "AddPortMapping", add("0", "10.0.1.2"), 716, {}},
            {0, kAlice, "AddPortMapping", add("4500", "10.0.1.2", "0", "ICMP"), 402, {}},
            {0, kAlice, "AddPortMapping", add("4500", "not-an-address"), 402, {}},
            {0, kAlice, "AddPortMapping", add("70000", "10.0.1.2"), 402, {}},
            {0, kAlice, "AddPortMapping", {{"NewExternalPort", "4500"}}, 402, {}},
            {0, kAlice, "AddAnyPortMapping", add("4500", "10.0.1.2"), 401, {}},  // IGD:2 only
            {0, kAlice, "ForceTermination", {}, 401, {}},
            {0, kAlice, "GetSpecificPortMappingEntry", {}, 402, {}},
        },
        1, {}, nat);
}

TEST(UpnpIgd, PermanentOnlyPolicyRefusesLeases) {
    FakeGrants nat;
    run(
        {
            {0, kAlice, "AddPortMapping", add("4500", "10.0.1.2", "3600"), 725, {}},
            {0, kAlice, "AddPortMapping", add("4500", "10.0.1.2", "0"), 0, {}},
        },
        1, {.allow = true, .permanent_only = true}, nat);
    EXPECT_EQ(nat.refusals, (std::vector<int>{725}));
}

TEST(UpnpIgd, RefusingPolicyAuthorizesNoChange) {
    FakeGrants nat;
    run(
        {
            {0, kAlice, "GetExternalIPAddress", {}, 0, {{"NewExternalIPAddress", "198.18.1.1"}}},
            {0, kAlice, "AddPortMapping", add("4500", "10.0.1.2"), 606, {}},
            {0, kAlice, "DeletePortMapping", entry("4500"), 606, {}},
            {0, kAlice, "GetGenericPortMappingEntry", index("0"), 713, {}},
        },
        1, {.allow = false}, nat);
    EXPECT_EQ(nat.asked, 0);
}

TEST(UpnpIgd, NatRefusalIsNotAuthorized) {
    FakeGrants nat;
    nat.refuse_all = true;
    run({{0, kAlice, "AddPortMapping", add("4500", "10.0.1.2"), 606, {}}}, 1, {}, nat);
    EXPECT_EQ(nat.refusals, (std::vector<int>{606}));
}

TEST(UpnpIgd, LeasesRunOutOnTheClock) {
    FakeGrants nat;
    run(
        {
            {0, kAlice, "AddPortMapping", add("4500", "10.0.1.2", "60"), 0, {}},
            {59, kAlice, "GetSpecificPortMappingEntry", entry("4500"), 0, {{"NewLeaseDuration", "1"}}},
            {60, kAlice, "GetSpecificPortMappingEntry", entry("4500"), 714, {}},
            {61, kAlice, "GetGenericPortMappingEntry", index("0"), 713, {}},
        },
        1, {}, nat);
    EXPECT_TRUE(nat.grants.empty());
}

TEST(UpnpIgd, LeaseFollowsWhatTheNatGranted) {
    FakeGrants nat;
    nat.max_lifetime = Seconds{600};
    run(
        {
            {0, kAlice, "AddPortMapping", add("4500", "10.0.1.2", "3600"), 0, {}},
            {100, kAlice, "GetSpecificPortMappingEntry", entry("4500"), 0, {{"NewLeaseDuration", "500"}}},
            {600, kAlice, "GetSpecificPortMappingEntry", entry("4500"), 714, {}},
        },
        1, {}, nat);
}

TEST(UpnpIgd, PermanentEntriesAreGrantedAgainBeforeTheGrantEnds) {
    FakeGrants nat;
    nat.max_lifetime = Seconds{600};
    run(
        {
            {0, kAlice, "AddPortMapping", add("4500", "10.0.1.2", "0"), 0, {}},
            {500, kAlice, "GetSpecificPortMappingEntry", entry("4500"), 0, {{"NewLeaseDuration", "0"}}},
            {545, kAlice, "GetExternalIPAddress", {}, 0, {}},   // 55 s before the grant ends: granted again
            {1100, kAlice, "GetExternalIPAddress", {}, 0, {}},  // and again
            {7200,
             kAlice,
             "GetSpecificPortMappingEntry",
             entry("4500"),
             0,
             {{"NewInternalClient", "10.0.1.2"}}},
        },
        1, {}, nat);
    EXPECT_EQ(nat.asked, 4);  // the add, at 545, at 1100, at 7200
    EXPECT_EQ(nat.grants.size(), 1u);
}

TEST(UpnpIgd, Igd2LeasesAndAnyPort) {
    FakeGrants nat;
    run(
        {
            // no permanent mappings in IGD:2: 0 is a week
            {0, kAlice, "AddPortMapping", add("4500", "10.0.1.2", "0"), 0, {}},
            {0, kAlice, "GetSpecificPortMappingEntry", entry("4500"), 0, {{"NewLeaseDuration", "86400"}}},
            // a port the NAT holds for another mechanism
            {1, kBob, "AddPortMapping", add("7000", "10.0.1.3"), 729, {}},
            // AddAnyPortMapping picks another port and says which
            {1, kBob, "AddAnyPortMapping", add("7000", "10.0.1.3"), 0, {{"NewReservedPort", "7001"}}},
            {1, kBob, "AddAnyPortMapping", add("7000", "10.0.1.3"), 0, {{"NewReservedPort", "7001"}}},
            {2, kBob, "GetGenericPortMappingEntry", index("1"), 0, {{"NewExternalPort", "7001"}}},
        },
        2, {}, nat);
}

TEST(UpnpIgd, ErrorNamesAndCodes) {
    EXPECT_EQ(code_of(UpnpError::ConflictInMappingEntry), 718);
    EXPECT_EQ(to_string(UpnpError::OnlyPermanentLeasesSupported), "OnlyPermanentLeasesSupported");
    EXPECT_EQ(code_of(UpnpError::ActionNotAuthorized), 606);
    EXPECT_EQ(code_of(UpnpError::SpecifiedArrayIndexInvalid), 713);
}

}  // namespace
}  // namespace natlab::portmap
