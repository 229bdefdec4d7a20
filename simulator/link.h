// One Ethernet link, as an AF_PACKET socket bound to one interface.
//
// Theory of operation
// -------------------
// The emulator owns two links. Each is a raw packet socket bound to its
// interface for every ethertype, non-blocking, with PACKET_IGNORE_OUTGOING so
// that the frames we send do not come back to us, and PACKET_AUXDATA so that
// each received frame says whether its checksum is still unfinished.
//
// That last point matters on veth: a host's kernel hands UDP to veth with
// CHECKSUM_PARTIAL (the checksum field holds only the pseudo-header sum and
// the "hardware" is expected to finish it). A packet socket sees that
// unfinished field; the emulator must complete it before forwarding or the
// receiving host will drop the datagram. RxBatch::checksum_unfinished()
// reports it per frame.
//
// Frames move in batches: `receive` fills an RxBatch with one recvmmsg call,
// `send` writes a TxBatch with sendmmsg. A TxBatch may point into the RxBatch
// buffers (a translated frame is sent from where it was received), so it
// must be sent before the RxBatch is reused.
//
// Opening a link is setup: failures throw SetupError with the interface name
// and the errno text. After that, nothing here throws; a refused send is
// counted by the caller.
#pragma once

#include <sys/socket.h>

#include <array>
#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include "ethernet.h"

namespace natlab::nat {

class RxBatch {
public:
    static constexpr std::size_t kCapacity = 32;
    static constexpr std::size_t kFrameSize = 10240;  // jumbo frames fit; longer ones are truncated

    RxBatch();
    RxBatch(const RxBatch&) = delete;
    RxBatch& operator=(const RxBatch&) = delete;

    std::size_t size() const { return count_; }
    std::span<std::byte> frame(std::size_t i);
    bool truncated(std::size_t i) const;
    bool checksum_unfinished(std::size_t i) const;
    bool vlan_tagged(std::size_t i) const;  // the tag was stripped into metadata

private:
    friend class Link;
    void prepare();
    unsigned status(std::size_t i) const;

    static constexpr std::size_t kControlSize = 64;
    std::vector<std::byte> storage_;
    std::array<mmsghdr, kCapacity> headers_{};
    std::array<iovec, kCapacity> iov_{};
    std::array<std::array<std::byte, kControlSize>, kCapacity> control_{};
    std::size_t count_ = 0;
};

class TxBatch {
public:
    // A frame that lives elsewhere (an RxBatch buffer) until send.
    void add(std::span<const std::byte> frame) { frames_.push_back(frame); }
    // A frame the batch keeps alive itself (ARP replies, released queues).
    void add(std::vector<std::byte> frame);
    std::span<const std::span<const std::byte>> frames() const { return frames_; }
    bool empty() const { return frames_.empty(); }
    void clear();

private:
    std::vector<std::span<const std::byte>> frames_;
    std::vector<std::vector<std::byte>> owned_;
};

class Link {
public:
    explicit Link(std::string interface);  // throws SetupError
    ~Link();
    Link(Link&& other) noexcept;
    Link(const Link&) = delete;
    Link& operator=(const Link&) = delete;
    Link& operator=(Link&&) = delete;

    int fd() const { return fd_; }
    const std::string& name() const { return name_; }
    MacAddress mac() const { return mac_; }

    // Frames waiting now, up to the batch capacity; 0 when there are none.
    std::size_t receive(RxBatch& batch);
    // Writes every frame; returns how many the kernel accepted.
    std::size_t send(const TxBatch& batch);
    // Reads and clears a pending socket error (SO_ERROR), 0 if none.
    int take_error();

private:
    void configure(int ifindex);
    int send_chunk(std::span<const std::span<const std::byte>> frames);

    std::string name_;
    int fd_ = -1;
    MacAddress mac_;
};

}  // namespace natlab::nat
