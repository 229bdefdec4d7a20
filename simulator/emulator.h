// The frame loop: two links in, the NAT core in the middle, two links out.
//
// Theory of operation
// -------------------
// The emulator runs in a NAT's network namespace, whose two interfaces are
// up but have no IP address, with ip_forward=0: the kernel there neither
// routes nor answers ARP, so every frame is ours to move.
//
// One thread, one poll() over three descriptors: the inside link, the outside
// link, and a signalfd for SIGTERM/SIGINT. When a link is readable its frames
// are read in batches (recvmmsg) and each frame goes through:
//
//   Ethernet  - for our MAC (ARP may also be broadcast), else counted and ignored;
//   ARP       - arp.cpp answers for our address on that link and learns neighbours;
//   IPv4/UDP  - packet.cpp checks it, nat.cpp translates it (or drops it),
//               route.cpp picks the egress link and next hop, arp.cpp
//               resolves the next hop's MAC (or queues the frame until it
//               can), and the frame, rewritten in place with our MAC as
//               source, joins that link's transmit batch (sendmmsg).
//
// Transmit batches are flushed after each receive batch, because translated
// frames are sent straight from the receive buffers.
//
// Time: the loop reads steady_clock once per wake-up and passes it down. A
// periodic tick (at most every second, sooner for short mapping timeouts)
// sweeps expired mappings and retries or abandons unanswered ARP requests.
//
// Errors: a bad frame is a counted drop, never a crash. Each frame is handled
// under a catch-all that turns an unexpected exception into an
// "internal-error" drop. Drops of IPv4 packets are written to the event log;
// Ethernet-level noise is only counted.
#pragma once

#include <poll.h>

#include <array>
#include <optional>

#include "arp.h"
#include "emu_options.h"
#include "event_log.h"
#include "link.h"
#include "nat.h"
#include "route.h"
#include "trace.h"

namespace natlab::nat {

class Emulator {
public:
    // Opens both links; throws SetupError. `log` must outlive the emulator.
    Emulator(const EmuOptions& options, EventLog& log, std::uint64_t seed);

    // Moves frames until `signal_fd` (a signalfd) becomes readable, then
    // writes the counters line to the event log. Returns the exit status:
    // 0, or 1 if poll() itself failed.
    int run(int signal_fd);
    CountersSnapshot counters() const;

private:
    struct Port {
        Port(Side side, const std::string& interface, Ipv4 address);
        Side side;
        Link link;
        Arp arp;
        RxBatch rx;
        TxBatch tx;
        LinkCounters counters;
    };

    Port& port(Side side) { return side == Side::Inside ? inside_ : outside_; }
    bool serve(const std::array<pollfd, 3>& fds, TimePoint now);
    void service(Port& in, short revents, TimePoint now);
    void drain(Port& in, TimePoint now);
    void on_frame_guarded(Port& in, std::size_t i, TimePoint now);
    void on_frame(Port& in, std::size_t i, TimePoint now);
    void on_arp(Port& in, const EthernetHeader& ethernet, std::span<const std::byte> payload, TimePoint now);
    void on_ipv4(Port& in, std::span<std::byte> frame, bool checksum_unfinished, TimePoint now);
    void translate(Port& in, Ipv4Packet packet, std::span<std::byte> frame, TimePoint now);
    void forward(const Ipv4Packet& packet, std::span<std::byte> frame, Direction from, TimePoint now);
    void transmit(Port& out, Ipv4 next_hop, std::span<std::byte> frame, TimePoint now);
    void apply(Port& port, ArpOutput& output, TimePoint now);
    void flush();
    TimePoint tick(TimePoint now);  // returns when the next tick is due

    void ignore(Port& in, DropCode code);
    void drop(Direction from, std::optional<Flow> flow, DropReason why, TimePoint now);
    void on_event(const NatEvent& event);

    EventLog& log_;
    Trace trace_;
    Routes routes_;
    Duration tick_interval_;
    Port inside_;
    Port outside_;
    Nat nat_;
    DropCounters shell_dropped_;
};

}  // namespace natlab::nat
