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
#include <cstring>
#include <iterator>

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

sockaddr_in6 to_sockaddr6(const IpEndpoint& e) {
    sockaddr_in6 a{};
    a.sin6_family = AF_INET6;
    a.sin6_port = htons(e.port());
    Ipv6 address = e.v4() ? mapped_ipv6(e.v4()->addr) : e.v6()->addr;
    std::copy(address.bytes.begin(), address.bytes.end(), a.sin6_addr.s6_addr);
    return a;
}

IpEndpoint from_sockaddr_any(const sockaddr_in6& a) {
    if (a.sin6_family == AF_INET) {
        sockaddr_in v4;
        std::memcpy(&v4, &a, sizeof v4);
        return from_sockaddr(v4);
    }
    Endpoint6 e{{}, ntohs(a.sin6_port)};
    std::copy(std::begin(a.sin6_addr.s6_addr), std::end(a.sin6_addr.s6_addr), e.addr.bytes.begin());
    return IpEndpoint(e).unmapped();
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
        h.msg_hdr.msg_namelen = sizeof(sockaddr_in6);
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

SendBatch::SendBatch(bool v6_socket) : buffer_(kBatch * kSlot), v6_socket_(v6_socket) {
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

// An IPv6 destination on an AF_INET socket is handed over as it is; the
// kernel refuses it and flush() counts it as dropped.
void SendBatch::commit(std::size_t size, const IpEndpoint& to) {
    NATLAB_INVARIANT(count_ < kBatch && size <= kSlot);
    iov_[count_] = {buffer_.data() + count_ * kSlot, size};
    auto& name = headers_[count_].msg_hdr;
    if (to.v4() && !v6_socket_) {
        sockaddr_in a = to_sockaddr(*to.v4());
        std::memcpy(&to_[count_], &a, sizeof a);
        name.msg_namelen = sizeof a;
    } else {
        to_[count_] = to_sockaddr6(to);
        name.msg_namelen = sizeof(sockaddr_in6);
    }
    ++count_;
}

void SendBatch::add(int fd, std::span<const std::byte> bytes, const IpEndpoint& to) {
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
