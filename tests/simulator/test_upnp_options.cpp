// nat-emu's UPnP IGD flags (simulator/emu/emu_options.cpp): --upnp-igd and
// --upnp-permanent-only, with --port-mapping upnp.
#include <gtest/gtest.h>

#include "simulator/emu/emu_options.h"
#include "src/net/setup_error.h"

namespace natlab::nat {
namespace {

std::vector<std::string> with(std::vector<std::string> extra) {
    std::vector<std::string> args{
        "--name",    "nat1", "--inside",          "in0",          "--inside-address", "10.0.1.1/24",
        "--outside", "out0", "--outside-address", "198.18.1.1/15"};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
}

struct FlagCase {
    std::vector<std::string> flags;
    int want_version;
    bool want_permanent_only;
    bool want_upnp;
};

TEST(UpnpOptions, IgdVersionAndLeasePolicy) {
    const FlagCase cases[] = {
        {{}, 1, false, false},
        {{"--port-mapping", "upnp"}, 1, false, true},
        {{"--port-mapping", "pcp,upnp", "--upnp-igd", "2"}, 2, false, true},
        {{"--port-mapping", "upnp", "--upnp-permanent-only", "on"}, 1, true, true},
    };
    for (const auto& c : cases) {
        auto o = parse_options(with(c.flags));
        EXPECT_EQ(o.upnp_version, c.want_version);
        EXPECT_EQ(o.upnp_permanent_only, c.want_permanent_only);
        EXPECT_EQ(o.port_mapping.upnp, c.want_upnp);
    }
}

TEST(UpnpOptions, BadValuesAreOneLine) {
    const std::pair<std::vector<std::string>, std::string> cases[] = {
        {{"--upnp-igd", "3"}, "--upnp-igd: expected 1 or 2, got '3'"},
        {{"--upnp-permanent-only", "yes"}, "--upnp-permanent-only: expected on or off, got 'yes'"},
    };
    for (const auto& [flags, want] : cases) {
        try {
            parse_options(with(flags));
            ADD_FAILURE() << "accepted " << want;
        } catch (const SetupError& e) {
            EXPECT_EQ(std::string{e.what()}, want);
        }
    }
}

}  // namespace
}  // namespace natlab::nat
