// recvmmsg/sendmmsg batches. See udp_batch.h.
//
// sendmmsg may send fewer datagrams than asked (a full socket buffer):
// flush() then waits up to 1 ms for room (poll) and carries on, at most a
// few times, before dropping the rest. A datagram refused outright (no
// route, message too long) is skipped and counted.
#include "src/shell/udp_batch.h"

#include <arpa/inet.h>
#include <poll.h>

#include <algorithm>
#include <cerrno>

#include "src/net/invariant.h"

namespace natlab {

sockaddr_in to_sockaddr(Endpoint e) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(e.port);
    a.sin_addr.s_addr = htonl(e.addr.value);
    return a;
}

Endpoint from_sockaddr(const sockaddr_in& a) {
    return {Ipv4{ntohl(a.sin_addr.s_addr)}, ntohs(a.sin_port)};
}

ReceiveBatch::ReceiveBatch() : buffer_(kBatch * kSlot) {
    for (std::size_t i = 0; i < kBatch; ++i) {
        iov_[i] = {buffer_.data() + i * kSlot, kSlot};
        headers_[i].msg_hdr.msg_iov = &iov_[i];
        headers_[i].msg_hdr.msg_iovlen = 1;
        headers_[i].msg_hdr.msg_name = &from_[i];
    }
}

namespace {

std::size_t receive_batch(int fd, std::array<mmsghdr, kBatch>& headers, int flags) {
    for (auto& h : headers) {
        h.msg_hdr.msg_namelen = sizeof(sockaddr_in);
        h.msg_hdr.msg_flags = 0;
    }
    int n = recvmmsg(fd, headers.data(), kBatch, flags, nullptr);
    return n > 0 ? static_cast<std::size_t>(n) : 0;
}

}  // namespace

std::size_t ReceiveBatch::receive(int fd) {
    return receive_batch(fd, headers_, MSG_DONTWAIT);
}

std::size_t ReceiveBatch::receive_wait(int fd) {
    return receive_batch(fd, headers_, MSG_WAITFORONE);
}

std::span<const std::byte> ReceiveBatch::data(std::size_t i) const {
    return {buffer_.data() + i * kSlot, std::min<std::size_t>(headers_[i].msg_len, kSlot)};
}

SendBatch::SendBatch() : buffer_(kBatch * kSlot) {
    for (std::size_t i = 0; i < kBatch; ++i) {
        headers_[i].msg_hdr.msg_iov = &iov_[i];
        headers_[i].msg_hdr.msg_iovlen = 1;
        headers_[i].msg_hdr.msg_name = &to_[i];
        headers_[i].msg_hdr.msg_namelen = sizeof(sockaddr_in);
    }
}

std::span<std::byte> SendBatch::slot() {
    NATLAB_INVARIANT(count_ < kBatch);
    return {buffer_.data() + count_ * kSlot, kSlot};
}

void SendBatch::commit(std::size_t size, Endpoint to) {
    NATLAB_INVARIANT(count_ < kBatch && size <= kSlot);
    iov_[count_] = {buffer_.data() + count_ * kSlot, size};
    to_[count_] = to_sockaddr(to);
    ++count_;
}

void SendBatch::add(int fd, std::span<const std::byte> bytes, Endpoint to) {
    if (bytes.size() > kSlot) return;  // never built by nat-lab; not sendable in one slot
    if (full()) flush(fd);
    std::copy(bytes.begin(), bytes.end(), slot().begin());
    commit(bytes.size(), to);
}

std::size_t SendBatch::flush(int fd) {
    std::size_t sent = 0, dropped = 0;
    for (int stalls = 0; sent < count_ && stalls < 4;) {
        int n = sendmmsg(fd, headers_.data() + sent, static_cast<unsigned>(count_ - sent), MSG_DONTWAIT);
        if (n > 0) {
            sent += static_cast<std::size_t>(n);
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)) {
            pollfd p{fd, POLLOUT, 0};
            poll(&p, 1, 1);
            ++stalls;
        } else if (n < 0 && errno != EINTR) {
            ++sent;  // this one is refused for good (no route, too long): skip it
            ++dropped;
        }
    }
    dropped += count_ - sent;
    count_ = 0;
    return dropped;
}

}  // namespace natlab
