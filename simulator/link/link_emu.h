// link-emu's loop: an impaired link between two interfaces.
//
// Theory of operation
// -------------------
// The lab's kernel has no netem, so a link with delay, jitter, loss or a rate
// limit is two veth pairs with link-emu in the middle: it owns one end of
// each and moves every frame from one to the other, in both directions. It
// runs in a namespace of its own (or any namespace whose kernel leaves the
// two interfaces alone: no addresses, no bridge).
//
// Each interface is a Link (link.h): an AF_PACKET socket for every
// ethertype, promiscuous, ignoring its own outgoing frames, with the
// virtio-net header so checksum-offloaded and segmentation-offload frames
// pass unchanged (the receiving kernel finishes them). A frame read from A
// is copied into the A-to-B Impairment (impairment.h: down, loss, rate,
// delay, jitter, FIFO queue) and written to B when it is due; B to A the
// same, with its own queue and random stream. Nothing is parsed: ARP, IPv4,
// IPv6 all cross alike.
//
// One thread, one ppoll() over both sockets, standard input (the commands of
// link_emu_options.h; at EOF it is simply no longer watched) and a signalfd
// for SIGTERM/SIGINT. The timeout is the earliest due frame, with nanosecond
// precision. After every wake-up the due frames of both directions are sent
// with sendmmsg. SIGTERM/SIGINT end the loop; the caller writes the counters.
#pragma once

#include <array>
#include <string>

#include "simulator/io/link.h"
#include "simulator/link/impairment.h"
#include "simulator/link/link_emu_options.h"

namespace natlab::nat {

struct LinkEmuCounters {
    ImpairmentCounters a_to_b;
    ImpairmentCounters b_to_a;
};

// {"event":"counters","a_to_b":{"forwarded":N,"lost":N,"down":N,"queue_full":N},"b_to_a":{...}}
std::string link_counters_json(const LinkEmuCounters& counters);

class LinkEmu {
public:
    // Opens both links; throws SetupError.
    LinkEmu(const LinkEmuOptions& options, std::uint64_t seed);

    // Moves frames until `signal_fd` becomes readable. Returns 0, or 1 if
    // ppoll itself failed.
    int run(int signal_fd, int command_fd);
    LinkEmuCounters counters() const { return {a_to_b_.counters(), b_to_a_.counters()}; }

private:
    enum class End { A, B };

    Link& link(End end) { return end == End::A ? a_ : b_; }
    Impairment& from(End end) { return end == End::A ? a_to_b_ : b_to_a_; }
    void drain(End end, TimePoint now);
    void deliver(TimePoint now);
    void deliver(Impairment& direction, Link& out, TimePoint now);
    bool read_commands(int fd, TimePoint now);  // false at EOF
    void apply(const std::string& line, TimePoint now);

    Link a_;
    Link b_;
    Impairment a_to_b_;
    Impairment b_to_a_;
    RxBatch rx_;
    std::string pending_input_;
};

}  // namespace natlab::nat
