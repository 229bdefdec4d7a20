#include "emulator.h"

#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace natlab::nat {
namespace {

using Clock = std::chrono::steady_clock;
constexpr int kBatchesPerWake = 8;  // then let the other link have a turn

Direction arrived_from(Side side) {
    return side == Side::Inside ? Direction::Outbound : Direction::Inbound;
}

// The direction a frame leaving by `side` was travelling (for drops after routing).
Direction leaving_by(Side side) {
    return side == Side::Outside ? Direction::Outbound : Direction::Inbound;
}

Duration tick_interval_for(Duration mapping_timeout) {
    return std::clamp<Duration>(mapping_timeout / 10, std::chrono::milliseconds{100},
                                std::chrono::seconds{1});
}

int milliseconds_until(TimePoint deadline) {
    auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()).count();
    return static_cast<int>(std::max<decltype(left)>(left, 0));
}

std::optional<Flow> flow_of(std::vector<std::byte>& frame) {
    if (frame.size() < kEthernetHeaderSize) return std::nullopt;
    DropReason ignored;
    auto packet = Ipv4Packet::parse(std::span{frame}.subspan(kEthernetHeaderSize), ignored);
    return packet ? std::optional{packet->flow()} : std::nullopt;
}

DropReason to_the_nat(Ipv4 address) {
    return {DropCode::NotOurAddress,
            "not our address: " + address.to_string() + " is the NAT itself, which runs no services"};
}

}  // namespace

Emulator::Port::Port(Side side, const std::string& interface, Ipv4 address)
    : side(side), link(interface), arp(address, link.mac()) {}

Emulator::Emulator(const EmuOptions& options, EventLog& log, std::uint64_t seed)
    : log_(log),
      trace_(options.name, Trace::requested_by_environment()),
      routes_(options.routes()),
      tick_interval_(tick_interval_for(options.nat.mapping_timeout)),
      inside_(Side::Inside, options.inside_interface, options.inside.address),
      outside_(Side::Outside, options.outside_interface, options.outside.address),
      nat_(options.nat, options.outside.address, seed, [this](const NatEvent& e) { on_event(e); }) {}

int Emulator::run(int signal_fd) {
    std::array<pollfd, 3> fds{
        {{inside_.link.fd(), POLLIN, 0}, {outside_.link.fd(), POLLIN, 0}, {signal_fd, POLLIN, 0}}};
    TimePoint next_tick = Clock::now() + tick_interval_;
    int status = 0;
    for (;;) {
        int ready = poll(fds.data(), fds.size(), milliseconds_until(next_tick));
        if (ready < 0 && errno != EINTR) {
            std::fprintf(stderr, "nat-emu: poll: %s\n", std::strerror(errno));
            status = 1;
            break;
        }
        TimePoint now = Clock::now();
        if (ready > 0 && !serve(fds, now)) break;
        if (now >= next_tick) next_tick = tick(now);
    }
    log_.write(counters_json(counters(), log_.start(), Clock::now()));
    return status;
}

// Handles whatever poll() reported; false once a termination signal arrived.
bool Emulator::serve(const std::array<pollfd, 3>& fds, TimePoint now) {
    if (fds[2].revents) return false;
    service(inside_, fds[0].revents, now);
    service(outside_, fds[1].revents, now);
    return true;
}

CountersSnapshot Emulator::counters() const {
    CountersSnapshot snapshot{nat_.counters(), nat_.mappings_live(), inside_.counters, outside_.counters,
                              shell_dropped_};
    snapshot.inside.arp = inside_.arp.counters();
    snapshot.outside.arp = outside_.arp.counters();
    return snapshot;
}

void Emulator::service(Port& in, short revents, TimePoint now) {
    if (revents & POLLERR) {
        int error = in.link.take_error();
        ++in.counters.link_errors;
        trace_([&] { return in.link.name() + " error: " + std::strerror(error); });
    }
    if (revents & POLLIN) drain(in, now);
}

void Emulator::drain(Port& in, TimePoint now) {
    for (int round = 0; round < kBatchesPerWake; ++round) {
        std::size_t received = in.link.receive(in.rx);
        for (std::size_t i = 0; i < received; ++i) on_frame_guarded(in, i, now);
        flush();
        if (received < RxBatch::kCapacity) return;
    }
}

// One frame can never take the loop down: whatever escapes is an internal-error drop.
void Emulator::on_frame_guarded(Port& in, std::size_t i, TimePoint now) {
    try {
        on_frame(in, i, now);
    } catch (const std::exception& e) {
        shell_dropped_.add(DropCode::InternalError);
        trace_([&] { return std::string{"internal error: "} + e.what(); });
    } catch (...) {
        shell_dropped_.add(DropCode::InternalError);
    }
}

void Emulator::on_frame(Port& in, std::size_t i, TimePoint now) {
    ++in.counters.frames_in;
    auto frame = in.rx.frame(i);
    auto ethernet = parse_ethernet(frame);
    if (!ethernet || in.rx.truncated(i)) return ignore(in, DropCode::Malformed);
    if (in.rx.vlan_tagged(i)) return ignore(in, DropCode::UnsupportedEthertype);
    if (ethernet->ethertype == kEtherTypeArp)
        return on_arp(in, *ethernet, std::span{frame}.subspan(kEthernetHeaderSize), now);
    if (ethernet->destination != in.link.mac()) return ignore(in, DropCode::NotOurMac);
    if (ethernet->ethertype != kEtherTypeIpv4) return ignore(in, DropCode::UnsupportedEthertype);
    on_ipv4(in, frame, in.rx.checksum_unfinished(i), now);
}

void Emulator::on_arp(Port& in, const EthernetHeader& ethernet, std::span<const std::byte> payload,
                      TimePoint now) {
    if (ethernet.destination != in.link.mac() && ethernet.destination != MacAddress::broadcast())
        return ignore(in, DropCode::NotOurMac);
    auto message = parse_arp(payload);
    if (!message) return ignore(in, DropCode::Malformed);
    trace_([&] {
        return std::string{to_string(in.side)} + " arp " +
               (message->op == ArpOp::Request ? "request" : "reply") + " from " +
               message->sender_ip.to_string() + " (" + message->sender_mac.to_string() + ") for " +
               message->target_ip.to_string();
    });
    ArpOutput output;
    in.arp.handle(*message, now, output);
    apply(in, output, now);
}

void Emulator::on_ipv4(Port& in, std::span<std::byte> frame, bool checksum_unfinished, TimePoint now) {
    DropReason why;
    auto packet = Ipv4Packet::parse(frame.subspan(kEthernetHeaderSize), why);
    if (!packet) return drop(arrived_from(in.side), std::nullopt, std::move(why), now);
    if (checksum_unfinished) packet->finish_udp_checksum();
    trace_([&] {
        return std::string{to_string(in.side)} + " rx " + packet->flow().to_string() + " ttl " +
               std::to_string(packet->ttl());
    });
    if (in.side == Side::Inside && packet->destination().addr == in.arp.address())
        return drop(arrived_from(in.side), packet->flow(), to_the_nat(in.arp.address()), now);
    translate(in, *packet, frame, now);
}

void Emulator::translate(Port& in, Ipv4Packet packet, std::span<std::byte> frame, TimePoint now) {
    Direction from = arrived_from(in.side);
    std::optional<Flow> before;
    if (trace_.on()) before = packet.flow();
    auto out = nat_.handle(packet, from, now);
    if (!out) return;  // the NAT has reported the drop
    trace_([&] {
        return "nat " + std::string{to_string(from)} + " " + before->to_string() + " => " +
               out->flow().to_string();
    });
    forward(*out, frame.first(kEthernetHeaderSize + out->bytes().size()), from, now);
}

void Emulator::forward(const Ipv4Packet& packet, std::span<std::byte> frame, Direction from, TimePoint now) {
    auto hop = next_hop(routes_, packet.destination().addr);
    if (!hop) return drop(from, packet.flow(), no_route(packet.destination().addr), now);
    transmit(port(hop->side), hop->address, frame, now);
}

void Emulator::transmit(Port& out, Ipv4 next_hop, std::span<std::byte> frame, TimePoint now) {
    ArpOutput output;
    auto mac = out.arp.lookup(next_hop, now, output);
    write_ethernet(frame, {mac.value_or(MacAddress{}), out.link.mac(), kEtherTypeIpv4});
    if (mac)
        out.tx.add(std::span<const std::byte>{frame});
    else
        out.arp.enqueue(next_hop, {frame.begin(), frame.end()}, now, output);
    trace_([&] {
        return std::string{to_string(out.side)} + " tx to " + next_hop.to_string() +
               (mac ? " at " + mac->to_string() : std::string{" (waiting for ARP)"});
    });
    apply(out, output, now);
}

void Emulator::apply(Port& port, ArpOutput& output, TimePoint now) {
    for (auto& frame : output.send) port.tx.add(std::move(frame));
    for (auto& dropped : output.dropped)
        drop(leaving_by(port.side), flow_of(dropped.frame), std::move(dropped.reason), now);
}

void Emulator::flush() {
    for (Port* p : {&inside_, &outside_}) {
        if (p->tx.empty()) continue;
        std::size_t accepted = p->link.send(p->tx);
        p->counters.frames_out += accepted;
        for (std::size_t i = accepted; i < p->tx.frames().size(); ++i)
            shell_dropped_.add(DropCode::SendFailed);
        p->tx.clear();
    }
}

TimePoint Emulator::tick(TimePoint now) {
    nat_.expire(now);
    for (Port* p : {&inside_, &outside_}) {
        ArpOutput output;
        p->arp.tick(now, output);
        apply(*p, output, now);
    }
    flush();
    return now + tick_interval_;
}

void Emulator::ignore(Port& in, DropCode code) {
    shell_dropped_.add(code);
    trace_(
        [&] { return std::string{to_string(in.side)} + " ignored frame: " + std::string{to_string(code)}; });
}

void Emulator::drop(Direction from, std::optional<Flow> flow, DropReason why, TimePoint now) {
    shell_dropped_.add(why.code);
    on_event(DropEvent{now, from, flow, std::move(why)});
}

void Emulator::on_event(const NatEvent& event) {
    log_.write(event);
    trace_([&] { return event_json(event, log_.start()).dump(); });
}

}  // namespace natlab::nat
