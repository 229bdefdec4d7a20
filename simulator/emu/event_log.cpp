#include "simulator/emu/event_log.h"

#include <cmath>
#include <type_traits>

#include "simulator/router/counter_table.h"
#include "src/net/setup_error.h"

namespace natlab::nat {
namespace {

Json mapping_json(const MappingEvent& e, TimePoint start) {
    Json line{{"t", seconds_between(start, e.at)}, {"event", to_string(e.change)},
              {"protocol", to_string(e.protocol)}, {"inside", e.inside.to_string()},
              {"outside", e.outside.to_string()},  {"remote", e.remote.to_string()}};
    if (e.inside6) line["inside6"] = e.inside6->to_string();
    return line;
}

Json drop_json(const DropEvent& e, TimePoint start) {
    Json line{{"t", seconds_between(start, e.at)}, {"event", "drop"}, {"direction", to_string(e.direction)}};
    if (e.flow) line["packet"] = e.flow->to_string();
    if (e.flow6) line["packet"] = e.flow6->to_string();
    line["code"] = to_string(e.reason.code);
    line["reason"] = e.reason.text;
    return line;
}

double seconds(Millis d) {
    return static_cast<double>(d.count()) / 1000;
}

Json addresses_json(const std::vector<Ipv4>& addresses) {
    Json list = Json::array();
    for (Ipv4 a : addresses) list.push_back(a.to_string());
    return list;
}

Json port_mapping_json(const portmap::Policy& p) {
    Json protocols = Json::array();
    for (auto r : {Requester::NatPmp, Requester::Pcp, Requester::Upnp})
        if (p.enabled(r)) protocols.push_back(to_string(r));
    return {{"protocols", protocols},
            {"refuse", p.refuse},
            {"min_lifetime", p.min_lifetime.count()},
            {"max_lifetime", p.max_lifetime.count()},
            {"per_host", p.per_host},
            {"honour_port", p.honour_port},
            {"third_party", p.third_party}};
}

// The IPv6 side of the started line, when IPv6 is on.
Json ipv6_json(const Ipv6Config& c) {
    Json routes = Json::array();
    for (const auto& r : c.routes) routes.push_back(r.to_string());
    Json line{{"mode", to_string(c.mode)},
              {"inside", c.inside.to_string()},
              {"outside", c.outside_link ? Json(c.outside.to_string()) : Json(nullptr)},
              {"routes", routes},
              {"gateway", c.gateway ? Json(c.gateway->to_string()) : Json(nullptr)}};
    if (c.mode == Ipv6Mode::Firewall)
        line["firewall"] = {{"filtering", to_string(c.firewall.filtering)},
                            {"udp_timeout", seconds(c.firewall.udp_timeout)},
                            {"tcp_timeout", seconds(c.firewall.tcp_timeout)},
                            {"refresh_on_inbound", c.firewall.refresh_on_inbound},
                            {"echo_inbound", c.firewall.echo_inbound}};
    if (c.nptv6_prefix) line["nptv6_prefix"] = c.nptv6_prefix->to_string();
    if (c.mode == Ipv6Mode::Nat64) line["nat64_prefix"] = c.nat64_prefix.to_string();
    if (c.router_advertisements) line["router_advertisements"] = seconds(*c.router_advertisements);
    return line;
}

Json nat_started_json(const EmuOptions& o) {
    const NatConfig& c = o.nat;
    return {{"t", 0},
            {"event", "started"},
            {"name", o.name},
            {"type", o.profile ? to_string(*o.profile) : to_string(o.type)},
            {"mapping", to_string(c.mapping)},
            {"filtering", to_string(c.filtering)},
            {"port_allocation", to_string(c.port_allocation)},
            {"pooling", to_string(c.pooling)},
            {"port_range", c.ports.to_string()},
            {"mapping_timeout", seconds(c.mapping_timeout)},
            {"icmp_timeout", seconds(c.icmp_timeout)},
            {"tcp_established_timeout", seconds(c.tcp_established_timeout)},
            {"tcp_transitory_timeout", seconds(c.tcp_transitory_timeout)},
            {"hairpin", c.hairpin},
            {"refresh_on_inbound", c.refresh_on_inbound},
            {"icmp_errors", c.icmp_errors},
            {"mapping_timeout_before_inbound",
             seconds(c.mapping_timeout_before_inbound.count() ? c.mapping_timeout_before_inbound
                                                              : c.mapping_timeout)},
            {"port_parity", c.port_parity},
            {"port_block_size", c.port_block_size},
            {"port_blocks_per_host", c.port_blocks_per_host},
            {"mappings_per_host", c.mappings_per_host},
            {"inside", o.inside.to_string()},
            {"outside", o.outside.to_string()},
            {"outside_addresses", addresses_json(o.outside_addresses())},
            {"gateway", o.gateway ? Json(o.gateway->to_string()) : Json(nullptr)},
            {"port_mapping", port_mapping_json(o.port_mapping)}};
}

}  // namespace

double seconds_between(TimePoint start, TimePoint at) {
    auto micros = std::chrono::duration_cast<std::chrono::microseconds>(at - start).count();
    return static_cast<double>(micros) / 1e6;
}

Json started_json(const EmuOptions& o) {
    Json line = nat_started_json(o);
    if (o.ipv6.enabled()) line["ipv6"] = ipv6_json(o.ipv6);
    return line;
}

namespace {

Json portmap_json(const PortMapEvent& e, TimePoint start) {
    Json line{{"t", seconds_between(start, e.at)},
              {"event", to_string(e.change)},
              {"by", to_string(e.by)},
              {"protocol", to_string(e.protocol)},
              {"inside", e.inside.to_string()}};
    switch (e.change) {
        case PortMapChange::Requested:
            line["suggested_port"] = e.suggested_port;
            line["lifetime"] = e.lifetime;
            break;
        case PortMapChange::Refused:
            line["code"] = e.code;
            line["reason"] = e.reason;
            break;
        case PortMapChange::Granted:
        case PortMapChange::Renewed:
            line["outside"] = e.outside.to_string();
            line["lifetime"] = e.lifetime;
            break;
        case PortMapChange::Expired:
        case PortMapChange::Deleted:
            line["outside"] = e.outside.to_string();
            break;
    }
    return line;
}

Json state6_json(const StateEvent6& e, TimePoint start) {
    Json line{{"t", seconds_between(start, e.at)},
              {"event", to_string(e.change)},
              {"protocol", to_string(e.protocol)},
              {"inside", e.inside.to_string()}};
    if (e.remote) line["remote"] = e.remote->to_string();
    return line;
}

Json flush_json(const FlushEvent& e, TimePoint start) {
    return {{"t", seconds_between(start, e.at)},
            {"event", "flushed"},
            {"mappings", e.total()},
            {"udp", e.udp},
            {"tcp", e.tcp},
            {"icmp", e.icmp}};
}

}  // namespace

Json event_json(const NatEvent& event, TimePoint start) {
    return std::visit(
        [&](const auto& e) {
            using E = std::decay_t<decltype(e)>;
            if constexpr (std::is_same_v<E, MappingEvent>)
                return mapping_json(e, start);
            else if constexpr (std::is_same_v<E, FlushEvent>)
                return flush_json(e, start);
            else if constexpr (std::is_same_v<E, PortMapEvent>)
                return portmap_json(e, start);
            else if constexpr (std::is_same_v<E, StateEvent6>)
                return state6_json(e, start);
            else
                return drop_json(e, start);
        },
        event);
}

// From the one table of counters (router/counter_table.h): a dotted name is
// a nested object, in the table's order.
Json counters_json(const CountersSnapshot& c, TimePoint start, TimePoint now) {
    Json line{{"t", seconds_between(start, now)}, {"event", "counters"}};
    for (const auto& [name, value] : named_counters(c)) {
        auto dot = name.find('.');
        if (dot == std::string::npos)
            line[name] = value;
        else
            line[name.substr(0, dot)][name.substr(dot + 1)] = value;
    }
    return line;
}

EventLog::EventLog(const std::string& path, TimePoint start)
    : out_(path.empty() ? stdout : std::fopen(path.c_str(), "w")), owned_(!path.empty()), start_(start) {
    if (!out_) throw system_error("--events " + path);
}

EventLog::~EventLog() {
    if (owned_)
        std::fclose(out_);
    else
        std::fflush(out_);
}

// One line, flushed, so a reader following the file sees each event at once.
// A failing write (disk full, reader gone) is not fatal: the NAT keeps working.
void EventLog::write(const Json& line) {
    std::string text = line.dump();
    text += '\n';
    std::fwrite(text.data(), 1, text.size(), out_);
    std::fflush(out_);
}

}  // namespace natlab::nat
