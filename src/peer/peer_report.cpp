// JSON rendering of the peer's events and result. See peer_report.h.
//
// Pure: reads a PeerSession snapshot, builds an object. Names in it were
// validated as UTF-8 when they entered the session, so dumping never throws
// on them.
#include "src/peer/peer_report.h"

#include <algorithm>
#include <cmath>

namespace natlab {
namespace {

using nlohmann::ordered_json;

ordered_json endpoint_or_null(const std::optional<IpEndpoint>& e) {
    return e ? ordered_json(e->to_string()) : ordered_json(nullptr);
}

ordered_json family_or_null(const std::optional<Family>& f) {
    return f ? ordered_json(to_string(*f)) : ordered_json(nullptr);
}

ordered_json ms_or_null(const std::optional<Duration>& d) {
    if (!d) return nullptr;
    return std::round(to_ms(*d) * 1000.0) / 1000.0;
}

// min / mean / median / max of the path's round trips, and how many.
ordered_json rtt_json(const RttStats& stats) {
    ordered_json j;
    j["samples"] = stats.count;
    bool any = stats.count > 0;
    j["min_ms"] = ms_or_null(any ? std::optional(stats.min) : std::nullopt);
    j["mean_ms"] = ms_or_null(stats.mean());
    j["median_ms"] = ms_or_null(stats.median());
    j["max_ms"] = ms_or_null(any ? std::optional(stats.max) : std::nullopt);
    return j;
}

// --birthday: sockets (N), probes (M), probes sent, first hit after the introduction.
ordered_json birthday_json(const BirthdayReport& b) {
    ordered_json j;
    j["sockets"] = b.sockets;
    j["probes"] = b.probes;
    j["sent"] = b.sent;
    j["hit_after_ms"] = ms_or_null(b.hit_after);
    return j;
}

// Share of Data transmissions that had to be repeated: each repetition is
// a request or its acknowledgement lost (or later than the retry timer).
double loss_percent(const PeerResult& r) {
    if (r.transmissions == 0) return 0;
    return std::round(1000.0 * r.retransmissions / r.transmissions) / 10.0;
}

// Each recovery's path-lost -> connected time, in order.
ordered_json repunch_json(const PeerResult& r) {
    ordered_json j = ordered_json::array();
    for (Duration d : r.repunch_times) j.push_back(ms_or_null(d));
    return j;
}

ordered_json partner_or_null(const PeerSession& s) {
    if (s.introduction()) return s.introduction()->peer_name;
    return nullptr;
}

ordered_json head(const PeerSession& s, std::string_view event) {
    ordered_json j;
    j["event"] = event;
    j["name"] = s.config().name;
    return j;
}

ordered_json registered_json(const PeerSession& s) {
    ordered_json j = head(s, "registered");
    j["public"] = endpoint_or_null(s.public_endpoint());
    j["local"] = ordered_json::array();
    for (const IpEndpoint& e : s.config().local_endpoints) j["local"].push_back(e.to_string());
    return j;
}

ordered_json listed_json(const PeerSession& s) {
    ordered_json j = head(s, "listed");
    j["group"] = s.config().group;
    j["clients"] = s.listed();
    return j;
}

ordered_json introduced_json(const PeerSession& s) {
    ordered_json j = head(s, "introduced");
    j["partner"] = partner_or_null(s);
    j["role"] = s.introduction() ? to_string(s.introduction()->role) : "";
    j["candidates"] = ordered_json::array();
    for (const auto& c : s.candidates().all())
        j["candidates"].push_back({{"endpoint", c.remote.to_string()}, {"kind", to_string(c.kind)}});
    return j;
}

ordered_json path_of(const PeerResult& r) {
    if (r.relayed) return "relay";
    return r.connected ? ordered_json(to_string(r.path)) : ordered_json(nullptr);
}

ordered_json connected_json(const PeerSession& s) {
    PeerResult r = s.result();
    ordered_json j = head(s, "connected");
    j["partner"] = partner_or_null(s);
    j["path"] = to_string(r.path);
    j["remote"] = endpoint_or_null(r.remote);
    j["family"] = family_or_null(r.family);
    j["rtt_ms"] = ms_or_null(r.rtt);
    j["time_to_connect_ms"] = ms_or_null(r.time_to_connect);
    j["introduction_to_connect_ms"] = ms_or_null(r.introduction_to_connect);
    j["predicted"] = r.predicted;
    j["repunched"] = r.repunched;
    if (r.birthday) j["birthday"] = birthday_json(*r.birthday);
    if (!r.repunch_times.empty() && r.repunched > 0) j["repunch_ms"] = ms_or_null(r.repunch_times.back());
    return j;
}

ordered_json relaying_json(const PeerSession& s) {
    PeerResult r = s.result();
    ordered_json j = head(s, "relaying");
    j["partner"] = partner_or_null(s);
    j["remote"] = endpoint_or_null(r.remote);
    j["reason"] = r.connected ? "path lost" : r.reason;
    return j;
}

ordered_json holding_json(const PeerSession& s) {
    ordered_json j = head(s, "holding");
    j["partner"] = partner_or_null(s);
    j["seconds"] = std::chrono::duration<double>(s.config().hold).count();
    return j;
}

ordered_json path_lost_json(const PeerSession& s) {
    PeerResult r = s.result();
    ordered_json j = head(s, "path-lost");
    j["partner"] = partner_or_null(s);
    j["remote"] = endpoint_or_null(r.remote);
    j["reason"] = s.last_loss();
    j["paths_lost"] = r.paths_lost;
    return j;
}

// What the gateway granted, and every protocol's answer on the way.
ordered_json port_mapping_json(const PortMappingClient& pm) {
    ordered_json answers = ordered_json::object();
    for (const auto& a : pm.answers()) answers[std::string{to_string(a.protocol)}] = a.answer;
    ordered_json j;
    j["protocol"] = pm.protocol() ? ordered_json(to_string(*pm.protocol())) : ordered_json(nullptr);
    j["mapped"] = endpoint_or_null(pm.mapped());
    j["lifetime"] = pm.lifetime();
    j["renewals"] = pm.renewals();
    j["answers"] = answers;
    if (auto note = pm.note(); !note.empty()) j["note"] = note;
    return j;
}

ordered_json lingering_json(const PeerSession& s) {
    PeerResult r = s.result();
    ordered_json j = head(s, "lingering");
    j["sent"] = r.sent;
    j["acked"] = r.acked;
    j["received"] = r.received;
    return j;
}

}  // namespace

ordered_json result_json(const PeerSession& s) {
    PeerResult r = s.result();
    ordered_json j = head(s, "result");
    j["partner"] = partner_or_null(s);
    j["connected"] = r.connected;  // a punched path; `path` says "relay" when the server relays
    j["path"] = path_of(r);
    j["remote"] = r.connected || r.relayed ? endpoint_or_null(r.remote) : ordered_json(nullptr);
    j["family"] = r.connected || r.relayed ? family_or_null(r.family) : ordered_json(nullptr);
    j["public"] = endpoint_or_null(r.public_endpoint);
    if (!r.other_public.empty()) {
        j["other_public"] = ordered_json::array();
        for (const auto& e : r.other_public) j["other_public"].push_back(e.to_string());
    }
    j["rtt_ms"] = ms_or_null(r.rtt);
    j["time_to_connect_ms"] = ms_or_null(r.time_to_connect);
    j["sent"] = r.sent;
    j["acked"] = r.acked;
    j["received"] = r.received;
    j["predicted"] = r.predicted;
    j["keepalives"] = r.keepalives;
    j["paths_lost"] = r.paths_lost;
    j["repunched"] = r.repunched;
    j["introduction_to_connect_ms"] = ms_or_null(r.introduction_to_connect);
    j["rtt"] = rtt_json(r.rtt_stats);
    j["bytes_sent"] = r.bytes_sent;
    j["bytes_acked"] = r.bytes_acked;
    j["bytes_received"] = r.bytes_received;
    j["retransmissions"] = r.retransmissions;
    j["loss_pct"] = loss_percent(r);
    j["repunch_ms"] = repunch_json(r);
    auto worst = std::max_element(r.repunch_times.begin(), r.repunch_times.end());
    j["repunch_max_ms"] = ms_or_null(worst == r.repunch_times.end() ? std::nullopt : std::optional(*worst));
    if (!r.connected) j["reason"] = r.reason;  // why no direct path (also when relayed)
    if (const auto* pm = s.port_mapping()) j["port_mapping"] = port_mapping_json(*pm);
    if (r.birthday) j["birthday"] = birthday_json(*r.birthday);
    return j;
}

ordered_json event_json(const PeerSession& s, PeerEvent event) {
    switch (event) {
        case PeerEvent::registered:
            return registered_json(s);
        case PeerEvent::listed:
            return listed_json(s);
        case PeerEvent::introduced:
            return introduced_json(s);
        case PeerEvent::connected:
            return connected_json(s);
        case PeerEvent::relaying:
            return relaying_json(s);
        case PeerEvent::holding:
            return holding_json(s);
        case PeerEvent::path_lost:
            return path_lost_json(s);
        case PeerEvent::lingering:
            return lingering_json(s);
        case PeerEvent::finished:
            return result_json(s);
    }
    return result_json(s);
}

}  // namespace natlab
