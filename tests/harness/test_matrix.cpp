// Matrix files and the outcome table: tables of cells, expected outcomes,
// and every kind of bad file with its FILE:LINE:COL.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "harness/cli/matrix.h"
#include "harness/plan/topology.h"

using namespace natlab;
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

nat::NatType preset(const char* name) {
    return *nat::parse_nat_type(name);
}

std::string type_name(std::optional<nat::NatType> t) {
    return t ? std::string(nat::to_string(*t)) : "";
}

const MatrixCell* cell(const Matrix& m, const std::string& name) {
    for (auto& c : m.cells)
        if (c.name == name) return &c;
    return nullptr;
}

}  // namespace

// The classic table of punching outcomes (docs/commands.md), relay off: {A, B, expected}.
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
    for (auto& r : rows)
        EXPECT_EQ(expected_outcome(preset(r.a), preset(r.b)), *parse_outcome(r.want)) << r.a << " x " << r.b;
}

TEST(MatrixClassic, SixteenPairsSameNatAndHairpin) {
    auto m = classic_matrix();
    ASSERT_EQ(m.cells.size(), 19u);
    EXPECT_EQ(cell(m, "pr-sym")->expected, Outcome::NotConnected);
    EXPECT_EQ(cell(m, "same-pr")->expected, Outcome::Local);
    EXPECT_EQ(cell(m, "hairpin-on")->expected, Outcome::Public);
    EXPECT_EQ(cell(m, "hairpin-off")->expected, Outcome::NotConnected);
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
    EXPECT_EQ(observed_outcome(prflx).text(), "peer-reflexive");
    std::map<std::string, PeerResult> pub = {{"alice", result("alice", "bob", true, "public")},
                                             {"bob", result("bob", "alice", true, "public")}};
    EXPECT_EQ(observed_outcome(pub).text(), "public");
    std::map<std::string, PeerResult> half = {{"alice", result("alice", "bob", true, "public")},
                                              {"bob", result("bob", "alice", false, "")}};
    EXPECT_EQ(observed_outcome(half).text(), "one-sided");
    EXPECT_EQ(observed_outcome({}).text(), "not-connected");
    // A side whose path is the partner's mapped endpoint: mapped, whatever the other's.
    std::map<std::string, PeerResult> mapped = {{"alice", result("alice", "bob", true, "peer-reflexive")},
                                                {"bob", result("bob", "alice", true, "mapped")}};
    EXPECT_EQ(observed_outcome(mapped).text(), "mapped");
    std::map<std::string, PeerResult> mapped_pub = {{"alice", result("alice", "bob", true, "mapped")},
                                                    {"bob", result("bob", "alice", true, "public")}};
    EXPECT_EQ(observed_outcome(mapped_pub).text(), "mapped");
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
    EXPECT_EQ(m.cells[0].expected, Outcome::Public);
    EXPECT_FALSE(m.cells[0].overridden);
    EXPECT_EQ(m.cells[1].expected, Outcome::Connected);
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
    EXPECT_EQ(clean->expected, Outcome::Public);
    EXPECT_EQ(lossy->expected, Outcome::Connected);
    EXPECT_EQ(lossy->key, "port-restricted x port-restricted @ lossy");
    EXPECT_EQ(cell(m, "pr-sym@clean")->expected, Outcome::Connected);  // the bare key overrides every setting
    EXPECT_EQ(cell(m, "pr-sym@lossy")->expected, Outcome::Connected);
    EXPECT_FALSE(clean->scenario.hosts[1].link);
    auto& link = lossy->scenario.hosts[1].link;  // alice
    ASSERT_TRUE(link);
    EXPECT_EQ(*link->loss, 20.0);
    EXPECT_EQ(link->delay->count(), 10);
    EXPECT_FALSE(lossy->scenario.hosts[0].link);  // the server's link stays clean
    auto text = render_matrix_text(m, {{"pr-pr@lossy", Outcome::Public}});
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

// ---- axes over NAT behaviours: presets, linux, explicit NATs ----------------

// The table knows a NAT by its (mapping, filtering) pair: {type, mapping, filtering, want}.
TEST(MatrixTable, ClassicTypeByMappingAndFiltering) {
    struct Row {
        const char *type, *mapping, *filtering, *want;  // "" = not given; want "" = no classic type
    } rows[] = {
        {"full-cone", "", "", "full-cone"},
        {"symmetric", "", "", "symmetric"},
        {"linux", "", "", "port-restricted"},  // masquerade + conntrack: EIM + APDF
        {"port-restricted", "", "endpoint-independent", "full-cone"},
        {"port-restricted", "", "address-dependent", "restricted"},
        {"symmetric", "endpoint-independent", "", "port-restricted"},
        {"port-restricted", "address-and-port-dependent", "", "symmetric"},
        {"full-cone", "address-and-port-dependent", "address-and-port-dependent", "symmetric"},
        {"port-restricted", "address-dependent", "address-dependent", ""},
        {"symmetric", "", "endpoint-independent", ""},
        {"restricted", "address-dependent", "", ""},
    };
    for (auto& r : rows) {
        NatSpec n;
        n.type = r.type;
        if (*r.mapping) n.mapping = r.mapping;
        if (*r.filtering) n.filtering = r.filtering;
        EXPECT_EQ(type_name(classic_type(n)), r.want) << r.type << " " << r.mapping << " " << r.filtering;
    }
}

TEST(MatrixFile, ExplicitEntryIsTheScenarioNat) {
    auto m = load_matrix(write_temp("explicit", R"(matrix:
  name: behaviours
  a:
    - &seq
      name: eim-adf-seq
      mapping: endpoint-independent
      filtering: address-dependent
      port_allocation: sequential
      mapping_timeout: 30s
      refresh_on_inbound: true
      hairpin: on
      port_range: 20000-20999
  b: [linux, symmetric]
  same_nat: [*seq, linux]  # a YAML alias repeats the entry
)"));
    EXPECT_EQ(m.rows, (std::vector<std::string>{"eim-adf-seq"}));
    EXPECT_EQ(m.columns, (std::vector<std::string>{"linux", "symmetric"}));
    ASSERT_EQ(m.cells.size(), 4u);
    auto* to_linux = cell(m, "eim-adf-seq-linux");
    auto* to_sym = cell(m, "eim-adf-seq-sym");
    ASSERT_TRUE(to_linux && to_sym);
    EXPECT_EQ(to_linux->key, "eim-adf-seq x linux");
    EXPECT_EQ(to_linux->expected, Outcome::Public);       // restricted x port-restricted
    EXPECT_EQ(to_sym->expected, Outcome::PeerReflexive);  // restricted x symmetric
    auto& nat = to_sym->scenario.nats[0];
    EXPECT_EQ(nat.name, "nat-a");
    EXPECT_EQ(nat.type, "port-restricted");
    EXPECT_EQ(nat.mapping, "endpoint-independent");
    EXPECT_EQ(nat.filtering, "address-dependent");
    EXPECT_EQ(nat.port_allocation, "sequential");
    EXPECT_EQ(nat.mapping_timeout, Millis(30'000));
    EXPECT_EQ(nat.refresh_on_inbound, true);
    EXPECT_TRUE(nat.hairpin);
    EXPECT_EQ(nat.port_range, "20000-20999");
    EXPECT_EQ(nat.where.line, 4);  // the entry (its anchor), for the planner's errors
    EXPECT_TRUE(to_linux->scenario.nats[1].is_linux());
    EXPECT_FALSE(to_linux->scenario.nats[1].mapping);
    EXPECT_EQ(cell(m, "same-eim-adf-seq")->expected, Outcome::Local);
    EXPECT_EQ(cell(m, "same-eim-adf-seq")->scenario.nats[0].filtering, "address-dependent");
    EXPECT_TRUE(cell(m, "same-linux")->scenario.nats[0].is_linux());
    for (auto& c : m.cells) EXPECT_FALSE(plan_topology(c.scenario).nodes.empty()) << c.name;
    auto text = render_matrix_text(m, {{"eim-adf-seq-sym", Outcome::PeerReflexive}});
    EXPECT_NE(text.find("eim-adf-seq     (not run)       peer-reflexive"), std::string::npos) << text;
}

// An entry that maps and filters as a preset takes the preset's row: {a, b, want}.
TEST(MatrixFile, EntriesTakeTheRowOfTheirBehaviour) {
    struct Row {
        const char *a, *b, *want;
    } rows[] = {
        {"linux", "symmetric", "not-connected"},
        {"linux", "full-cone", "public"},
        {"linux", "linux", "public"},
        {"{name: apdm, mapping: address-and-port-dependent, port_allocation: preserve}", "restricted",
         "peer-reflexive"},
        {"{name: cone, type: symmetric, mapping: endpoint-independent, filtering: endpoint-independent}",
         "symmetric", "peer-reflexive"},
        {"{name: kernel, type: linux}", "symmetric", "not-connected"},
        {"{name: pr2, hairpin: on}", "port-restricted", "public"},
    };
    int i = 0;
    for (auto& r : rows) {
        auto path = write_temp("row" + std::to_string(i++),
                               std::string("matrix:\n  name: m\n  a: [") + r.a + "]\n  b: [" + r.b + "]\n");
        auto m = load_matrix(path);
        ASSERT_EQ(m.cells.size(), 1u) << r.a;
        EXPECT_EQ(m.cells[0].expected, *parse_outcome(r.want)) << r.a << " x " << r.b;
        EXPECT_FALSE(m.cells[0].overridden);
    }
}

// No classic type, no row in the table: the file must say what to expect.
TEST(MatrixFile, NonClassicPairNeedsExpect) {
    auto no_expect = write_temp("no_expect", R"(matrix:
  name: m
  a: [symmetric]
  b: [full-cone, {name: adm, mapping: address-dependent, filtering: address-dependent}]
)");
    EXPECT_EQ(error_of(no_expect),
              no_expect +
                  ":4:18: no expected outcome for cell 'symmetric x adm' in the outcome table "
                  "(mapping/filtering not a classic type): give it under expect:");
    auto with_expect = write_temp("with_expect", R"(matrix:
  name: m
  a: [symmetric]
  b: [full-cone, &adm {name: adm, mapping: address-dependent, filtering: address-dependent}]
  same_nat: [*adm]
  expect:
    symmetric x adm: not-connected
)");
    auto m = load_matrix(with_expect);
    ASSERT_EQ(m.cells.size(), 3u);
    EXPECT_EQ(cell(m, "sym-fc")->expected, Outcome::PeerReflexive);
    EXPECT_EQ(cell(m, "sym-adm")->expected, Outcome::NotConnected);
    EXPECT_TRUE(cell(m, "sym-adm")->overridden);
    EXPECT_EQ(cell(m, "same-adm")->expected, Outcome::Local);  // same NAT: always local
    // With links, every setting's cell needs its outcome.
    auto one_setting = write_temp("one_setting", R"(matrix:
  name: m
  a: [{name: adm, mapping: address-dependent}]
  b: [symmetric]
  links:
    clean: {}
    lossy: {loss: 10%}
  expect:
    adm x symmetric @ clean: not-connected
)");
    EXPECT_EQ(error_of(one_setting)
                  .rfind(one_setting + ":3:7: no expected outcome for cell 'adm x symmetric @ lossy'", 0),
              0u)
        << error_of(one_setting);
}

// Every bad entry: exactly where, and what.
TEST(MatrixFile, RejectsBadEntriesWithFileLineColumn) {
    struct Case {
        const char* name;
        const char* axes;  // after "matrix:\n  name: m\n"
        const char* want;  // after "FILE:"
    } cases[] = {
        {"e_unknown_key", "  a: [{name: x, colour: red}]\n", "3:17: unknown key 'colour' in NAT in a"},
        {"e_no_name", "  a: [{mapping: address-dependent}]\n", "3:7: NAT in a needs name:"},
        {"e_bad_name", "  a: [{name: Big}]\n", "3:14: NAT name 'Big' must start with a lowercase letter"},
        {"e_long_name", "  a: [{name: abcdefghijklmnopq}]\n",
         "3:14: NAT name 'abcdefghijklmnopq' must start"},
        {"e_taken_name", "  a: [{name: pr}]\n", "3:14: NAT name 'pr' is taken"},
        {"e_bad_mapping", "  a: [{name: x, mapping: sideways}]\n",
         "3:26: unknown mapping behaviour 'sideways'"},
        {"e_bad_type", "  a: [{name: x, type: funnel}]\n", "3:23: unknown NAT type 'funnel'"},
        {"e_bad_timeout", "  a: [{name: x, mapping_timeout: soon}]\n",
         "3:34: mapping_timeout must be a duration"},
        {"e_bad_range", "  a: [{name: x, port_range: 9-1}]\n", "3:29: port_range must be LO-HI"},
        {"e_bad_bool", "  a: [{name: x, hairpin: maybe}]\n", "3:26: hairpin must be true or false"},
        {"e_linux_keys", "  a: [{name: k, type: linux, mapping: address-dependent}]\n",
         "3:30: 'mapping' does not apply to NAT 'k' of type linux"},
        {"e_dup_name", "  a: [{name: x}, {name: x}]\n", "3:25: NAT 'x' twice in a"},
        {"e_dup_linux", "  a: [linux, linux]\n", "3:14: NAT type 'linux' twice in a"},
        {"e_two_meanings", "  a: [{name: x}]\n  b: [{name: x, filtering: address-dependent}]\n",
         "4:14: NAT 'x' is not the NAT of that name at "},
        {"e_list_entry", "  a: [[full-cone]]\n", "3:7: entries of a must be NAT types or NATs"},
        {"e_kernel", "  a: [Linux]\n", "3:7: unknown NAT type 'Linux' in a"},
        {"e_bad_mapper", "  a: [{name: x, port_mapping: [igd]}]\n",
         "3:32: unknown port mapping protocol 'igd'"},
        {"e_linux_mapper", "  a: [{name: k, type: linux, port_mapping: [pcp]}]\n",
         "3:30: 'port_mapping' does not apply to NAT 'k' of type linux"},
        {"e_same_cell_name", "  a: [{name: x}, {name: x-y}]\n  b: [{name: y-z}, {name: z}]\n",
         "3:6: cells 'x x y-z' and 'x-y x z' would both be named 'x-y-z'"},
    };
    for (auto& c : cases) {
        auto path = write_temp(c.name, std::string("matrix:\n  name: m\n") + c.axes);
        auto got = error_of(path);
        EXPECT_EQ(got.rfind(path + ":" + c.want, 0), 0u) << c.name << ": " << got;
    }
}

// An entry that grants port mappings: its peers ask (--port-mapping set to
// its first protocol) and the cell is mapped, whatever the table says;
// refused or absent, the table stands. {a, b, want, alice's --port-mapping}.
TEST(MatrixFile, GrantingEntryCellsAreMapped) {
    struct Row {
        const char *a, *b, *want, *flag;
    } rows[] = {
        {"{name: sym-pcp, type: symmetric, port_mapping: [pcp]}", "symmetric", "mapped", "pcp"},
        {"{name: sym-pmp, type: symmetric, port_mapping: [nat-pmp, pcp]}", "port-restricted", "mapped",
         "nat-pmp"},
        {"{name: fc-pcp, type: full-cone, port_mapping: pcp}", "full-cone", "mapped", "pcp"},
        {"{name: pr-upnp, port_mapping: {protocols: [upnp]}}", "symmetric", "mapped", "upnp"},
        {"{name: sym-no, type: symmetric, port_mapping: {protocols: [pcp], refuse: true}}", "symmetric",
         "not-connected", "pcp"},
        {"{name: sym-off, type: symmetric}", "symmetric", "not-connected", ""},
        {"symmetric", "{name: r-pcp, type: restricted, port_mapping: [pcp]}", "mapped", ""},
    };
    int i = 0;
    for (auto& r : rows) {
        auto path = write_temp("grant" + std::to_string(i++),
                               std::string("matrix:\n  name: m\n  a: [") + r.a + "]\n  b: [" + r.b + "]\n");
        auto m = load_matrix(path);
        ASSERT_EQ(m.cells.size(), 1u) << r.a;
        EXPECT_EQ(m.cells[0].expected, *parse_outcome(r.want)) << r.a << " x " << r.b;
        auto& run = m.cells[0].scenario.find_host("alice")->run;
        auto it = std::find(run.begin(), run.end(), "--port-mapping");
        EXPECT_EQ(it == run.end() ? "" : *(it + 1), r.flag) << r.a;
        for (auto& c : m.cells) EXPECT_FALSE(plan_topology(c.scenario).nodes.empty()) << c.name;
    }
}

// A granting entry with no nat-lab peer behind it: nobody asks, so the
// file must say what the cell comes to.
TEST(MatrixFile, GrantWithoutPeerNeedsExpect) {
    const char* body = R"(matrix:
  name: m
  scenario:
    name: t
    nats: {home: {type: symmetric}, office: {type: symmetric}}
    hosts:
      alice: {behind: home, run: sleep 1}
      bob: {behind: office, run: sleep 1}
    expect:
      - {id: ran, exit: alice, code: 0}
  axes: {a: home, b: office}
  a: [{name: sym-pcp, type: symmetric, port_mapping: [pcp]}]
  b: [symmetric]
  when: {connected: [ran], not-connected: [ran]}
)";
    auto open = write_temp("grant_no_peer", body);
    EXPECT_NE(
        error_of(open).find(
            ":12:7: no expected outcome for cell 'sym-pcp x symmetric' in the outcome table (it grants port "
            "mappings and no nat-lab peer behind it asks)"),
        std::string::npos)
        << error_of(open);
    auto given = write_temp("grant_no_peer_expect",
                            std::string(body) + "  expect:\n    sym-pcp x symmetric: connected\n");
    EXPECT_EQ(load_matrix(given).cells[0].expected, Outcome::Connected);
}

// The shipped grid: the 4x4 presets with port mapping off (the table) and
// on at alice's NAT (mapped everywhere).
TEST(MatrixFile, PortMappingGridFile) {
    auto m = load_matrix(std::string(NATLAB_SOURCE_DIR) + "/scenarios/matrix/port_mapping_grid.yaml");
    ASSERT_EQ(m.cells.size(), 32u);
    EXPECT_EQ(m.rows.size(), 8u);
    EXPECT_EQ(m.columns.size(), 4u);
    EXPECT_EQ(cell(m, "sym-sym")->expected, Outcome::NotConnected);
    EXPECT_EQ(cell(m, "pr-sym")->expected, Outcome::NotConnected);
    EXPECT_EQ(cell(m, "r-sym")->expected, Outcome::PeerReflexive);
    int mapped = 0;
    for (auto& c : m.cells) mapped += c.expected == Outcome::Mapped;
    EXPECT_EQ(mapped, 16);
    EXPECT_EQ(cell(m, "sym-pcp-sym")->expected, Outcome::Mapped);
    EXPECT_EQ(cell(m, "sym-pcp-sym")->scenario.nats[0].port_mapping->protocols,
              (std::vector<std::string>{"pcp"}));
    auto& bob = cell(m, "sym-pcp-sym")->scenario.find_host("bob")->run;
    EXPECT_EQ(std::find(bob.begin(), bob.end(), "--port-mapping"), bob.end());  // bob does not ask
    auto text = render_matrix_text(m, {{"sym-pcp-sym", Outcome::Mapped}});
    EXPECT_NE(text.find("sym-pcp"), std::string::npos) << text;
}

// ---- template matrices: the user's scenario across the grid -----------------

namespace {

const char* kOverlay = R"(name: overlay
nats:
  home: {type: port-restricted}
  office: {type: port-restricted}
hosts:
  server:
    address: 198.18.0.2
    run: rendezvous --listen 0.0.0.0:3478 --no-relay
  alice:
    behind: home
    run: peer --server ${server}:3478 --name alice --no-relay --connect bob
  bob:
    behind: office
    run: peer --server ${server}:3478 --name bob --no-relay
expect:
  - {id: reaches, connected: [alice, bob]}
  - {id: apart, not_connected: [alice, bob]}
  - {output: bob, matches: "."}
)";

// The template beside the matrix file, which names it relatively.
std::string template_matrix(const std::string& name, const std::string& body) {
    auto dir = std::filesystem::temp_directory_path() / "natlab-template";
    std::filesystem::create_directories(dir);
    std::ofstream(dir / "overlay.yaml") << kOverlay;
    auto path = dir / (name + ".yaml");
    std::ofstream(path) << "matrix:\n  name: m\n  template: overlay.yaml\n" << body;
    return path.string();
}

const char* kOverlayAxes = R"(  axes: {a: home, b: office}
  a: [full-cone, symmetric]
  b: [port-restricted]
  same_nat: [symmetric]
  hairpin: [on]
  when:
    connected: [reaches]
    not-connected: [apart]
)";

Verdict held(bool yes) {
    return {"x", yes, yes ? "" : "no"};
}

}  // namespace

TEST(MatrixTemplate, CellsAreTheTemplateWithItsAxisNatsSubstituted) {
    auto m = load_matrix(template_matrix("overlay_grid", kOverlayAxes));
    ASSERT_EQ(m.cells.size(), 4u);
    EXPECT_EQ(m.corner, "alice \\ bob");
    EXPECT_EQ(m.rows, (std::vector<std::string>{"full-cone", "symmetric"}));
    EXPECT_EQ(m.columns, (std::vector<std::string>{"port-restricted"}));
    auto* fc = cell(m, "fc-pr");
    auto* sym = cell(m, "sym-pr");
    ASSERT_TRUE(fc && sym);
    EXPECT_EQ(fc->expected, Outcome::Public);
    EXPECT_EQ(sym->expected, Outcome::NotConnected);
    EXPECT_EQ(fc->scenario.find_nat("home")->type, "full-cone");
    EXPECT_EQ(fc->scenario.find_nat("office")->type, "port-restricted");
    EXPECT_EQ(fc->scenario.hosts.size(), 3u);
    // Every expectation is run; the class's and the unnamed ones bind.
    EXPECT_EQ(fc->scenario.expectations.size(), 3u);
    EXPECT_EQ(fc->binding, (std::vector<std::size_t>{0, 2}));
    EXPECT_EQ(sym->binding, (std::vector<std::size_t>{1, 2}));
    EXPECT_TRUE(fc->peers.empty());
    auto* same = cell(m, "same-sym");
    ASSERT_TRUE(same);
    EXPECT_EQ(same->expected, Outcome::Local);
    ASSERT_EQ(same->scenario.nats.size(), 1u);
    EXPECT_EQ(same->scenario.nats[0].type, "symmetric");
    EXPECT_EQ(same->scenario.find_host("bob")->behind, "home");
    auto* hairpin = cell(m, "hairpin-on");
    ASSERT_TRUE(hairpin);
    EXPECT_EQ(hairpin->scenario.nats[0].name, "outer");
    EXPECT_EQ(hairpin->scenario.find_nat("office")->behind, "outer");
    for (auto& c : m.cells) EXPECT_FALSE(plan_topology(c.scenario).nodes.empty()) << c.name;
}

// Without peers, what a cell came to is the class whose expectations held.
TEST(MatrixTemplate, SeenIsTheClassThatHeld) {
    auto m = load_matrix(template_matrix("overlay_seen", kOverlayAxes));
    std::vector<Verdict> connected = {held(true), held(false), held(true)};
    auto fc = judge_matrix_cell(*cell(m, "fc-pr"), connected, {});
    EXPECT_EQ(fc.seen.outcome, Outcome::Public);
    ASSERT_EQ(fc.verdicts.size(), 3u);  // reaches, the output, the outcome
    for (auto& v : fc.verdicts) EXPECT_TRUE(v.held) << v.expectation;
    auto sym = judge_matrix_cell(*cell(m, "sym-pr"), connected, {});
    EXPECT_EQ(sym.seen.outcome, Outcome::Connected);
    EXPECT_FALSE(sym.verdicts.back().held);
    EXPECT_EQ(sym.verdicts.back().detail, "outcome was connected");
    auto none = judge_matrix_cell(*cell(m, "sym-pr"), {held(false), held(false), held(true)}, {});
    EXPECT_EQ(none.seen.outcome, Outcome::Unclassified);
}

// A cell the matrix file sets to connected came to its own class, connected.
TEST(MatrixTemplate, ACellSetToConnectedMatchesItsClass) {
    auto m = load_matrix(template_matrix(
        "overlay_set",
        std::string(kOverlayAxes) + "  expect:\n    symmetric x port-restricted: connected\n"));
    auto sym = judge_matrix_cell(*cell(m, "sym-pr"), {held(true), held(false), held(true)}, {});
    EXPECT_EQ(sym.seen.outcome, Outcome::Connected);
    EXPECT_TRUE(sym.verdicts.back().held) << sym.verdicts.back().detail;
}

// The notes in result.json are enough to draw the grid again (nat-lab merge).
TEST(MatrixTemplate, NotesDrawTheSameGrid) {
    auto m = load_matrix(template_matrix("overlay_notes", kOverlayAxes));
    Observed seen = {
        {"fc-pr", Outcome::Public}, {"sym-pr", Outcome::Connected}, {"same-sym", Outcome::Local}};
    std::vector<nlohmann::json> notes;
    for (auto& c : m.cells)
        if (seen.count(c.name)) notes.push_back(cell_note(m, c, seen.at(c.name)));
    Observed back;
    auto merged = matrix_from_notes(notes, back);
    EXPECT_EQ(back, seen);
    EXPECT_EQ(merged.name, "m");
    EXPECT_EQ(render_matrix_text(merged, back).substr(0, 60), render_matrix_text(m, seen).substr(0, 60));
    EXPECT_NE(render_matrix_text(merged, back).find("connected != not-connected"), std::string::npos);
    notes.push_back(notes[0]);
    EXPECT_THROW(matrix_from_notes(notes, back), std::exception);  // a cell twice
}

// One axis: the partner on the internet counts as full-cone. Three: the worst pair.
TEST(MatrixTemplate, OneAxisAndThreeAxes) {
    auto path = write_temp("inline", R"(matrix:
  name: mesh
  scenario:
    nats: {n1: {}, n2: {}, n3: {}}
    hosts:
      a: {behind: n1, run: sleep 1}
      b: {behind: n2, run: sleep 1}
      c: {behind: n3, run: sleep 1}
    expect:
      - {id: a-ok, exit: a}
  axes: {x: n1, y: n2, z: n3}
  x: [full-cone, symmetric]
  y: [port-restricted]
  z: [restricted]
  when: {connected: [a-ok], not-connected: []}
)");
    auto m = load_matrix(path);
    ASSERT_EQ(m.cells.size(), 2u);
    EXPECT_EQ(m.corner, "a \\ b x c");
    EXPECT_EQ(m.columns, (std::vector<std::string>{"port-restricted x restricted"}));
    EXPECT_EQ(m.cells[0].name, "fc-pr-r");
    EXPECT_EQ(m.cells[0].key, "full-cone x port-restricted x restricted");
    EXPECT_EQ(m.cells[0].expected, Outcome::Public);
    EXPECT_EQ(m.cells[1].expected, Outcome::NotConnected);  // symmetric x port-restricted
    auto one = write_temp("one_axis", R"(matrix:
  name: solo
  scenario:
    nats: {n1: {}}
    hosts:
      a: {behind: n1, run: sleep 1}
      web: {run: sleep 1}
    expect:
      - {id: a-ok, exit: a}
  axes: {x: n1}
  x: [symmetric, restricted]
  when: {connected: [a-ok]}
)");
    auto s = load_matrix(one);
    EXPECT_EQ(s.columns, (std::vector<std::string>{"outcome"}));
    EXPECT_EQ(cell(s, "sym")->expected, Outcome::PeerReflexive);
    EXPECT_EQ(cell(s, "r")->expected, Outcome::Public);
}

// Every bad new key: one line, FILE:LINE:COL, before anything is built.
TEST(MatrixTemplate, RejectsWithFileLineColumn) {
    struct Case {
        const char* name;
        const char* body;  // after "matrix:\n  name: m\n  template: overlay.yaml\n"
        const char* want;  // after "FILE:"
    } cases[] = {
        {"t_no_axes", "  a: [full-cone]\n", "2:3: a template matrix needs axes:"},
        {"t_axes_list", "  axes: [home]\n", "4:9: axes must map axis names to NATs of the template"},
        {"t_axis_nat", "  axes: {a: cellar}\n",
         "4:13: no NAT 'cellar' in the template (its NATs: home, office)"},
        {"t_axis_name", "  axes: {A: home}\n", "4:10: axis name 'A' must start with a lowercase letter"},
        {"t_axis_key", "  axes: {when: home}\n", "4:10: axis name 'when' is a key of matrix files"},
        {"t_axis_twice", "  axes: {a: home, b: home}\n", "4:22: NAT 'home' is axis 'a' already"},
        {"t_no_entries", "  axes: {a: home}\n  when: {connected: [reaches]}\n",
         "2:3: matrix needs `a`: the NATs of axis a (the template's 'home')"},
        {"t_no_when", "  axes: {a: home}\n  a: [full-cone]\n", "2:3: a template matrix needs when:"},
        {"t_when_outcome", "  axes: {a: home}\n  a: [full-cone]\n  when: {maybe: [reaches]}\n",
         "6:10: unknown outcome 'maybe'"},
        {"t_when_id", "  axes: {a: home}\n  a: [full-cone]\n  when: {connected: [nope]}\n",
         "6:22: no expectation with id 'nope' in the template (ids: reaches, apart)"},
        {"t_when_list", "  axes: {a: home}\n  a: [full-cone]\n  when: {connected: reaches}\n",
         "6:21: a class of when: must be a list of expectation ids"},
        {"t_when_class", "  axes: {a: home}\n  a: [full-cone]\n  when: {not-connected: [apart]}\n",
         "6:9: cell 'full-cone' expects public and when: has no class for it"},
        {"t_peers_one", "  axes: {a: home}\n  a: [full-cone]\n  peers: [alice]\n",
         "6:10: peers must name two hosts"},
        {"t_peers_host", "  axes: {a: home}\n  a: [full-cone]\n  peers: [alice, carol]\n",
         "6:18: no host 'carol' in the template"},
        {"t_same_one_axis",
         "  axes: {a: home}\n  a: [full-cone]\n  same_nat: [full-cone]\n  when: {connected: []}\n",
         "6:13: same_nat needs two axes"},
        {"t_both", "  scenario: {hosts: {}}\n  axes: {a: home}\n",
         "4:13: a matrix takes template: or scenario:, not both"},
        {"t_unknown_key", "  axes: {a: home}\n  a: [full-cone]\n  colour: red\n",
         "6:3: unknown key 'colour' in matrix"},
    };
    for (auto& c : cases) {
        auto path = template_matrix(c.name, c.body);
        auto got = error_of(path);
        EXPECT_EQ(got.rfind(path + ":" + c.want, 0), 0u) << c.name << ": " << got;
        EXPECT_EQ(got.find('\n'), std::string::npos) << c.name;
    }
    auto missing = write_temp("t_missing", "matrix:\n  name: m\n  template: nope.yaml\n");
    EXPECT_EQ(error_of(missing).rfind(missing + ":3:13: no template scenario 'nope.yaml'", 0), 0u)
        << error_of(missing);
    auto nested = write_temp("t_matrix", "matrix:\n  name: m\n  template: natlab-matrix-t_missing.yaml\n");
    EXPECT_EQ(
        error_of(nested).rfind(nested + ":3:13: template 'natlab-matrix-t_missing.yaml' is a matrix file", 0),
        0u)
        << error_of(nested);
    auto bad_inline =
        write_temp("t_inline", "matrix:\n  name: m\n  scenario:\n    hosts: {a: {behind: moon}}\n");
    EXPECT_EQ(error_of(bad_inline).rfind(bad_inline + ":4:25: host 'a' is behind 'moon'", 0), 0u)
        << error_of(bad_inline);
}

// ---- IPv6: entries that set what each NAT does to its LAN's IPv6 ----------

namespace {

const NatSpec& nat_named(const MatrixCell& c, const std::string& name) {
    return *std::find_if(c.scenario.nats.begin(), c.scenario.nats.end(),
                         [&](auto& n) { return n.name == name; });
}

}  // namespace

// The shipped grid: symmetric IPv4 NATs, every IPv6 side punches (the
// mapping is the host's own), so every cell expects `connected`.
TEST(MatrixIpv6, FirewallGridFile) {
    auto m = load_matrix(std::string(NATLAB_SOURCE_DIR) + "/scenarios/matrix/ipv6_firewall.yaml");
    ASSERT_EQ(m.cells.size(), 10u);
    EXPECT_EQ(m.rows, (std::vector<std::string>{"v6-eif", "v6-adf", "v6-apdf", "v6-route", "v6-nptv6"}));
    EXPECT_EQ(m.columns, (std::vector<std::string>{"v6-apdf", "v6-route"}));
    for (auto& c : m.cells) EXPECT_EQ(c.expected, Outcome::Connected) << c.name;
    struct Want {
        const char* cell;
        const char* nat;
        const char* mode;
        const char* filtering;  // "" unset
    } wants[] = {
        {"v6-adf-v6-apdf", "nat-a", "firewall", "address-dependent"},
        {"v6-adf-v6-apdf", "nat-b", "firewall", "address-and-port-dependent"},
        {"v6-nptv6-v6-route", "nat-a", "nptv6", ""},
        {"v6-nptv6-v6-route", "nat-b", "route", ""},
    };
    for (auto& w : wants) {
        auto& n = nat_named(*cell(m, w.cell), w.nat);
        EXPECT_EQ(n.type, "symmetric") << w.cell;
        EXPECT_EQ(n.ipv6.stack, Stack::dual) << w.cell << " " << w.nat;  // the template's stack stays
        EXPECT_EQ(n.ipv6.mode_name(), w.mode) << w.cell << " " << w.nat;
        EXPECT_EQ(n.ipv6.filtering.value_or(""), w.filtering) << w.cell << " " << w.nat;
    }
    // and every cell plans: addresses, nat-emu's IPv6 flags
    for (auto& c : m.cells) EXPECT_NO_THROW(plan_topology(c.scenario)) << c.name;
}

// Without IPv6 in the cell the IPv4 table stands: an entry that keeps the
// template's IPv4-only stack gets symmetric x symmetric.
TEST(MatrixIpv6, Ipv4TableWithoutIpv6) {
    auto m = load_matrix(write_temp("v4only", "matrix:\n  name: m\n  a: [symmetric]\n  b: [symmetric]\n"));
    EXPECT_EQ(m.cells[0].expected, Outcome::NotConnected);
}

TEST(MatrixIpv6, GridMarksAPathOverIpv6) {
    std::map<std::string, PeerResult> peers;
    for (auto [name, partner] : {std::pair{"alice", "bob"}, std::pair{"bob", "alice"}}) {
        auto& r = peers[name];
        r.name = name;
        r.partner = partner;
        r.connected = true;
        r.path = "public";
        r.family = "ipv6";
    }
    auto seen = observed_outcome(peers);
    EXPECT_EQ(seen.text(), "public(ipv6)");
    EXPECT_TRUE(matches(Outcome::Connected, seen));
    EXPECT_TRUE(matches(Outcome::Public, seen));
    EXPECT_EQ(Seen::from_text("public(ipv6)"), seen);
    EXPECT_EQ(Seen::from_text("local/public(ipv6)").paths, "local/public");
    // NPTv6 on one side: bob names alice's translated (public) address, she
    // his own (local): still connected over IPv6, not over IPv4
    EXPECT_TRUE(matches(Outcome::Connected, Seen::from_text("local/public(ipv6)")));
    EXPECT_FALSE(matches(Outcome::Connected, Seen::from_text("local/public")));
    peers["bob"].family = "ipv4";  // the sides disagree: no mark
    EXPECT_EQ(observed_outcome(peers).text(), "public");
    peers["bob"].family = peers["alice"].family = "ipv4";
    EXPECT_EQ(observed_outcome(peers).text(), "public");
}
