// Matrix files and the outcome table: tables of cells, expected outcomes,
// and every kind of bad file with its FILE:LINE:COL.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "matrix.h"
#include "topology.h"

using namespace natlab::harness;

namespace {

std::string write_temp(const std::string& name, const std::string& text) {
    auto path = std::filesystem::temp_directory_path() / ("natlab-matrix-" + name + ".yaml");
    std::ofstream(path) << text;
    return path.string();
}

std::string error_of(const std::string& path) {
    try {
        load_matrix(path);
    } catch (const ScenarioError& e) {
        return e.what();
    }
    return "accepted";
}

const MatrixCell* cell(const Matrix& m, const std::string& name) {
    for (auto& c : m.cells)
        if (c.name == name) return &c;
    return nullptr;
}

}  // namespace

// DESIGN.md's table, relay off: {A, B, expected}.
TEST(MatrixTable, ClassicOutcomes) {
    struct Row {
        const char *a, *b, *want;
    } rows[] = {
        {"full-cone", "full-cone", "public"},
        {"full-cone", "symmetric", "peer-reflexive"},
        {"restricted", "restricted", "public"},
        {"restricted", "symmetric", "peer-reflexive"},
        {"port-restricted", "restricted", "public"},
        {"port-restricted", "symmetric", "not-connected"},
        {"symmetric", "full-cone", "peer-reflexive"},
        {"symmetric", "restricted", "peer-reflexive"},
        {"symmetric", "port-restricted", "not-connected"},
        {"symmetric", "symmetric", "not-connected"},
    };
    for (auto& r : rows) EXPECT_EQ(expected_outcome(r.a, r.b), r.want) << r.a << " x " << r.b;
}

TEST(MatrixClassic, SixteenPairsSameNatAndHairpin) {
    auto m = classic_matrix();
    ASSERT_EQ(m.cells.size(), 19u);
    EXPECT_EQ(cell(m, "pr-sym")->expected, "not-connected");
    EXPECT_EQ(cell(m, "same-pr")->expected, "local");
    EXPECT_EQ(cell(m, "hairpin-on")->expected, "public");
    EXPECT_EQ(cell(m, "hairpin-off")->expected, "not-connected");
    for (auto& c : m.cells) {
        auto topo = plan_topology(c.scenario);  // every cell is a plannable lab
        EXPECT_FALSE(topo.nodes.empty()) << c.name;
        ASSERT_EQ(c.scenario.expectations.size(), 1u);
    }
    // The hairpin cells nest two homes behind one outer NAT.
    auto& hairpin = cell(m, "hairpin-on")->scenario;
    ASSERT_EQ(hairpin.nats.size(), 3u);
    EXPECT_TRUE(hairpin.nats[0].hairpin);
    EXPECT_EQ(hairpin.nats[1].behind, "outer");
}

TEST(MatrixOutcome, FromBothPeersResults) {
    auto result = [](const char* name, const char* partner, bool up, const char* path) {
        PeerResult r;
        r.name = name, r.partner = partner, r.connected = up, r.path = path;
        return r;
    };
    std::map<std::string, PeerResult> prflx = {{"alice", result("alice", "bob", true, "peer-reflexive")},
                                               {"bob", result("bob", "alice", true, "public")}};
    EXPECT_EQ(observed_outcome(prflx), "peer-reflexive");
    std::map<std::string, PeerResult> pub = {{"alice", result("alice", "bob", true, "public")},
                                             {"bob", result("bob", "alice", true, "public")}};
    EXPECT_EQ(observed_outcome(pub), "public");
    std::map<std::string, PeerResult> half = {{"alice", result("alice", "bob", true, "public")},
                                              {"bob", result("bob", "alice", false, "")}};
    EXPECT_EQ(observed_outcome(half), "one-sided");
    EXPECT_EQ(observed_outcome({}), "not-connected");
    auto m = classic_matrix();
    EXPECT_TRUE(judge_cell(*cell(m, "fc-sym"), prflx).held);
    auto v = judge_cell(*cell(m, "sym-sym"), pub);
    EXPECT_FALSE(v.held);
    EXPECT_EQ(v.detail, "outcome was public");
}

TEST(MatrixFile, ExpandsAxesAndOverrides) {
    auto path = write_temp("ok", R"(matrix:
  name: small
  a: [full-cone, symmetric]
  b: [port-restricted]
  same_nat: [symmetric]
  hairpin: [off]
  punch_timeout: 500ms
  timeout: 1s
  expect:
    symmetric x port-restricted: connected
)");
    auto m = load_matrix(path);
    ASSERT_EQ(m.cells.size(), 4u);
    EXPECT_EQ(m.cells[0].key, "full-cone x port-restricted");
    EXPECT_EQ(m.cells[0].expected, "public");
    EXPECT_FALSE(m.cells[0].overridden);
    EXPECT_EQ(m.cells[1].expected, "connected");
    EXPECT_TRUE(m.cells[1].overridden);
    EXPECT_EQ(m.cells[2].name, "same-sym");
    EXPECT_EQ(m.cells[3].name, "hairpin-off");
    EXPECT_TRUE(is_matrix_file(path));
    // The peers got the short punch.
    auto& argv = m.cells[0].scenario.hosts[1].run;
    EXPECT_NE(std::find(argv.begin(), argv.end(), "0.500000"), argv.end());
}

// Every bad file: exactly where, and what.
TEST(MatrixFile, RejectsWithFileLineColumn) {
    struct Case {
        const char* name;
        const char* text;
        const char* want;  // after "FILE:"
    } cases[] = {
        {"unknown_key", "matrix:\n  name: m\n  a: [full-cone]\n  colour: red\n",
         "4:3: unknown key 'colour' in matrix"},
        {"bad_type", "matrix:\n  name: m\n  a: [full-cone, funnel]\n",
         "3:18: unknown NAT type 'funnel' in a"},
        {"no_a", "matrix:\n  name: m\n", "2:3: matrix needs `a`"},
        {"bad_cell", "matrix:\n  name: m\n  a: [full-cone]\n  expect:\n    full-cone x moon: public\n",
         "5:5: no cell 'full-cone x moon' in this matrix"},
        {"bad_outcome", "matrix:\n  name: m\n  a: [full-cone]\n  expect:\n    full-cone x full-cone: maybe\n",
         "5:28: unknown outcome 'maybe'"},
        {"dup_type", "matrix:\n  name: m\n  a: [symmetric, symmetric]\n",
         "3:18: NAT type 'symmetric' twice in a"},
        {"bad_hairpin", "matrix:\n  name: m\n  a: [symmetric]\n  hairpin: [sometimes]\n",
         "4:13: hairpin entries must be on or off"},
        {"bad_duration", "matrix:\n  name: m\n  a: [symmetric]\n  timeout: soon\n",
         "4:12: timeout must be a duration"},
        {"punch_longer", "matrix:\n  name: m\n  a: [symmetric]\n  punch_timeout: 3s\n  timeout: 1s\n",
         "4:18: punch_timeout must not exceed timeout"},
        {"bad_name", "matrix:\n  name: Big Grid\n  a: [symmetric]\n", "2:9: matrix name 'Big Grid'"},
        {"top_level", "matrix:\n  name: m\n  a: [symmetric]\nhosts: {}\n",
         "4:1: unknown key 'hosts' in the matrix file"},
        {"syntax", "matrix:\n  name: [m\n", "YAML syntax error"},
    };
    for (auto& c : cases) {
        auto path = write_temp(c.name, c.text);
        auto got = error_of(path);
        auto want = std::string(c.want);
        if (want.rfind("YAML", 0) == 0)
            EXPECT_NE(got.find(want), std::string::npos) << c.name << ": " << got;
        else
            EXPECT_EQ(got.rfind(path + ":" + want, 0), 0u) << c.name << ": " << got;
    }
}

// docs/commands.md: the classic grid is the same as this file.
TEST(MatrixClassic, SameAsItsFile) {
    auto m = load_matrix(write_temp("classic", R"(matrix:
  name: nat_types
  a: [full-cone, restricted, port-restricted, symmetric]
  same_nat: [port-restricted]
  hairpin: [on, off]
)"));
    auto classic = classic_matrix();
    ASSERT_EQ(m.cells.size(), classic.cells.size());
    for (std::size_t i = 0; i < m.cells.size(); ++i) {
        EXPECT_EQ(m.cells[i].name, classic.cells[i].name);
        EXPECT_EQ(m.cells[i].expected, classic.cells[i].expected);
        EXPECT_EQ(m.cells[i].scenario.hosts[1].run, classic.cells[i].scenario.hosts[1].run);
    }
}

// The product of NAT behaviours and link impairments.
TEST(MatrixFile, LinksMultiplyTheCells) {
    auto m = load_matrix(write_temp("links", R"(matrix:
  name: impaired
  a: [port-restricted]
  b: [port-restricted, symmetric]
  links:
    clean: {}
    lossy: {loss: 20%, delay: 10ms}
  expect:
    port-restricted x port-restricted @ lossy: connected
    port-restricted x symmetric: connected
)"));
    ASSERT_EQ(m.cells.size(), 4u);
    EXPECT_EQ(m.variants, (std::vector<std::string>{"clean", "lossy"}));
    auto* clean = cell(m, "pr-pr@clean");
    auto* lossy = cell(m, "pr-pr@lossy");
    ASSERT_TRUE(clean && lossy);
    EXPECT_EQ(clean->expected, "public");
    EXPECT_EQ(lossy->expected, "connected");
    EXPECT_EQ(lossy->key, "port-restricted x port-restricted @ lossy");
    EXPECT_EQ(cell(m, "pr-sym@clean")->expected, "connected");  // the bare key overrides every setting
    EXPECT_EQ(cell(m, "pr-sym@lossy")->expected, "connected");
    EXPECT_FALSE(clean->scenario.hosts[1].link);
    auto& link = lossy->scenario.hosts[1].link;  // alice
    ASSERT_TRUE(link);
    EXPECT_EQ(*link->loss, 20.0);
    EXPECT_EQ(link->delay->count(), 10);
    EXPECT_FALSE(lossy->scenario.hosts[0].link);  // the server's link stays clean
    auto text = render_matrix_text(m, {{"pr-pr@lossy", "public"}});
    EXPECT_NE(text.find("links lossy:"), std::string::npos) << text;
}

TEST(MatrixFile, BadLinks) {
    auto bad_loss =
        write_temp("bad_loss", "matrix:\n  name: m\n  a: [symmetric]\n  links:\n    lossy: {loss: lots}\n");
    EXPECT_EQ(
        error_of(bad_loss).rfind(bad_loss + ":5:19: loss in links setting 'lossy' must be a percentage", 0),
        0u)
        << error_of(bad_loss);
    auto bad_key =
        write_temp("bad_key", "matrix:\n  name: m\n  a: [symmetric]\n  links:\n    slow: {latency: 5ms}\n");
    EXPECT_EQ(error_of(bad_key).rfind(bad_key + ":5:12: unknown key 'latency' in links setting 'slow'", 0),
              0u)
        << error_of(bad_key);
}
