// Findings to text. See probe_report.h.
#include "harness/probe/probe_report.h"

#include <nlohmann/json.hpp>
#include <sstream>

namespace natlab::probe {
namespace {

// The lab's internet (docs/scenarios.md): only such addresses can be a NAT's
// `addresses` in a scenario.
bool lab_internet(Ipv4 ip) {
    return Cidr{Ipv4{0xC6120000}, 15}.contains(ip);
}

std::string seconds(Millis d) {
    auto tenths = (d.count() + 50) / 100;
    if (tenths % 10 == 0) return std::to_string(tenths / 10) + "s";
    return std::to_string(tenths / 10) + "." + std::to_string(tenths % 10) + "s";
}

template <class T>
std::string comment(const Verdict<T>& v) {
    return "# " + std::string(to_string(v.certainty)) + ": " + v.evidence;
}

// One `key: value  # certainty: evidence` line, values padded to a column.
void line(std::ostringstream& out, const std::string& key, const std::string& value,
          const std::string& note) {
    std::string head = "    " + key + ": " + value;
    if (head.size() < 44) head.resize(44, ' ');
    out << head << "  " << note << "\n";
}

std::string addresses_list(const std::vector<Ipv4>& addresses) {
    std::string list;
    for (const auto& a : addresses) list += (list.empty() ? "" : ", ") + a.to_string();
    return "[" + list + "]";
}

bool reproducible_addresses(const Findings& f) {
    if (f.external_addresses.size() < 2) return false;
    for (const auto& a : f.external_addresses)
        if (!lab_internet(a)) return false;
    return true;
}

void header(std::ostringstream& out, const Findings& f) {
    out << "# nat-lab probe against " << f.server.to_string();
    if (f.alternate) out << " (alternate " << f.alternate->to_string() << ")";
    out << "\nnats:\n  probed:\n";
}

void notes(std::ostringstream& out, const Findings& f) {
    const auto& a = f.allocation;
    out << "    # external addresses seen: " << addresses_list(f.external_addresses) << "\n";
    out << "    # mapped ports seen: " << a.lowest << "-" << a.highest << "\n";
    if (a.policy.value == nat::PortAllocation::Sequential) out << "    # sequential step: " << a.step << "\n";
    out << "    # port contiguity: " << (f.contiguity.value ? "yes" : "no") << "  " << comment(f.contiguity)
        << "\n";
    if (f.mappings_per_host && f.mappings_per_host->certainty != Certainty::Measured)
        out << "    # mappings per host: " << f.mappings_per_host->value << " or more  "
            << comment(*f.mappings_per_host) << "\n";
}

// `mappings_per_host: N` only where the limit was reached: "every socket
// got a mapping" bounds it from below, which no scenario key says.
void limits(std::ostringstream& out, const Findings& f) {
    if (f.mappings_per_host && f.mappings_per_host->certainty == Certainty::Measured)
        line(out, "mappings_per_host", std::to_string(f.mappings_per_host->value),
             comment(*f.mappings_per_host));
}

template <class T>
nlohmann::json verdict_json(const Verdict<T>& v, nlohmann::json value) {
    return {{"value", std::move(value)}, {"certainty", to_string(v.certainty)}, {"evidence", v.evidence}};
}

std::string word(nat::MappingBehaviour b) {
    return std::string(nat::to_string(b));
}
std::string word(nat::FilteringBehaviour b) {
    return std::string(nat::to_string(b));
}
std::string word(nat::PortAllocation b) {
    return std::string(nat::to_string(b));
}
std::string word(nat::AddressPooling b) {
    return std::string(nat::to_string(b));
}
std::string word(bool b) {
    return b ? "true" : "false";
}

}  // namespace

std::string to_yaml(const Findings& f) {
    std::ostringstream out;
    header(out, f);
    line(out, "mapping", word(f.mapping.value), comment(f.mapping));
    line(out, "filtering", word(f.filtering.value), comment(f.filtering));
    line(out, "port_allocation", word(f.allocation.policy.value), comment(f.allocation.policy));
    line(out, "mapping_timeout", seconds(f.timeout.value), comment(f.timeout));
    line(out, "refresh_on_inbound", word(f.refresh_on_inbound.value), comment(f.refresh_on_inbound));
    line(out, "hairpin", word(f.hairpin.value), comment(f.hairpin));
    line(out, "pooling", word(f.pooling.value), comment(f.pooling));
    line(out, "port_parity", word(f.allocation.parity.value), comment(f.allocation.parity));
    limits(out, f);
    if (reproducible_addresses(f))
        line(out, "addresses", addresses_list(f.external_addresses),
             "# measured: the external addresses seen");
    notes(out, f);
    return out.str();
}

std::string to_json(const Findings& f) {
    nlohmann::json addresses = nlohmann::json::array();
    for (const auto& a : f.external_addresses) addresses.push_back(a.to_string());
    const auto& a = f.allocation;
    nlohmann::json nat = {
        {"mapping", verdict_json(f.mapping, word(f.mapping.value))},
        {"filtering", verdict_json(f.filtering, word(f.filtering.value))},
        {"port_allocation", verdict_json(a.policy, word(a.policy.value))},
        {"sequential_step", a.step},
        {"port_parity", verdict_json(a.parity, a.parity.value)},
        {"port_contiguity", verdict_json(f.contiguity, f.contiguity.value)},
        {"ports_seen", {a.lowest, a.highest}},
        {"mapping_timeout", verdict_json(f.timeout, f.timeout.value.count() / 1000.0)},
        {"refresh_on_inbound", verdict_json(f.refresh_on_inbound, f.refresh_on_inbound.value)},
        {"hairpin", verdict_json(f.hairpin, f.hairpin.value)},
        {"pooling", verdict_json(f.pooling, word(f.pooling.value))},
        {"external_addresses", addresses},
    };
    if (f.mappings_per_host)
        nat["mappings_per_host"] = verdict_json(*f.mappings_per_host, f.mappings_per_host->value);
    nlohmann::json doc = {{"server", f.server.to_string()}, {"nat", nat}};
    if (f.alternate) doc["alternate"] = f.alternate->to_string();
    return doc.dump(2) + "\n";
}

}  // namespace natlab::probe
