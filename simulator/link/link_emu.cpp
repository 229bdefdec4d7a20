#include "simulator/link/link_emu.h"

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>

namespace natlab::nat {
namespace {

using Clock = std::chrono::steady_clock;
constexpr int kBatchesPerWake = 8;  // then let the other side have a turn

// The two directions draw from different streams of one seed (splitmix64).
std::uint64_t stream_seed(std::uint64_t seed, std::uint64_t stream) {
    std::uint64_t z = seed + 0x9e3779b97f4a7c15ULL * (stream + 1);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

nlohmann::ordered_json counters_object(const ImpairmentCounters& c) {
    return {{"forwarded", c.forwarded}, {"lost", c.lost}, {"down", c.down}, {"queue_full", c.queue_full}};
}

// ppoll's timeout: until the earliest due frame, or forever.
std::optional<timespec> wait_until(std::optional<TimePoint> due) {
    if (!due) return std::nullopt;
    auto left = std::max(*due - Clock::now(), Clock::duration{0});
    auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(left).count();
    return timespec{static_cast<time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)};
}

std::optional<TimePoint> earliest(std::optional<TimePoint> a, std::optional<TimePoint> b) {
    if (!a) return b;
    if (!b) return a;
    return std::min(*a, *b);
}

}  // namespace

std::string link_counters_json(const LinkEmuCounters& counters) {
    nlohmann::ordered_json line{{"event", "counters"},
                                {"a_to_b", counters_object(counters.a_to_b)},
                                {"b_to_a", counters_object(counters.b_to_a)}};
    return line.dump();
}

LinkEmu::LinkEmu(const LinkEmuOptions& options, std::uint64_t seed)
    : a_(options.a_interface, LinkMode::Promiscuous),
      b_(options.b_interface, LinkMode::Promiscuous),
      a_to_b_(options.impairment, stream_seed(seed, 0)),
      b_to_a_(options.impairment, stream_seed(seed, 1)) {}

int LinkEmu::run(int signal_fd, int command_fd) {
    std::array<pollfd, 4> fds{
        {{a_.fd(), POLLIN, 0}, {b_.fd(), POLLIN, 0}, {signal_fd, POLLIN, 0}, {command_fd, POLLIN, 0}}};
    for (;;) {
        auto timeout = wait_until(earliest(a_to_b_.next_due(), b_to_a_.next_due()));
        int ready = ppoll(fds.data(), fds.size(), timeout ? &*timeout : nullptr, nullptr);
        if (ready < 0 && errno != EINTR) {
            std::fprintf(stderr, "link-emu: ppoll: %s\n", std::strerror(errno));
            return 1;
        }
        TimePoint now = Clock::now();
        if (ready > 0 && fds[2].revents) return 0;
        if (ready > 0 && fds[3].revents && !read_commands(command_fd, now)) fds[3].fd = -1;
        if (ready > 0 && fds[0].revents & POLLIN) drain(End::A, now);
        if (ready > 0 && fds[1].revents & POLLIN) drain(End::B, now);
        for (auto& fd : fds) fd.revents = 0;
        deliver(Clock::now());
    }
}

// Copies every waiting frame of one end into its direction's queue.
void LinkEmu::drain(End end, TimePoint now) {
    for (int round = 0; round < kBatchesPerWake; ++round) {
        std::size_t received = link(end).receive(rx_);
        for (std::size_t i = 0; i < received; ++i) {
            RxInfo info = rx_.info(i);
            if (info.truncated) continue;  // over 64 KiB: cannot be forwarded whole
            auto bytes = rx_.frame(i);
            from(end).offer(Frame{{bytes.begin(), bytes.end()}, info.meta}, now);
        }
        if (received < RxBatch::kCapacity) return;
    }
}

void LinkEmu::deliver(TimePoint now) {
    deliver(a_to_b_, b_, now);
    deliver(b_to_a_, a_, now);
}

void LinkEmu::deliver(Impairment& direction, Link& out, TimePoint now) {
    TxBatch batch;
    while (auto frame = direction.take_due(now)) batch.add(std::move(*frame));
    if (!batch.empty()) out.send(batch);
}

// Reads what standard input has; applies every complete line.
bool LinkEmu::read_commands(int fd, TimePoint now) {
    char buffer[4096];
    ssize_t n = read(fd, buffer, sizeof buffer);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) return true;
    if (n <= 0) return false;
    pending_input_.append(buffer, static_cast<std::size_t>(n));
    for (auto end = pending_input_.find('\n'); end != std::string::npos; end = pending_input_.find('\n')) {
        apply(pending_input_.substr(0, end), now);
        pending_input_.erase(0, end + 1);
    }
    return true;
}

void LinkEmu::apply(const std::string& line, TimePoint now) {
    LinkCommand command = parse_link_command(line);
    if (!command.error.empty()) {
        std::fprintf(stderr, "link-emu: ignored command '%s': %s\n", line.c_str(), command.error.c_str());
        return;
    }
    for (Impairment* direction : {&a_to_b_, &b_to_a_}) {
        if (command.kind == LinkCommand::Kind::Down) direction->set_down(true);
        if (command.kind == LinkCommand::Kind::Up) direction->set_down(false);
        if (command.kind != LinkCommand::Kind::Set) continue;
        LinkImpairment settings = direction->settings();
        command.change.apply_to(settings);
        direction->configure(settings, now);
    }
}

}  // namespace natlab::nat
