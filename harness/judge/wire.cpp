// The pure core of the wire verdicts. See wire.h.
#include "harness/judge/wire.h"

#include <algorithm>
#include <cstdio>
#include <set>
#include <string_view>
#include <tuple>

namespace natlab::harness {
namespace {

constexpr double kDeliveryWindow = 3.0;  // seconds from a packet's sending to its arrival
constexpr double kRelayWindow = 1.0;     // seconds from a datagram reaching the relay to its forwarding
constexpr std::size_t kCarried = 24;     // bytes of a datagram its forwarded copy must carry

// A side's addresses: exact ones ("198.18.1.1", "2001:2::101") and IPv6
// prefixes ("2001:2:0:1::/64": the hosts an untranslating firewall or
// NPTv6 shows on the internet as themselves).
class AddressSet {
public:
    explicit AddressSet(const std::vector<std::string>& addresses) {
        for (auto& a : addresses) {
            auto prefix = a.find('/') == std::string::npos ? std::nullopt : Ipv6Prefix::parse(a);
            if (prefix)
                prefixes_.push_back(*prefix);
            else
                exact_.insert(a);
        }
    }
    bool has(const std::string& ip) const {
        if (exact_.count(ip)) return true;
        if (prefixes_.empty() || ip.find(':') == std::string::npos) return false;
        auto address = Ipv6::parse(ip);
        return address &&
               std::any_of(prefixes_.begin(), prefixes_.end(), [&](auto& p) { return p.contains(*address); });
    }

private:
    std::set<std::string> exact_;
    std::vector<Ipv6Prefix> prefixes_;
};

std::string without_prefix(const std::string& address) {
    return address.substr(0, address.find('/'));
}

// A nat-emu NAT's addresses are its flags; a kernel NAT's are on its links.
std::vector<std::string> flag_values(const NodePlan& node, const std::string& flag,
                                     bool keep_prefix = false) {
    std::vector<std::string> out;
    for (std::size_t i = 0; i + 1 < node.argv.size(); ++i)
        if (node.argv[i] == flag)
            out.push_back(keep_prefix ? node.argv[i + 1] : without_prefix(node.argv[i + 1]));
    return out;
}

std::vector<std::string> link_addresses(const Link& link) {
    std::vector<std::string> out;
    for (auto& a : link.addresses) out.push_back(a.ip.to_string());
    for (auto& a : link.addresses6) out.push_back(a.ip.to_string());
    return out;
}

const Link* link_on(const Topology& t, const std::string& node, bool inside) {
    for (auto& l : t.links)
        if (l.node == node && (l.node_ifname == "in0") == inside) return &l;
    return nullptr;
}

// The NAT whose LAN `segment` is, or nullptr for the internet.
const NodePlan* owner_of(const Topology& t, const std::string& segment) {
    for (auto& l : t.links)
        if (l.segment == segment && l.node_ifname == "in0") return t.find_node(l.node);
    return nullptr;
}

const Segment* segment_named(const Topology& t, const std::string& name) {
    for (auto& s : t.segments)
        if (s.name == name) return &s;
    return nullptr;
}

// The prefix the internet reaches a NAT's IPv6 LAN by, when its hosts go
// out as themselves: the LAN's own under `route` and `firewall` (a kernel
// NAT knows no other), the translated one under NPTv6; none when the NAT
// translates to its own address (its `--outside6` is then the side).
std::optional<std::string> routed_lan6(const Topology& t, const NodePlan& nat) {
    auto npt = flag_values(nat, "--nptv6-prefix", true);
    if (!npt.empty()) return npt.front();
    auto mode = flag_values(nat, "--ipv6");
    if (!nat.kernel_nat && (mode.empty() || (mode[0] != "route" && mode[0] != "firewall")))
        return std::nullopt;
    auto* lan = link_on(t, nat.name, true);
    auto* seg = lan ? segment_named(t, lan->segment) : nullptr;
    if (!seg || !seg->subnet6) return std::nullopt;
    return seg->subnet6->to_string();
}

// IPv4 and IPv6: a nat-emu NAT's flags, a kernel NAT's links; outside,
// also the LAN's routed IPv6 prefix.
std::vector<std::string> nat_addresses(const Topology& t, const NodePlan& nat, const Link& link,
                                       bool inside) {
    auto out = nat.kernel_nat ? link_addresses(link)
                              : flag_values(nat, inside ? "--inside-address" : "--outside-address");
    if (!nat.kernel_nat)
        for (auto& a : flag_values(nat, inside ? "--inside6" : "--outside6")) out.push_back(a);
    if (auto lan6 = inside ? std::nullopt : routed_lan6(t, nat)) out.push_back(*lan6);
    return out;
}

// The sides of everything `segment` leads out through, from `segment` on.
void outward_sides(const Topology& t, std::string segment, std::vector<Side>& sides) {
    for (auto* nat = owner_of(t, segment); nat; nat = owner_of(t, segment)) {
        auto* out = link_on(t, nat->name, false);
        if (!out || sides.size() > t.nodes.size()) return;
        sides.push_back({out->segment, nat->name, nat_addresses(t, *nat, *out, false)});
        segment = out->segment;
    }
}

using Identity = std::tuple<std::string, std::uint16_t, std::uint64_t, std::size_t>;

Identity identity(const Frame& f) {
    return {f.protocol, f.ip_id, f.payload_hash, f.length};
}

std::string fixed(double v, int digits) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.*f", digits, v);
    return buf;
}

// "home-a 198.18.1.1 (alice's NAT)", "server 198.18.0.2".
std::string side_text(const Side& s, const std::string& owner) {
    std::string ips;
    for (auto& a : s.addresses) ips += (ips.empty() ? "" : ",") + a;
    return s.node + " " + ips + (s.node == owner ? "" : " (" + owner + "'s NAT)");
}

Meeting swapped(const Meeting& m) {
    return {m.b, m.a};
}

const Side& own_side(const WirePlan& plan, const std::string& node) {
    return plan.sides.at(node).front();
}

// The link a node's name means: a host's only link, a NAT's outside link.
const Side& outward_side(const WirePlan& plan, const std::string& node) {
    auto& sides = plan.sides.at(node);
    return plan.kind.at(node) == "NAT" && sides.size() > 1 ? sides[1] : sides[0];
}

class TimeZero {
public:
    TimeZero(double t0, const std::vector<WirePacket>& packets) : t0_(t0) {
        if (t0_ == 0 && !packets.empty()) t0_ = packets.front().t;
    }
    std::string at(double t) const { return "t=" + fixed(t - t0_, 2) + " s"; }

private:
    double t0_;
};

// ---- the verdicts ------------------------------------------------------------

struct Legs {
    Flow there, back;  // a -> b, b -> a
    Meeting m;
};

Legs legs_of(const WireEvidence& ev, const std::string& a, const std::string& b,
             const std::string& protocol = "") {
    auto m = *meeting_of(ev.plan, a, b);
    return {flow_of(ev.packets, m, own_side(ev.plan, b), protocol),
            flow_of(ev.packets, swapped(m), own_side(ev.plan, a), protocol), m};
}

// "alice -> bob 206 sent, 206 delivered".
std::string flow_text(const std::string& from, const std::string& to, const Flow& f) {
    return from + " -> " + to + " " + std::to_string(f.packets) + " sent, " + std::to_string(f.delivered) +
           " delivered";
}

WireJudgement judge_direct(const Expectation& e, const WireEvidence& ev, const TimeZero& clock) {
    auto &a = e.hosts[0], &b = e.hosts[1];
    auto legs = legs_of(ev, a, b, "udp");
    WireJudgement j;
    j.held = legs.there.delivered > 0 && legs.back.delivered > 0;
    std::string first;
    bool back_first = legs.back.first_delivered && (!legs.there.first_delivered ||
                                                    *legs.back.first_delivered < *legs.there.first_delivered);
    auto& earliest = back_first ? legs.back : legs.there;
    if (earliest.first_delivered)
        first = "first direct packet at " + clock.at(*earliest.first_delivered) + " (" +
                (back_first ? b + " -> " + a : a + " -> " + b) + " " + earliest.first + "); ";
    std::size_t others = 0;
    std::string with_others;
    for (auto& [node, kind] : ev.plan.kind) {
        if (kind != "host" || node == a || node == b) continue;
        auto n = legs_of(ev, a, node).there.packets + legs_of(ev, node, a).there.packets +
                 legs_of(ev, b, node).there.packets + legs_of(ev, node, b).there.packets;
        others += n;
        if (n) with_others += (with_others.empty() ? "" : ", ") + node + " " + std::to_string(n);
    }
    j.seen = first + "UDP on " + legs.m.a.segment + " between " + side_text(legs.m.a, a) + " and " +
             side_text(legs.m.b, b) + ": " + flow_text(a, b, legs.there) + ", " + flow_text(b, a, legs.back) +
             "; " + std::to_string(others) + " packets with other hosts" +
             (with_others.empty() ? "" : " (" + with_others + ")");
    if (!legs.there.delivered) j.detail = "no UDP from " + a + "'s side reached " + b + " directly";
    if (!legs.back.delivered)
        j.detail += (j.detail.empty() ? "" : "; ") + std::string("no UDP from ") + b + "'s side reached " +
                    a + " directly";
    return j;
}

// A's datagrams that V forwarded to B: delivered to V, then carried by a
// packet V delivered to B within kRelayWindow.
struct Relayed {
    std::size_t count = 0;
    std::optional<double> first;
};

Relayed relayed_of(const WireEvidence& ev, const std::string& a, const std::string& v, const std::string& b) {
    auto in = crossings_of(ev.packets, *meeting_of(ev.plan, a, v), own_side(ev.plan, v));
    auto out = crossings_of(ev.packets, *meeting_of(ev.plan, v, b), own_side(ev.plan, b));
    std::erase_if(out, [](auto& c) { return !c.delivered; });
    Relayed r;
    std::size_t from = 0;
    for (auto& [p, delivered] : in) {
        if (!delivered) continue;
        while (from < out.size() && out[from].packet->t < p->t) ++from;
        for (auto i = from; i < out.size() && out[i].packet->t <= p->t + kRelayWindow; ++i) {
            if (!carries(out[i].packet->payload, p->payload)) continue;
            ++r.count;
            if (!r.first) r.first = p->t;
            break;
        }
    }
    return r;
}

WireJudgement judge_relayed(const Expectation& e, const WireEvidence& ev, const TimeZero& clock) {
    auto &a = e.hosts[0], &b = e.hosts[1], &v = *e.via;
    auto av = legs_of(ev, a, v), vb = legs_of(ev, v, b), ab = legs_of(ev, a, b);
    auto there = relayed_of(ev, a, v, b), back = relayed_of(ev, b, v, a);
    WireJudgement j;
    std::vector<std::string> problems;
    if (!there.count) problems.push_back(v + " forwarded nothing of " + a + "'s to " + b);
    if (!back.count) problems.push_back(v + " forwarded nothing of " + b + "'s to " + a);
    auto direct = ab.there.delivered + ab.back.delivered;
    if (direct)
        problems.push_back(std::to_string(direct) + " packets went directly between " + a + " and " + b);
    j.held = problems.empty();
    for (auto& p : problems) j.detail += (j.detail.empty() ? "" : "; ") + p;
    auto first = there.first && (!back.first || *there.first <= *back.first) ? there.first : back.first;
    j.seen = (first ? "first relayed datagram at " + clock.at(*first) + "; " : std::string()) + v +
             " forwarded " + std::to_string(there.count) + " datagrams " + a + " -> " + b + " and " +
             std::to_string(back.count) + " " + b + " -> " + a + "; " + flow_text(a, v, av.there) + ", " +
             flow_text(v, a, av.back) + ", " + flow_text(v, b, vb.there) + ", " + flow_text(b, v, vb.back) +
             "; directly on " + ab.m.a.segment + ": " + flow_text(a, b, ab.there) + ", " +
             flow_text(b, a, ab.back);
    return j;
}

std::string bound_problem(const char* what, std::size_t n, const Expectation::Bounds& b) {
    auto value = static_cast<std::int64_t>(n);
    if (b.min && value < *b.min)
        return std::to_string(n) + " " + what + ", fewer than " + std::to_string(*b.min);
    if (b.max && value > *b.max)
        return std::to_string(n) + " " + what + ", more than " + std::to_string(*b.max);
    return {};
}

WireJudgement judge_traffic(const Expectation& e, const WireEvidence& ev) {
    std::size_t packets = 0, bytes = 0;
    WireJudgement j;
    if (e.on_link) {
        auto& side = outward_side(ev.plan, e.nodes[0]);
        for (auto& p : ev.packets)
            if (p.node == side.node && p.segment == side.segment) ++packets, bytes += p.frame.length;
        j.seen = std::to_string(packets) + " packets, " + std::to_string(bytes) + " bytes on " + side.node +
                 "'s link to " + side.segment;
    } else {
        auto legs = legs_of(ev, e.nodes[0], e.nodes[1]);
        packets = legs.there.packets + legs.back.packets;
        bytes = legs.there.bytes + legs.back.bytes;
        j.seen = std::to_string(packets) + " packets, " + std::to_string(bytes) + " bytes on " +
                 legs.m.a.segment + " between " + side_text(legs.m.a, e.nodes[0]) + " and " +
                 side_text(legs.m.b, e.nodes[1]) + " (" + std::to_string(legs.there.packets) + " " +
                 e.nodes[0] + " -> " + e.nodes[1] + ", " + std::to_string(legs.back.packets) + " back)";
    }
    for (const auto& problem :
         {bound_problem("packets", packets, e.packets), bound_problem("bytes", bytes, e.bytes)})
        if (!problem.empty()) j.detail += (j.detail.empty() ? "" : "; ") + problem;
    j.held = j.detail.empty();
    return j;
}

std::string bounds_text(const char* what, const Expectation::Bounds& b) {
    if (b.min && b.max)
        return std::string(what) + " " + std::to_string(*b.min) + ".." + std::to_string(*b.max);
    if (b.min) return std::string(what) + " >= " + std::to_string(*b.min);
    if (b.max) return std::string(what) + " <= " + std::to_string(*b.max);
    return {};
}

}  // namespace

WirePlan wire_plan(const Topology& t) {
    WirePlan plan;
    for (auto& node : t.nodes) {
        auto& sides = plan.sides[node.name];
        plan.kind[node.name] = node.is_nat ? "NAT" : "host";
        if (node.is_nat) {
            auto* in = link_on(t, node.name, true);
            if (in) sides.push_back({in->segment, node.name, nat_addresses(t, node, *in, true)});
            auto* out = link_on(t, node.name, false);
            if (!out) continue;
            sides.push_back({out->segment, node.name, nat_addresses(t, node, *out, false)});
            outward_sides(t, out->segment, sides);
        } else if (auto* link = link_on(t, node.name, false)) {
            sides.push_back({link->segment, node.name, link_addresses(*link)});
            outward_sides(t, link->segment, sides);
        }
    }
    return plan;
}

std::optional<Meeting> meeting_of(const WirePlan& plan, const std::string& a, const std::string& b) {
    auto ia = plan.sides.find(a), ib = plan.sides.find(b);
    if (ia == plan.sides.end() || ib == plan.sides.end()) return std::nullopt;
    for (auto& sa : ia->second)
        for (auto& sb : ib->second)
            if (sa.segment == sb.segment) return Meeting{sa, sb};
    return std::nullopt;
}

std::vector<Crossing> crossings_of(const std::vector<WirePacket>& packets, const Meeting& m,
                                   const Side& receiver, const std::string& protocol) {
    AddressSet to_receiver(receiver.addresses), from(m.a.addresses), to(m.b.addresses);
    std::map<Identity, std::vector<double>> arrived;  // on the receiver's own link, to it
    for (auto& p : packets)
        if (p.node == receiver.node && p.segment == receiver.segment && to_receiver.has(p.frame.dst_ip))
            arrived[identity(p.frame)].push_back(p.t);
    std::vector<Crossing> out;
    for (auto& p : packets) {
        if (p.node != m.a.node || p.segment != m.a.segment) continue;
        if (!from.has(p.frame.src_ip) || !to.has(p.frame.dst_ip)) continue;
        if (!protocol.empty() && p.frame.protocol != protocol) continue;
        auto it = arrived.find(identity(p.frame));
        bool delivered =
            it != arrived.end() && std::any_of(it->second.begin(), it->second.end(), [&](double t) {
                return t >= p.t - 0.001 && t <= p.t + kDeliveryWindow;
            });
        out.push_back({&p, delivered});
    }
    return out;
}

Flow flow_of(const std::vector<WirePacket>& packets, const Meeting& m, const Side& receiver,
             const std::string& protocol) {
    Flow f;
    for (auto& [p, delivered] : crossings_of(packets, m, receiver, protocol)) {
        ++f.packets;
        f.bytes += p->frame.length;
        if (!f.first_sent || p->t < *f.first_sent) f.first_sent = p->t;
        if (!delivered) continue;
        ++f.delivered;
        if (!f.first_delivered || p->t < *f.first_delivered) {
            f.first_delivered = p->t;
            f.first = p->frame.src + " -> " + p->frame.dst;
        }
    }
    return f;
}

bool carries(const std::string& outer, const std::string& inner) {
    if (inner.empty()) return false;
    auto n = std::min(inner.size(), kCarried);
    if (outer.size() < n) return false;
    std::set<std::string_view> windows;
    for (std::size_t i = 0; i + n <= outer.size(); ++i) windows.insert(std::string_view(outer).substr(i, n));
    for (std::size_t i = 0; i + n <= inner.size(); ++i)
        if (windows.count(std::string_view(inner).substr(i, n))) return true;
    return false;
}

std::string describe_wire(const Expectation& e) {
    switch (e.kind) {
        case ExpectKind::Direct:
            return e.hosts[0] + " <-> " + e.hosts[1] + " direct on the wire";
        case ExpectKind::Relayed:
            return e.hosts[0] + " <-> " + e.hosts[1] + " relayed via " + e.via.value_or("?") + " on the wire";
        default: {
            auto where = e.on_link ? "traffic on " + e.nodes[0] + "'s link"
                                   : "traffic between " + e.nodes[0] + " and " + e.nodes[1];
            auto p = bounds_text("packets", e.packets), b = bounds_text("bytes", e.bytes);
            return where + ": " + p + (p.empty() || b.empty() ? "" : ", ") + b;
        }
    }
}

WireJudgement judge_wire(const Expectation& e, const WireEvidence& ev, double t0) {
    if (!ev.read) return {false, "no captures were read" + (ev.note.empty() ? "" : " (" + ev.note + ")"), ""};
    auto names = e.kind == ExpectKind::Traffic ? e.nodes : e.hosts;
    if (e.via) names.push_back(*e.via);
    for (auto& n : names)
        if (!ev.plan.sides.count(n) || ev.plan.sides.at(n).empty())
            return {false, n + " has no link in the captures", ""};
    WireJudgement j;
    switch (e.kind) {
        case ExpectKind::Direct:
            j = judge_direct(e, ev, TimeZero(t0, ev.packets));
            break;
        case ExpectKind::Relayed:
            j = judge_relayed(e, ev, TimeZero(t0, ev.packets));
            break;
        default:
            j = judge_traffic(e, ev);
    }
    if (!ev.note.empty()) j.seen += " (" + ev.note + ")";
    return j;
}

}  // namespace natlab::harness
