// Generated files, set-up commands and the lab's /etc/hosts: what the
// loader refuses (FILE:LINE:COL), what the planner expands, what it leaves
// for the lab (the run directory's paths).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "harness/plan/host_files.h"
#include "harness/plan/scenario.h"
#include "harness/plan/topology.h"
#include "tests/harness/bad_case.h"

using namespace natlab;
using namespace natlab::harness;
using namespace natlab::harness::test;

namespace {

// Line numbers in the table below count from here.
const std::string kBase = R"(setup:
  - nebula-cert ca -name lab
nats:
  home: {}
hosts:
  lighthouse:
    address: 198.18.0.9
  alice:
    behind: home
    files:
      config.yml: "host ${host}, lighthouse ${lighthouse}, NAT ${home}, dir ${host_dir}"
)";

std::string with(const std::string& from, const std::string& to) {
    std::string s = kBase;
    auto at = s.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    return s.replace(at, from.size(), to);
}

const std::string kFile = "      config.yml: \"host ${host}";
const std::string kFiles = "    files:\n" + kFile;

const BadCase kBad[] = {
    {"files not a mapping", with(kFiles, "    files: [a]\n    run: \"echo ${host}"), 10, 12,
     "must be a mapping"},
    {"file path climbs out", with(kFile, "      ../config.yml: \"host ${host}"), 11, 7,
     "relative path of names"},
    {"file path absolute", with(kFile, "      /etc/passwd: \"host ${host}"), 11, 7, "relative path of names"},
    {"file path empty part", with(kFile, "      a//b: \"host ${host}"), 11, 7, "relative path of names"},
    {"file content not text", with(kFile, "      config.yml: [1, 2]\n      x: \"host ${host}"), 11, 19,
     "content of file config.yml must be a string"},
    {"unknown reference in a file", with("${lighthouse}", "${lighthous}"), 11, 19,
     "'${lighthous}' does not name a host or NAT"},
    // in a literal block, the reference's own line and column
    {"unknown reference in a block",
     with(kFile, "      a.txt: |\n        first line\n        second ${nobody} here\n" + kFile), 13, 16,
     "'${nobody}' does not name a host or NAT"},
    {"own name in set-up", with("-name lab", "-name ${host}"), 2, 5, "'${host}' (the host's own name)"},
    {"own directory in set-up", with("-name lab", "-out ${host_dir}"), 2, 5, "the host's own directory"},
    {"setup empty", with("  - nebula-cert ca -name lab\n", "  []\n"), 2, 3, "setup must be a non-empty list"},
    {"setup command empty", with("nebula-cert ca -name lab", "''"), 2, 5, "must not be empty"},
    {"host named host", with("  lighthouse:\n", "  host:\n"), 6, 3, "host name 'host' is reserved"},
    {"NAT named setup_dir", with("  home: {}", "  home: {}\n  setup_dir: {}"), 5, 3,
     "NAT name 'setup_dir' is reserved"},
};

class BadGenerated : public ::testing::TestWithParam<BadCase> {};

TEST_P(BadGenerated, FailsWithFileLineColumn) {
    expect_rejected(GetParam());
}

INSTANTIATE_TEST_SUITE_P(Table, BadGenerated, ::testing::ValuesIn(kBad), case_name);

Topology planned(const std::string& yaml) {
    auto path = write_temp(yaml);
    auto topo = plan_topology(load_scenario(path));
    std::remove(path.c_str());
    return topo;
}

TEST(HostFiles, AddressesAndOwnNameExpandedDirectoriesLeftForTheLab) {
    auto topo = planned(kBase);
    auto* alice = topo.find_node("alice");
    ASSERT_EQ(alice->files.size(), 1u);
    EXPECT_EQ(alice->files[0].path, "config.yml");
    EXPECT_EQ(alice->files[0].content, "host alice, lighthouse 198.18.0.9, NAT 198.18.1.1, dir ${host_dir}");
    EXPECT_TRUE(topo.find_node("lighthouse")->files.empty());
}

TEST(HostFiles, SetupCommandsKeepTheirOrderAndExpandAddresses) {
    auto topo =
        planned(with("  - nebula-cert ca -name lab\n",
                     "  - nebula-cert ca -name lab\n  - [sh, -c, 'echo ${lighthouse} > ${setup_dir}/x']\n"));
    ASSERT_EQ(topo.setup.size(), 2u);
    EXPECT_EQ(topo.setup[0].argv, (std::vector<std::string>{"nebula-cert", "ca", "-name", "lab"}));
    EXPECT_EQ(topo.setup[1].argv[2], "echo 198.18.0.9 > ${setup_dir}/x");
    EXPECT_EQ(topo.setup[1].where.line, 3);
}

TEST(HostFiles, RunCommandsTakeNatAddressesAndDirectories) {
    auto topo = planned(kBase + "    run: prog --nat ${home} --config ${host_dir}/config.yml --me ${host}\n");
    EXPECT_EQ(topo.find_node("alice")->argv,
              (std::vector<std::string>{"prog", "--nat", "198.18.1.1", "--config", "${host_dir}/config.yml",
                                        "--me", "alice"}));
}

TEST(HostFiles, HostsFileNamesEveryHostAndNat) {
    auto topo = planned(kBase);
    EXPECT_NE(topo.hosts_file.find("127.0.0.1\tlocalhost\n"), std::string::npos);
    EXPECT_NE(topo.hosts_file.find("198.18.0.9\tlighthouse\n"), std::string::npos);
    EXPECT_NE(topo.hosts_file.find("10.0.1.2\talice\n"), std::string::npos);
    EXPECT_NE(topo.hosts_file.find("198.18.1.1\thome\n"), std::string::npos);
}

TEST(HostFiles, NestedPathsAreFine) {
    auto topo = planned(with("config.yml", "pki/host.crt"));
    EXPECT_EQ(topo.find_node("alice")->files[0].path, "pki/host.crt");
}

TEST(HostFiles, DirectoriesExpandAtRunTime) {
    EXPECT_EQ(host_dir("/out/r", "alice"), "/out/r/hosts/alice");
    EXPECT_EQ(setup_dir("/out/r"), "/out/r/setup");
    EXPECT_EQ(expand_dirs("${host_dir}/a ${setup_dir}/ca.crt ${other}", "/h", "/s"),
              "/h/a /s/ca.crt ${other}");
}

}  // namespace
