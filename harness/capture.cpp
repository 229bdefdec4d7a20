#include "capture.h"

#include <pcap/pcap.h>
#include <poll.h>

#include "setup_error.h"

namespace natlab::harness {

struct Capture::Tap {
    pcap_t* handle = nullptr;
    pcap_dumper_t* dumper = nullptr;
    std::string device;

    ~Tap() {
        if (dumper) pcap_dump_close(dumper);
        if (handle) pcap_close(handle);
    }
};

namespace {

void check(pcap_t* handle, int rc, const std::string& what) {
    if (rc < 0) throw SetupError("pcap: " + what + ": " + pcap_geterr(handle));
}

void write_packet(u_char* user, const pcap_pkthdr* header, const u_char* bytes) {
    auto* dumper = reinterpret_cast<pcap_dumper_t*>(user);
    pcap_dump(reinterpret_cast<u_char*>(dumper), header, bytes);
}

}  // namespace

Capture::Capture() = default;
Capture::~Capture() { stop(); }

void Capture::add(const std::string& device, const std::string& file) {
    auto tap = std::make_unique<Tap>();
    tap->device = device;
    char errbuf[PCAP_ERRBUF_SIZE] = {};
    tap->handle = pcap_create(device.c_str(), errbuf);
    if (!tap->handle) throw SetupError("pcap: open " + device + ": " + errbuf);
    pcap_set_snaplen(tap->handle, 65535);
    pcap_set_immediate_mode(tap->handle, 1);
    pcap_set_buffer_size(tap->handle, 4 << 20);
    check(tap->handle, pcap_activate(tap->handle), "activate " + device);
    check(tap->handle, pcap_setnonblock(tap->handle, 1, errbuf), "non-blocking " + device);
    tap->dumper = pcap_dump_open(tap->handle, file.c_str());
    if (!tap->dumper) throw SetupError("pcap: write " + file + ": " + pcap_geterr(tap->handle));
    taps_.push_back(std::move(tap));
}

void Capture::start() {
    running_ = true;
    thread_ = std::thread([this] { loop(); });
}

void Capture::stop() {
    if (!running_.exchange(false)) return;
    if (thread_.joinable()) thread_.join();
    drain_all();
    taps_.clear();
}

void Capture::drain_all() {
    for (auto& tap : taps_) {
        int n = pcap_dispatch(tap->handle, -1, write_packet, reinterpret_cast<u_char*>(tap->dumper));
        if (n > 0) {
            packets_ += n;
            pcap_dump_flush(tap->dumper);
        }
    }
}

void Capture::loop() {
    std::vector<pollfd> fds;
    for (auto& tap : taps_) fds.push_back({pcap_get_selectable_fd(tap->handle), POLLIN, 0});
    while (running_) {
        if (::poll(fds.data(), fds.size(), 50) <= 0) continue;
        drain_all();
    }
}

}  // namespace natlab::harness
