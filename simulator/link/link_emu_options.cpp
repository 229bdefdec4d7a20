#include "simulator/link/link_emu_options.h"

#include <CLI/CLI.hpp>
#include <sstream>

#include "simulator/io/daemon.h"
#include "src/net/setup_error.h"

namespace natlab::nat {
namespace {

constexpr const char* kDurationSyntax = "a duration such as 50ms, 1.5s, 250us or 0";
constexpr const char* kPercentSyntax = "a percentage from 0 to 100, such as 20 or 0.5";
constexpr const char* kRateSyntax = "a rate such as 10mbit, 512kbit, 1gbit or bits per second";

struct RawLinkOptions {
    std::string delay = "0", jitter = "0", loss = "0", rate = "0";
};

// One value, by name ("delay", "jitter", "loss", "rate"), into `change`;
// returns the expected syntax when the text does not parse, else nullptr.
const char* set_value(std::string_view name, std::string_view text, ImpairmentChange& change) {
    if (name == "delay") return (change.delay = parse_duration(text)) ? nullptr : kDurationSyntax;
    if (name == "jitter") return (change.jitter = parse_duration(text)) ? nullptr : kDurationSyntax;
    if (name == "loss") return (change.loss_percent = parse_percent(text)) ? nullptr : kPercentSyntax;
    if (name == "rate") return (change.rate_bits = parse_rate(text)) ? nullptr : kRateSyntax;
    return "one of delay, jitter, loss, rate";
}

LinkImpairment impairment_from(const RawLinkOptions& r) {
    ImpairmentChange change;
    for (auto [name, text] : {std::pair<const char*, const std::string&>{"delay", r.delay},
                              {"jitter", r.jitter},
                              {"loss", r.loss},
                              {"rate", r.rate}}) {
        if (const char* expected = set_value(name, text, change))
            throw SetupError{std::string{"--"} + name + ": expected " + expected + ", got '" + text + "'"};
    }
    LinkImpairment settings;
    change.apply_to(settings);
    return settings;
}

// "name=value" words after "set".
LinkCommand parse_set(std::istringstream& words) {
    LinkCommand command{LinkCommand::Kind::Set, {}, {}};
    std::string word;
    while (words >> word) {
        auto equals = word.find('=');
        if (equals == std::string::npos)
            return {LinkCommand::Kind::Set, {}, "set: expected name=value, got '" + word + "'"};
        std::string name = word.substr(0, equals), value = word.substr(equals + 1);
        if (const char* expected = set_value(name, value, command.change))
            return {LinkCommand::Kind::Set,
                    {},
                    "set " + name + ": expected " + expected + ", got '" + value + "'"};
    }
    return command;
}

}  // namespace

LinkEmuOptions parse_link_emu_options(const std::vector<std::string>& args) {
    CLI::App app{"link-emu: an impaired link between two interfaces (delay, jitter, loss, rate)", "link-emu"};
    LinkEmuOptions o;
    RawLinkOptions raw;
    app.add_option("--a", o.a_interface, "one interface")->required();
    app.add_option("--b", o.b_interface, "the other interface")->required();
    app.add_option("--delay", raw.delay, "added one-way delay, e.g. 50ms (default 0)");
    app.add_option("--jitter", raw.jitter, "delay varies uniformly by up to this much, never reordering");
    app.add_option("--loss", raw.loss, "percentage of frames lost, e.g. 20 or 0.5");
    app.add_option("--rate", raw.rate, "rate limit, e.g. 10mbit (default 0: none)");
    app.add_option("--seed", o.seed, "seed of the loss and jitter draws (default random)");
    app.add_option("--ready-fd", o.ready_fd, "write \"ready\\n\" to this fd once both sockets are bound");
    app.add_option("--events", o.events_path, "file for the final counters line (default stderr)");
    parse_command_line(app, args);
    if (o.a_interface == o.b_interface)
        throw SetupError{"--a and --b name the same interface " + o.a_interface};
    if (o.ready_fd && *o.ready_fd < 0) throw SetupError{"--ready-fd: expected a file descriptor number"};
    o.impairment = impairment_from(raw);
    return o;
}

LinkCommand parse_link_command(std::string_view line) {
    std::istringstream words{std::string{line}};
    std::string verb, extra;
    if (!(words >> verb)) return {};
    if (verb == "set") return parse_set(words);
    LinkCommand::Kind kind = verb == "down" ? LinkCommand::Kind::Down : LinkCommand::Kind::Up;
    if (verb != "down" && verb != "up")
        return {LinkCommand::Kind::None, {}, "unknown command '" + verb + "' (expected set, down or up)"};
    if (words >> extra) return {kind, {}, verb + ": takes no arguments, got '" + extra + "'"};
    return {kind, {}, {}};
}

}  // namespace natlab::nat
