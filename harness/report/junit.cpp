#include "harness/report/junit.h"

#include <cstdio>

#include "harness/report/html.h"

namespace natlab::harness {
namespace {

std::string seconds(double ms) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.3f", ms / 1000.0);
    return buf;
}

std::string failures(const RunOutcome& o) {
    std::string text;
    for (auto& v : o.verdicts)
        if (!v.held)
            text += "FAIL " + v.expectation + ": " + v.detail +
                    (v.seen.empty() ? "" : " (seen: " + v.seen + ")") + "\n";
    return text;
}

std::string testcase(const RunOutcome& o) {
    std::string out = "  <testcase name=\"" + html::escape(o.label) + "\" classname=\"" +
                      html::escape(o.file.empty() ? o.scenario : o.file) + "\" time=\"" + seconds(o.wall_ms) +
                      "\">\n";
    if (!o.error.empty()) {
        out += "    <error message=\"" + html::escape(o.error) + "\"/>\n";
    } else if (o.code != kExitHeld) {
        auto text = failures(o);
        if (text.empty()) text = "the run was interrupted\n";
        out += "    <failure message=\"" + html::escape(text.substr(0, text.find('\n'))) + "\">" +
               html::escape(text) + "</failure>\n";
    }
    out += "    <system-out>" +
           html::escape(o.report + (o.out_dir.empty() ? "" : "output: " + o.out_dir + "\n")) +
           "</system-out>\n  </testcase>\n";
    return out;
}

}  // namespace

std::string render_junit(const std::vector<RunOutcome>& outcomes, const std::string& suite) {
    int failed = 0, errors = 0;
    double total = 0;
    std::string cases;
    for (auto& o : outcomes) {
        errors += !o.error.empty();
        failed += o.error.empty() && o.code != kExitHeld;
        total += o.wall_ms;
        cases += testcase(o);
    }
    return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuite name=\"" + html::escape(suite) +
           "\" tests=\"" + std::to_string(outcomes.size()) + "\" failures=\"" + std::to_string(failed) +
           "\" errors=\"" + std::to_string(errors) + "\" time=\"" + seconds(total) + "\">\n" + cases +
           "</testsuite>\n";
}

}  // namespace natlab::harness
