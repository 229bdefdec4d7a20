// link-emu's command line and stdin commands (simulator/link_emu_options.cpp).

#include <gtest/gtest.h>

#include "simulator/emu/emu_options.h"
#include "simulator/link/link_emu_options.h"
#include "src/net/setup_error.h"
#include "tests/simulator/test_nat_support.h"

namespace natlab::nat::testing {
namespace {

using std::chrono::milliseconds;
using Kind = LinkCommand::Kind;

std::vector<std::string> with_links(std::vector<std::string> extra) {
    std::vector<std::string> args{"--a", "la", "--b", "lb"};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
}

TEST(LinkEmuOptions, EveryFlag) {
    auto o = parse_link_emu_options(
        with_links({"--delay", "50ms", "--jitter", "10ms", "--loss", "20", "--rate", "10mbit", "--seed", "7",
                    "--ready-fd", "3", "--events", "/tmp/x.jsonl"}));
    EXPECT_EQ(o.a_interface, "la");
    EXPECT_EQ(o.b_interface, "lb");
    EXPECT_EQ(o.impairment, (LinkImpairment{milliseconds{50}, milliseconds{10}, 20, 10'000'000}));
    EXPECT_EQ(o.seed, 7u);
    EXPECT_EQ(o.ready_fd, 3);
    EXPECT_EQ(o.events_path, "/tmp/x.jsonl");
}

TEST(LinkEmuOptions, DefaultsAreAPerfectLink) {
    auto o = parse_link_emu_options(with_links({}));
    EXPECT_EQ(o.impairment, LinkImpairment{});
    EXPECT_FALSE(o.seed);
    EXPECT_FALSE(o.ready_fd);
}

struct BadArgsCase {
    std::vector<std::string> args;
    const char* want_in_message;
};

TEST(LinkEmuOptions, BadArgumentsNameTheFlag) {
    const BadArgsCase cases[] = {
        {{"--a", "la"}, "--b"},
        {with_links({"--delay", "50"}), "--delay"},
        {with_links({"--jitter", "x"}), "--jitter"},
        {with_links({"--loss", "120"}), "--loss"},
        {with_links({"--rate", "10mb"}), "--rate"},
        {with_links({"--seed", "x"}), "--seed"},
        {with_links({"--ready-fd", "-1"}), "--ready-fd"},
        {{"--a", "la", "--b", "la"}, "same interface"},
    };
    for (const auto& c : cases) {
        try {
            parse_link_emu_options(c.args);
            ADD_FAILURE() << "accepted " << ::testing::PrintToString(c.args);
        } catch (const SetupError& e) {
            EXPECT_NE(std::string{e.what()}.find(c.want_in_message), std::string::npos) << e.what();
        }
    }
}

struct CommandCase {
    const char* line;
    Kind want_kind;
    bool want_error;
};

TEST(LinkEmuOptions, Commands) {
    const CommandCase cases[] = {
        {"down", Kind::Down, false},
        {"up", Kind::Up, false},
        {"  up  ", Kind::Up, false},
        {"", Kind::None, false},
        {"set loss=20", Kind::Set, false},
        {"set delay=10ms jitter=1ms loss=0.5 rate=1mbit", Kind::Set, false},
        {"set", Kind::Set, false},
        {"set loss=x", Kind::Set, true},
        {"set colour=red", Kind::Set, true},
        {"set loss", Kind::Set, true},
        {"down now", Kind::Down, true},
        {"reboot", Kind::None, true},
    };
    for (const auto& c : cases) {
        auto command = parse_link_command(c.line);
        EXPECT_EQ(command.kind, c.want_kind) << c.line;
        EXPECT_EQ(!command.error.empty(), c.want_error) << c.line << ": " << command.error;
    }
}

TEST(LinkEmuOptions, SetChangesOnlyWhatItNames) {
    LinkImpairment settings{milliseconds{50}, milliseconds{10}, 5, 1'000'000};
    parse_link_command("set loss=20% delay=0").change.apply_to(settings);
    EXPECT_EQ(settings, (LinkImpairment{Nanoseconds{0}, milliseconds{10}, 20, 1'000'000}));
}

}  // namespace
}  // namespace natlab::nat::testing
