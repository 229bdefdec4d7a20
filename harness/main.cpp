// nat-lab: runs a YAML scenario in a private lab of network namespaces.
//
//   nat-lab run FILE [--out DIR]   build, run, capture, judge, tear down
//   nat-lab validate FILE...       check scenarios without building anything
//
// Exit codes: 0 every expectation held; 1 an expectation failed;
// 2 bad input or a set-up error (one line on stderr says what and where).
#include <CLI/CLI.hpp>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "expectations.h"
#include "lab.h"
#include "process.h"
#include "report.h"
#include "scenario.h"
#include "setup_error.h"
#include "topology.h"

namespace fs = std::filesystem;
using namespace natlab::harness;

namespace {

constexpr int kHeld = 0, kFailed = 1, kBadInput = 2;
const char* kMarker = ".nat-lab-run";

// Every program must exist before anything is built.
void resolve_programs(const Scenario& scenario, Topology& topo, const std::string& bin_dir) {
    for (auto& node : topo.nodes) {
        if (!node.setup_argv.empty()) {
            auto path = resolve_program(node.setup_argv[0], bin_dir);
            if (path.empty())
                throw ScenarioError(scenario.find_nat(node.name)->type_where,
                                    "NAT '" + node.name + "' of type linux needs '" + node.setup_argv[0] +
                                        "' (package nftables) on PATH");
            node.setup_argv[0] = path;
        }
        if (node.argv.empty()) continue;
        auto path = resolve_program(node.argv[0], bin_dir);
        if (path.empty() && node.is_nat)
            throw SetupError("cannot find the NAT emulator 'nat-emu' in " + bin_dir + " or on PATH");
        if (path.empty())
            throw ScenarioError(scenario.find_host(node.name)->run_where,
                                "host '" + node.name + "': no program '" + node.argv[0] + "' on PATH");
        node.argv[0] = path;
    }
}

// The output directory is emptied only if an earlier run made it.
std::string prepare_out_dir(const std::string& requested) {
    fs::path dir = fs::absolute(requested);
    if (fs::exists(dir) && !fs::is_empty(dir)) {
        if (!fs::exists(dir / kMarker))
            throw SetupError("output directory " + dir.string() + " is not empty and was not made by nat-lab");
        fs::remove_all(dir);
    }
    fs::create_directories(dir);
    std::ofstream(dir / kMarker) << "made by nat-lab run\n";
    return dir.lexically_normal().string();
}

std::string read_text(const std::string& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

std::map<std::string, PeerResult> collect_peers(const Topology& topo, const std::string& out_dir) {
    std::map<std::string, PeerResult> peers;
    for (auto& node : topo.nodes) {
        if (node.is_nat || node.argv.empty()) continue;
        if (auto r = parse_peer_result(read_text(out_dir + "/" + node.name + ".log"))) peers[node.name] = *r;
    }
    return peers;
}

int run_scenario(const std::string& file, const std::string& out_opt) {
    auto scenario = load_scenario(file);
    auto topo = plan_topology(scenario);
    auto bin_dir = own_bin_dir();
    resolve_programs(scenario, topo, bin_dir);
    auto out_dir = prepare_out_dir(out_opt.empty() ? "out/" + scenario.name : out_opt);
    auto facts = run_lab(topo, {out_dir, bin_dir, scenario.timeout});
    if (!facts.error.empty()) {
        std::cerr << "nat-lab: " << scenario.file << ": set-up failed: " << facts.error << "\n";
        return kBadInput;
    }
    auto peers = collect_peers(topo, out_dir);
    auto verdicts = judge(scenario, facts, peers);
    RunRecord record{scenario, topo, facts, peers, verdicts, out_dir, {}};
    for (auto& node : topo.nodes)
        if (node.is_nat)
            if (auto c = parse_nat_counters(read_text(out_dir + "/" + node.name + ".events.jsonl")))
                record.nat_counters[node.name] = *c;
    std::ofstream(out_dir + "/result.json") << render_result_json(record);
    std::cout << render_report(record) << std::flush;
    if (facts.interrupted) return kFailed;
    return all_held(verdicts) ? kHeld : kFailed;
}

int validate(const std::vector<std::string>& files) {
    int rc = kHeld;
    for (auto& file : files) {
        try {
            auto scenario = load_scenario(file);
            plan_topology(scenario);
            std::cout << file << ": ok\n";
        } catch (const ScenarioError& e) {
            std::cerr << e.what() << "\n";
            rc = kBadInput;
        }
    }
    return rc;
}

// Every failure becomes one line and exit 2.
template <typename F>
int guarded(F body) {
    try {
        return body();
    } catch (const ScenarioError& e) {
        std::cerr << e.what() << "\n";
    } catch (const SetupError& e) {
        std::cerr << "nat-lab: " << e.what() << "\n";
    } catch (const std::exception& e) {
        std::cerr << "nat-lab: " << e.what() << "\n";
    }
    return kBadInput;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"nat-lab: a NAT simulator and test harness for UDP hole punching"};
    app.require_subcommand(1);
    std::string file, out;
    auto* run = app.add_subcommand("run", "Run a scenario in a private lab and check its expectations");
    run->add_option("FILE", file, "Scenario file (YAML)")->required();
    run->add_option("--out", out, "Output directory for captures, logs and result.json (default out/<scenario>)");
    std::vector<std::string> files;
    auto* check = app.add_subcommand("validate", "Check scenarios without building anything");
    check->add_option("FILE", files, "Scenario files (YAML)")->required();
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        int rc = app.exit(e);
        return rc == 0 ? 0 : kBadInput;
    }
    if (*run) return guarded([&] { return run_scenario(file, out); });
    return guarded([&] { return validate(files); });
}
