// Expansion of counted entries (`count: N`). See generate.h for the theory
// of operation; docs/scenarios.md, section "Generated scenarios", for the
// user's side.
#include "harness/plan/generate.h"

#include <algorithm>
#include <array>
#include <vector>

namespace natlab::harness {
namespace {

constexpr std::string_view kIndex = "${i}";
constexpr std::array<const char*, 3> kSections = {"nats", "hosts", "expect"};

bool has_index(const YAML::Node& node) {
    return node.IsScalar() && node.Scalar().find(kIndex) != std::string::npos;
}

// The first scalar under `node` (keys included) that holds `${i}`, or an
// undefined node.
YAML::Node find_index(const YAML::Node& node) {
    if (has_index(node)) return node;
    if (node.IsSequence())
        for (auto item : node)
            if (auto hit = find_index(item)) return hit;
    if (node.IsMap())
        for (auto it : node) {
            if (has_index(it.first)) return it.first;
            if (auto hit = find_index(it.second)) return hit;
        }
    return YAML::Node(YAML::NodeType::Undefined);
}

// Every `${i}` under `node` replaced in place (the nodes keep their marks).
void substitute_all(YAML::Node node, int number) {
    if (has_index(node)) node = substitute_index(node.Scalar(), number);
    if (node.IsSequence())
        for (auto item : node) substitute_all(item, number);
    if (node.IsMap())
        for (auto it : node) {
            substitute_all(it.first, number);
            substitute_all(it.second, number);
        }
}

// One entry of a section: its key (for a map section) and its body.
struct Entry {
    YAML::Node key;
    YAML::Node body;
};

std::vector<Entry> entries_of(const YAML::Node& section) {
    std::vector<Entry> out;
    if (section.IsMap())
        for (auto it : section) out.push_back({it.first, it.second});
    if (section.IsSequence())
        for (auto item : section) out.push_back({YAML::Node(YAML::NodeType::Undefined), item});
    return out;
}

// The entry's count, or 0 when it has none; `${i}` outside a counted entry
// and a counted name without `${i}` are errors.
int count_of(const YamlReader& r, const Entry& e) {
    bool counted = e.body.IsMap() && e.body["count"];
    if (!counted) {
        if (auto hit = find_index(e.key); hit || (hit = find_index(e.body)))
            r.fail(hit, "${i} outside a counted entry (add count: N to the entry)");
        return 0;
    }
    int n = r.integer(e.body["count"], "count", 1, kMaxCount);
    if (e.key && !has_index(e.key))
        r.fail(e.key, "a counted entry's name needs ${i} (like peer-${i}), so that its copies differ");
    return n;
}

// Per section, the count of each entry (0: not counted).
using Counts = std::array<std::vector<int>, kSections.size()>;

Counts counts_of(const YamlReader& r, const YAML::Node& root) {
    Counts counts;
    for (std::size_t s = 0; s < kSections.size(); ++s)
        if (auto section = root[kSections[s]])
            for (auto& e : entries_of(section)) counts[s].push_back(count_of(r, e));
    return counts;
}

// copies[s][k]: the copies of entry k of section s, in order.
using Copies = std::array<std::vector<std::vector<Entry>>, kSections.size()>;

void take_copies(const YAML::Node& fresh, const Counts& counts, int number, Copies& copies) {
    for (std::size_t s = 0; s < kSections.size(); ++s) {
        if (counts[s].empty()) continue;
        auto entries = entries_of(fresh[kSections[s]]);
        for (std::size_t k = 0; k < counts[s].size() && k < entries.size(); ++k) {
            if (counts[s][k] < number) continue;
            auto& e = entries[k];
            e.body.remove("count");
            if (e.key) substitute_all(e.key, number);
            substitute_all(e.body, number);
            copies[s][k].push_back(e);
        }
    }
}

// The section again, each counted entry in place of its copies, built in
// `out`: an empty node of the map `built`, so that every section is built
// in one yaml-cpp memory. (Each copy comes from its own parse; inserting it
// merges that parse's memory into the target's, and a parse already merged
// into another section's memory would bring all of that one along: a
// thousand copies then cost a million node copies.)
void rebuild(const YAML::Node& section, const std::vector<int>& counts,
             const std::vector<std::vector<Entry>>& copies, YAML::Node out) {
    auto entries = entries_of(section);
    auto add = [&](const Entry& e) {
        section.IsMap() ? out.force_insert(e.key, e.body) : out.push_back(e.body);
    };
    for (std::size_t k = 0; k < entries.size(); ++k) {
        if (counts[k] == 0) add(entries[k]);
        for (auto& copy : copies[k]) add(copy);
    }
}

}  // namespace

std::string substitute_index(const std::string& text, int number) {
    std::string out;
    auto value = std::to_string(number);
    for (std::size_t at = 0;;) {
        auto hit = text.find(kIndex, at);
        out += text.substr(at, hit - at);
        if (hit == std::string::npos) return out;
        out += value;
        at = hit + kIndex.size();
    }
}

void expand_counts(const YamlReader& r, YAML::Node root, const std::function<YAML::Node()>& reparse) {
    if (!root.IsMap()) return;
    auto counts = counts_of(r, root);
    int most = 0;
    for (auto& section : counts)
        for (int n : section) most = std::max(most, n);
    if (most == 0) return;
    Copies copies;
    for (std::size_t s = 0; s < kSections.size(); ++s) copies[s].resize(counts[s].size());
    for (int number = 1; number <= most; ++number) take_copies(reparse(), counts, number, copies);
    YAML::Node built(YAML::NodeType::Map);
    for (std::size_t s = 0; s < kSections.size(); ++s) {
        if (counts[s].empty()) continue;
        auto section = root[kSections[s]];
        auto out = built[kSections[s]];
        out = YAML::Node(section.IsMap() ? YAML::NodeType::Map : YAML::NodeType::Sequence);
        rebuild(section, counts[s], copies[s], out);
    }
    for (std::size_t s = 0; s < kSections.size(); ++s)
        if (!counts[s].empty()) root[kSections[s]] = built[kSections[s]];
}

}  // namespace natlab::harness
