// The frame loop: two links in, the datapath in the middle, two links out.
//
// Theory of operation
// -------------------
// The emulator runs in a NAT's network namespace, whose two interfaces are
// up but have no IP address, with ip_forward=0: the kernel there neither
// routes nor answers ARP, so every frame is ours to move.
//
// One thread, one poll() over three descriptors: the inside link, the outside
// link, and a signalfd for SIGTERM/SIGINT (stop) and SIGUSR2 (flush every
// mapping, as a NAT reboot would: nat.h). When a link is readable its frames
// are read in batches (recvmmsg, up to 8 batches before the other link gets a
// turn) and each goes through the datapath (datapath.h: Ethernet, ARP, the
// NAT, routing). The datapath's transmit batches are flushed (sendmmsg) after
// each receive batch, because translated frames are sent straight from the
// receive buffers.
//
// Time: the loop reads steady_clock once per wake-up and passes it down. A
// periodic tick (at most every second, sooner for short mapping timeouts)
// sweeps expired mappings and retries or abandons unanswered ARP requests.
//
// Port mapping: when the scenario switches NAT-PMP or PCP on, the emulator
// owns the MappingService and the responder (simulator/portmap/) and
// registers the responder on UDP 5351 of the inside address; it sends their
// announcements to 224.0.0.1:5350 when the loop starts and after each flush
// (RFC 6886 §3.2.1, RFC 6887 §14.1.3). With UPnP on, it also owns the IGD
// (SSDP, HTTP, SOAP: simulator/portmap/igd_server.h) and attaches it to the
// datapath as the inside link's LAN service; the datapath's tick drives its
// TCP retransmissions and leases.
//
// Errors: a bad frame is a counted drop, never a crash. Each frame is handled
// under a catch-all that turns an unexpected exception into an
// "internal-error" drop.
#pragma once

#include <poll.h>

#include <array>

#include "simulator/emu/emu_options.h"
#include "simulator/emu/event_log.h"
#include "simulator/io/link.h"
#include "simulator/portmap/igd_grants.h"
#include "simulator/portmap/igd_server.h"
#include "simulator/portmap/nat_mapping_service.h"
#include "simulator/portmap/responder.h"
#include "simulator/router/datapath.h"

namespace natlab::nat {

class Emulator {
public:
    // Opens both links; throws SetupError. `log` must outlive the emulator.
    Emulator(const EmuOptions& options, EventLog& log, std::uint64_t seed);

    // Moves frames until `signal_fd` (a signalfd) delivers SIGTERM or SIGINT,
    // then writes the counters line to the event log. SIGUSR2 flushes. Returns the exit status:
    // 0, or 1 if poll() itself failed.
    int run(int signal_fd);
    CountersSnapshot counters() const { return datapath_.counters(); }

private:
    Link& link(Side side) { return side == Side::Inside ? inside_ : outside_; }
    bool serve(const std::array<pollfd, 3>& fds, int signal_fd, TimePoint now);
    bool on_signals(int signal_fd, TimePoint now);  // false: stop
    void service(Side side, short revents, TimePoint now);
    void drain(Side side, TimePoint now);
    void on_frame_guarded(Side side, std::size_t i, TimePoint now);
    void flush();
    TimePoint tick(TimePoint now);  // returns when the next tick is due
    void on_event(const NatEvent& event);
    void announce(TimePoint now);
    void start_igd(const EmuOptions& options);

    EventLog& log_;
    Millis tick_interval_;
    Link inside_;
    Link outside_;
    RxBatch rx_;
    Datapath datapath_;
    std::optional<portmap::NatMappingService> mapping_service_;
    std::optional<portmap::PortMapResponder> responder_;
    std::optional<portmap::ServiceGrants> igd_grants_;
    std::optional<portmap::IgdServer> igd_;
};

}  // namespace natlab::nat
