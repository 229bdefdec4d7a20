// Peer sessions against a rendezvous server core, all in memory.
//
// MiniLab is just enough network to exercise the punch: hosts on LANs, each
// LAN behind a toy NAT (endpoint-independent or address-and-port-dependent
// mapping and filtering, RFC 4787 sections 4.1 and 5), a server on the
// "internet", 1 ms per hop, and a fake clock stepping 1 ms at a time. A NAT
// may forget a mapping that sends nothing for its timeout (RFC 4787 section
// 4.3, refreshed by outbound traffic only). It is not the simulator; it only
// decides, per datagram, "delivered from X" or "dropped". A NAT may draw
// its ports at random from a small range (RFC 4787 section 4.2), as the
// birthday punch's hard NAT does; a host with --birthday N holds N
// sockets, its local port and the N-1 above it. The network may change
// under the peers at a given time (MiniLab::at): a NAT forgets its
// mappings, reboots with a new address, or goes dark for a while.
#include <gtest/gtest.h>

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <utility>

#include "src/peer/peer_session.h"
#include "src/server/rendezvous_server.h"
#include "src/stun/rendezvous_protocol.h"

namespace natlab {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

Endpoint ep(std::string_view text) {
    return *Endpoint::parse(text);
}

RandomSource seeded_random(unsigned seed) {
    auto rng = std::make_shared<std::mt19937>(seed);
    return [rng](std::span<std::byte> out) {
        for (auto& b : out) b = static_cast<std::byte>((*rng)() & 0xff);
    };
}

enum class Behaviour { endpoint_independent, address_and_port_dependent };

struct Nat {
    Ipv4 ip;
    Behaviour mapping = Behaviour::endpoint_independent;
    Behaviour filtering = Behaviour::endpoint_independent;
    bool hairpin = false;
    Duration timeout = Duration::max();
    std::map<std::pair<Endpoint, Endpoint>, std::uint16_t> mappings;  // (inside, remote|{})
    std::map<std::uint16_t, Endpoint> inside_of;                      // public port -> inside
    std::map<std::uint16_t, TimePoint> last_out;                      // public port -> last outbound
    std::set<std::pair<std::uint16_t, Endpoint>> permits;             // (public port, remote)
    std::uint16_t next_port = 40000;
    std::uint16_t random_ports = 0;  // non-zero: draw from [next_port, next_port + random_ports)
    std::mt19937 rng{7};

    std::uint16_t allocate() {
        if (random_ports == 0) return next_port++;
        for (;;) {
            auto port = static_cast<std::uint16_t>(next_port + rng() % random_ports);
            if (!inside_of.count(port)) return port;
        }
    }

    bool dark = false;  // drops everything, both ways (a link down)

    void forget() {
        mappings.clear();
        inside_of.clear();
        last_out.clear();
        permits.clear();
    }

    bool expired(std::uint16_t port, TimePoint now) const {
        auto it = last_out.find(port);
        return it == last_out.end() || now - it->second >= timeout;
    }
    Endpoint outbound(Endpoint inside, Endpoint remote, TimePoint now) {
        Endpoint key_remote = mapping == Behaviour::endpoint_independent ? Endpoint{} : remote;
        auto it = mappings.find({inside, key_remote});
        if (it != mappings.end() && expired(it->second, now)) {
            std::erase_if(permits, [&](const auto& p) { return p.first == it->second; });
            mappings.erase(it);
            it = mappings.end();
        }
        if (it == mappings.end()) {
            it = mappings.emplace(std::pair{inside, key_remote}, allocate()).first;
            inside_of[it->second] = inside;
        }
        permits.insert({it->second, remote});
        last_out[it->second] = now;
        return {ip, it->second};
    }
    std::optional<Endpoint> inbound(Endpoint to, Endpoint remote, TimePoint now) const {
        auto it = inside_of.find(to.port);
        if (it == inside_of.end() || expired(to.port, now)) return std::nullopt;
        bool open = filtering == Behaviour::endpoint_independent || permits.count({to.port, remote}) > 0;
        return open ? std::optional(it->second) : std::nullopt;
    }
};

struct Host {
    Endpoint local;
    Nat* nat;
    std::unique_ptr<PeerSession> session;
    std::vector<PeerEvent> events;
    TimePoint due{};  // its next tick, as the peer's shell schedules it (next_tick)
    std::size_t ticks = 0;
    std::size_t sent = 0;  // datagrams it sent

    Endpoint socket_endpoint(std::size_t socket) const {
        return {local.addr, static_cast<std::uint16_t>(local.port + socket)};
    }
};

struct InFlight {
    TimePoint due;
    stun::Bytes bytes;
    Endpoint source;  // as the receiver will see it
    int to;           // host index, or -1 for the server
    std::size_t socket = 0;
};

class MiniLab {
public:
    static constexpr Endpoint server_endpoint() { return {Ipv4{0xC6120001}, 3478}; }  // 198.18.0.1

    Nat& add_nat(std::string_view ip, Behaviour mapping, Behaviour filtering) {
        nats_.push_back(std::make_unique<Nat>());
        Nat& n = *nats_.back();
        n.ip = *Ipv4::parse(ip);
        n.mapping = mapping;
        n.filtering = filtering;
        return n;
    }

    PeerSession& add_peer(Nat& nat, std::string_view local, std::string name,
                          std::optional<std::string> partner, std::uint32_t messages = 5,
                          const std::function<void(PeerConfig&)>& tweak = {}) {
        PeerConfig c;
        c.name = std::move(name);
        c.partner = std::move(partner);
        c.server = server_endpoint();
        c.local_endpoints = {ep(local)};
        c.messages = messages;
        if (tweak) tweak(c);
        auto seed = static_cast<unsigned>(hosts_.size() + 1);
        hosts_.push_back({ep(local), &nat, std::make_unique<PeerSession>(c, seeded_random(seed), now_), {}});
        return *hosts_.back().session;
    }

    // Drops the next datagram that `rule` matches (by decoded method/class).
    void drop_once(std::uint16_t method, stun::Class cls, int to_host) {
        drops_.push_back({method, cls, to_host});
    }

    // Runs `change` once the clock reaches `after` from the lab's start.
    void at(Duration after, std::function<void()> change) {
        changes_.push_back({TimePoint{} + after, change});
    }

    void run(Duration limit = seconds(15)) {
        TimePoint end = now_ + limit;
        while (now_ < end && !all_finished()) {
            apply_changes();
            deliver_due();
            for (std::size_t i = 0; i < hosts_.size(); ++i) {
                if (now_ < hosts_[i].due) continue;
                emit(static_cast<int>(i), hosts_[i].session->on_tick(now_));
                ++hosts_[i].ticks;
                hosts_[i].due = hosts_[i].session->next_tick(now_);
            }
            now_ += milliseconds(1);
        }
    }

    const Host& host(int i) const { return hosts_[static_cast<std::size_t>(i)]; }
    TimePoint now() const { return now_; }
    RendezvousServer& server() { return server_; }

private:
    struct DropRule {
        std::uint16_t method;
        stun::Class cls;
        int to;
    };

    void apply_changes() {
        for (auto& [when, change] : changes_)
            if (change && when <= now_) std::exchange(change, nullptr)();
    }

    bool all_finished() const {
        for (const auto& h : hosts_)
            if (!h.session->finished()) return false;
        return true;
    }

    void emit(int from, const PeerOutput& out) {
        auto& h = hosts_[static_cast<std::size_t>(from)];
        h.events.insert(h.events.end(), out.events.begin(), out.events.end());
        for (const auto& d : out.datagrams) route(from, d);
    }

    // MiniLab is IPv4 only: its peers know no IPv6 endpoint to send to.
    void route(int from, const Outgoing& out) {
        Host& h = hosts_[static_cast<std::size_t>(from)];
        ++h.sent;
        Endpoint local = h.socket_endpoint(out.socket);
        if (h.nat->dark || !out.destination.v4()) return;
        const Endpoint destination = *out.destination.v4();
        if (destination == server_endpoint())
            return schedule(out.bytes, h.nat->outbound(local, destination, now_), -1);
        if (int lan = local_host(destination); lan >= 0) {
            if (host(lan).nat == h.nat) schedule(out.bytes, local, destination);
            return;  // another LAN's private address is not routed
        }
        Endpoint source = h.nat->outbound(local, destination, now_);
        Nat* target = nat_of(destination.addr);
        if (!target || target->dark || (target == h.nat && !target->hairpin)) return;
        if (auto inside = target->inbound(destination, source, now_)) schedule(out.bytes, source, *inside);
    }

    void route_from_server(const Outgoing& out) {
        const Endpoint d{*out.destination.v4()};
        Nat* target = nat_of(d.addr);
        if (!target || target->dark) return;
        if (auto inside = target->inbound(d, server_endpoint(), now_))
            schedule(out.bytes, server_endpoint(), *inside);
    }

    // To the host and socket that own `inside`.
    void schedule(const stun::Bytes& bytes, Endpoint source, Endpoint inside) {
        int to = local_host(inside);
        if (to < 0) return;
        auto socket = static_cast<std::size_t>(inside.port - host(to).local.port);
        schedule(bytes, source, to, socket);
    }

    void schedule(const stun::Bytes& bytes, Endpoint source, int to, std::size_t socket = 0) {
        if (to >= 0 && should_drop(bytes, to)) return;
        queue_.push_back({now_ + milliseconds(1), bytes, source, to, socket});
    }

    bool should_drop(const stun::Bytes& bytes, int to) {
        auto m = stun::decode(bytes).message;
        for (auto it = drops_.begin(); it != drops_.end(); ++it) {
            if (m && m->method == it->method && m->cls == it->cls && it->to == to) {
                drops_.erase(it);
                return true;
            }
        }
        return false;
    }

    void deliver_due() {
        while (!queue_.empty() && queue_.front().due <= now_) {
            InFlight f = std::move(queue_.front());
            queue_.pop_front();
            if (f.to < 0) {
                for (const auto& d : server_.handle(f.bytes, f.source, now_).datagrams) route_from_server(d);
            } else {
                Host& h = hosts_[static_cast<std::size_t>(f.to)];
                emit(f.to, h.session->on_datagram(f.bytes, f.source, now_, f.socket));
                h.due = std::min(h.due, h.session->next_tick(now_));
            }
        }
    }

    // The host one of whose sockets is `e`.
    int local_host(Endpoint e) const {
        for (std::size_t i = 0; i < hosts_.size(); ++i) {
            const Host& h = hosts_[i];
            if (h.local.addr == e.addr && e.port >= h.local.port &&
                e.port < h.local.port + h.session->sockets())
                return static_cast<int>(i);
        }
        return -1;
    }

    Nat* nat_of(Ipv4 ip) const {
        for (const auto& n : nats_)
            if (n->ip == ip) return n.get();
        return nullptr;
    }

    TimePoint now_{};
    RendezvousServer server_{seeded_random(99)};
    std::vector<std::unique_ptr<Nat>> nats_;
    std::vector<Host> hosts_;
    std::deque<InFlight> queue_;
    std::vector<DropRule> drops_;
    std::vector<std::pair<TimePoint, std::function<void()>>> changes_;
};

constexpr auto EI = Behaviour::endpoint_independent;
constexpr auto APD = Behaviour::address_and_port_dependent;

// ---- the punch, per NAT combination ----------------------------------------

struct PunchRow {
    const char* what;
    Behaviour alice_mapping, alice_filtering;
    Behaviour bob_mapping, bob_filtering;
    bool same_nat;
    bool connected;
    const char* alice_path;  // alice connects to bob and controls
    const char* bob_path;
};

void PrintTo(const PunchRow& row, std::ostream* os) {
    *os << row.what;
}

class PunchTable : public ::testing::TestWithParam<PunchRow> {};

TEST_P(PunchTable, ConnectsAsExpected) {
    const PunchRow& row = GetParam();
    MiniLab lab;
    Nat& a = lab.add_nat("198.18.1.1", row.alice_mapping, row.alice_filtering);
    Nat& b = row.same_nat ? a : lab.add_nat("198.18.2.1", row.bob_mapping, row.bob_filtering);
    PeerSession& bob = lab.add_peer(b, row.same_nat ? "10.0.1.3:5000" : "10.0.2.3:5000", "bob", std::nullopt);
    PeerSession& alice = lab.add_peer(a, "10.0.1.2:4000", "alice", "bob");
    lab.run();
    PeerResult ra = alice.result(), rb = bob.result();
    ASSERT_EQ(ra.connected, row.connected) << ra.reason;
    ASSERT_EQ(rb.connected, row.connected) << rb.reason;
    if (!row.connected) {
        EXPECT_EQ(ra.reason, "no candidate answered");
        for (const PeerResult& r : {ra, rb}) {  // the server relayed instead
            EXPECT_TRUE(r.relayed);
            EXPECT_EQ(r.acked, 5u);
            EXPECT_EQ(r.received, 5u);
        }
        return;
    }
    EXPECT_EQ(to_string(ra.path), row.alice_path);
    EXPECT_EQ(to_string(rb.path), row.bob_path);
    for (const PeerResult& r : {ra, rb}) {
        EXPECT_EQ(r.sent, 5u);
        EXPECT_EQ(r.acked, 5u);
        EXPECT_EQ(r.received, 5u);
        EXPECT_TRUE(r.rtt);
    }
}

INSTANTIATE_TEST_SUITE_P(
    Peer, PunchTable,
    ::testing::Values(
        //          alice map/filter  bob map/filter  same  conn   alice path     bob path
        PunchRow{"same NAT, no hairpin", EI, APD, EI, APD, true, true, "local", "local"},
        PunchRow{"two full-cone", EI, EI, EI, EI, false, true, "public", "public"},
        PunchRow{"two port-restricted", EI, APD, EI, APD, false, true, "public", "public"},
        PunchRow{"symmetric to full-cone", APD, APD, EI, EI, false, true, "public", "peer-reflexive"},
        PunchRow{"full-cone to symmetric", EI, EI, APD, APD, false, true, "peer-reflexive", "public"},
        PunchRow{"symmetric to symmetric", APD, APD, APD, APD, false, false, "", ""},
        PunchRow{"port-restricted to symmetric", EI, APD, APD, APD, false, false, "", ""}),
    [](const auto& info) {
        std::string name = info.param.what;
        for (char& c : name)
            if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
        return name;
    });

// ---- events and timing ----------------------------------------------------

TEST(PeerSession, EventsInOrderAndLocalPathIsQuick) {
    MiniLab lab;
    Nat& nat = lab.add_nat("198.18.1.1", EI, APD);
    lab.add_peer(nat, "10.0.1.3:5000", "bob", std::nullopt);
    PeerSession& alice = lab.add_peer(nat, "10.0.1.2:4000", "alice", "bob");
    lab.run();
    const std::vector<PeerEvent> want = {PeerEvent::registered, PeerEvent::introduced, PeerEvent::connected,
                                         PeerEvent::lingering, PeerEvent::finished};
    EXPECT_EQ(lab.host(1).events, want);
    EXPECT_EQ(lab.host(0).events, want);
    PeerResult r = alice.result();
    EXPECT_EQ(r.remote, ep("10.0.1.3:5000"));
    EXPECT_EQ(r.public_endpoint, ep("198.18.1.1:40001"));
    EXPECT_LT(*r.time_to_connect, milliseconds(30));  // local: nominated on first answer
    EXPECT_EQ(*r.rtt, milliseconds(2));               // 1 ms each way
}

TEST(PeerSession, LostIntroductionIsRepeated) {
    MiniLab lab;
    Nat& nat = lab.add_nat("198.18.1.1", EI, APD);
    PeerSession& bob = lab.add_peer(nat, "10.0.1.3:5000", "bob", std::nullopt);
    lab.add_peer(nat, "10.0.1.2:4000", "alice", "bob");
    lab.drop_once(proto::method::introduce, stun::Class::indication, 0);  // bob's copy
    lab.run();
    EXPECT_TRUE(bob.result().connected) << bob.result().reason;
}

// Lost Data and lost acknowledgements are retransmitted (every 100 ms);
// 200 messages pass through the 32-message window.
TEST(PeerSession, DataSurvivesLossAndFillsTheWindow) {
    MiniLab lab;
    Nat& nat = lab.add_nat("198.18.1.1", EI, APD);
    PeerSession& bob = lab.add_peer(nat, "10.0.1.3:5000", "bob", std::nullopt, 200);
    PeerSession& alice = lab.add_peer(nat, "10.0.1.2:4000", "alice", "bob", 200);
    lab.drop_once(proto::method::data, stun::Class::request, 0);  // alice's first Data to bob
    lab.drop_once(proto::method::data, stun::Class::success, 1);  // bob's first ack to alice
    lab.drop_once(proto::method::data, stun::Class::request, 1);  // bob's first Data to alice
    lab.run();
    for (const PeerResult& r : {alice.result(), bob.result()}) {
        EXPECT_TRUE(r.connected);
        EXPECT_EQ(r.sent, 200u);
        EXPECT_EQ(r.acked, 200u);
        EXPECT_EQ(r.received, 200u);
    }
}

// Bob's acknowledgements of alice's one message are lost, again and again,
// for longer than his linger: he stays while she still retransmits, and her
// message is acknowledged in the end.
TEST(PeerSession, LingerLastsWhileThePartnerRetransmits) {
    MiniLab lab;
    Nat& nat = lab.add_nat("198.18.1.1", EI, APD);
    PeerSession& bob = lab.add_peer(nat, "10.0.1.3:5000", "bob", std::nullopt, 1);
    PeerSession& alice = lab.add_peer(nat, "10.0.1.2:4000", "alice", "bob", 1);
    for (int i = 0; i < 8; ++i) lab.drop_once(proto::method::data, stun::Class::success, 1);  // to alice
    lab.run();
    EXPECT_EQ(alice.result().acked, 1u) << alice.result().reason;
    EXPECT_EQ(bob.result().received, 1u);
    EXPECT_GE(alice.result().retransmissions, 8u);
}

// Each lost datagram costs one retransmission, and the result counts it:
// alice lost one Data request and one acknowledgement, bob one Data request.
TEST(PeerSession, LossIsCountedAsRetransmissions) {
    MiniLab lab;
    Nat& nat = lab.add_nat("198.18.1.1", EI, APD);
    PeerSession& bob = lab.add_peer(nat, "10.0.1.3:5000", "bob", std::nullopt, 20);
    PeerSession& alice = lab.add_peer(nat, "10.0.1.2:4000", "alice", "bob", 20);
    lab.drop_once(proto::method::data, stun::Class::request, 0);  // alice's first Data to bob
    lab.drop_once(proto::method::data, stun::Class::success, 1);  // bob's first ack to alice
    lab.drop_once(proto::method::data, stun::Class::request, 1);  // bob's first Data to alice
    lab.run();
    PeerResult ra = alice.result(), rb = bob.result();
    EXPECT_EQ(ra.retransmissions, 2u);
    EXPECT_EQ(ra.transmissions, 22u);
    EXPECT_EQ(rb.retransmissions, 1u);
    EXPECT_EQ(rb.transmissions, 21u);
}

// Round trips: every acknowledgement of a Data sent once is a sample (1 ms
// per hop: 2 ms each); a retransmitted one is not (which copy was answered?).
TEST(PeerSession, RoundTripStatisticsCoverThePath) {
    MiniLab lab;
    Nat& nat = lab.add_nat("198.18.1.1", EI, APD);
    lab.add_peer(nat, "10.0.1.3:5000", "bob", std::nullopt, 10);
    PeerSession& alice = lab.add_peer(nat, "10.0.1.2:4000", "alice", "bob", 10);
    lab.drop_once(proto::method::data, stun::Class::request, 0);
    lab.run();
    const RttStats& s = alice.result().rtt_stats;
    EXPECT_EQ(s.count, 1u + 9u);  // the nominated candidate's probe, then 9 of the 10 Data
    EXPECT_EQ(s.min, milliseconds(2));
    EXPECT_EQ(s.max, milliseconds(2));
    EXPECT_EQ(*s.median(), milliseconds(2));
    EXPECT_EQ(*s.mean(), milliseconds(2));
}

// --bytes 2500 with --size 1000: three messages of 1000, 1000 and 500 bytes.
TEST(PeerSession, ByteCountIsSplitIntoMessages) {
    MiniLab lab;
    Nat& nat = lab.add_nat("198.18.1.1", EI, APD);
    auto bytes = [](PeerConfig& c) {
        c.message_size = 1000;
        c.bytes = 2500;
        c.messages = 3;
    };
    PeerSession& bob = lab.add_peer(nat, "10.0.1.3:5000", "bob", std::nullopt, 3, bytes);
    PeerSession& alice = lab.add_peer(nat, "10.0.1.2:4000", "alice", "bob", 3, bytes);
    lab.run();
    for (const PeerResult& r : {alice.result(), bob.result()}) {
        EXPECT_EQ(r.acked, 3u);
        EXPECT_EQ(r.bytes_sent, 2500u);
        EXPECT_EQ(r.bytes_acked, 2500u);
        EXPECT_EQ(r.bytes_received, 2500u);
    }
}

// Two port-restricted NATs: the public path is the best there is, so the
// controlling side nominates it a few round trips after its first success,
// not after the whole 150 ms grace. With 1 ms per hop: introduction to
// connected well under 20 ms on both sides.
TEST(PeerSession, PublicPathIsNominatedWithinAFewRoundTrips) {
    MiniLab lab;
    Nat& a = lab.add_nat("198.18.1.1", EI, APD);
    Nat& b = lab.add_nat("198.18.2.1", EI, APD);
    PeerSession& bob = lab.add_peer(b, "10.0.2.3:5000", "bob", std::nullopt);
    PeerSession& alice = lab.add_peer(a, "10.0.1.2:4000", "alice", "bob");
    lab.run();
    for (const PeerResult& r : {alice.result(), bob.result()}) {
        ASSERT_TRUE(r.connected) << r.reason;
        EXPECT_EQ(to_string(r.path), "public");
        EXPECT_LT(*r.introduction_to_connect, milliseconds(20));
    }
}

TEST(PeerSession, PartnerNeverRegistersMeansNotIntroduced) {
    MiniLab lab;
    Nat& nat = lab.add_nat("198.18.1.1", EI, APD);
    PeerSession& alice = lab.add_peer(nat, "10.0.1.2:4000", "alice", "bob");
    lab.run();
    EXPECT_TRUE(alice.finished());
    EXPECT_FALSE(alice.result().connected);
    EXPECT_EQ(alice.result().reason, "not introduced");
    EXPECT_EQ(lab.now() - TimePoint{}, seconds(10) + milliseconds(1));  // default --timeout
}

// A peer waiting to be introduced sleeps between its register refreshes
// (at most kIdleTick at a time): a swarm of idle peers costs the machine
// little. Once punching it ticks every kBusyTick again.
TEST(PeerSession, WaitingPeerWakesAFewTimesASecond) {
    MiniLab lab;
    Nat& nat = lab.add_nat("198.18.1.1", EI, APD);
    lab.add_peer(nat, "10.0.1.3:5000", "bob", std::nullopt, 5,
                 [](PeerConfig& c) { c.timeout = seconds(10); });
    lab.run(seconds(5));
    EXPECT_EQ(lab.host(0).events, std::vector<PeerEvent>{PeerEvent::registered});
    EXPECT_GE(lab.host(0).ticks, 20u);  // 5 s of at most 250 ms sleeps
    EXPECT_LE(lab.host(0).ticks, 25u);  // not 1,000 ticks of 5 ms
}

TEST(PeerSession, NoServerMeansNotRegistered) {
    PeerConfig c;
    c.name = "alice";
    c.server = ep("198.18.0.1:3478");
    c.timeout = seconds(1);
    PeerSession alice(c, seeded_random(1), TimePoint{});
    std::size_t registers = 0;
    for (auto t = TimePoint{}; !alice.finished(); t += milliseconds(1))
        registers += alice.on_tick(t).datagrams.size();
    EXPECT_EQ(registers, 5u);  // every 200 ms: 0, 200, 400, 600, 800
    EXPECT_EQ(alice.result().reason, "not registered");
}

// ---- probes that must be ignored ------------------------------------------

// Alice, introduced to bob by a real server core, with her outgoing probes.
struct IntroducedAlice {
    std::unique_ptr<PeerSession> alice;
    std::vector<Outgoing> probes;
    proto::Token token{};
};

IntroducedAlice introduce_alice() {
    const Endpoint server = ep("198.18.0.1:3478");
    const Endpoint alice_ep = ep("198.18.1.1:40000"), bob_ep = ep("198.18.2.1:50000");
    RendezvousServer core(seeded_random(7));
    PeerConfig c;
    c.name = "alice";
    c.partner = "bob";
    c.server = server;
    IntroducedAlice out{std::make_unique<PeerSession>(c, seeded_random(1), TimePoint{}), {}, {}};
    auto to_server = [&](const PeerOutput& o, Endpoint from) {
        for (const auto& d : o.datagrams)
            for (const auto& reply : core.handle(d.bytes, from, TimePoint{}).datagrams)
                if (reply.destination == alice_ep)
                    for (const auto& p : out.alice->on_datagram(reply.bytes, server, TimePoint{}).datagrams)
                        out.probes.push_back(p);
    };
    auto bob_register = proto::build(proto::RegisterRequest{"bob", {}}, stun::TransactionId{});
    core.handle(proto::to_wire(bob_register), bob_ep, TimePoint{});
    to_server(out.alice->on_tick(TimePoint{}), alice_ep);                    // Register
    to_server(out.alice->on_tick(TimePoint{} + milliseconds(5)), alice_ep);  // Connect
    EXPECT_EQ(out.alice->phase(), PeerPhase::punching);
    out.token = out.alice->introduction()->token;
    return out;
}

TEST(PeerSession, ProbeWithWrongTokenIsIgnored) {
    auto lab = introduce_alice();
    proto::Token wrong = lab.token;
    wrong[0] ^= std::byte{1};
    auto probe = proto::build(proto::ProbeRequest{"bob", wrong, true}, stun::TransactionId{});
    auto before = lab.alice->dropped();
    auto out =
        lab.alice->on_datagram(proto::to_wire(probe), ep("198.18.2.1:50000"), TimePoint{} + milliseconds(6));
    EXPECT_TRUE(out.datagrams.empty());
    EXPECT_EQ(lab.alice->dropped(), before + 1);
    EXPECT_EQ(lab.alice->phase(), PeerPhase::punching);   // USE-CANDIDATE did not select
    EXPECT_EQ(lab.alice->candidates().all().size(), 1u);  // and taught no candidate
}

TEST(PeerSession, OwnProbeLoopingBackIsIgnored) {
    auto lab = introduce_alice();
    ASSERT_FALSE(lab.probes.empty());
    auto own = lab.probes.front();  // a Probe alice sent, carrying her name and the token
    auto out = lab.alice->on_datagram(own.bytes, ep("198.18.1.1:40000"), TimePoint{} + milliseconds(6));
    EXPECT_TRUE(out.datagrams.empty());
    EXPECT_NE(out.dropped.find("alice"), std::string::npos) << out.dropped;
}

TEST(PeerSession, ValidProbeIsAnsweredToItsSource) {
    auto lab = introduce_alice();
    auto probe = proto::build(proto::ProbeRequest{"bob", lab.token, false}, stun::TransactionId{});
    const Endpoint prflx = ep("198.18.2.1:50007");  // not bob's registered endpoint
    auto out = lab.alice->on_datagram(proto::to_wire(probe), prflx, TimePoint{} + milliseconds(6));
    ASSERT_EQ(out.datagrams.size(), 2u);
    // 1: the answer, to where the probe came from, saying what that was.
    EXPECT_EQ(out.datagrams[0].destination, prflx);
    auto answer = proto::parse_probe_answer(*stun::decode(out.datagrams[0].bytes).message);
    ASSERT_TRUE(answer);
    EXPECT_EQ(answer->observed, prflx);
    // 2: a triggered probe of the new peer-reflexive candidate.
    EXPECT_EQ(out.datagrams[1].destination, prflx);
    EXPECT_TRUE(proto::parse_probe(*stun::decode(out.datagrams[1].bytes).message));
    ASSERT_TRUE(lab.alice->candidates().find(prflx));
    EXPECT_EQ(lab.alice->candidates().find(prflx)->kind, CandidateKind::peer_reflexive);
}

TEST(PeerSession, GarbageIsDroppedNotFatal) {
    auto lab = introduce_alice();
    std::mt19937 rng(5);
    for (int i = 0; i < 2000; ++i) {
        stun::Bytes junk(rng() % 200);
        for (auto& b : junk) b = static_cast<std::byte>(rng());
        auto out = lab.alice->on_datagram(junk, ep("198.18.2.1:50000"), TimePoint{});
        EXPECT_TRUE(out.datagrams.empty());
    }
    EXPECT_EQ(lab.alice->phase(), PeerPhase::punching);
}

// ---- relay fallback -------------------------------------------------------

bool has(const std::vector<PeerEvent>& events, PeerEvent e) {
    return std::find(events.begin(), events.end(), e) != events.end();
}

TEST(PeerRelay, SymmetricPairRelaysAfterThePunchTimeout) {
    for (bool relay : {true, false}) {
        MiniLab lab;
        Nat& a = lab.add_nat("198.18.1.1", APD, APD);
        Nat& b = lab.add_nat("198.18.2.1", APD, APD);
        auto options = [&](PeerConfig& c) {
            c.relay = relay;
            c.punch_timeout = seconds(2);
        };
        PeerSession& bob = lab.add_peer(b, "10.0.2.3:5000", "bob", std::nullopt, 5, options);
        PeerSession& alice = lab.add_peer(a, "10.0.1.2:4000", "alice", "bob", 5, options);
        lab.run(seconds(20));
        for (const PeerSession* s : {&alice, &bob}) {
            PeerResult r = s->result();
            EXPECT_FALSE(r.connected) << relay;
            EXPECT_EQ(r.reason, "no candidate answered") << relay;
            EXPECT_EQ(r.relayed, relay);
            EXPECT_EQ(r.acked, relay ? 5u : 0u);
            EXPECT_EQ(r.received, relay ? 5u : 0u);
            if (relay) {
                EXPECT_EQ(r.remote, MiniLab::server_endpoint());
            }
        }
        EXPECT_EQ(has(lab.host(1).events, PeerEvent::relaying), relay);
        EXPECT_EQ(lab.server().counters().relayed > 0, relay);
    }
}

// Full-size messages (1200 DATA bytes, the most --size allows) fit a Relay
// whole; the relay's time to connect is when it was taken (the 2 s punch
// timeout after the introduction).
TEST(PeerRelay, FullSizeMessagesGoThroughTheRelay) {
    MiniLab lab;
    Nat& a = lab.add_nat("198.18.1.1", APD, APD);
    Nat& b = lab.add_nat("198.18.2.1", APD, APD);
    auto options = [](PeerConfig& c) {
        c.punch_timeout = seconds(2);
        c.message_size = proto::kMaxDataBytes;
        c.bytes = 4 * proto::kMaxDataBytes;
        c.messages = 4;
    };
    PeerSession& bob = lab.add_peer(b, "10.0.2.3:5000", "bob", std::nullopt, 4, options);
    PeerSession& alice = lab.add_peer(a, "10.0.1.2:4000", "alice", "bob", 4, options);
    lab.run(seconds(20));
    for (const PeerSession* s : {&alice, &bob}) {
        PeerResult r = s->result();
        EXPECT_TRUE(r.relayed);
        EXPECT_EQ(r.bytes_acked, 4800u);
        EXPECT_EQ(r.bytes_received, 4800u);
        ASSERT_TRUE(r.introduction_to_connect);
        EXPECT_GE(*r.introduction_to_connect, seconds(2));
        EXPECT_LT(*r.introduction_to_connect, milliseconds(2100));
    }
}

// The partner's relayed Data switches a peer to the relay at once.
TEST(PeerRelay, RelayedDataFromThePartnerIsFollowed) {
    MiniLab lab;
    Nat& a = lab.add_nat("198.18.1.1", APD, APD);
    Nat& b = lab.add_nat("198.18.2.1", APD, APD);
    PeerSession& bob = lab.add_peer(b, "10.0.2.3:5000", "bob", std::nullopt, 5,
                                    [](PeerConfig& c) { c.punch_timeout = seconds(8); });
    PeerSession& alice = lab.add_peer(a, "10.0.1.2:4000", "alice", "bob", 5,
                                      [](PeerConfig& c) { c.punch_timeout = seconds(1); });
    lab.run(seconds(6));
    EXPECT_TRUE(alice.result().relayed);
    EXPECT_TRUE(bob.result().relayed);  // long before its own 8 s deadline
    EXPECT_EQ(bob.result().acked, 5u);
}

TEST(PeerRelay, RelayNotFromThePartnersSessionIsDropped) {
    auto lab = introduce_alice();
    const Endpoint server = ep("198.18.0.1:3478");
    auto data = proto::to_wire(
        proto::build(proto::DataRequest{lab.token, 1, stun::to_bytes("x")}, stun::TransactionId{}));
    auto probe =
        proto::to_wire(proto::build(proto::ProbeRequest{"bob", lab.token, true}, stun::TransactionId{}));
    proto::Token wrong = lab.token;
    wrong[3] ^= std::byte{1};
    struct Row {
        const char* what;
        proto::Relay relay;
        Endpoint from;
    };
    const Row rows[] = {
        {"wrong token", {wrong, "bob", data}, server},
        {"wrong sender name", {lab.token, "mallory", data}, server},
        {"not from the server", {lab.token, "bob", data}, ep("198.18.2.1:50000")},
        {"a relayed Probe", {lab.token, "bob", probe}, server},
    };
    for (const auto& r : rows) {
        auto out = lab.alice->on_datagram(proto::to_wire(proto::build(r.relay, stun::TransactionId{})),
                                          r.from, TimePoint{} + milliseconds(6));
        EXPECT_TRUE(out.datagrams.empty()) << r.what;
        EXPECT_FALSE(out.dropped.empty()) << r.what;
    }
    EXPECT_FALSE(lab.alice->relaying());
    EXPECT_EQ(lab.alice->result().received, 0u);
}

// ---- keepalive, lost path, re-punch ----------------------------------------

struct KeepaliveRow {
    const char* what;
    int keepalive_s;
    bool path_lost;
};

void PrintTo(const KeepaliveRow& row, std::ostream* os) {
    *os << row.what;
}

class KeepaliveTable : public ::testing::TestWithParam<KeepaliveRow> {};

// Two port-restricted NATs forgetting idle mappings after 5 s; the peers
// hold the path 30 s after their data.
TEST_P(KeepaliveTable, KeepaliveAgainstMappingTimeout) {
    const KeepaliveRow& row = GetParam();
    MiniLab lab;
    Nat& a = lab.add_nat("198.18.1.1", EI, APD);
    Nat& b = lab.add_nat("198.18.2.1", EI, APD);
    a.timeout = b.timeout = seconds(5);
    auto options = [&](PeerConfig& c) {
        c.keepalive = seconds(row.keepalive_s);
        c.hold = seconds(30);
    };
    PeerSession& bob = lab.add_peer(b, "10.0.2.3:5000", "bob", std::nullopt, 5, options);
    PeerSession& alice = lab.add_peer(a, "10.0.1.2:4000", "alice", "bob", 5, options);
    lab.run(seconds(45));
    for (int i = 0; i < 2; ++i) {
        const PeerSession& s = i == 0 ? bob : alice;
        PeerResult r = s.result();
        EXPECT_TRUE(s.finished());
        EXPECT_TRUE(r.connected);
        EXPECT_EQ(r.acked, 5u);
        EXPECT_GT(r.keepalives, 0u);
        EXPECT_EQ(r.paths_lost > 0, row.path_lost) << s.config().name;
        EXPECT_EQ(has(lab.host(i).events, PeerEvent::path_lost), row.path_lost) << s.config().name;
        if (row.path_lost) {
            EXPECT_GE(r.repunched, 1u) << s.config().name;  // punched again through the server
            EXPECT_FALSE(r.relayed);
        }
        EXPECT_TRUE(has(lab.host(i).events, PeerEvent::holding));
    }
}

INSTANTIATE_TEST_SUITE_P(Peer, KeepaliveTable,
                         ::testing::Values(KeepaliveRow{"keepalive_2s_under_timeout_5s", 2, false},
                                           KeepaliveRow{"keepalive_10s_over_timeout_5s", 10, true}),
                         [](const auto& info) { return std::string(info.param.what); });

// ---- the network changes under the peers: repunch time -----------------------

enum class Change { flush, reboot, outage, turns_symmetric };

struct ChangeRow {
    const char* what;
    Change change;
    Behaviour bob_filtering;
    Duration repunch_min, repunch_max;  // path-lost -> connected again, both peers
};

void PrintTo(const ChangeRow& row, std::ostream* os) {
    *os << row.what;
}

class ChangeTable : public ::testing::TestWithParam<ChangeRow> {};

// Two port-restricted NATs (bob's full-cone in one row); at 3 s alice's
// NAT forgets its mappings, or reboots with a new address, or goes dark
// for 6 s, or turns symmetric. Turning symmetric in front of a full cone
// loses the path one way only: alice's keepalives still reach bob from her
// new mapping and are answered, bob's go to the old one; bob asks for a
// new session and the introduction makes alice punch again too. Keepalives every
// second notice (3 unanswered: path-lost); both peers register again,
// are introduced again and punch again. The fake clock measures the time
// from path-lost to connected.
TEST_P(ChangeTable, PathIsPunchedAgainAfterTheChange) {
    const ChangeRow& row = GetParam();
    MiniLab lab;
    Nat& a = lab.add_nat("198.18.1.1", EI, APD);
    Nat& b = lab.add_nat("198.18.2.1", EI, row.bob_filtering);
    auto options = [](PeerConfig& c) {
        c.keepalive = seconds(1);
        c.hold = seconds(20);
    };
    PeerSession& bob = lab.add_peer(b, "10.0.2.3:5000", "bob", std::nullopt, 5, options);
    PeerSession& alice = lab.add_peer(a, "10.0.1.2:4000", "alice", "bob", 5, options);
    switch (row.change) {
        case Change::flush:
            lab.at(seconds(3), [&] { a.forget(); });
            break;
        case Change::reboot:
            lab.at(seconds(3), [&] {
                a.forget();
                a.ip = *Ipv4::parse("198.18.1.9");
            });
            break;
        case Change::outage:
            lab.at(seconds(3), [&] { a.dark = true; });
            lab.at(seconds(9), [&] { a.dark = false; });
            break;
        case Change::turns_symmetric:
            lab.at(seconds(3), [&] {
                a.forget();
                a.mapping = a.filtering = APD;
            });
            break;
    }
    lab.run(seconds(40));
    for (const PeerSession* s : {&alice, &bob}) {
        PeerResult r = s->result();
        EXPECT_TRUE(s->finished()) << s->config().name;
        EXPECT_GE(r.paths_lost, 1u) << s->config().name;
        EXPECT_GE(r.repunched, 1u) << s->config().name;
        EXPECT_FALSE(r.relayed) << s->config().name;
        ASSERT_EQ(r.repunch_times.size(), 1u) << s->config().name;
        EXPECT_GE(r.repunch_times[0], row.repunch_min) << s->config().name;
        EXPECT_LE(r.repunch_times[0], row.repunch_max) << s->config().name;
    }
    if (row.change == Change::reboot) {
        EXPECT_EQ(alice.public_endpoint()->v4()->addr, *Ipv4::parse("198.18.1.9"));
    }
}

INSTANTIATE_TEST_SUITE_P(
    Peer, ChangeTable,
    ::testing::Values(ChangeRow{"mappings_flushed", Change::flush, APD, milliseconds(1), milliseconds(500)},
                      ChangeRow{"nat_reboots_with_new_address", Change::reboot, APD, milliseconds(1),
                                milliseconds(500)},
                      // lost about 4 s after the outage began; back once it ends at 9 s
                      ChangeRow{"outage_of_6s", Change::outage, APD, milliseconds(2500), milliseconds(3500)},
                      ChangeRow{"nat_turns_symmetric_before_a_full_cone", Change::turns_symmetric, EI,
                                milliseconds(1), milliseconds(500)}),
    [](const auto& info) { return std::string(info.param.what); });

// ---- port prediction ----------------------------------------------------------

// Port-restricted meets symmetric: impossible without prediction (see the
// punch table); with it, alice's probes to the ports above bob's public one
// open her NAT for the mapping bob's NAT gives his probes to her.
TEST(PeerPrediction, PredictedPortBeatsSequentialSymmetricNat) {
    for (std::size_t predict : {0u, 4u}) {
        MiniLab lab;
        Nat& a = lab.add_nat("198.18.1.1", EI, APD);
        Nat& b = lab.add_nat("198.18.2.1", APD, APD);
        auto no_relay = [](PeerConfig& c) { c.relay = false; };
        PeerSession& bob = lab.add_peer(b, "10.0.2.3:5000", "bob", std::nullopt, 5, no_relay);
        PeerSession& alice = lab.add_peer(a, "10.0.1.2:4000", "alice", "bob", 5, [&](PeerConfig& c) {
            c.relay = false;
            c.predict_ports = predict;
        });
        lab.run();
        PeerResult ra = alice.result(), rb = bob.result();
        ASSERT_EQ(ra.connected, predict > 0) << ra.reason;
        if (!predict) continue;
        EXPECT_TRUE(ra.predicted);
        EXPECT_EQ(ra.remote, ep("198.18.2.1:40001"));  // bob's NAT: 40000 to the server, 40001 to alice
        EXPECT_EQ(to_string(ra.path), "peer-reflexive");
        EXPECT_EQ(to_string(rb.path), "public");
        EXPECT_FALSE(rb.predicted);
        EXPECT_EQ(rb.acked, 5u);
    }
}

// ---- birthday punch ----------------------------------------------------------

// Port-restricted (alice: one public port) against a symmetric NAT with
// random ports (bob): the "no" cell of the punch table. bob opens N
// mappings towards alice's public endpoint, alice guesses M of the 512
// ports bob's NAT draws from. With N = 64, M = 128 a miss has probability
// C(448,128)/C(512,128), about 1e-8: the guess lands, the pair connects on
// the birthday path, and each side's plan stays within its bounds.
struct BirthdayRow {
    const char* what;
    std::size_t bob_sockets, alice_probes;
    bool connected;
};

void PrintTo(const BirthdayRow& row, std::ostream* os) {
    *os << row.what;
}

class BirthdayTable : public ::testing::TestWithParam<BirthdayRow> {};

TEST_P(BirthdayTable, GuessedPortBecomesThePath) {
    const BirthdayRow& row = GetParam();
    MiniLab lab;
    Nat& a = lab.add_nat("198.18.1.1", EI, APD);
    Nat& b = lab.add_nat("198.18.2.1", APD, APD);
    b.next_port = 20000;
    b.random_ports = 512;
    auto birthday = [](std::size_t n, std::size_t m) {
        return [n, m](PeerConfig& c) {
            c.relay = false;
            c.timeout = seconds(4);
            if (n == 0) return;
            c.birthday = BirthdayConfig{n, m, 20000, 20511, 2000};
        };
    };
    PeerSession& bob = lab.add_peer(b, "10.0.2.3:5000", "bob", std::nullopt, 5, birthday(row.bob_sockets, 0));
    PeerSession& alice = lab.add_peer(a, "10.0.1.2:4000", "alice", "bob", 5,
                                      birthday(row.bob_sockets ? 1 : 0, row.alice_probes));
    lab.run(seconds(6));
    PeerResult ra = alice.result(), rb = bob.result();
    ASSERT_EQ(ra.connected, row.connected) << ra.reason;
    ASSERT_EQ(rb.connected, row.connected) << rb.reason;
    if (!row.connected) return;
    EXPECT_EQ(to_string(ra.path), "birthday");
    EXPECT_EQ(to_string(rb.path), "birthday");
    EXPECT_EQ(ra.remote->v4()->addr, *Ipv4::parse("198.18.2.1"));  // one of bob's random ports
    EXPECT_GE(ra.remote->port(), 20000);
    EXPECT_LE(ra.remote->port(), 20511);
    EXPECT_EQ(rb.remote, ep("198.18.1.1:40000"));  // alice's one public port
    EXPECT_EQ(ra.acked, 5u);
    EXPECT_EQ(rb.acked, 5u);
    ASSERT_TRUE(ra.birthday && rb.birthday);
    EXPECT_EQ(rb.birthday->sent, row.bob_sockets - 1);  // openers only: M = 0
    EXPECT_LE(ra.birthday->sent, row.alice_probes);     // the spray stops once nominated
    EXPECT_TRUE(ra.birthday->hit_after);
    EXPECT_TRUE(rb.birthday->hit_after);
    EXPECT_GE(*ra.birthday->hit_after, milliseconds(500));  // the spray waits for the openers
}

INSTANTIATE_TEST_SUITE_P(Peer, BirthdayTable,
                         ::testing::Values(
                             //           what                 bob N  alice M  connected
                             BirthdayRow{"without_birthday", 0, 0, false},
                             BirthdayRow{"64_sockets_128_probes", 64, 128, true},
                             BirthdayRow{"256_sockets_64_probes", 256, 64, true}),
                         [](const auto& info) { return std::string(info.param.what); });

// The rate cap holds on the wire: bob's 400 openers at 1000 per second
// take 0.4 s, never more than one tick's worth at once.
TEST(PeerBirthday, OpenersKeepToTheRate) {
    MiniLab lab;
    Nat& a = lab.add_nat("198.18.1.1", EI, APD);
    Nat& b = lab.add_nat("198.18.2.1", APD, APD);
    auto quiet = [](PeerConfig& c) {
        c.relay = false;
        c.timeout = milliseconds(800);
    };
    PeerSession& bob = lab.add_peer(b, "10.0.2.3:5000", "bob", std::nullopt, 5, [&](PeerConfig& c) {
        quiet(c);
        c.birthday = BirthdayConfig{401, 0, 1024, 65535, 1000};
    });
    lab.add_peer(a, "10.0.1.2:4000", "alice", "bob", 5, quiet);
    lab.run(milliseconds(300));
    ASSERT_EQ(bob.phase(), PeerPhase::punching);
    std::size_t at_300ms = bob.result().birthday->sent;
    EXPECT_GT(at_300ms, 150u);  // introduced within a few ms; 1000/s since
    EXPECT_LE(at_300ms, 301u);
    lab.run(seconds(1));
    EXPECT_EQ(bob.result().birthday->sent, 400u);  // sockets 1..400, each once
    EXPECT_FALSE(bob.result().connected);
}

// Two symmetric NATs with random ports from 256: each side guesses 240
// ports from its one socket. A hit needs a pair of guesses naming each
// other's external ports, P about 1 - exp(-(240/256)^2) = 0.58 per try;
// over eight NAT seeds some connect (on the birthday path, both sides) and
// some do not, and none without the birthday punch.
TEST(PeerBirthday, TwoSymmetricNatsMeetOnlySometimes) {
    int connected = 0;
    for (unsigned seed = 1; seed <= 8; ++seed) {
        MiniLab lab;
        Nat& a = lab.add_nat("198.18.1.1", APD, APD);
        Nat& b = lab.add_nat("198.18.2.1", APD, APD);
        for (Nat* n : {&a, &b}) {
            n->next_port = 20000;
            n->random_ports = 256;
        }
        a.rng.seed(seed);
        b.rng.seed(seed + 100);
        auto spray = [](PeerConfig& c) {
            c.relay = false;
            c.timeout = seconds(3);
            c.birthday = BirthdayConfig{1, 240, 20000, 20255, 2000};
        };
        PeerSession& bob = lab.add_peer(b, "10.0.2.3:5000", "bob", std::nullopt, 5, spray);
        PeerSession& alice = lab.add_peer(a, "10.0.1.2:4000", "alice", "bob", 5, spray);
        lab.run(seconds(5));
        PeerResult ra = alice.result(), rb = bob.result();
        ASSERT_EQ(ra.connected, rb.connected) << "seed " << seed;
        if (!ra.connected) continue;
        ++connected;
        EXPECT_EQ(to_string(ra.path), "birthday") << "seed " << seed;
        EXPECT_EQ(to_string(rb.path), "birthday") << "seed " << seed;
        EXPECT_EQ(ra.acked, 5u);
    }
    EXPECT_GE(connected, 1);
    EXPECT_LE(connected, 7);
}

// ---- ownership ------------------------------------------------------------------

TEST(PeerOwnership, ATakenNameIsTheReason) {
    MiniLab lab;
    Nat& a = lab.add_nat("198.18.1.1", EI, APD);
    Nat& b = lab.add_nat("198.18.2.1", EI, APD);
    lab.add_peer(a, "10.0.1.2:4000", "alice", std::nullopt);
    PeerSession& impostor =
        lab.add_peer(b, "10.0.2.3:5000", "alice", "bob", 5, [](PeerConfig& c) { c.timeout = seconds(2); });
    lab.run(seconds(3));
    EXPECT_TRUE(impostor.finished());
    EXPECT_EQ(impostor.result().reason, "name taken");
    EXPECT_GE(lab.server().counters().name_conflicts, 5u);
}

// ---- List -----------------------------------------------------------------------

// 40 peers in a room, 3 in another: --list pages through its own room.
TEST(PeerList, ListsTheWholeRoomPageByPage) {
    MiniLab lab;
    Nat& nat = lab.add_nat("198.18.1.1", EI, EI);
    for (int i = 0; i < 43; ++i) {
        std::string local = "10.0.1." + std::to_string(10 + i) + ":5000";
        lab.add_peer(nat, local, "peer" + std::to_string(100 + i), std::nullopt, 5, [&](PeerConfig& c) {
            c.group = i < 40 ? "lab" : "other";
            c.timeout = seconds(3);
        });
    }
    PeerSession& lister = lab.add_peer(nat, "10.0.1.2:4000", "zoe", std::nullopt, 5, [](PeerConfig& c) {
        c.group = "lab";
        c.list = true;
        c.timers.register_retry = milliseconds(500);  // register after the others
    });
    lab.run(seconds(4));
    ASSERT_TRUE(lister.list_complete());
    EXPECT_EQ(lister.listed().size(), 40u);  // three pages of at most 16
    EXPECT_TRUE(std::is_sorted(lister.listed().begin(), lister.listed().end()));
    EXPECT_EQ(lister.result().reason, "listed");
    EXPECT_TRUE(has(lab.host(43).events, PeerEvent::listed));
    EXPECT_EQ(lab.server().counters().lists, 3u);
}

// ---- dual stack --------------------------------------------------------------
//
// DualLab: hosts straight on a dual-stack internet (no NAT, no firewall),
// each with an IPv4 address and, if it has one, an IPv6 address; the
// server at 198.18.0.1:3478 and [2001:2::1]:3478. A datagram leaves from
// the host's address of the destination's family. Between peers, a family
// can be blackholed (everything of it lost) or slowed (a one-way delay
// other than 1 ms); the server is always reachable.
namespace dual {

const IpEndpoint kServer4 = *IpEndpoint::parse("198.18.0.1:3478");
const IpEndpoint kServer6 = *IpEndpoint::parse("[2001:2::1]:3478");

IpEndpoint ip(std::string_view text) {
    return *IpEndpoint::parse(text);
}

struct Host {
    IpEndpoint v4;
    std::optional<IpEndpoint> v6;
    std::unique_ptr<PeerSession> session;
    TimePoint due{};
};

struct Datagram {
    stun::Bytes bytes;
    IpEndpoint source, destination;
};

class DualLab {
public:
    std::set<Family> blackholed;
    std::set<Family> server_blackholed;  // the server is never reached over these
    std::map<Family, Duration> delay;    // between peers; 1 ms when absent

    // A peer at `v4` (and `v6`); `both` registers over IPv6 too, `report`
    // names the IPv6 address among its local endpoints.
    PeerSession& add_peer(std::string_view v4, std::optional<std::string_view> v6, std::string name,
                          std::optional<std::string> partner, bool both = true, bool report = true) {
        PeerConfig c;
        c.name = std::move(name);
        c.partner = std::move(partner);
        c.server = kServer4;
        if (v6 && both) c.other_servers = {kServer6};
        c.local_endpoints = {ip(v4)};
        if (v6 && report) c.local_endpoints.push_back(ip(*v6));
        c.messages = 3;
        auto seed = static_cast<unsigned>(hosts_.size() + 11);
        std::optional<IpEndpoint> six;
        if (v6) six = ip(*v6);
        hosts_.push_back({ip(v4), six, std::make_unique<PeerSession>(c, seeded_random(seed), now_)});
        return *hosts_.back().session;
    }

    void run(Duration limit = seconds(15)) {
        for (TimePoint end = now_ + limit; now_ < end && !finished(); now_ += milliseconds(1)) {
            deliver_due();
            for (std::size_t i = 0; i < hosts_.size(); ++i) {
                if (now_ < hosts_[i].due) continue;
                emit(i, hosts_[i].session->on_tick(now_));
                hosts_[i].due = hosts_[i].session->next_tick(now_);
            }
        }
    }

    RendezvousServer& server() { return server_; }

private:
    bool finished() const {
        return std::all_of(hosts_.begin(), hosts_.end(), [](const Host& h) { return h.session->finished(); });
    }

    void emit(std::size_t from, const PeerOutput& out) {
        const Host& h = hosts_[from];
        for (const auto& d : out.datagrams) {
            auto source = d.destination.v4() ? std::optional(h.v4) : h.v6;
            if (!source) continue;  // no address of that family
            bool to_server = d.destination == kServer4 || d.destination == kServer6;
            Family family = d.destination.family();
            if (!to_server && blackholed.count(family)) continue;
            if (to_server && server_blackholed.count(family)) continue;
            Duration hop = to_server || !delay.count(family) ? milliseconds(1) : delay[family];
            queue_.emplace(now_ + hop, Datagram{d.bytes, *source, d.destination});
        }
    }

    void deliver_due() {
        while (!queue_.empty() && queue_.begin()->first <= now_) {
            Datagram d = std::move(queue_.begin()->second);
            queue_.erase(queue_.begin());
            if (d.destination == kServer4 || d.destination == kServer6) {
                for (const auto& out : server_.handle(d.bytes, d.source, d.destination, now_).datagrams)
                    queue_.emplace(now_ + milliseconds(1),
                                   Datagram{out.bytes, d.destination, out.destination});
                continue;
            }
            for (std::size_t i = 0; i < hosts_.size(); ++i) {
                Host& h = hosts_[i];
                if (d.destination != h.v4 && d.destination != h.v6) continue;
                emit(i, h.session->on_datagram(d.bytes, d.source, now_));
                h.due = std::min(h.due, h.session->next_tick(now_));
            }
        }
    }

    TimePoint now_{};
    RendezvousServer server_{seeded_random(98)};
    std::vector<Host> hosts_;
    std::multimap<TimePoint, Datagram> queue_;
};

struct FamilyRow {
    const char* what;
    bool bob_has_ipv6;
    std::set<Family> blackholed;
    std::map<Family, Duration> delay;
    Family want;
};

void PrintTo(const FamilyRow& row, std::ostream* os) {
    *os << row.what;
}

class FamilyTable : public ::testing::TestWithParam<FamilyRow> {};

// The preference of candidates.h: IPv6 when it answers within the grace
// of the first IPv4 answer, IPv4 otherwise; both sides agree on the path.
TEST_P(FamilyTable, PathFamilyAsPreferred) {
    const FamilyRow& row = GetParam();
    DualLab lab;
    lab.blackholed = row.blackholed;
    lab.delay = row.delay;
    std::optional<std::string_view> bob6;
    if (row.bob_has_ipv6) bob6 = "[2001:2:0:2::5]:5000";
    PeerSession& bob = lab.add_peer("198.18.2.5:5000", bob6, "bob", std::nullopt);
    PeerSession& alice = lab.add_peer("198.18.1.2:4000", "[2001:2:0:1::2]:4000", "alice", "bob");
    lab.run();
    PeerResult ra = alice.result(), rb = bob.result();
    ASSERT_TRUE(ra.connected) << ra.reason;
    ASSERT_TRUE(rb.connected) << rb.reason;
    EXPECT_EQ(ra.family, row.want);
    EXPECT_EQ(rb.family, row.want);
    EXPECT_EQ(ra.remote->family(), row.want);
    EXPECT_EQ(ra.acked, 3u);
    EXPECT_EQ(rb.received, 3u);
    if (row.bob_has_ipv6) {  // the server kept both of alice's public endpoints
        EXPECT_EQ(ra.other_public, std::vector<IpEndpoint>{ip("[2001:2:0:1::2]:4000")});
        EXPECT_EQ(lab.server().registry().find("alice", TimePoint{})->public_endpoints().size(), 2u);
    }
}

INSTANTIATE_TEST_SUITE_P(
    Peer, FamilyTable,
    ::testing::Values(
        FamilyRow{"v6 answers", true, {}, {}, Family::ipv6},
        FamilyRow{"only v4 answers", false, {}, {}, Family::ipv4},
        FamilyRow{"v6 blackholed", true, {Family::ipv6}, {}, Family::ipv4},
        FamilyRow{"v4 blackholed", true, {Family::ipv4}, {}, Family::ipv6},
        FamilyRow{"v6 within the grace", true, {}, {{Family::ipv6, milliseconds(30)}}, Family::ipv6},
        FamilyRow{
            "v6 too slow, v4 not starved", true, {}, {{Family::ipv6, milliseconds(150)}}, Family::ipv4}),
    [](const auto& info) {
        std::string name = info.param.what;
        for (char& c : name)
            if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
        return name;
    });

// A v6 path with v6 blackholed is given up only after its probes went
// unanswered for the grace: the IPv4 nomination waits for it.
TEST(PeerSessionDualStack, BlackholedIpv6DelaysTheIpv4NominationByTheGrace) {
    DualLab lab;
    lab.blackholed = {Family::ipv6};
    PeerSession& bob = lab.add_peer("198.18.2.5:5000", "[2001:2:0:2::5]:5000", "bob", std::nullopt);
    PeerSession& alice = lab.add_peer("198.18.1.2:4000", "[2001:2:0:1::2]:4000", "alice", "bob");
    lab.run();
    ASSERT_TRUE(alice.result().connected);
    EXPECT_GE(*alice.result().introduction_to_connect, PeerTimers{}.ipv6_grace);
    EXPECT_EQ(bob.result().family, Family::ipv4);
}

// Bob is known to the server over IPv4 only and reports no IPv6 address,
// yet he has one: his probes to alice's IPv6 candidates come from an
// endpoint alice never heard of. She answers it (RFC 8445 section
// 7.3.1.3), learns it as peer-reflexive, and that IPv6 path wins.
TEST(PeerSessionDualStack, PeerReflexiveIpv6Source) {
    DualLab lab;
    PeerSession& bob =
        lab.add_peer("198.18.2.5:5000", "[2001:2:0:2::5]:5000", "bob", std::nullopt, false, false);
    PeerSession& alice = lab.add_peer("198.18.1.2:4000", "[2001:2:0:1::2]:4000", "alice", "bob");
    lab.run();
    PeerResult ra = alice.result(), rb = bob.result();
    ASSERT_TRUE(ra.connected) << ra.reason;
    EXPECT_EQ(ra.family, Family::ipv6);
    EXPECT_EQ(ra.remote, ip("[2001:2:0:2::5]:5000"));
    EXPECT_EQ(ra.path, CandidateKind::peer_reflexive);
    const Candidate* learnt = alice.candidates().find(ip("[2001:2:0:2::5]:5000"));
    ASSERT_TRUE(learnt);
    EXPECT_TRUE(learnt->succeeded);
    EXPECT_EQ(rb.family, Family::ipv6);
}

// The server's IPv4 goes nowhere: each peer's first server (IPv4) never
// answers, so after five tries it registers over IPv6 instead, and the
// pair meets and connects over IPv6.
TEST(PeerSessionDualStack, SilentIpv4ServerGivesWayToIpv6) {
    DualLab lab;
    lab.server_blackholed = {Family::ipv4};
    lab.blackholed = {Family::ipv4};
    PeerSession& bob = lab.add_peer("198.18.2.5:5000", "[2001:2:0:2::5]:5000", "bob", std::nullopt);
    PeerSession& alice = lab.add_peer("198.18.1.2:4000", "[2001:2:0:1::2]:4000", "alice", "bob");
    lab.run();
    ASSERT_TRUE(alice.result().connected) << alice.result().reason;
    EXPECT_EQ(alice.result().family, Family::ipv6);
    EXPECT_EQ(bob.result().family, Family::ipv6);
    EXPECT_EQ(alice.config().server, kServer6);
}

}  // namespace dual

}  // namespace
}  // namespace natlab
