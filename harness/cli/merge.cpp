#include "harness/cli/merge.h"

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "src/net/setup_error.h"

namespace natlab::harness {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

struct CellFile {
    fs::path dir;
    json result;
};

std::vector<fs::path> result_files(const std::string& dir) {
    if (!fs::is_directory(dir)) throw SetupError("merge: " + dir + " is not a directory");
    std::vector<fs::path> out;
    for (auto& e : fs::recursive_directory_iterator(dir))
        if (e.is_regular_file() && e.path().filename() == "result.json") out.push_back(e.path());
    std::sort(out.begin(), out.end());
    return out;
}

std::vector<CellFile> cell_files(const std::vector<std::string>& dirs) {
    std::vector<CellFile> out;
    for (auto& dir : dirs)
        for (auto& file : result_files(dir)) {
            std::ifstream in(file);
            auto j = json::parse(in, nullptr, false);
            if (j.is_object() && j.contains("matrix") && j["matrix"].is_object())
                out.push_back({fs::absolute(file.parent_path()), j});
        }
    return out;
}

std::vector<Verdict> verdicts_of(const json& result) {
    std::vector<Verdict> out;
    for (auto& v : result.value("verdicts", json::array()))
        out.push_back({v.value("expectation", ""), v.value("held", false), v.value("detail", "")});
    return out;
}

// What JUnit needs of a run, from its result.json.
RunOutcome outcome_of(const CellFile& f) {
    RunOutcome o;
    auto& r = f.result;
    o.label = r["matrix"].value("name", "") + "/" + r["matrix"].value("cell", "");
    o.scenario = r.value("scenario", "");
    o.file = r.value("file", "");
    o.out_dir = f.dir.string();
    o.verdicts = verdicts_of(r);
    o.code = r.value("passed", false) && !r.value("interrupted", false) ? kExitHeld : kExitFailed;
    o.wall_ms = r.value("setup_ms", 0.0) + r.value("run_ms", 0.0) + r.value("teardown_ms", 0.0);
    return o;
}

}  // namespace

MergedMatrix merge_cells(const std::vector<std::string>& dirs, const std::string& out_dir) {
    auto files = cell_files(dirs);
    std::vector<json> notes;
    for (auto& f : files) notes.push_back(f.result["matrix"]);
    MergedMatrix merged;
    merged.matrix = matrix_from_notes(notes, merged.observed);
    for (std::size_t i = 0; i < files.size(); ++i) {
        auto rel = fs::relative(files[i].dir / "report.html", fs::absolute(out_dir));
        merged.matrix.cells[i].link = rel.string();
        merged.outcomes.push_back(outcome_of(files[i]));
    }
    return merged;
}

}  // namespace natlab::harness
