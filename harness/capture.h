// Packet capture of every lab link to pcap files, with libpcap.
//
// Theory of operation: the lab opens one pcap handle per link on the link's
// switch end (inside the switch namespace) before any process starts, so the
// first packet of a run is in the file. One thread polls all handles and
// appends packets to their files; stop() drains what is still queued,
// flushes and closes every file. If the lab is killed, the files end at the
// last flush (each packet is flushed as it is written), still readable.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace natlab::harness {

class Capture {
public:
    Capture();
    ~Capture();
    Capture(const Capture&) = delete;
    Capture& operator=(const Capture&) = delete;

    // Opens `device` (in the calling thread's namespace) into `file`.
    void add(const std::string& device, const std::string& file);
    void start();
    void stop();
    std::uint64_t packets() const { return packets_; }

private:
    struct Tap;
    void loop();
    void drain_all();

    std::vector<std::unique_ptr<Tap>> taps_;
    std::thread thread_;
    std::atomic<bool> running_{false};
    std::atomic<std::uint64_t> packets_{0};
};

}  // namespace natlab::harness
