#include "simulator/io/link.h"

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "src/net/setup_error.h"

namespace natlab::nat {
namespace {

constexpr int kSocketBuffer = 4 << 20;
constexpr std::size_t kSendChunk = 64;

void set_option(int fd, int level, int name, int value, const std::string& what) {
    if (setsockopt(fd, level, name, &value, sizeof value) < 0) throw system_error(what);
}

// Large socket buffers absorb bursts; the FORCE variant (CAP_NET_ADMIN) is
// not capped by net.core.[rw]mem_max, the plain one is the fallback.
void set_buffer(int fd, int force_name, int name, const std::string& what) {
    if (setsockopt(fd, SOL_SOCKET, force_name, &kSocketBuffer, sizeof kSocketBuffer) == 0) return;
    set_option(fd, SOL_SOCKET, name, kSocketBuffer, what);
}

// struct virtio_net_hdr (linux/virtio_net.h, which does not compile as C++).
struct virtio_net_hdr {
    std::uint8_t flags;
    std::uint8_t gso_type;
    std::uint16_t hdr_len;
    std::uint16_t gso_size;
    std::uint16_t csum_start;
    std::uint16_t csum_offset;
};
static_assert(sizeof(virtio_net_hdr) == RxBatch::kVnetHeaderSize);
constexpr std::uint8_t VIRTIO_NET_HDR_F_NEEDS_CSUM = 1;

// Packet sockets use the legacy virtio layout in the host's byte order.
FrameMeta meta_of(const virtio_net_hdr& h) {
    return {(h.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) != 0,
            h.csum_start,
            h.csum_offset,
            h.gso_type,
            h.gso_size,
            h.hdr_len};
}

virtio_net_hdr header_of(const FrameMeta& m) {
    virtio_net_hdr h{};
    h.flags = m.checksum_partial ? VIRTIO_NET_HDR_F_NEEDS_CSUM : 0;
    h.gso_type = m.gso_type;
    h.hdr_len = m.header_length;
    h.gso_size = m.gso_size;
    h.csum_start = m.checksum_partial ? m.checksum_start : 0;
    h.csum_offset = m.checksum_partial ? m.checksum_offset : 0;
    return h;
}

MacAddress read_mac(int fd, const std::string& interface) {
    ifreq request{};
    std::strncpy(request.ifr_name, interface.c_str(), IFNAMSIZ - 1);
    if (ioctl(fd, SIOCGIFHWADDR, &request) < 0)
        throw system_error("interface " + interface + ": SIOCGIFHWADDR");
    if (request.ifr_hwaddr.sa_family != ARPHRD_ETHER)
        throw SetupError{"interface " + interface + ": not an Ethernet interface"};
    MacAddress mac;
    std::memcpy(mac.octets.data(), request.ifr_hwaddr.sa_data, mac.octets.size());
    return mac;
}

}  // namespace

RxBatch::RxBatch() : storage_(new std::byte[kCapacity * kSlotSize]) {}

// The frame after its virtio_net_hdr.
std::span<std::byte> RxBatch::frame(std::size_t i) {
    std::size_t length = std::min<std::size_t>(headers_[i].msg_len, kSlotSize);
    return std::span{storage_.get() + i * kSlotSize + kVnetHeaderSize,
                     length - std::min(length, kVnetHeaderSize)};
}

RxInfo RxBatch::info(std::size_t i) const {
    RxInfo info;
    info.truncated = (headers_[i].msg_hdr.msg_flags & MSG_TRUNC) || headers_[i].msg_len < kVnetHeaderSize;
    info.vlan_tagged = status(i) & TP_STATUS_VLAN_VALID;
    virtio_net_hdr h;
    std::memcpy(&h, storage_.get() + i * kSlotSize, sizeof h);
    info.meta = meta_of(h);
    return info;
}

void RxBatch::prepare() {
    for (std::size_t i = 0; i < kCapacity; ++i) {
        iov_[i] = {storage_.get() + i * kSlotSize, kSlotSize};
        headers_[i] = {};
        headers_[i].msg_hdr.msg_iov = &iov_[i];
        headers_[i].msg_hdr.msg_iovlen = 1;
        headers_[i].msg_hdr.msg_control = control_[i].data();
        headers_[i].msg_hdr.msg_controllen = kControlSize;
    }
    count_ = 0;
}

// The tp_status of the frame's PACKET_AUXDATA, 0 if the kernel sent none.
unsigned RxBatch::status(std::size_t i) const {
    auto* header = const_cast<msghdr*>(&headers_[i].msg_hdr);
    for (cmsghdr* c = CMSG_FIRSTHDR(header); c; c = CMSG_NXTHDR(header, c)) {
        if (c->cmsg_level != SOL_PACKET || c->cmsg_type != PACKET_AUXDATA) continue;
        tpacket_auxdata aux;
        std::memcpy(&aux, CMSG_DATA(c), sizeof aux);
        return aux.tp_status;
    }
    return 0;
}

Link::Link(std::string interface, LinkMode mode) : name_(std::move(interface)) {
    // Protocol 0 until bind, so no frame of another interface is queued meanwhile.
    fd_ = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd_ < 0) throw system_error("interface " + name_ + ": AF_PACKET socket");
    int ifindex = static_cast<int>(if_nametoindex(name_.c_str()));
    if (ifindex == 0) {
        int err = errno;
        ::close(fd_);
        throw system_error("interface " + name_, err);
    }
    try {
        configure(ifindex, mode);
    } catch (...) {
        ::close(fd_);
        throw;
    }
}

void Link::configure(int ifindex, LinkMode mode) {
    mac_ = read_mac(fd_, name_);
    std::string what = "interface " + name_ + ": setsockopt ";
    set_option(fd_, SOL_PACKET, PACKET_IGNORE_OUTGOING, 1, what + "PACKET_IGNORE_OUTGOING");
    set_option(fd_, SOL_PACKET, PACKET_AUXDATA, 1, what + "PACKET_AUXDATA");
    set_option(fd_, SOL_PACKET, PACKET_VNET_HDR, 1, what + "PACKET_VNET_HDR");
    set_buffer(fd_, SO_RCVBUFFORCE, SO_RCVBUF, what + "SO_RCVBUF");
    set_buffer(fd_, SO_SNDBUFFORCE, SO_SNDBUF, what + "SO_SNDBUF");
    sockaddr_ll address{};
    address.sll_family = AF_PACKET;
    address.sll_protocol = htons(ETH_P_ALL);
    address.sll_ifindex = ifindex;
    if (bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) < 0)
        throw system_error("interface " + name_ + ": bind");
    if (mode != LinkMode::Promiscuous) return;
    packet_mreq membership{};
    membership.mr_ifindex = ifindex;
    membership.mr_type = PACKET_MR_PROMISC;
    if (setsockopt(fd_, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &membership, sizeof membership) < 0)
        throw system_error(what + "PACKET_ADD_MEMBERSHIP (promiscuous)");
}

Link::~Link() {
    if (fd_ >= 0) ::close(fd_);
}

Link::Link(Link&& other) noexcept : name_(std::move(other.name_)), fd_(other.fd_), mac_(other.mac_) {
    other.fd_ = -1;
}

std::size_t Link::receive(RxBatch& batch) {
    batch.prepare();
    int n = recvmmsg(fd_, batch.headers_.data(), RxBatch::kCapacity, MSG_DONTWAIT, nullptr);
    batch.count_ = n > 0 ? static_cast<std::size_t>(n) : 0;
    return batch.count_;
}

std::size_t Link::send(const TxBatch& batch) {
    auto frames = batch.entries();
    std::size_t accepted = 0;
    while (!frames.empty()) {
        int sent = send_chunk(frames.first(std::min(kSendChunk, frames.size())));
        // A refused frame is skipped, so that one bad frame cannot hold back the rest.
        if (sent > 0) accepted += static_cast<std::size_t>(sent);
        frames = frames.subspan(sent > 0 ? static_cast<std::size_t>(sent) : 1);
    }
    return accepted;
}

// Each frame goes out as two pieces: its virtio_net_hdr, then its bytes.
int Link::send_chunk(std::span<const TxBatch::Entry> frames) {
    std::array<mmsghdr, kSendChunk> headers{};
    std::array<std::array<iovec, 2>, kSendChunk> iov{};
    std::array<virtio_net_hdr, kSendChunk> vnet{};
    for (std::size_t i = 0; i < frames.size(); ++i) {
        vnet[i] = header_of(frames[i].meta);
        iov[i][0] = {&vnet[i], sizeof vnet[i]};
        iov[i][1] = {const_cast<std::byte*>(frames[i].bytes.data()), frames[i].bytes.size()};
        headers[i].msg_hdr.msg_iov = iov[i].data();
        headers[i].msg_hdr.msg_iovlen = 2;
    }
    return sendmmsg(fd_, headers.data(), static_cast<unsigned>(frames.size()), MSG_DONTWAIT);
}

int Link::take_error() {
    int error = 0;
    socklen_t size = sizeof error;
    if (getsockopt(fd_, SOL_SOCKET, SO_ERROR, &error, &size) < 0) return errno;
    return error;
}

}  // namespace natlab::nat
