// libFuzzer target: arbitrary frames through the whole frame path.
//
// Each input (format: fuzz_input.h) builds a fresh Datapath, with the NAT
// behaviours its first byte picks, and feeds it the input's frames on either
// link, advancing the fake clock and ticking between them: Ethernet, ARP,
// IPv4/UDP/TCP/ICMP parsing, translation, hairpinning, ICMP errors both ways
// and those the NAT originates, expiry, routing and ARP queues; and the IPv6
// branch (firewall, nptv6, nat64 or route, neighbour discovery, echo, ICMPv6
// errors, neighbour queues). No sockets.
//
// Besides what AddressSanitizer and UndefinedBehaviorSanitizer catch, every
// frame the datapath would transmit is checked: an Ethernet frame from our
// MAC, and if it carries IPv4, a header whose checksum is right; if IPv6, a
// packet Ipv6Packet accepts. A frame that breaks that traps.
//
//   ci/fuzz [SECONDS]

#include <cstddef>
#include <cstdint>

#include "simulator/fuzz/fuzz_input.h"
#include "simulator/wire/bytes.h"
#include "simulator/wire/checksum.h"

namespace {

using namespace natlab;
using namespace natlab::nat;

void check_ipv6(std::span<const std::byte> bytes) {
    std::vector<std::byte> copy(bytes.begin(), bytes.end());
    DropReason why;
    if (!Ipv6Packet::parse(copy, why)) __builtin_trap();
}

void check_sent(Datapath& path, Side side, const MacAddress& ours) {
    for (const auto& entry : path.outgoing(side).entries()) {
        auto ethernet = parse_ethernet(entry.bytes);
        if (!ethernet || ethernet->source != ours) __builtin_trap();
        if (ethernet->ethertype == kEtherTypeIpv6) check_ipv6(entry.bytes.subspan(kEthernetHeaderSize));
        if (ethernet->ethertype != kEtherTypeIpv4) continue;
        auto ip = entry.bytes.subspan(kEthernetHeaderSize);
        if (ip.size() < kIpv4HeaderSize) __builtin_trap();
        std::size_t header = std::size_t{load8(ip, 0) & 0x0fu} * 4;
        if (header < kIpv4HeaderSize || header > ip.size() || internet_checksum(ip.first(header)) != 0)
            __builtin_trap();
    }
    path.sent(side, path.outgoing(side).entries().size());
}

}  // namespace

// A pause in the input: time passes, and the NAT expires what it must.
void advance(Datapath& path, TimePoint& now, int seconds) {
    if (!seconds) return;
    now += std::chrono::seconds{seconds};
    path.tick(now);
}

// One frame in, as the emulator hands it over; whatever comes out is checked.
void feed(Datapath& path, fuzz::Record& record, TimePoint now, const DatapathConfig& config) {
    std::span<std::byte> frame{record.frame};
    path.prefetch(record.side, {&frame, 1});  // as the emulator does before each batch
    path.receive(record.side, record.frame, record.info, now);
    check_sent(path, Side::Inside, config.inside_mac);
    check_sent(path, Side::Outside, config.outside_mac);
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    std::span<const std::uint8_t> in{data + 1, size - 1};
    auto config = fuzz::lab_config(fuzz::config_from(data[0]), fuzz::ipv6_config_from(data[0]));
    Datapath path{config, 1, {}};
    TimePoint now{};
    fuzz::Record record;
    while (fuzz::next_record(in, record)) {
        advance(path, now, record.pause_seconds);
        feed(path, record, now, config);
    }
    return 0;
}
