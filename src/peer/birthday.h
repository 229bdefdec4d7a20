// The birthday punch: the plan of probes that beats endpoint-dependent
// (symmetric) NATs with random ports by numbers, not prediction.
//
// Theory of operation
//
// A NAT with address-and-port-dependent mapping (RFC 4787 section 4.1)
// gives each (inside socket, remote endpoint) pair its own external port,
// drawn at random from its range (section 4.2). Nobody can tell the partner
// which port its probes will come from, so the ordinary punch fails. But a
// port can be guessed, and the birthday paradox makes guessing cheap when
// many ports are open at once:
//
//   openers  each of this peer's N sockets sends one probe to the partner's
//            public endpoint. On an endpoint-dependent NAT that is N
//            mappings, N random external ports, each open to exactly that
//            endpoint (the partner's EIM port, or its server mapping).
//   spray    M probes to M distinct random ports of the partner's public
//            address (drawn from --birthday-ports LO-HI, a partial
//            Fisher-Yates shuffle), sent from the N sockets in turn. Each
//            is a guess at one of the partner's open mappings; on our own
//            endpoint-dependent NAT each also opens a mapping towards the
//            port it guessed.
//
// One side with N sockets behind a hard NAT, the other spraying M ports
// from one socket behind an endpoint-independent NAT (the classic case):
// a guess lands when it names one of the N open ports, P = 1 - C(R-N, M) /
// C(R, M) for a range of R ports. Two hard NATs: a pair of probes must
// name each other's external ports, P about 1 - exp(-M_a * M_b / R^2)
// (docs/protocol.md derives both).
//
// Pacing: openers go first, from the introduction on, at `rate` probes per
// second; the spray follows at the same rate from `spray_delay` after the
// introduction (or when the openers are done, if later), so that the
// partner's openers are out before our guesses arrive. The two never
// overlap, so the peer never exceeds `rate` (token counts, at most one
// tick's worth at once).
// One pass: every probe is sent once. What a hit does is the session's
// business (peer_session.h): the plan only says what to send when.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "src/net/clock.h"
#include "src/net/endpoint.h"
#include "src/net/random_source.h"

namespace natlab {

struct BirthdayConfig {
    static constexpr std::size_t kMaxSockets = 1024;
    static constexpr std::size_t kMaxProbes = 65535;
    static constexpr std::uint32_t kMaxRate = 20'000;
    std::size_t sockets = 1;   // N, counting the peer's main socket
    std::size_t probes = 0;    // M
    std::uint16_t low = 1024;  // the range the spray draws from
    std::uint16_t high = 65535;
    std::uint32_t rate = 2'000;  // probes per second, openers and spray together
    Duration spray_delay = std::chrono::milliseconds(500);
};

// "N,M" -> sockets and probes; nullopt with `why` set when out of bounds.
std::optional<BirthdayConfig> parse_birthday(const std::string& text, std::string& why);
// "LO-HI" -> the range; false with `why` set when malformed.
bool parse_birthday_ports(const std::string& text, BirthdayConfig& c, std::string& why);

struct BirthdayProbe {
    std::size_t socket;  // 0..N-1
    Endpoint to;
    bool spray;  // a guessed port (else an opener, to the partner's public endpoint)
};

class BirthdayPlan {
public:
    BirthdayPlan(const BirthdayConfig& config, Endpoint partner_public, RandomSource& random,
                 TimePoint start);

    // The probes due by `now` under the rate cap (possibly none).
    std::vector<BirthdayProbe> due(TimePoint now);
    bool done() const { return next_ == total(); }
    std::size_t sent() const { return next_; }
    std::size_t total() const { return openers_ + ports_.size(); }
    TimePoint start() const { return start_; }
    // True when `remote` is one of the guessed endpoints.
    bool guessed(Endpoint remote) const;

private:
    std::size_t allowed(TimePoint now) const;
    BirthdayProbe probe(std::size_t index) const;

    BirthdayConfig config_;
    Endpoint partner_;
    TimePoint start_;
    std::size_t openers_;               // sockets 1..N-1 (socket 0 probes the public endpoint anyway)
    std::vector<std::uint16_t> ports_;  // the spray's ports, in sending order
    std::vector<bool> guessed_;         // by port
    std::size_t next_ = 0;
};

}  // namespace natlab
