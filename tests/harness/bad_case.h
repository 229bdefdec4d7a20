// What the scenario tests share: a scenario written to a temporary file, and
// the table form of a bad scenario (its text, where the error must point,
// what it must say) with the one check every row gets: loading and planning
// it fails with exactly one line "FILE:LINE:COL: ..." that says it.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <fstream>
#include <ostream>
#include <string>

#include "harness/plan/scenario.h"
#include "harness/plan/topology.h"

namespace natlab::harness::test {

inline std::string write_temp(const std::string& content) {
    static int counter = 0;
    auto path = ::testing::TempDir() + "scenario_" + std::to_string(::getpid()) + "_" +
                std::to_string(counter++) + ".yaml";
    std::ofstream(path) << content;
    return path;
}

struct BadCase {
    const char* name;
    std::string yaml;
    int line, column;
    const char* says;
};

inline void PrintTo(const BadCase& c, std::ostream* os) {
    *os << c.name;
}

inline void expect_rejected(const BadCase& c) {
    auto path = write_temp(c.yaml);
    try {
        plan_topology(load_scenario(path));
        ADD_FAILURE() << c.name << ": accepted";
    } catch (const ScenarioError& e) {
        std::string want = path + ":" + std::to_string(c.line) + ":" + std::to_string(c.column) + ": ";
        std::string got = e.what();
        EXPECT_EQ(got.rfind(want, 0), 0u) << c.name << ": " << got;
        EXPECT_NE(got.find(c.says), std::string::npos) << c.name << ": " << got;
        EXPECT_EQ(got.find('\n'), std::string::npos) << "one line only";
    }
    std::remove(path.c_str());
}

// A test name from a row's name: letters and digits, the rest '_'.
inline std::string case_name(const ::testing::TestParamInfo<BadCase>& info) {
    std::string n = info.param.name;
    for (auto& ch : n)
        if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
    return n;
}

}  // namespace natlab::harness::test
