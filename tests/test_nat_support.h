// Shared helpers for the simulator's unit tests: a fake clock, endpoint
// literals, datagrams that own their bytes, and a NAT wired to an event recorder.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "nat.h"
#include "packet.h"

namespace natlab::nat::testing {

// The fake clock: t(0) is the start of every test.
inline TimePoint t(double seconds) {
    return TimePoint{} +
           std::chrono::duration_cast<TimePoint::duration>(std::chrono::duration<double>(seconds));
}

inline Endpoint ep(const std::string& text) {
    auto e = Endpoint::parse(text);
    EXPECT_TRUE(e) << "bad endpoint literal " << text;
    return e.value_or(Endpoint{});
}

inline Ipv4 ip(const std::string& text) {
    auto a = Ipv4::parse(text);
    EXPECT_TRUE(a) << "bad address literal " << text;
    return a.value_or(Ipv4{});
}

// A UDP datagram that owns its bytes; `view()` parses them.
struct Datagram {
    std::vector<std::byte> bytes;

    explicit Datagram(Flow flow, std::string payload = "hello", std::uint8_t ttl = 64,
                      bool udp_checksum = true) {
        std::vector<std::byte> data;
        for (char c : payload) data.push_back(static_cast<std::byte>(c));
        bytes = build_udp_datagram({flow, data, ttl, udp_checksum});
    }

    Ipv4Packet view() {
        DropReason why;
        auto packet = Ipv4Packet::parse(bytes, why);
        EXPECT_TRUE(packet) << why.text;
        return *packet;
    }
};

// A NAT with external address 198.18.1.1, recording every event.
class NatUnderTest {
public:
    explicit NatUnderTest(NatConfig config, std::uint64_t seed = 1)
        : nat(config, ip("198.18.1.1"), seed, [this](const NatEvent& e) { events.push_back(e); }) {}

    // Sends inside -> remote at time `at`; the translated flow, or nullopt if dropped.
    std::optional<Flow> out(const std::string& inside, const std::string& remote, double at = 0) {
        return send({ep(inside), ep(remote)}, Direction::Outbound, at);
    }
    // Sends remote -> external at time `at` from the outside.
    std::optional<Flow> in(const std::string& remote, const std::string& external, double at = 0) {
        return send({ep(remote), ep(external)}, Direction::Inbound, at);
    }
    std::optional<Flow> send(Flow flow, Direction from, double at) {
        Datagram d{flow};
        auto result = nat.handle(d.view(), from, t(at));
        return result ? std::optional{result->flow()} : std::nullopt;
    }

    std::vector<MappingEvent> mapping_events(MappingChange change) const {
        std::vector<MappingEvent> found;
        for (const auto& e : events)
            if (auto* m = std::get_if<MappingEvent>(&e); m && m->change == change) found.push_back(*m);
        return found;
    }
    std::vector<DropEvent> drops() const {
        std::vector<DropEvent> found;
        for (const auto& e : events)
            if (auto* d = std::get_if<DropEvent>(&e)) found.push_back(*d);
        return found;
    }

    std::vector<NatEvent> events;
    Nat nat;
};

inline NatConfig config_of(MappingBehaviour m, FilteringBehaviour f,
                           PortAllocation a = PortAllocation::Preserve) {
    NatConfig c;
    c.mapping = m;
    c.filtering = f;
    c.port_allocation = a;
    return c;
}

}  // namespace natlab::nat::testing
