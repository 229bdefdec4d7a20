// The probe's pure core: what a NAT did, turned into what the NAT is.
//
// Theory of operation
//
// `nat-lab probe` (probe_shell.h) talks to a rendezvous server that answers
// RFC 5780 (an alternate address and port, CHANGE-REQUEST, RESPONSE-PORT).
// It collects observations, and every decision about them is made here,
// without sockets or clocks:
//
//   mapping     RFC 5780 section 4.3: one socket asks the primary endpoint,
//               the alternate IP with the primary port, and the alternate
//               IP and port. Same mapped endpoint each time: independent;
//               same only for the two alternate-IP answers: address
//               dependent; else address and port dependent.
//   filtering   RFC 5780 section 4.4: a fresh socket asks for an answer
//               from the other IP and port, then from the other port only.
//               The first arriving: independent; only the second:
//               address dependent; neither: address and port dependent.
//   allocation  RFC 4787 section 4.2: fresh sockets, one mapping each;
//               mapped port = local port every time: preserve; a constant
//               step between successive mapped ports of one external
//               address: sequential with that step; else random. Parity
//               (does the mapped port keep the local port's parity?) and
//               contiguity (do two adjacent local ports map to adjacent
//               ports?) come out of the same samples.
//   hairpin     RFC 4787 section 6: two sockets, each sending to the
//               other's mapped endpoint; one of them hearing the other
//               proves hairpinning. Silence proves it only when the NAT's
//               filtering would have let the packet in (see hairpin()).
//   pooling     RFC 4787 section 4.1: every mapping seen names an external
//               address; two or more addresses for one host: arbitrary,
//               one: paired (sure only if the NAT has several, which one
//               host cannot know).
//   timeout     RFC 4787 section 4.3: a socket sends once and stays silent;
//               after an idle time the server is asked, from another socket,
//               to answer to that socket's mapped port (RESPONSE-PORT). The
//               answer arriving means the mapping lived that long. Trials
//               run in parallel, one socket each: a coarse geometric grid
//               brackets the timeout, a fine linear grid inside the bracket
//               narrows it (a k-ary bisection, one round trip of waiting per
//               level rather than one per halving).
//   refresh     one more socket is sent to (inbound only) every half of the
//               bracket's low end, until past its high end: still alive means
//               inbound packets refresh the mapping.
//
// Each answer is a Verdict: the value, how sure the probe is (measured,
// inferred from other verdicts, or assumed for lack of evidence), and the
// evidence in a few words, which the report prints as a comment.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "simulator/nat/behaviour.h"
#include "src/net/clock.h"
#include "src/net/endpoint.h"

namespace natlab::probe {

enum class Certainty : std::uint8_t { Measured, Inferred, Assumed };
std::string_view to_string(Certainty c);

template <class T>
struct Verdict {
    T value{};
    Certainty certainty = Certainty::Assumed;
    std::string evidence;
};

// ---- mapping and filtering (RFC 5780 sections 4.3, 4.4) ----------------------

struct MappingAnswers {
    std::optional<Endpoint> primary;     // test I: to the primary endpoint
    std::optional<Endpoint> other_ip;    // test II: alternate IP, primary port
    std::optional<Endpoint> other_both;  // test III: alternate IP and port
};
Verdict<nat::MappingBehaviour> classify_mapping(const MappingAnswers& a);

struct FilteringAnswers {
    bool asked = false;            // false: no alternate, nothing was asked
    bool from_other_both = false;  // test II: answer from the other IP and port arrived
    bool from_other_port = false;  // test III: answer from the other port arrived
};
Verdict<nat::FilteringBehaviour> classify_filtering(const FilteringAnswers& a);

// ---- port allocation (RFC 4787 section 4.2) ----------------------------------

struct PortSample {
    std::uint16_t local = 0;
    Endpoint mapped;
};

struct Allocation {
    Verdict<nat::PortAllocation> policy;
    int step = 0;                           // sequential: the step between successive mappings
    Verdict<bool> parity;                   // mapped port keeps the local port's parity
    std::uint16_t lowest = 0, highest = 0;  // mapped ports seen
};
// `samples` in the order their mappings were made.
Allocation classify_allocation(std::span<const PortSample> samples);

// Two sockets on adjacent local ports (p, p+1) and what they mapped to.
Verdict<bool> classify_contiguity(std::optional<PortSample> low, std::optional<PortSample> high);

// ---- hairpinning (RFC 4787 section 6) and pooling (section 4.1) --------------

Verdict<bool> classify_hairpin(bool heard, nat::MappingBehaviour mapping, nat::FilteringBehaviour filtering);
Verdict<nat::AddressPooling> classify_pooling(std::span<const Endpoint> mapped);

// ---- mapping timeout and refresh (RFC 4787 section 4.3) ----------------------

struct Trial {
    Millis idle{};              // silence before the server is asked to answer
    std::optional<bool> alive;  // nullopt: not judged (no helper on the right address, over time)
};

struct Bracket {
    std::optional<Millis> alive;  // the longest idle time a mapping survived
    std::optional<Millis> dead;   // the shortest idle time after which it was gone
};

inline constexpr Millis kFirstTrial{1000};
// Idle times 1s, 1.5s, 2.25s ... up to `budget`.
std::vector<Millis> coarse_grid(Millis budget);
// `points` idle times spread evenly over (alive, dead], those within `budget`.
std::vector<Millis> fine_grid(const Bracket& b, int points, Millis budget);
Bracket bracket(std::span<const Trial> trials);
// A trial whose idle time is past the shortest one already found dead
// tells nothing new: the shell skips its check.
bool still_needed(Millis idle, std::span<const Trial> trials);
Verdict<Millis> estimate_timeout(const Bracket& b);

// When the refresh socket is sent to, counted from its own last outbound
// packet: every alive/2, then one final check past the bracket's high end.
std::vector<Millis> refresh_checks(const Bracket& b, Millis budget);
// `last_heard`: the final check arrived.
Verdict<bool> classify_refresh(const Bracket& b, std::optional<bool> last_heard);

// ---- how many mappings one host may hold --------------------------------------

struct Exhaustion {
    int asked = 0;     // sockets opened
    int answered = 0;  // of them, answered with a mapping
    // It stopped because three sockets in a row got none; a socket missed
    // here and there (an answer lost) is no limit.
    bool limit_hit = false;
    // The earlier tests' mappings had timed out before the first socket
    // (the probe waited the measured timeout); otherwise some of the
    // host's allowance may have been theirs, and a shortfall is not the
    // limit itself.
    bool clean = true;
};
Verdict<int> classify_exhaustion(const Exhaustion& e);

// ---- everything, for the report -----------------------------------------------

struct Findings {
    Endpoint server;
    std::optional<Endpoint> alternate;
    Verdict<nat::MappingBehaviour> mapping;
    Verdict<nat::FilteringBehaviour> filtering;
    Allocation allocation;
    Verdict<bool> contiguity;
    Verdict<bool> hairpin;
    Verdict<nat::AddressPooling> pooling;
    std::vector<Ipv4> external_addresses;  // distinct, in the order seen
    Verdict<Millis> timeout;
    Verdict<bool> refresh_on_inbound;
    std::optional<Verdict<int>> mappings_per_host;  // with --exhaust
};

std::vector<Ipv4> distinct_addresses(std::span<const Endpoint> mapped);

}  // namespace natlab::probe
