// Batched UDP I/O for the hot loops: recvmmsg(2) and sendmmsg(2), so one
// system call moves up to kBatch datagrams. Used by the rendezvous shell
// and by the stun_load benchmark client. Linux only, on non-blocking
// sockets of either family; nothing here knows STUN. A source an AF_INET6
// socket reports as IPv4-mapped (::ffff:a.b.c.d, a dual-stack socket's
// IPv4 peer) comes out as the IPv4 endpoint; an IPv4 destination queued on
// an AF_INET6 socket goes out in its mapped form.
//
// ReceiveBatch owns kBatch slots of kSlot bytes; receive() fills as many as
// the kernel has queued and returns at once (0 when nothing is waiting).
// A datagram longer than a slot is cut and flagged truncated, so the caller
// can count it as malformed instead of reading a prefix as a message.
// SendBatch queues datagrams (written into its slots in place, or copied)
// and flush() hands them to the kernel in as few calls as it takes; a
// datagram the kernel refuses is dropped and counted, as on any network.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <cstddef>
#include <span>
#include <vector>

#include "src/net/address.h"
#include "src/net/endpoint.h"

namespace natlab {

inline constexpr std::size_t kBatch = 64;
inline constexpr std::size_t kSlot = 2048;

sockaddr_in to_sockaddr(Endpoint e);
Endpoint from_sockaddr(const sockaddr_in& a);
// Either family; an IPv4 endpoint as its IPv4-mapped IPv6 address.
sockaddr_in6 to_sockaddr6(const IpEndpoint& e);
// AF_INET or AF_INET6 (IPv4-mapped turned back into IPv4).
IpEndpoint from_sockaddr_any(const sockaddr_in6& a);

class ReceiveBatch {
public:
    ReceiveBatch();

    // Datagrams received without blocking (0: none waiting, or an error).
    std::size_t receive(int fd);
    // Blocks (on a blocking socket, up to its SO_RCVTIMEO) until at least one
    // datagram is there, then takes what is queued.
    std::size_t receive_wait(int fd);
    std::span<const std::byte> data(std::size_t i) const;
    IpEndpoint source(std::size_t i) const { return from_sockaddr_any(from_[i]); }
    bool truncated(std::size_t i) const { return (headers_[i].msg_hdr.msg_flags & MSG_TRUNC) != 0; }

private:
    std::vector<std::byte> buffer_;
    std::array<mmsghdr, kBatch> headers_{};
    std::array<iovec, kBatch> iov_{};
    std::array<sockaddr_in6, kBatch> from_{};  // room for either family
};

class SendBatch {
public:
    // `v6_socket`: the datagrams leave from an AF_INET6 socket.
    explicit SendBatch(bool v6_socket = false);

    bool empty() const { return count_ == 0; }
    bool full() const { return count_ == kBatch; }
    std::size_t size() const { return count_; }
    // The next free slot, to write a datagram into; then commit() it.
    std::span<std::byte> slot();
    void commit(std::size_t size, const IpEndpoint& to);
    // Copies a datagram into the next slot (flushing first when full).
    void add(int fd, std::span<const std::byte> bytes, const IpEndpoint& to);
    // Sends everything queued. Returns how many datagrams were dropped.
    std::size_t flush(int fd);

private:
    std::vector<std::byte> buffer_;
    std::array<mmsghdr, kBatch> headers_{};
    std::array<iovec, kBatch> iov_{};
    std::array<sockaddr_in6, kBatch> to_{};  // room for either family
    std::size_t count_ = 0;
    bool v6_socket_ = false;
};

}  // namespace natlab
