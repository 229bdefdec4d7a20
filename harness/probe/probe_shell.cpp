// Sockets for the probe. See probe_shell.h.
//
// Theory of operation
//
// One Udp per local socket (bound to 0.0.0.0, non-blocking). Every send goes
// through the Pacer, which spaces datagrams kSendGap apart, so the probe's
// rate is bounded whatever the tests ask. ask() is one STUN Binding
// transaction: a request, then up to `tries` retransmissions `wait` apart,
// the first matching success answer wins (RFC 8489 section 6.2.1, with
// shorter timers: the server is usually a few milliseconds away and a
// missing answer is the very thing some tests measure).
//
// The timeout tests are a schedule of checks: each trial socket sends once,
// and at its check time a helper socket asks the server to answer to that
// trial's mapped port (RESPONSE-PORT); the trial socket then listens.
// Helpers refresh their own mapping (and learn its address) just before,
// so the answer goes to the address the trial's mapping is on.
#include "harness/probe/probe_shell.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <memory>
#include <thread>

#include "src/net/random_source.h"
#include "src/net/setup_error.h"
#include "src/stun/rendezvous_protocol.h"
#include "src/stun/stun_codec.h"

namespace natlab::probe {
namespace {

constexpr Millis kWait{250};
constexpr int kTries = 3;
constexpr int kAllocationSamples = 8;
constexpr int kFinePoints = 10;
constexpr int kHairpinRounds = 3;

class Udp {
public:
    explicit Udp(std::uint16_t port = 0) {
        fd_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd_ < 0) throw_errno("probe: socket");
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(port);
        if (::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
            int err = errno;
            ::close(fd_);
            throw_errno("probe: bind port " + std::to_string(port), err);
        }
        socklen_t len = sizeof a;
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
        port_ = ntohs(a.sin_port);
    }
    ~Udp() { ::close(fd_); }
    Udp(const Udp&) = delete;
    Udp& operator=(const Udp&) = delete;

    int fd() const { return fd_; }
    std::uint16_t port() const { return port_; }

    void send(Endpoint to, const stun::Bytes& bytes) const {
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(to.port);
        a.sin_addr.s_addr = htonl(to.addr.value);
        ::sendto(fd_, bytes.data(), bytes.size(), 0, reinterpret_cast<sockaddr*>(&a), sizeof a);
    }
    // One datagram if one is waiting.
    std::optional<stun::Bytes> receive() const {
        stun::Bytes buffer(1500);
        auto n = ::recv(fd_, buffer.data(), buffer.size(), 0);
        if (n < 0) return std::nullopt;
        buffer.resize(static_cast<std::size_t>(n));
        return buffer;
    }

private:
    int fd_ = -1;
    std::uint16_t port_ = 0;
};

// Spaces every datagram of the run kSendGap apart.
class Pacer {
public:
    TimePoint send(const Udp& socket, Endpoint to, const stun::Bytes& bytes) {
        auto now = Clock::now();
        if (now < next_) std::this_thread::sleep_until(next_);
        now = std::max(now, next_);
        next_ = now + kSendGap;
        socket.send(to, bytes);
        return now;
    }

private:
    TimePoint next_{};
};

struct Request {
    stun::TransactionId id{};
    stun::Bytes bytes;
};

Request binding_request(std::vector<stun::Attribute> attributes = {}) {
    Request r;
    secure_random(std::as_writable_bytes(std::span(r.id)));
    stun::Message m;
    m.method = proto::method::binding;
    m.transaction = r.id;
    m.attributes = std::move(attributes);
    stun::EncodeOptions options;
    options.fingerprint = true;
    r.bytes = stun::encode(m, options);
    return r;
}

stun::Attribute change_request(bool ip, bool port) {
    return stun::make_u32(stun::attr::change_request,
                          (ip ? stun::kChangeIp : 0) | (port ? stun::kChangePort : 0));
}

stun::Attribute response_port(std::uint16_t port) {
    stun::Bytes v{std::byte(port >> 8), std::byte(port & 0xff), std::byte{0}, std::byte{0}};
    return stun::make_bytes(stun::attr::response_port, v);
}

// The mapped endpoint of a success answer to `id`; nullopt for anything else.
std::optional<Endpoint> mapped_of(const stun::Bytes& datagram, const stun::TransactionId& id) {
    auto decoded = stun::decode(datagram);
    if (!decoded.message) return std::nullopt;
    const auto& m = *decoded.message;
    if (m.transaction != id || m.cls != stun::Class::success || m.method != proto::method::binding)
        return std::nullopt;
    const auto* x = m.find(stun::attr::xor_mapped_address);
    return x ? stun::read_xor_endpoint(*x, id) : std::nullopt;
}

// True for a Binding request carrying one of `ids` (the hairpin test's).
bool is_request_of(const stun::Bytes& datagram, std::span<const stun::TransactionId> ids) {
    auto decoded = stun::decode(datagram);
    if (!decoded.message || decoded.message->cls != stun::Class::request) return false;
    return std::find(ids.begin(), ids.end(), decoded.message->transaction) != ids.end();
}

bool wait_readable(const Udp& socket, TimePoint until) {
    auto left = std::chrono::duration_cast<Millis>(until - Clock::now()).count();
    pollfd p{socket.fd(), POLLIN, 0};
    return ::poll(&p, 1, static_cast<int>(std::max<long>(left, 0))) > 0;
}

// Listens on `socket` until `until` for an answer to one of `ids`.
std::optional<Endpoint> await(const Udp& socket, std::span<const stun::TransactionId> ids, TimePoint until) {
    while (wait_readable(socket, until))
        while (auto datagram = socket.receive())
            for (const auto& id : ids)
                if (auto mapped = mapped_of(*datagram, id)) return mapped;
    return std::nullopt;
}

struct Answer {
    Endpoint mapped;
    TimePoint sent;  // when the request that was answered left
};

class Probe {
public:
    explicit Probe(const Settings& s) : s_(s), deadline_(Clock::now() + s.max_time) {}

    Findings run();

private:
    std::optional<Answer> ask(const Udp& socket, Endpoint to, std::vector<stun::Attribute> attributes = {},
                              int tries = kTries);
    Endpoint alt(bool ip, bool port) const;
    void test_mapping(Findings& f);
    void test_filtering(Findings& f);
    void test_allocation(Findings& f);
    void test_contiguity(Findings& f);
    void test_hairpin(Findings& f);
    void test_timeout(Findings& f);
    void test_exhaustion(Findings& f);

    struct Check {
        std::size_t trial;  // index into trials_
        Millis at;          // after the trial's last outbound packet
        bool refresh;       // the refresh test's (judged by its last check only)
    };
    struct TrialSocket {
        std::unique_ptr<Udp> socket;
        Answer answer;
    };
    void open_trials(std::size_t count);
    std::optional<bool> check(const TrialSocket& trial, Millis& idle);
    std::optional<bool> run_checks(std::vector<Check> checks, std::vector<Trial>& results, TimePoint until);
    const Udp* helper_for(Ipv4 address);

    const Settings& s_;
    TimePoint deadline_;
    Pacer pacer_;
    std::vector<Endpoint> mapped_;  // every mapping seen, for pooling
    std::vector<std::unique_ptr<Udp>> samples_;
    std::vector<Endpoint> sample_mapped_;
    std::vector<TrialSocket> trials_;
    std::vector<std::pair<std::unique_ptr<Udp>, std::optional<Endpoint>>> helpers_;
};

std::optional<Answer> Probe::ask(const Udp& socket, Endpoint to, std::vector<stun::Attribute> attributes,
                                 int tries) {
    Request r = binding_request(std::move(attributes));
    for (int i = 0; i < tries; ++i) {
        TimePoint sent = pacer_.send(socket, to, r.bytes);
        if (auto mapped = await(socket, std::span(&r.id, 1), sent + kWait)) {
            mapped_.push_back(*mapped);
            return Answer{*mapped, sent};
        }
    }
    return std::nullopt;
}

// One of the RFC 5780 combinations of the server's addresses and ports.
Endpoint Probe::alt(bool ip, bool port) const {
    return {ip ? s_.alternate->addr : s_.server.addr, port ? s_.alternate->port : s_.server.port};
}

void Probe::test_mapping(Findings& f) {
    Udp socket;
    MappingAnswers a;
    auto first = ask(socket, s_.server);
    if (!first) throw SetupError("probe: no answer from " + s_.server.to_string());
    a.primary = first->mapped;
    if (s_.alternate) {
        if (auto x = ask(socket, alt(true, false))) a.other_ip = x->mapped;
        if (auto x = ask(socket, alt(true, true))) a.other_both = x->mapped;
    }
    f.mapping = classify_mapping(a);
}

void Probe::test_filtering(Findings& f) {
    Udp socket;
    FilteringAnswers a;
    a.asked = s_.alternate.has_value() && ask(socket, s_.server).has_value();
    if (a.asked) {
        a.from_other_both = ask(socket, s_.server, {change_request(true, true)}).has_value();
        if (!a.from_other_both)
            a.from_other_port = ask(socket, s_.server, {change_request(false, true)}).has_value();
    }
    f.filtering = classify_filtering(a);
}

void Probe::test_allocation(Findings& f) {
    std::vector<PortSample> samples;
    for (int i = 0; i < kAllocationSamples; ++i) {
        auto socket = std::make_unique<Udp>();
        if (auto x = ask(*socket, s_.server)) {
            samples.push_back({socket->port(), x->mapped});
            sample_mapped_.push_back(x->mapped);
            samples_.push_back(std::move(socket));
        }
    }
    f.allocation = classify_allocation(samples);
}

// Two adjacent local ports, an even one and the next, picked at random.
void Probe::test_contiguity(Findings& f) {
    std::optional<PortSample> low, high;
    for (int attempt = 0; attempt < 5 && !high; ++attempt) {
        std::uint16_t r = 0;
        secure_random(std::as_writable_bytes(std::span(&r, 1)));
        auto p = static_cast<std::uint16_t>(20000 + (r % 20000) * 2);
        try {
            Udp a(p), b(static_cast<std::uint16_t>(p + 1));
            auto x = ask(a, s_.server), y = ask(b, s_.server);
            if (x && y)
                low = PortSample{p, x->mapped},
                high = PortSample{static_cast<std::uint16_t>(p + 1), y->mapped};
        } catch (const SetupError&) {
            // taken: try another pair
        }
    }
    f.contiguity = classify_contiguity(low, high);
}

// Two sampled sockets send to each other's mapped endpoint, in turns, so
// that each one's filter has seen the other before the other's packet.
void Probe::test_hairpin(Findings& f) {
    bool heard = false;
    if (samples_.size() >= 2) {
        const Udp &a = *samples_[0], &b = *samples_[1];
        Request to_b = binding_request(), to_a = binding_request();
        std::array ids{to_b.id, to_a.id};
        for (int round = 0; round < kHairpinRounds && !heard; ++round) {
            pacer_.send(a, sample_mapped_[1], to_b.bytes);
            pacer_.send(b, sample_mapped_[0], to_a.bytes);
            TimePoint until = Clock::now() + Millis{150};
            for (const Udp* s : {&a, &b})
                while (!heard && wait_readable(*s, until))
                    while (auto d = s->receive()) heard = heard || is_request_of(*d, ids);
        }
    }
    f.hairpin = classify_hairpin(heard, f.mapping.value, f.filtering.value);
}

void Probe::open_trials(std::size_t count) {
    trials_.clear();
    for (std::size_t i = 0; i < count; ++i) {
        auto socket = std::make_unique<Udp>();
        auto x = ask(*socket, s_.server);
        trials_.push_back({std::move(socket), x.value_or(Answer{{}, TimePoint{}})});
    }
}

// A helper socket whose (just refreshed) mapping is on `address`.
const Udp* Probe::helper_for(Ipv4 address) {
    if (helpers_.empty())
        for (int i = 0; i < 2; ++i) helpers_.emplace_back(std::make_unique<Udp>(), std::nullopt);
    for (auto& [socket, mapped] : helpers_) {
        auto x = ask(*socket, s_.server, {}, 2);
        mapped = x ? std::optional(x->mapped) : std::nullopt;
        if (mapped && mapped->addr == address) return socket.get();
    }
    return nullptr;
}

// Is the trial's mapping still there? Asks the server, from a helper, to
// answer to the trial's mapped port, twice if need be.
// `idle` is the trial's silence when the first request left.
std::optional<bool> Probe::check(const TrialSocket& trial, Millis& idle) {
    const Udp* helper = helper_for(trial.answer.mapped.addr);
    if (!helper) return std::nullopt;
    std::vector<stun::TransactionId> ids;
    for (int i = 0; i < 2; ++i) {
        Request r = binding_request({response_port(trial.answer.mapped.port)});
        ids.push_back(r.id);
        TimePoint sent = pacer_.send(*helper, s_.server, r.bytes);
        if (i == 0) idle = std::chrono::duration_cast<Millis>(sent - trial.answer.sent);
        if (await(*trial.socket, ids, sent + Millis{300})) return true;
    }
    return false;
}

// Carries out `checks` in time order until `until`. Returns the last refresh
// check's result.
std::optional<bool> Probe::run_checks(std::vector<Check> checks, std::vector<Trial>& results,
                                      TimePoint until) {
    auto when = [&](const Check& c) { return trials_[c.trial].answer.sent + c.at; };
    std::sort(checks.begin(), checks.end(),
              [&](const Check& x, const Check& y) { return when(x) < when(y); });
    std::optional<bool> refreshed;
    for (const auto& c : checks) {
        const auto& trial = trials_[c.trial];
        if (trial.answer.sent == TimePoint{} || when(c) > until) continue;
        if (!c.refresh && !still_needed(c.at, results)) continue;
        std::this_thread::sleep_until(when(c));
        Millis idle = c.at;
        auto alive = check(trial, idle);
        if (c.refresh)
            refreshed = alive;
        else
            results.push_back({idle, alive});
    }
    return refreshed;
}

void Probe::test_timeout(Findings& f) {
    TimePoint until = deadline_ - (s_.exhaust ? kSendGap * 2 * s_.exhaust + Millis{1000} : Millis{0});
    auto budget = [&] { return std::chrono::duration_cast<Millis>(until - Clock::now()) - Millis{1000}; };
    std::vector<Trial> results;
    auto coarse = coarse_grid(budget());
    open_trials(coarse.size());
    std::vector<Check> checks;
    for (std::size_t i = 0; i < coarse.size(); ++i) checks.push_back({i, coarse[i], false});
    run_checks(checks, results, until);
    Bracket b = bracket(results);
    auto fine = fine_grid(b, kFinePoints, budget());
    auto refresh = refresh_checks(b, budget());
    open_trials(fine.size() + 1);
    checks.clear();
    for (std::size_t i = 0; i < fine.size(); ++i) checks.push_back({i, fine[i], false});
    for (auto at : refresh) checks.push_back({fine.size(), at, true});
    auto refreshed = run_checks(checks, results, until);
    b = bracket(results);
    f.timeout = estimate_timeout(b);
    f.refresh_on_inbound = classify_refresh(b, refresh.empty() ? std::nullopt : refreshed);
    trials_.clear();
    helpers_.clear();
}

// Opens up to N sockets, one mapping each, until three in a row get none.
void Probe::test_exhaustion(Findings& f) {
    Exhaustion e;
    // The earlier tests' mappings count against the host's allowance until
    // they time out: wait them out when the measured timeout fits.
    auto wait = f.timeout.value + Millis{1000};
    e.clean = f.timeout.certainty != Certainty::Assumed &&
              Clock::now() + wait + kSendGap * 2 * s_.exhaust < deadline_;
    if (e.clean) std::this_thread::sleep_for(wait);
    std::vector<std::unique_ptr<Udp>> held;
    for (int misses = 0; e.asked < s_.exhaust && misses < 3 && Clock::now() < deadline_; ++e.asked) {
        held.push_back(std::make_unique<Udp>());
        bool got = ask(*held.back(), s_.server, {}, 2).has_value();
        e.answered += got;
        misses = got ? 0 : misses + 1;
        e.limit_hit = misses == 3;
    }
    f.mappings_per_host = classify_exhaustion(e);
}

Findings Probe::run() {
    Findings f;
    f.server = s_.server;
    f.alternate = s_.alternate;
    test_mapping(f);
    test_filtering(f);
    test_allocation(f);
    test_contiguity(f);
    test_hairpin(f);
    test_timeout(f);
    if (s_.exhaust > 0) test_exhaustion(f);
    f.pooling = classify_pooling(mapped_);
    f.external_addresses = distinct_addresses(mapped_);
    return f;
}

}  // namespace

Findings run_probe(const Settings& settings) {
    Probe probe(settings);
    return probe.run();
}

}  // namespace natlab::probe
