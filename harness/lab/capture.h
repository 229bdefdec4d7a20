// Packet capture of every lab link to pcap files.
//
// Theory of operation: the lab captures on the link's switch end of every
// veth (inside the switch namespace), from before any process starts, so
// the first packet of a run is in its file. One AF_PACKET socket, opened
// unbound (protocol 0: it sees nothing yet), then bound to every interface
// of the switch namespace with ETH_P_ALL, receives each frame entering or
// leaving any of them with the interface's index; frames of a captured
// interface go to that link's file (libpcap writes them: pcap_open_dead +
// pcap_dump), the rest (bridges, link-stage ends) are ignored. A frame a
// bridge forwards from s1 to s3 is thus seen twice, as it enters s1 and as
// it leaves s3: each link's file shows its own wire.
//
// Why one socket and not one libpcap handle per link: binding or closing a
// packet socket that is already hooked into the stack waits for an RCU
// grace period (a few to tens of ms); libpcap pays three per handle (its
// socket is hooked at creation, then rebound to the device, then its ring
// is set up) and one more to close. Seven links cost ~20 waits; this costs
// one (the close).
//
// One thread reads (recvmmsg, batches of frames, an eventfd to wake it for
// stop()) and appends to the files, flushing after each batch; stop()
// drains what is still queued, flushes and closes every file. If the lab is
// killed, the files end at the last flush, still readable.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace natlab::harness {

class Capture {
public:
    Capture();
    ~Capture();
    Capture(const Capture&) = delete;
    Capture& operator=(const Capture&) = delete;

    // Captures each (device, file) pair, devices in the calling thread's
    // network namespace. Throws SetupError naming the first failure.
    void open(const std::vector<std::pair<std::string, std::string>>& taps);
    void start();
    void stop();
    std::uint64_t packets() const { return packets_; }

private:
    struct Tap;
    void loop();
    bool drain();  // false when nothing was queued

    int socket_ = -1;
    std::map<int, std::unique_ptr<Tap>> taps_;  // by ifindex
    std::thread thread_;
    int wake_fd_ = -1;
    std::atomic<bool> running_{false};
    std::atomic<std::uint64_t> packets_{0};
};

}  // namespace natlab::harness
