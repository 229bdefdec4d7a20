// Shared helpers for the simulator's unit tests: a fake clock, endpoint
// literals, datagrams that own their bytes (UDP, TCP, ICMP echo), and a NAT
// wired to an event recorder.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "simulator/nat/nat.h"
#include "simulator/wire/builder.h"
#include "simulator/wire/packet.h"

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

inline std::vector<std::byte> text_bytes(const std::string& text) {
    std::vector<std::byte> data;
    for (char c : text) data.push_back(static_cast<std::byte>(c));
    return data;
}

// An IPv4 datagram that owns its bytes; `view()` parses them.
struct Datagram {
    std::vector<std::byte> bytes;

    explicit Datagram(std::vector<std::byte> raw) : bytes(std::move(raw)) {}
    // UDP
    explicit Datagram(Flow flow, const std::string& payload = "hello", std::uint8_t ttl = 64,
                      bool udp_checksum = true)
        : bytes(build_udp_datagram({flow, text_bytes(payload), ttl, udp_checksum})) {}

    Ipv4Packet view() {
        DropReason why;
        auto packet = Ipv4Packet::parse(bytes, why);
        EXPECT_TRUE(packet) << why.text;
        return *packet;
    }
};

inline Datagram tcp_segment(Endpoint from, Endpoint to, std::uint8_t flags, const std::string& payload = "") {
    TcpSegmentSpec spec;
    spec.flow = {from, to, Protocol::Tcp};
    spec.flags = flags;
    spec.payload = text_bytes(payload);
    return Datagram{build_tcp_segment(spec)};
}

inline Datagram echo(Ipv4 from, Ipv4 to, std::uint16_t id, bool request = true, std::uint8_t ttl = 64) {
    IcmpEchoSpec spec;
    spec.source = from;
    spec.destination = to;
    spec.identifier = id;
    spec.request = request;
    spec.payload = text_bytes("ping");
    spec.ttl = ttl;
    return Datagram{build_icmp_echo(spec)};
}

inline NatAddresses addresses_of(const std::vector<std::string>& external,
                                 const std::string& inside = "10.0.1.1") {
    NatAddresses a;
    for (const auto& e : external) a.external.push_back(ip(e));
    a.inside = ip(inside);
    return a;
}

// A NAT with external address 198.18.1.1 (or the given pool) and LAN address
// 10.0.1.1, recording every event.
class NatUnderTest {
public:
    explicit NatUnderTest(NatConfig config, std::uint64_t seed = 1,
                          NatAddresses addresses = addresses_of({"198.18.1.1"}))
        : nat(config, std::move(addresses), seed, [this](const NatEvent& e) { events.push_back(e); }) {}

    // Sends UDP inside -> remote at time `at`; the translated flow, or nullopt if dropped.
    std::optional<Flow> out(const std::string& inside, const std::string& remote, double at = 0) {
        return send({ep(inside), ep(remote)}, Direction::Outbound, at);
    }
    // Sends UDP remote -> external at time `at` from the outside.
    std::optional<Flow> in(const std::string& remote, const std::string& external, double at = 0) {
        return send({ep(remote), ep(external)}, Direction::Inbound, at);
    }
    std::optional<Flow> send(Flow flow, Direction from, double at) {
        Datagram d{flow};
        return send(d, from, at);
    }
    // TCP with `flags` either way.
    std::optional<Flow> tcp_out(const std::string& inside, const std::string& remote, std::uint8_t flags,
                                double at = 0) {
        auto d = tcp_segment(ep(inside), ep(remote), flags);
        return send(d, Direction::Outbound, at);
    }
    std::optional<Flow> tcp_in(const std::string& remote, const std::string& external, std::uint8_t flags,
                               double at = 0) {
        auto d = tcp_segment(ep(remote), ep(external), flags);
        return send(d, Direction::Inbound, at);
    }
    // Any datagram (a copy: `d` stays as it was); on success `last` holds the translated bytes.
    std::optional<Flow> send(Datagram d, Direction from, double at) {
        auto result = nat.handle(d.view(), from, t(at));
        if (!result) return std::nullopt;
        last = Datagram{std::vector<std::byte>(result->bytes().begin(), result->bytes().end())};
        return result->flow();
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
    Datagram last{std::vector<std::byte>{}};
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
