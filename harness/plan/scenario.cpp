// Scenario loading and validation. See scenario.h for the theory of operation;
// docs/scenarios.md documents every key accepted here.
#include "harness/plan/scenario.h"

#include <signal.h>
#include <string.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <regex>
#include <set>

#include "harness/plan/dns_plan.h"
#include "harness/plan/generate.h"
#include "harness/plan/host_files.h"
#include "harness/plan/ipv6_keys.h"
#include "harness/plan/nat_words.h"
#include "harness/plan/programs.h"
#include "harness/plan/reach_keys.h"
#include "harness/plan/wire_keys.h"
#include "harness/plan/yaml_reader.h"
#include "simulator/nat/behaviour.h"
#include "simulator/nat/profile.h"
#include "simulator/router/counter_table.h"

namespace natlab::harness {

std::string Location::to_string() const {
    return file + ':' + std::to_string(line) + ':' + std::to_string(column);
}

ScenarioError::ScenarioError(const Location& where, const std::string& what)
    : std::runtime_error(where.to_string() + ": " + what) {}

const NatSpec* Scenario::find_nat(const std::string& n) const {
    auto it = std::find_if(nats.begin(), nats.end(), [&](auto& x) { return x.name == n; });
    return it == nats.end() ? nullptr : &*it;
}

const HostSpec* Scenario::find_host(const std::string& n) const {
    auto it = std::find_if(hosts.begin(), hosts.end(), [&](auto& x) { return x.name == n; });
    return it == hosts.end() ? nullptr : &*it;
}

std::optional<Millis> parse_duration(const std::string& text) {
    static const std::regex re(R"(^([0-9]+(\.[0-9]+)?)(ms|s|m)?$)");
    std::smatch m;
    if (!std::regex_match(text, m, re)) return std::nullopt;
    double value = std::stod(m[1].str());
    std::string unit = m[3].str();
    double ms = unit == "ms" ? value : unit == "m" ? value * 60000 : value * 1000;
    if (ms > 24.0 * 3600 * 1000) return std::nullopt;
    return Millis{static_cast<long>(std::llround(ms))};
}

std::optional<std::uint64_t> parse_rate(const std::string& text) {
    static const std::regex re(R"(^([0-9]+(\.[0-9]+)?)([kmg]?bit)?$)");
    std::smatch m;
    if (!std::regex_match(text, m, re)) return std::nullopt;
    double value = std::stod(m[1].str());
    auto unit = m[3].str();
    double scale = unit == "kbit" ? 1e3 : unit == "mbit" ? 1e6 : unit == "gbit" ? 1e9 : 1;
    double bits = value * scale;
    if (bits < 1 || bits > 100e9) return std::nullopt;
    return static_cast<std::uint64_t>(std::llround(bits));
}

std::optional<double> parse_loss(const std::string& text) {
    static const std::regex re(R"(^([0-9]+(\.[0-9]+)?)%?$)");
    std::smatch m;
    if (!std::regex_match(text, m, re)) return std::nullopt;
    double pct = std::stod(m[1].str());
    if (pct > 100) return std::nullopt;
    return pct;
}

std::string substitute_refs(const std::string& word,
                            const std::function<std::string(const std::string&)>& value) {
    static const std::regex re(R"(\$\{([^}]*)\})");
    std::string out;
    auto last = word.cbegin();
    for (std::sregex_iterator it(word.begin(), word.end(), re), end; it != end; ++it) {
        out.append(last, (*it)[0].first);
        out += value((*it)[1].str());
        last = (*it)[0].second;
    }
    out.append(last, word.cend());
    return out;
}

const std::vector<std::string>& nat_counter_names() {
    return nat::counter_names();
}

namespace {
struct SignalName {
    const char* name;
    int number;
};
constexpr SignalName kSignals[] = {{"HUP", SIGHUP},   {"INT", SIGINT},   {"QUIT", SIGQUIT}, {"ABRT", SIGABRT},
                                   {"KILL", SIGKILL}, {"SEGV", SIGSEGV}, {"TERM", SIGTERM}};
}  // namespace

std::optional<int> parse_signal(const std::string& name) {
    auto bare = name.rfind("SIG", 0) == 0 ? name.substr(3) : name;
    for (auto& s : kSignals)
        if (bare == s.name) return s.number;
    return std::nullopt;
}

std::string signal_name(int signal) {
    for (auto& s : kSignals)
        if (signal == s.number) return std::string("SIG") + s.name;
    if (const char* abbrev = ::sigabbrev_np(signal)) return std::string("SIG") + abbrev;
    return "signal " + std::to_string(signal);
}

std::string killed_by_signal(int signal) {
    return "killed by signal " + std::to_string(signal) + " (" + signal_name(signal) + ")";
}

std::string describe(const TimelineStep& step) {
    switch (step.kind) {
        case StepKind::LinkDown:
            return "link " + step.target + " down";
        case StepKind::LinkUp:
            return "link " + step.target + " up";
        case StepKind::LinkSet:
            return "link " + step.target + " set";
        case StepKind::Restart:
            return "restart " + step.target;
        case StepKind::Flush:
            return "flush " + step.target;
        case StepKind::Kill:
            return "kill " + step.target + " (" + signal_name(step.signal) + ")";
        case StepKind::Reboot:
            return "reboot " + step.target;
        case StepKind::Change:
            return "change " + step.target;
        case StepKind::Move:
            return "move " + step.target + " to " + step.to;
    }
    return {};
}

namespace {

// The emulator's presets and profiles (simulator/nat/profile.h), plus the kernel's own NAT.
const std::set<std::string> kTypes = [] {
    auto names = nat::emulator_type_names();
    std::set<std::string> types{names.begin(), names.end()};
    types.insert("linux");
    return types;
}();
const std::set<std::string> kBehaviours = nat_words<nat::MappingBehaviour>();
const std::set<std::string> kAllocations = nat_words<nat::PortAllocation>();
const std::set<std::string> kPoolings = nat_words<nat::AddressPooling>();
const std::set<std::string> kPaths = {"local", "public", "peer-reflexive", "birthday", "relay"};

using Reader = YamlReader;

// Keys that configure the emulator; the kernel's NAT (type: linux) has its
// own fixed behaviour, so they are refused there rather than ignored.
const std::set<std::string> kEmulatorKeys = {"mapping",
                                             "filtering",
                                             "port_allocation",
                                             "mapping_timeout",
                                             "hairpin",
                                             "port_range",
                                             "refresh_on_inbound",
                                             "port_mapping",
                                             "mapping_timeout_before_inbound",
                                             "port_parity",
                                             "port_block_size",
                                             "port_blocks_per_host",
                                             "mappings_per_host",
                                             "pooling"};

// Every key a NAT takes: the emulator's and where the NAT sits.
const std::set<std::string> kNatKeys = [] {
    auto keys = kEmulatorKeys;
    keys.insert({"type", "lan", "address", "addresses", "behind", "link"});
    keys.insert(ipv6_nat_keys().begin(), ipv6_nat_keys().end());
    return keys;
}();

const std::set<std::string> kPortMappers = {"nat-pmp", "pcp", "upnp"};

// `port_mapping: [pcp, nat-pmp]`, or a map whose `protocols` is that list.
std::vector<std::string> read_port_mappers(const Reader& r, const YAML::Node& node) {
    std::vector<std::string> words;
    if (node.IsScalar()) return {r.word(node, "port mapping protocol", kPortMappers)};
    if (!node.IsSequence() || node.size() == 0)
        r.fail(node, "port mapping protocols must be a list of nat-pmp, pcp and upnp");
    for (auto item : node) words.push_back(r.word(item, "port mapping protocol", kPortMappers));
    return words;
}

Millis port_mapping_lifetime(const Reader& r, const YAML::Node& node, const char* what) {
    Millis d = r.duration(node, what);
    if (d < std::chrono::seconds{1} || d.count() % 1000)
        r.fail(node, std::string{what} + " must be a whole number of seconds, at least 1s");
    return d;
}

// `upnp_igd: 1|2` and `upnp_permanent_only`: the IGD served (docs/upnp.md);
// only with upnp among the protocols, permanent-only leases only on IGD:1.
void read_upnp_keys(const Reader& r, const YAML::Node& node, PortMappingSpec& spec) {
    bool upnp = std::find(spec.protocols.begin(), spec.protocols.end(), "upnp") != spec.protocols.end();
    for (auto key : {"upnp_igd", "upnp_permanent_only"})
        if (node[key] && !upnp) r.fail(node[key], std::string(key) + " needs upnp in protocols");
    if (auto n = node["upnp_igd"]) spec.upnp_igd = r.integer(n, "upnp_igd", 1, 2);
    if (auto n = node["upnp_permanent_only"]) spec.upnp_permanent_only = r.boolean(n, "upnp_permanent_only");
    if (spec.upnp_permanent_only.value_or(false) && spec.upnp_igd == 2)
        r.fail(node["upnp_permanent_only"],
               "upnp_permanent_only is IGD:1's (725 OnlyPermanentLeasesSupported); IGD:2 has no permanent "
               "leases");
}

PortMappingSpec read_port_mapping(const Reader& r, const YAML::Node& node) {
    PortMappingSpec spec;
    spec.where = r.at(node);
    if (!node.IsMap()) {
        spec.protocols = read_port_mappers(r, node);
        return spec;
    }
    r.check_map(node, "port_mapping",
                {"protocols", "refuse", "min_lifetime", "max_lifetime", "per_host", "honour_port",
                 "third_party", "upnp_igd", "upnp_permanent_only"});
    if (auto n = node["protocols"]) spec.protocols = read_port_mappers(r, n);
    if (auto n = node["refuse"]) spec.refuse = r.boolean(n, "refuse");
    if (auto n = node["min_lifetime"]) spec.min_lifetime = port_mapping_lifetime(r, n, "min_lifetime");
    if (auto n = node["max_lifetime"]) spec.max_lifetime = port_mapping_lifetime(r, n, "max_lifetime");
    if (spec.min_lifetime && spec.max_lifetime && *spec.max_lifetime < *spec.min_lifetime)
        r.fail(node["max_lifetime"], "max_lifetime is shorter than min_lifetime");
    if (auto n = node["per_host"]) spec.per_host = r.integer(n, "per_host", 1, 65535);
    if (auto n = node["honour_port"]) spec.honour_port = r.boolean(n, "honour_port");
    if (auto n = node["third_party"]) spec.third_party = r.boolean(n, "third_party");
    if (spec.protocols.empty()) r.fail(node, "port_mapping needs protocols: a list of nat-pmp, pcp and upnp");
    read_upnp_keys(r, node, spec);
    return spec;
}

// "LO-HI" with 1 <= LO <= HI <= 65535, as nat-emu's --port-range takes it.
std::string port_range(const Reader& r, const YAML::Node& node) {
    static const std::regex re("^([0-9]{1,5})-([0-9]{1,5})$");
    auto value = r.text(node, "port_range");
    std::smatch m;
    bool ok = std::regex_match(value, m, re);
    int lo = ok ? std::stoi(m[1].str()) : 0, hi = ok ? std::stoi(m[2].str()) : 0;
    if (!ok || lo < 1 || lo > hi || hi > 65535)
        r.fail(node, "port_range must be LO-HI with 1 <= LO <= HI <= 65535, not '" + value + "'");
    return value;
}

std::vector<Ipv4> read_address_list(const Reader& r, const YAML::Node& node, const std::string& what) {
    if (!node.IsSequence() || node.size() == 0)
        r.fail(node, "addresses must be a non-empty list of IPv4 addresses");
    std::vector<Ipv4> list;
    for (auto item : node) list.push_back(r.address(item, what));
    return list;
}

void read_nat_addresses(const Reader& r, const YAML::Node& body, NatSpec& nat) {
    auto one = body["address"], many = body["addresses"];
    if (one && many) r.fail(many, "NAT '" + nat.name + "': give either address or addresses, not both");
    if (one) nat.addresses = {r.address(one, "NAT address")};
    if (many) nat.addresses = read_address_list(r, many, "NAT '" + nat.name + "'");
    if (one || many) nat.address_where = r.at(one ? one : many);
}

// type: linux is the kernel's masquerade: one address, no emulator keys.
void check_linux_nat(const Reader& r, const YAML::Node& body, const NatSpec& nat) {
    for (auto it : body) {
        auto key = it.first.Scalar();
        if (kEmulatorKeys.count(key))
            r.fail(it.first, "'" + key + "' does not apply to NAT '" + nat.name +
                                 "' of type linux (the kernel's masquerade: endpoint-independent mapping, "
                                 "port preservation, address-and-port-dependent filtering)");
    }
    if (nat.addresses.size() > 1)
        r.fail(body["addresses"], "NAT '" + nat.name + "' of type linux takes one address, not " +
                                      std::to_string(nat.addresses.size()));
}

// Blocks must fit in the port range, and a count of blocks needs blocks.
void check_port_blocks(const Reader& r, const YAML::Node& body, const NatSpec& nat) {
    auto base = nat::config_of_type(nat.type).value_or(nat::NatConfig{});
    int size = nat.port_block_size.value_or(base.port_block_size);
    auto range = nat.port_range ? nat::PortRange::parse(*nat.port_range) : base.ports;
    if (auto n = body["port_blocks_per_host"]; n && size == 0)
        r.fail(n, "port_blocks_per_host needs port_block_size (NAT '" + nat.name + "' of type " + nat.type +
                      " has no port blocks)");
    if (auto n = body["port_block_size"]; n && range && static_cast<std::size_t>(size) > range->size())
        r.fail(n, "a block of " + std::to_string(size) + " ports does not fit in port_range " +
                      range->to_string());
}

// Port parity, port blocks and the limit per host (RFC 4787 §4.2.2, RFC 7422, RFC 6888 REQ-4).
void read_port_behaviour(const Reader& r, const YAML::Node& body, NatSpec& nat) {
    if (auto n = body["mapping_timeout_before_inbound"])
        nat.mapping_timeout_before_inbound = r.duration(n, "mapping_timeout_before_inbound");
    if (auto n = body["port_parity"]) nat.port_parity = r.boolean(n, "port_parity");
    if (auto n = body["port_block_size"]) nat.port_block_size = r.integer(n, "port_block_size", 0, 65535);
    if (auto n = body["port_blocks_per_host"])
        nat.port_blocks_per_host = r.integer(n, "port_blocks_per_host", 1, 65535);
    if (auto n = body["mappings_per_host"])
        nat.mappings_per_host = r.integer(n, "mappings_per_host", 0, 1000000);
    if (nat.mapping_timeout_before_inbound && nat.mapping_timeout_before_inbound->count() <= 0)
        r.fail(body["mapping_timeout_before_inbound"], "mapping_timeout_before_inbound must be positive");
    check_port_blocks(r, body, nat);
}

// The keys that say how a NAT behaves (a matrix file's NAT entries take them too).
void read_behaviour(const Reader& r, const YAML::Node& body, NatSpec& nat) {
    if (auto n = body["type"]) {
        nat.type = r.word(n, "NAT type", kTypes);
        nat.type_where = r.at(n);
    }
    if (auto n = body["mapping"]) nat.mapping = r.word(n, "mapping behaviour", kBehaviours);
    if (auto n = body["filtering"]) nat.filtering = r.word(n, "filtering behaviour", kBehaviours);
    if (auto n = body["port_allocation"]) nat.port_allocation = r.word(n, "port allocation", kAllocations);
    if (auto n = body["mapping_timeout"]) nat.mapping_timeout = r.duration(n, "mapping_timeout");
    if (auto n = body["port_range"]) nat.port_range = port_range(r, n);
    if (auto n = body["refresh_on_inbound"]) nat.refresh_on_inbound = r.boolean(n, "refresh_on_inbound");
    if (auto n = body["hairpin"]) nat.hairpin = r.boolean(n, "hairpin");
    if (auto n = body["pooling"]) nat.pooling = r.word(n, "address pooling", kPoolings);
    if (auto n = body["port_mapping"]) nat.port_mapping = read_port_mapping(r, n);
    read_port_behaviour(r, body, nat);
}

NatSpec read_nat(const Reader& r, const YAML::Node& key, const YAML::Node& body) {
    NatSpec nat;
    nat.name = r.name(key, "NAT name");
    nat.where = nat.type_where = nat.lan_where = nat.address_where = nat.behind_where = r.at(key);
    if (nat.name == "internet") r.fail(key, "'internet' is reserved for the internet segment");
    r.check_map(body, "NAT '" + nat.name + "'", kNatKeys);
    read_behaviour(r, body, nat);
    if (auto n = body["lan"]) {
        nat.lan = r.subnet(n, "lan");
        nat.lan_where = r.at(n);
    }
    read_nat_addresses(r, body, nat);
    if (auto n = body["behind"]) {
        nat.behind = r.text(n, "behind");
        nat.behind_where = r.at(n);
    }
    if (auto n = body["link"]) nat.link = read_impairment(r, n, "link of NAT '" + nat.name + "'");
    read_nat_ipv6(r, body, nat);
    if (nat.is_linux()) check_linux_nat(r, body, nat);
    return nat;
}

void read_addresses(const Reader& r, const YAML::Node& node, HostSpec& host) {
    host.address_where = r.at(node);
    if (node.IsSequence()) {
        for (auto item : node) host.addresses.push_back(r.address(item, "host '" + host.name + "'"));
        if (host.addresses.empty()) r.fail(node, "address list must not be empty");
    } else {
        host.addresses.push_back(r.address(node, "host '" + host.name + "'"));
    }
}

HostSpec read_host(const Reader& r, const YAML::Node& key, const YAML::Node& body) {
    HostSpec host;
    host.name = r.name(key, "host name");
    host.where = r.at(key);
    host.behind_where = host.where;
    if (host.name == "internet") r.fail(key, "'internet' is reserved for the internet segment");
    if (body.IsNull()) return host;
    r.check_map(
        body, "host '" + host.name + "'",
        {"behind", "address", "address6", "run", "delay", "env", "after", "link", "files", "programs"});
    if (auto n = body["behind"]) {
        host.behind = r.text(n, "behind");
        host.behind_where = r.at(n);
    }
    if (auto n = body["address"]) read_addresses(r, n, host);
    read_host_ipv6(r, body, host);
    if (auto n = body["run"]) {
        host.run = read_command_words(r, n);
        host.run_where = r.at(n);
    }
    if (auto n = body["delay"]) host.delay = r.duration(n, "delay");
    if (auto n = body["env"]) host.env = read_env_vars(r, n);
    if (auto n = body["after"]) {
        host.after = r.text(n, "after");
        host.after_where = r.at(n);
    }
    if (auto n = body["link"]) host.link = read_impairment(r, n, "link of host '" + host.name + "'");
    if (auto n = body["files"]) host.files = read_files(r, n, host.name);
    if (body["programs"]) host.programs = read_programs(r, body, host);
    return host;
}

std::vector<std::string> read_pair(const Reader& r, const YAML::Node& node, const std::string& what) {
    if (!node.IsSequence() || node.size() != 2)
        r.fail(node, what + " must name two hosts, like [alice, bob]");
    auto a = r.text(node[0], "host name");
    auto b = r.text(node[1], "host name");
    if (a == b) r.fail(node, what + " must name two different hosts");
    return {a, b};
}

void read_output(const Reader& r, const YAML::Node& node, Expectation& e) {
    r.check_map(node, "expectation", {"output", "matches", "not_matches"});
    e.kind = ExpectKind::Output;
    e.hosts = {r.text(node["output"], "output")};
    e.hosts_where = r.at(node["output"]);
    auto yes = node["matches"], no = node["not_matches"];
    if (yes && no) r.fail(no, "output takes either matches or not_matches, not both");
    if (!yes && !no) r.fail(node, "output needs matches: REGEX or not_matches: REGEX");
    e.negate = static_cast<bool>(no);
    e.pattern = read_scenario_regex(r, yes ? yes : no);
}

void read_counter(const Reader& r, const YAML::Node& node, Expectation& e) {
    r.check_map(node, "expectation", {"counter", "name", "above", "below", "equals"});
    e.kind = ExpectKind::Counter;
    e.hosts = {r.text(node["counter"], "counter")};
    e.hosts_where = r.at(node["counter"]);
    if (!node["name"]) r.fail(node, "counter needs name: (a counter of nat-emu, like dropped.filtered)");
    e.counter = r.text(node["name"], "counter name");
    auto& names = nat_counter_names();
    if (std::find(names.begin(), names.end(), e.counter) == names.end())
        r.fail(node["name"], "unknown NAT counter '" + e.counter + "' (docs/scenarios.md lists them)");
    int given = 0;
    for (auto [key, cmp] : {std::pair{"above", Comparison::Above}, std::pair{"below", Comparison::Below},
                            std::pair{"equals", Comparison::Equals}}) {
        if (!node[key]) continue;
        ++given;
        e.comparison = cmp;
        e.value = r.count(node[key], key);
    }
    if (given != 1) r.fail(node, "counter needs exactly one of: above, below, equals");
}

Expectation read_expectation_body(const Reader& r, const YAML::Node& node);

// `id: NAME` on any expectation; the rest is read as if it were not there.
Expectation read_expectation(const Reader& r, const YAML::Node& node) {
    if (!node.IsMap() || !node["id"]) return read_expectation_body(r, node);
    auto id_where = r.at(node["id"]);
    auto name = r.name(node["id"], "expectation id");
    YAML::Node body = node;  // the same node: the key is read once, then out of the way
    body.remove("id");
    auto e = read_expectation_body(r, body);
    e.id = name;
    e.id_where = id_where;
    return e;
}

// `repunched: true|false` and `repunch_within: TIME`, which needs `repunched: true`.
void read_repunch(const Reader& r, const YAML::Node& node, Expectation& e) {
    if (auto n = node["repunched"]) e.repunched = r.boolean(n, "repunched");
    auto within = node["repunch_within"];
    if (!within) return;
    e.repunch_within = r.duration(within, "repunch_within");
    if (!e.repunched || !*e.repunched) r.fail(within, "repunch_within needs repunched: true");
}

// `connected: [a, b]` with `via`, `within`, `lossless` and the repunch keys.
void read_connected(const Reader& r, const YAML::Node& node, Expectation& e) {
    r.check_map(node, "expectation",
                {"connected", "via", "within", "lossless", "repunched", "repunch_within", "family"});
    e.kind = ExpectKind::Connected;
    e.hosts = read_pair(r, node["connected"], "connected");
    e.hosts_where = r.at(node["connected"]);
    if (auto n = node["via"]) e.via = r.word(n, "path", kPaths);
    if (auto n = node["within"]) e.within = r.duration(n, "within");
    if (auto n = node["lossless"]) e.lossless = r.boolean(n, "lossless");
    if (auto n = node["family"]) e.family = r.word(n, "address family", {"ipv4", "ipv6"});
    read_repunch(r, node, e);
}

Expectation read_expectation_body(const Reader& r, const YAML::Node& node) {
    Expectation e;
    e.where = r.at(node);
    if (!node.IsMap()) r.fail(node, "each expectation must be a mapping");
    if (node["connected"]) {
        read_connected(r, node, e);
    } else if (node["not_connected"]) {
        r.check_map(node, "expectation", {"not_connected"});
        e.kind = ExpectKind::NotConnected;
        e.hosts = read_pair(r, node["not_connected"], "not_connected");
        e.hosts_where = r.at(node["not_connected"]);
    } else if (node["exit"]) {
        r.check_map(node, "expectation", {"exit", "code"});
        e.kind = ExpectKind::Exit;
        e.hosts = {r.text(node["exit"], "exit")};
        e.hosts_where = r.at(node["exit"]);
        if (auto n = node["code"]) e.code = r.integer(n, "code", 0, 255);
    } else if (node["output"]) {
        read_output(r, node, e);
    } else if (node["counter"]) {
        read_counter(r, node, e);
    } else if (is_wire_expectation(node)) {
        read_wire_expectation(r, node, e);
    } else if (is_reach_expectation(node)) {
        read_reach_expectation(r, node, e);
    } else {
        r.check_map(node, "expectation",
                    {"connected", "not_connected", "exit", "output", "counter", "direct", "relayed",
                     "traffic", "reachable", "not_reachable"});
        r.fail(node,
               "expectation must have one of: connected, not_connected, exit, output, counter, direct, "
               "relayed, traffic, reachable, not_reachable");
    }
    return e;
}

// `link: NAME` with exactly one of `down: true`, `up: true`, `set: {...}`.
void read_link_step(const Reader& r, const YAML::Node& node, TimelineStep& step) {
    r.check_map(node, "timeline step", {"at", "link", "down", "up", "set"});
    int given = !!node["down"] + !!node["up"] + !!node["set"];
    if (given != 1) r.fail(node, "a link step needs exactly one of: down: true, up: true, set: {...}");
    if (auto n = node["down"]; n && !r.boolean(n, "down")) r.fail(n, "write down: true (or up: true)");
    if (auto n = node["up"]; n && !r.boolean(n, "up")) r.fail(n, "write up: true (or down: true)");
    step.kind = node["down"] ? StepKind::LinkDown : node["up"] ? StepKind::LinkUp : StepKind::LinkSet;
    if (auto n = node["set"]) step.set = read_impairment(r, n, "set");
}

// `kill: NAT` with an optional `signal: NAME` (KILL when absent).
void read_kill_step(const Reader& r, const YAML::Node& node, TimelineStep& step) {
    r.check_map(node, "timeline step", {"at", "kill", "signal"});
    step.kind = StepKind::Kill;
    if (auto n = node["signal"]) {
        auto name = r.text(n, "signal");
        auto number = parse_signal(name);
        if (!number)
            r.fail(n, "unknown signal '" + name + "' (one of: HUP, INT, QUIT, ABRT, KILL, SEGV, TERM)");
        step.signal = *number;
    }
}

// `reboot: NAT` with an optional `address: A` on the NAT's outside segment.
void read_reboot_step(const Reader& r, const YAML::Node& node, TimelineStep& step) {
    r.check_map(node, "timeline step", {"at", "reboot", "address"});
    step.kind = StepKind::Reboot;
    if (auto n = node["address"]) {
        step.address = r.address(n, "the reboot of NAT '" + step.target + "'");
        step.address_where = r.at(n);
    }
}

// `move: HOST` + `to: NAT|internet`, optional `address: A` there.
void read_move_step(const Reader& r, const YAML::Node& node, TimelineStep& step) {
    r.check_map(node, "timeline step", {"at", "move", "to", "address"});
    step.kind = StepKind::Move;
    if (!node["to"]) r.fail(node, "a move step needs to: (a NAT, or internet)");
    step.to = r.text(node["to"], "to");
    step.to_where = r.at(node["to"]);
    if (auto n = node["address"]) {
        step.address = r.address(n, "the move of host '" + step.target + "'");
        step.address_where = r.at(n);
    }
}

// `change: NAT` with the NAT's behaviour keys to change (type, mapping, ...).
void read_change_step(const Reader& r, const YAML::Node& node, TimelineStep& step) {
    auto keys = kEmulatorKeys;
    keys.insert({"at", "change", "type"});
    r.check_map(node, "timeline step", keys);
    if (node.size() < 3) r.fail(node, "a change step needs a behaviour key to change (type, mapping, ...)");
    step.kind = StepKind::Change;
    step.change.name = step.target;
    step.change.type.clear();  // stays empty unless the step names a type
    read_behaviour(r, node, step.change);
}

TimelineStep read_step(const Reader& r, const YAML::Node& node) {
    TimelineStep step;
    step.where = r.at(node);
    if (!node.IsMap()) r.fail(node, "each timeline step must be a mapping");
    if (!node["at"]) r.fail(node, "timeline step needs at: (a time like 3s)");
    step.at = r.duration(node["at"], "at");
    const char* verb = node["link"]      ? "link"
                       : node["restart"] ? "restart"
                       : node["flush"]   ? "flush"
                       : node["kill"]    ? "kill"
                       : node["reboot"]  ? "reboot"
                       : node["change"]  ? "change"
                       : node["move"]    ? "move"
                                         : nullptr;
    if (!verb) {
        r.check_map(node, "timeline step",
                    {"at", "link", "restart", "flush", "kill", "reboot", "change", "move"});
        r.fail(node, "timeline step needs one of: link, restart, flush, kill, reboot, change, move");
    }
    step.target = r.text(node[verb], verb);
    step.target_where = r.at(node[verb]);
    if (node["link"]) {
        read_link_step(r, node, step);
    } else if (node["kill"]) {
        read_kill_step(r, node, step);
    } else if (node["reboot"]) {
        read_reboot_step(r, node, step);
    } else if (node["change"]) {
        read_change_step(r, node, step);
    } else if (node["move"]) {
        read_move_step(r, node, step);
    } else {
        r.check_map(node, "timeline step", {"at", verb});
        step.kind = node["restart"] ? StepKind::Restart : StepKind::Flush;
    }
    return step;
}

std::vector<TimelineStep> read_timeline(const Reader& r, const YAML::Node& node) {
    if (!node.IsSequence()) r.fail(node, "timeline must be a list of steps");
    std::vector<TimelineStep> steps;
    for (auto item : node) steps.push_back(read_step(r, item));
    std::stable_sort(steps.begin(), steps.end(), [](auto& a, auto& b) { return a.at < b.at; });
    return steps;
}

std::string default_name(const std::string& path) {
    auto slash = path.find_last_of('/');
    auto base = slash == std::string::npos ? path : path.substr(slash + 1);
    auto dot = base.rfind('.');
    return dot == std::string::npos ? base : base.substr(0, dot);
}

void check_references(const Reader& r, const Scenario& s, const YAML::Node& root);

template <typename Each>
void for_each_entry(const Reader& r, const YAML::Node& node, const std::string& what, Each each) {
    if (!node.IsMap()) r.fail(node, what + " must be a mapping of names");
    r.check_map(node, what, {});
    for (auto it : node) each(it.first, it.second);
}

Scenario read_scenario(const Reader& r, const std::string& path, const YAML::Node& root) {
    if (root.IsNull()) r.fail(root, "scenario is empty");
    r.check_map(root, "scenario",
                {"name", "description", "timeout", "nats", "hosts", "expect", "timeline", "repeat", "capture",
                 "setup", "stack", "dns"});
    Scenario s;
    s.file = path;
    s.name = root["name"] ? r.name(root["name"], "scenario name") : default_name(path);
    if (auto n = root["description"]) s.description = r.text(n, "description");
    if (auto n = root["timeout"]) s.timeout = r.duration(n, "timeout");
    if (auto n = root["repeat"]) s.repeat = r.integer(n, "repeat", 1, 10000);
    if (auto n = root["capture"]) s.capture = r.boolean(n, "capture");
    if (auto n = root["stack"]) s.stack = read_internet_stack(r, n);
    if (auto n = root["nats"]; n && !n.IsNull())
        for_each_entry(r, n, "nats", [&](auto& k, auto& v) { s.nats.push_back(read_nat(r, k, v)); });
    if (!root["hosts"]) r.fail(root, "scenario has no 'hosts'");
    for_each_entry(r, root["hosts"], "hosts",
                   [&](auto& k, auto& v) { s.hosts.push_back(read_host(r, k, v)); });
    if (auto n = root["expect"]; n && !n.IsNull()) {
        if (!n.IsSequence()) r.fail(n, "expect must be a list");
        for (auto item : n) s.expectations.push_back(read_expectation(r, item));
    }
    if (auto n = root["timeline"]; n && !n.IsNull()) s.timeline = read_timeline(r, n);
    if (auto n = root["setup"]) s.setup = read_setup(r, n);
    if (auto n = root["dns"]) s.dns = read_dns(r, n);
    check_references(r, s, root);
    check_ipv6(s);
    check_dns(s);
    return s;
}

void check_host_ref(const Scenario& s, const Location& where, const std::string& name, bool needs_run) {
    if (is_program_name(name)) return check_program_ref(s, where, name);  // alice.ping: programs.h
    auto* host = s.find_host(name);
    if (!host) throw ScenarioError(where, "no host named '" + name + "'");
    if (needs_run && !host->programs.empty())
        throw ScenarioError(where, "host '" + name + "' runs several programs: name one, like '" +
                                       host->programs.front().name + "'");
    if (needs_run && host->run.empty()) throw ScenarioError(where, "host '" + name + "' has nothing to run");
}

// ${name} in a command must name a host, a NAT, or a word of host_files.h.
void check_command_refs(const Scenario& s, const HostSpec& host) {
    for (auto& word : host.run) check_template(s, word, {host.name, host.run_where});
}

// `after` names another host that runs something, and following it never
// comes back: no host waits for itself.
void check_after(const Scenario& s, const HostSpec& host) {
    if (!host.after) return;
    if (host.run.empty())
        throw ScenarioError(host.after_where, "host '" + host.name + "' has nothing to run after");
    check_host_ref(s, host.after_where, *host.after, true);
    std::string path = host.name;
    std::size_t steps = 0;
    for (auto* at = &host; at && at->after && steps <= s.hosts.size(); ++steps) {
        at = s.find_host(*at->after);  // a dangling name is reported for its own host
        if (!at) break;
        path += " -> " + at->name;
        if (at == &host)
            throw ScenarioError(host.after_where, "host '" + host.name + "' starts after itself: " + path);
    }
}

// A counter belongs to an emulated NAT: the kernel's NAT has none.
void check_counter_ref(const Scenario& s, const Expectation& e) {
    auto* nat = s.find_nat(e.hosts[0]);
    if (!nat) throw ScenarioError(e.hosts_where, "no NAT named '" + e.hosts[0] + "'");
    if (nat->is_linux())
        throw ScenarioError(e.hosts_where, "NAT '" + nat->name + "' of type linux keeps no counters");
}

// A host moves to the internet or an emulated NAT's LAN, once, elsewhere
// than where it is; its program is not one of several (programs.h keeps
// those to one host).
void check_move(const Scenario& s, const TimelineStep& step) {
    auto* host = s.find_host(step.target);
    if (!host) throw ScenarioError(step.target_where, "no host named '" + step.target + "'");
    if (step.to != "internet" && !s.find_nat(step.to))
        throw ScenarioError(step.to_where, "to: '" + step.to + "' is neither 'internet' nor a NAT");
    if (step.to != "internet" && s.find_nat(step.to)->is_linux())
        throw ScenarioError(step.to_where,
                            "NAT '" + step.to + "' of type linux: a host cannot move behind it");
    if (step.to == host->behind)
        throw ScenarioError(step.to_where, "host '" + host->name + "' is already behind " + step.to);
    for (auto& other : s.timeline)
        if (&other != &step && other.kind == StepKind::Move && other.target == step.target)
            throw ScenarioError(step.target_where, "host '" + host->name + "' moves twice: one move a host");
}

void check_step(const Scenario& s, const TimelineStep& step) {
    auto& name = step.target;
    switch (step.kind) {
        case StepKind::LinkDown:
        case StepKind::LinkUp:
        case StepKind::LinkSet:
            if (!s.find_host(name) && !s.find_nat(name))
                throw ScenarioError(step.target_where, "no host or NAT named '" + name + "'");
            break;
        case StepKind::Restart:
            check_host_ref(s, step.target_where, name, true);
            break;
        case StepKind::Flush:
            if (!s.find_nat(name)) throw ScenarioError(step.target_where, "no NAT named '" + name + "'");
            break;
        case StepKind::Kill:
            if (!s.find_nat(name)) throw ScenarioError(step.target_where, "no NAT named '" + name + "'");
            if (s.find_nat(name)->is_linux())
                throw ScenarioError(step.target_where,
                                    "NAT '" + name + "' of type linux is the kernel's: no process to kill");
            break;
        case StepKind::Reboot:
        case StepKind::Change:
            if (!s.find_nat(name)) throw ScenarioError(step.target_where, "no NAT named '" + name + "'");
            if (s.find_nat(name)->is_linux())
                throw ScenarioError(step.target_where, "NAT '" + name + "' of type linux is the kernel's: " +
                                                           describe(step) + " needs an emulated NAT");
            break;
        case StepKind::Move:
            check_move(s, step);
            break;
    }
    if (step.at >= s.timeout)
        throw ScenarioError(step.where, "step at " + std::to_string(step.at.count()) +
                                            " ms comes after the scenario's timeout (" +
                                            std::to_string(s.timeout.count()) + " ms)");
}

// A NAT's `behind` names the internet or another NAT, and following the
// chain always reaches the internet: no NAT behind itself, no cycle.
void check_nat_chain(const Scenario& s, const NatSpec& nat) {
    if (nat.behind == nat.name)
        throw ScenarioError(nat.behind_where, "NAT '" + nat.name + "' cannot be behind itself");
    std::vector<std::string> chain = {nat.name};
    for (auto* at = &nat; at->behind != "internet";) {
        auto* outer = s.find_nat(at->behind);
        if (!outer)
            throw ScenarioError(at->behind_where, "NAT '" + at->name + "' is behind '" + at->behind +
                                                      "', which is neither 'internet' nor a NAT");
        chain.push_back(outer->name);
        if (outer->name == nat.name) {
            std::string path;
            for (auto& n : chain) path += (path.empty() ? "" : " -> ") + n;
            throw ScenarioError(nat.behind_where,
                                "NAT '" + nat.name + "' is behind itself through a cycle: " + path);
        }
        if (chain.size() > s.nats.size() + 1) break;  // a cycle not through `nat`: reported for its members
        at = outer;
    }
}

// An expectation id names one expectation.
void check_ids(const Scenario& s) {
    std::set<std::string> ids;
    for (auto& e : s.expectations)
        if (!e.id.empty() && !ids.insert(e.id).second)
            throw ScenarioError(e.id_where, "expectation id '" + e.id + "' twice");
}

void check_references(const Reader&, const Scenario& s, const YAML::Node&) {
    std::set<std::string> names;
    for (auto& nat : s.nats) {
        names.insert(nat.name);
        check_nat_chain(s, nat);
    }
    for (auto& host : s.hosts) {
        if (names.count(host.name))
            throw ScenarioError(host.where, "host '" + host.name + "' has the same name as a NAT");
        if (host.behind != "internet" && !s.find_nat(host.behind))
            throw ScenarioError(host.behind_where, "host '" + host.name + "' is behind '" + host.behind +
                                                       "', which is neither 'internet' nor a NAT");
        check_command_refs(s, host);
    }
    for (auto& host : s.hosts) check_after(s, host);
    for (auto& e : s.expectations) {
        if (e.kind == ExpectKind::Counter)
            check_counter_ref(s, e);
        else if (judged_from_wire(e))
            check_wire_expectation(s, e);
        else if (e.kind == ExpectKind::Reachable)
            check_reach_expectation(s, e);
        else
            for (auto& h : e.hosts) check_host_ref(s, e.hosts_where, h, true);
    }
    for (auto& step : s.timeline) check_step(s, step);
    check_ids(s);
    check_generated(s);
    check_programs(s);
}

}  // namespace

const std::set<std::string>& nat_emulator_keys() {
    return kEmulatorKeys;
}

void read_nat_behaviour(const YamlReader& r, const YAML::Node& body, NatSpec& nat) {
    read_behaviour(r, body, nat);
    if (nat.is_linux()) check_linux_nat(r, body, nat);
}

Scenario scenario_from_yaml(const std::string& path, const YAML::Node& root) {
    Reader reader(path);
    try {
        expand_counts(reader, root, [&] { return YAML::Clone(root); });  // generate.h
        return read_scenario(reader, path, root);
    } catch (const YAML::Exception& e) {
        throw ScenarioError({path, e.mark.line + 1, e.mark.column + 1}, e.msg);
    }
}

Scenario load_scenario(const std::string& path) {
    auto root = load_yaml_file(path);
    Reader reader(path);
    try {
        expand_counts(reader, root, [&] { return load_yaml_file(path); });  // generate.h
        return read_scenario(reader, path, root);
    } catch (const YAML::Exception& e) {
        throw ScenarioError({path, e.mark.line + 1, e.mark.column + 1}, e.msg);
    }
}

}  // namespace natlab::harness
