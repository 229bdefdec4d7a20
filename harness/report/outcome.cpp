#include "harness/report/outcome.h"

namespace natlab::harness {
namespace {

using nlohmann::json;

json verdicts_json(const std::vector<Verdict>& verdicts) {
    json a = json::array();
    for (auto& v : verdicts)
        a.push_back(
            {{"expectation", v.expectation}, {"held", v.held}, {"detail", v.detail}, {"seen", v.seen}});
    return a;
}

}  // namespace

json to_json(const RunOutcome& o) {
    return {{"label", o.label},
            {"scenario", o.scenario},
            {"file", o.file},
            {"out_dir", o.out_dir},
            {"code", o.code},
            {"passed", o.code == kExitHeld},
            {"error", o.error},
            {"report", o.report},
            {"verdicts", verdicts_json(o.verdicts)},
            {"time_to_connect_ms", o.time_to_connect_ms},
            {"setup_ms", o.setup_ms},
            {"teardown_ms", o.teardown_ms},
            {"run_ms", o.run_ms},
            {"wall_ms", o.wall_ms},
            {"result", o.result}};
}

RunOutcome outcome_from_json(const json& j) {
    RunOutcome o;
    o.label = j.value("label", "");
    o.scenario = j.value("scenario", "");
    o.file = j.value("file", "");
    o.out_dir = j.value("out_dir", "");
    o.code = j.value("code", kExitBadInput);
    o.error = j.value("error", "");
    o.report = j.value("report", "");
    for (auto& v : j.value("verdicts", json::array()))
        o.verdicts.push_back(
            {v.value("expectation", ""), v.value("held", false), v.value("detail", ""), v.value("seen", "")});
    o.time_to_connect_ms = j.value("time_to_connect_ms", std::vector<double>{});
    o.setup_ms = j.value("setup_ms", 0.0);
    o.teardown_ms = j.value("teardown_ms", 0.0);
    o.run_ms = j.value("run_ms", 0.0);
    o.wall_ms = j.value("wall_ms", 0.0);
    o.result = j.value("result", json());
    return o;
}

}  // namespace natlab::harness
