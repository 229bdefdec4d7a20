#include "harness/lab/capture.h"

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "src/net/setup_error.h"

namespace natlab::harness {

struct Capture::Tap {
    pcap_t* dead = nullptr;  // only the file format: link type, snap length
    pcap_dumper_t* dumper = nullptr;

    ~Tap() {
        if (dumper) pcap_dump_close(dumper);
        if (dead) pcap_close(dead);
    }
};

namespace {

constexpr int kSnapLen = 65535;
constexpr int kBatch = 32;
constexpr int kReceiveBuffer = 16 << 20;

int open_socket() {
    int fd = ::socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) throw_errno("capture: packet socket");
    int size = kReceiveBuffer;
    if (::setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) != 0)
        ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);  // without CAP_NET_ADMIN: up to rmem_max
    int on = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on);
    return fd;
}

// From now on every frame of every interface of the namespace is queued.
void bind_all(int fd) {
    sockaddr_ll all{};
    all.sll_family = AF_PACKET;
    all.sll_protocol = htons(ETH_P_ALL);
    all.sll_ifindex = 0;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&all), sizeof all) != 0) throw_errno("capture: bind");
}

timeval stamp_of(msghdr& msg) {
    for (auto* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_TIMESTAMPNS) continue;
        timespec ts;
        std::memcpy(&ts, CMSG_DATA(c), sizeof ts);
        return {ts.tv_sec, static_cast<suseconds_t>(ts.tv_nsec / 1000)};
    }
    timeval now{};
    ::gettimeofday(&now, nullptr);
    return now;
}

}  // namespace

Capture::Capture() {
    wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (wake_fd_ < 0) throw_errno("eventfd");
}

Capture::~Capture() {
    stop();
    ::close(wake_fd_);
}

void Capture::open(const std::vector<std::pair<std::string, std::string>>& taps) {
    for (auto& [device, file] : taps) {
        int index = static_cast<int>(::if_nametoindex(device.c_str()));
        if (index == 0) throw_errno("capture: no device " + device);
        auto tap = std::make_unique<Tap>();
        tap->dead = pcap_open_dead(DLT_EN10MB, kSnapLen);
        if (!tap->dead) throw SetupError("pcap: cannot allocate a handle for " + file);
        tap->dumper = pcap_dump_open(tap->dead, file.c_str());
        if (!tap->dumper) throw SetupError("pcap: write " + file + ": " + pcap_geterr(tap->dead));
        taps_[index] = std::move(tap);
    }
    socket_ = open_socket();
    bind_all(socket_);
}

void Capture::start() {
    running_ = true;
    thread_ = std::thread([this] { loop(); });
}

void Capture::stop() {
    if (running_.exchange(false)) {
        std::uint64_t one = 1;
        if (::write(wake_fd_, &one, sizeof one) < 0) {
        }  // the thread's poll also times out
        if (thread_.joinable()) thread_.join();
    }
    if (socket_ >= 0) {
        while (drain()) {
        }
        ::close(socket_);
        socket_ = -1;
    }
    taps_.clear();
}

// One recvmmsg batch into the files; frames of other interfaces are dropped.
bool Capture::drain() {
    static thread_local std::vector<unsigned char> buffers(kBatch * kSnapLen);
    sockaddr_ll from[kBatch];
    iovec iov[kBatch];
    mmsghdr msgs[kBatch];
    alignas(cmsghdr) char control[kBatch][CMSG_SPACE(sizeof(timespec))];
    for (int i = 0; i < kBatch; ++i) {
        iov[i] = {buffers.data() + i * kSnapLen, kSnapLen};
        msgs[i].msg_hdr = {&from[i], sizeof from[i], &iov[i], 1, control[i], sizeof control[i], 0};
    }
    int n = ::recvmmsg(socket_, msgs, kBatch, MSG_DONTWAIT | MSG_TRUNC, nullptr);
    if (n <= 0) return false;
    std::map<int, Tap*> touched;
    for (int i = 0; i < n; ++i) {
        auto it = taps_.find(from[i].sll_ifindex);
        if (it == taps_.end()) continue;
        pcap_pkthdr header{};
        header.ts = stamp_of(msgs[i].msg_hdr);
        header.caplen = std::min<bpf_u_int32>(msgs[i].msg_len, kSnapLen);
        header.len = msgs[i].msg_len;
        pcap_dump(reinterpret_cast<u_char*>(it->second->dumper), &header,
                  static_cast<u_char*>(iov[i].iov_base));
        touched[it->first] = it->second.get();
        ++packets_;
    }
    for (auto& [index, tap] : touched) pcap_dump_flush(tap->dumper);
    return true;
}

void Capture::loop() {
    pollfd fds[2] = {{socket_, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
    while (running_) {
        if (::poll(fds, 2, 1000) <= 0) continue;
        while (running_ && drain()) {
        }
    }
}

}  // namespace natlab::harness
