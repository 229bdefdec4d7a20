// Observations to verdicts. See probe_core.h for what each test does; this
// file only judges what came back.
#include "harness/probe/probe_core.h"

#include <algorithm>
#include <array>

#include "src/net/enum_names.h"

namespace natlab::probe {
namespace {

using M = nat::MappingBehaviour;
using F = nat::FilteringBehaviour;
using A = nat::PortAllocation;

constexpr std::array kCertaintyNames{
    nat::EnumName<Certainty>{Certainty::Measured, "measured"},
    nat::EnumName<Certainty>{Certainty::Inferred, "inferred"},
    nat::EnumName<Certainty>{Certainty::Assumed, "assumed"},
};
static_assert(nat::names_in_order(kCertaintyNames, Certainty::Assumed));

// Sequential steps larger than this look like chance, not a policy.
constexpr int kMaxStep = 64;

std::string seconds(Millis d) {
    auto tenths = (d.count() + 50) / 100;
    return std::to_string(tenths / 10) + "." + std::to_string(tenths % 10) + "s";
}

std::string count_of(std::size_t n, std::string_view what) {
    return std::to_string(n) + " " + std::string(what) + (n == 1 ? "" : "s");
}

// Steps between successive mapped ports of each external address.
std::vector<int> steps_per_address(std::span<const PortSample> samples) {
    std::vector<int> steps;
    for (std::size_t i = 0; i < samples.size(); ++i)
        for (std::size_t j = i + 1; j < samples.size(); ++j)
            if (samples[j].mapped.addr == samples[i].mapped.addr) {
                steps.push_back(int{samples[j].mapped.port} - int{samples[i].mapped.port});
                break;
            }
    return steps;
}

std::optional<int> constant_step(const std::vector<int>& steps) {
    if (steps.empty()) return std::nullopt;
    int first = steps.front();
    if (first == 0 || std::abs(first) > kMaxStep) return std::nullopt;
    if (!std::all_of(steps.begin(), steps.end(), [&](int s) { return s == first; })) return std::nullopt;
    return first;
}

Verdict<A> allocation_policy(std::span<const PortSample> samples, int& step) {
    auto kept = std::count_if(samples.begin(), samples.end(),
                              [](const PortSample& s) { return s.mapped.port == s.local; });
    auto n = samples.size();
    std::string of = " of " + count_of(n, "mapping");
    if (static_cast<std::size_t>(kept) == n)
        return {A::Preserve, Certainty::Measured, "all" + of + " kept the local port"};
    auto steps = steps_per_address(samples);
    if (auto s = constant_step(steps); s && steps.size() >= 2) {
        step = *s;
        return {A::Sequential, Certainty::Measured,
                "successive mapped ports " + std::string(*s > 0 ? "+" : "") + std::to_string(*s) +
                    " apart, " + count_of(n, "mapping")};
    }
    if (2 * static_cast<std::size_t>(kept) >= n)
        return {A::Preserve, Certainty::Inferred, std::to_string(kept) + of + " kept the local port"};
    return {A::Random, Certainty::Measured, "no constant step between " + count_of(n, "mapped port")};
}

Verdict<bool> parity(std::span<const PortSample> samples) {
    auto same = std::count_if(samples.begin(), samples.end(),
                              [](const PortSample& s) { return s.mapped.port % 2 == s.local % 2; });
    bool all = static_cast<std::size_t>(same) == samples.size();
    auto certainty = samples.size() >= 8 ? Certainty::Measured : Certainty::Inferred;
    return {all, certainty,
            std::to_string(same) + " of " + count_of(samples.size(), "mapped port") +
                " kept the local port's parity"};
}

}  // namespace

std::string_view to_string(Certainty c) {
    return nat::name_of(kCertaintyNames, c);
}

Verdict<M> classify_mapping(const MappingAnswers& a) {
    if (!a.primary) return {M::EndpointIndependent, Certainty::Assumed, "no answer from the server"};
    if (!a.other_ip || !a.other_both)
        return {M::EndpointIndependent, Certainty::Assumed, "no answer from the alternate address"};
    std::string seen = a.primary->to_string();
    if (*a.primary == *a.other_ip)
        return {M::EndpointIndependent, Certainty::Measured,
                "mapped to " + seen + " towards both server addresses"};
    if (*a.other_ip == *a.other_both)
        return {M::AddressDependent, Certainty::Measured,
                seen + ", then " + a.other_ip->to_string() + " for both ports of the other address"};
    return {M::AddressAndPortDependent, Certainty::Measured,
            "three server endpoints, three mappings: " + seen + ", " + a.other_ip->to_string() + ", " +
                a.other_both->to_string()};
}

Verdict<F> classify_filtering(const FilteringAnswers& a) {
    if (!a.asked)
        return {F::AddressAndPortDependent, Certainty::Assumed, "no alternate address to answer from"};
    if (a.from_other_both)
        return {F::EndpointIndependent, Certainty::Measured,
                "an answer from the other address and port came in"};
    if (a.from_other_port)
        return {F::AddressDependent, Certainty::Measured,
                "only the answer from the other port (same address) came in"};
    return {F::AddressAndPortDependent, Certainty::Measured,
            "neither the answer from the other address nor from the other port came in"};
}

Allocation classify_allocation(std::span<const PortSample> samples) {
    Allocation out;
    if (samples.empty()) {
        out.policy = {A::Preserve, Certainty::Assumed, "no mappings sampled"};
        out.parity = {false, Certainty::Assumed, "no mappings sampled"};
        return out;
    }
    out.policy = allocation_policy(samples, out.step);
    out.parity = parity(samples);
    auto [lo, hi] = std::minmax_element(samples.begin(), samples.end(), [](const auto& x, const auto& y) {
        return x.mapped.port < y.mapped.port;
    });
    out.lowest = lo->mapped.port;
    out.highest = hi->mapped.port;
    return out;
}

Verdict<bool> classify_contiguity(std::optional<PortSample> low, std::optional<PortSample> high) {
    if (!low || !high)
        return {false, Certainty::Assumed, "no two adjacent local ports could be bound and mapped"};
    std::string pair = "local " + std::to_string(low->local) + "," + std::to_string(high->local) + " -> " +
                       std::to_string(low->mapped.port) + "," + std::to_string(high->mapped.port);
    bool adjacent = high->mapped.addr == low->mapped.addr && high->mapped.port == low->mapped.port + 1;
    return {adjacent, Certainty::Measured, pair};
}

Verdict<bool> classify_hairpin(bool heard, M mapping, F filtering) {
    if (heard) return {true, Certainty::Measured, "a packet to our own mapped endpoint came back in"};
    if (mapping == M::EndpointIndependent || filtering == F::EndpointIndependent)
        return {false, Certainty::Measured, "packets to our own mapped endpoints did not come back"};
    return {false, Certainty::Assumed,
            "not observable: dependent mapping behind dependent filtering drops the test either way"};
}

std::vector<Ipv4> distinct_addresses(std::span<const Endpoint> mapped) {
    std::vector<Ipv4> seen;
    for (const auto& e : mapped)
        if (std::find(seen.begin(), seen.end(), e.addr) == seen.end()) seen.push_back(e.addr);
    return seen;
}

Verdict<nat::AddressPooling> classify_pooling(std::span<const Endpoint> mapped) {
    auto addresses = distinct_addresses(mapped);
    std::string of = count_of(mapped.size(), "mapping");
    if (addresses.size() > 1)
        return {nat::AddressPooling::Arbitrary, Certainty::Measured,
                of + " of one host on " + std::to_string(addresses.size()) + " external addresses"};
    return {nat::AddressPooling::Paired, Certainty::Inferred,
            "all " + of + " on one external address (paired, or the NAT has only one)"};
}

std::vector<Millis> coarse_grid(Millis budget) {
    std::vector<Millis> grid;
    for (Millis t = kFirstTrial; t <= budget; t = t * 3 / 2) grid.push_back(t);
    return grid;
}

std::vector<Millis> fine_grid(const Bracket& b, int points, Millis budget) {
    if (!b.dead) return {};
    Millis lo = b.alive.value_or(Millis{0}), hi = *b.dead;
    std::vector<Millis> grid;
    for (int i = 1; i < points; ++i) {
        Millis t = lo + (hi - lo) * i / points;
        if (t > lo && t < hi && t <= budget) grid.push_back(t);
    }
    return grid;
}

Bracket bracket(std::span<const Trial> trials) {
    Bracket b;
    for (const auto& t : trials)
        if (t.alive == true && (!b.alive || t.idle > *b.alive)) b.alive = t.idle;
    for (const auto& t : trials)
        if (t.alive == false && (!b.alive || t.idle > *b.alive) && (!b.dead || t.idle < *b.dead))
            b.dead = t.idle;
    return b;
}

bool still_needed(Millis idle, std::span<const Trial> trials) {
    return std::none_of(trials.begin(), trials.end(),
                        [&](const Trial& t) { return t.alive == false && t.idle <= idle; });
}

Verdict<Millis> estimate_timeout(const Bracket& b) {
    if (b.alive && b.dead) {
        Millis mid = (*b.alive + *b.dead) / 2;
        return {Millis{(mid.count() + 50) / 100 * 100}, Certainty::Measured,
                "alive after " + seconds(*b.alive) + " idle, gone after " + seconds(*b.dead)};
    }
    if (b.alive)
        return {*b.alive, Certainty::Assumed,
                "at least: still alive after " + seconds(*b.alive) + ", the longest idle --max-time allowed"};
    if (b.dead) return {*b.dead, Certainty::Assumed, "at most: gone after " + seconds(*b.dead) + " already"};
    return {Millis{120000}, Certainty::Assumed, "not measured (--max-time too short); RFC 4787's 2 minutes"};
}

std::vector<Millis> refresh_checks(const Bracket& b, Millis budget) {
    if (!b.alive || !b.dead) return {};
    Millis step = *b.alive / 2, last = *b.dead * 6 / 5;
    if (last > budget || step <= Millis{0}) return {};
    std::vector<Millis> checks;
    for (Millis t = step; t < last; t += step) checks.push_back(t);
    checks.push_back(last);
    return checks;
}

Verdict<bool> classify_refresh(const Bracket& b, std::optional<bool> last_heard) {
    if (!last_heard || !b.alive || !b.dead)
        return {false, Certainty::Assumed, "not tested: no timeout bracket within --max-time"};
    std::string every = "inbound every " + seconds(*b.alive / 2);
    if (*last_heard)
        return {true, Certainty::Measured, every + " kept it alive past " + seconds(*b.dead * 6 / 5)};
    return {false, Certainty::Measured, every + " did not keep it alive past " + seconds(*b.dead * 6 / 5)};
}

Verdict<int> classify_exhaustion(const Exhaustion& e) {
    std::string story = std::to_string(e.answered) + " of " + count_of(e.asked, "socket") + " got a mapping";
    if (!e.limit_hit) return {e.answered, Certainty::Inferred, "at least: " + story};
    if (!e.clean)
        return {
            e.answered, Certainty::Inferred,
            story +
                ", with mappings of the earlier tests perhaps still live (no time left to wait them out)"};
    return {e.answered, Certainty::Measured, story + ", after the earlier tests' mappings timed out"};
}

}  // namespace natlab::probe
