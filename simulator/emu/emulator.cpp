#include "simulator/emu/emulator.h"

#include <poll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>

namespace natlab::nat {
namespace {

using Clock = std::chrono::steady_clock;
constexpr int kBatchesPerWake = 8;  // then let the other link have a turn

Millis tick_interval_for(const NatConfig& nat) {
    Millis shortest = std::min({nat.mapping_timeout, nat.icmp_timeout, nat.tcp_transitory_timeout});
    return std::clamp<Millis>(shortest / 10, std::chrono::milliseconds{100}, std::chrono::seconds{1});
}

int milliseconds_until(TimePoint deadline) {
    auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()).count();
    return static_cast<int>(std::max<decltype(left)>(left, 0));
}

DatapathConfig datapath_config(const EmuOptions& o, const Link& inside, const Link& outside) {
    return {o.name,
            o.routes(),
            o.inside.address,
            o.outside_addresses(),
            inside.mac(),
            outside.mac(),
            o.nat,
            Trace::requested_by_environment(),
            o.ipv6};
}

}  // namespace

Emulator::Emulator(const EmuOptions& options, EventLog& log, std::uint64_t seed)
    : log_(log),
      tick_interval_(tick_interval_for(options.nat)),
      inside_(options.inside_interface),
      outside_(options.outside_interface),
      datapath_(datapath_config(options, inside_, outside_), seed,
                [this](const NatEvent& e) { on_event(e); }) {
    const portmap::Policy& policy = options.port_mapping;
    if (!policy.any()) return;
    mapping_service_.emplace(
        datapath_.nat(), policy, [this](const NatEvent& e) { on_event(e); }, Clock::now());
    if (policy.nat_pmp || policy.pcp) {
        responder_.emplace(*mapping_service_);
        datapath_.nat().serve(kPortMappingServerPort, &*responder_);
    }
    if (policy.upnp) start_igd(options);
}

// The UPnP IGD on the inside address (simulator/portmap/igd_server.h), over the same MappingService.
void Emulator::start_igd(const EmuOptions& options) {
    igd_grants_.emplace(*mapping_service_);
    portmap::DeviceIdentity identity{options.inside.address, portmap::kDefaultHttpPort, options.upnp_version};
    portmap::IgdPolicy policy{!options.port_mapping.refuse, options.upnp_permanent_only};
    igd_.emplace(identity, policy, *igd_grants_, Clock::now());
    datapath_.attach(&*igd_);
}

int Emulator::run(int signal_fd) {
    std::array<pollfd, 3> fds{
        {{inside_.fd(), POLLIN, 0}, {outside_.fd(), POLLIN, 0}, {signal_fd, POLLIN, 0}}};
    TimePoint next_tick = Clock::now() + tick_interval_;
    int status = 0;
    announce(Clock::now());
    for (;;) {
        int ready = poll(fds.data(), fds.size(), milliseconds_until(next_tick));
        if (ready < 0 && errno != EINTR) {
            std::fprintf(stderr, "nat-emu: poll: %s\n", std::strerror(errno));
            status = 1;
            break;
        }
        TimePoint now = Clock::now();
        if (ready > 0 && !serve(fds, signal_fd, now)) break;
        if (now >= next_tick) next_tick = tick(now);
    }
    log_.write(counters_json(counters(), log_.start(), Clock::now()));
    return status;
}

// Handles whatever poll() reported; false once a termination signal arrived.
bool Emulator::serve(const std::array<pollfd, 3>& fds, int signal_fd, TimePoint now) {
    if (fds[2].revents && !on_signals(signal_fd, now)) return false;
    service(Side::Inside, fds[0].revents, now);
    service(Side::Outside, fds[1].revents, now);
    return true;
}

// Reads every pending signal: SIGUSR2 flushes the mappings, anything else stops.
bool Emulator::on_signals(int signal_fd, TimePoint now) {
    signalfd_siginfo info{};
    while (read(signal_fd, &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
        if (info.ssi_signo != SIGUSR2) return false;
        datapath_.flush(now);
        if (mapping_service_) mapping_service_->restart_epoch(now);
        if (responder_) responder_->restart(now);
        announce(now);
    }
    return true;
}

void Emulator::service(Side side, short revents, TimePoint now) {
    if (revents & POLLERR) {
        int error = link(side).take_error();
        datapath_.link_error(side);
        datapath_.trace()([&] { return link(side).name() + " error: " + std::strerror(error); });
    }
    if (revents & POLLIN) drain(side, now);
}

void Emulator::drain(Side side, TimePoint now) {
    for (int round = 0; round < kBatchesPerWake; ++round) {
        std::size_t received = link(side).receive(rx_);
        std::array<std::span<std::byte>, RxBatch::kCapacity> frames;
        for (std::size_t i = 0; i < received; ++i) frames[i] = rx_.frame(i);
        datapath_.prefetch(side, std::span{frames}.first(received));
        for (std::size_t i = 0; i < received; ++i) on_frame_guarded(side, i, now);
        flush();
        if (received < RxBatch::kCapacity) return;
    }
}

// One frame can never take the loop down: whatever escapes is an internal-error drop.
void Emulator::on_frame_guarded(Side side, std::size_t i, TimePoint now) {
    try {
        datapath_.receive(side, rx_.frame(i), rx_.info(i), now);
    } catch (const std::exception& e) {
        datapath_.count_drop(DropCode::InternalError);
        datapath_.trace()([&] { return std::string{"internal error: "} + e.what(); });
    } catch (...) {
        datapath_.count_drop(DropCode::InternalError);
    }
}

void Emulator::flush() {
    for (Side side : {Side::Inside, Side::Outside}) {
        TxBatch& tx = datapath_.outgoing(side);
        if (!tx.empty()) datapath_.sent(side, link(side).send(tx));
    }
}

TimePoint Emulator::tick(TimePoint now) {
    datapath_.tick(now);
    flush();
    return now + tick_interval_;
}

void Emulator::announce(TimePoint now) {
    if (!responder_) return;
    const Endpoint all_hosts{Ipv4{0xe0000001}, kPortMappingClientPort};  // 224.0.0.1
    for (auto& payload : responder_->announcements(now))
        datapath_.originate(kPortMappingServerPort, all_hosts, std::move(payload), now);
    flush();
}

void Emulator::on_event(const NatEvent& event) {
    log_.write(event);
    datapath_.trace()([&] { return event_json(event, log_.start()).dump(); });
}

}  // namespace natlab::nat
