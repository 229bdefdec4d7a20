// One Ethernet link, as an AF_PACKET socket bound to one interface.
//
// Theory of operation
// -------------------
// The emulator owns two links. Each is a raw packet socket bound to its
// interface for every ethertype, non-blocking, with PACKET_IGNORE_OUTGOING so
// that the frames we send do not come back to us, PACKET_AUXDATA so that each
// received frame says whether a VLAN tag was stripped, and PACKET_VNET_HDR,
// which puts a virtio_net_hdr in front of every frame, both ways.
//
// That header matters on veth. A host's kernel hands TCP and UDP to veth
// with CHECKSUM_PARTIAL (the checksum field holds only the pseudo-header sum
// and the "hardware" is expected to finish it), and TCP as segmentation
// offload super-frames of up to 64 KiB (TSO/GSO) that the receiving side
// takes whole. A packet socket sees both as they are; the virtio_net_hdr
// says so (NEEDS_CSUM with where the checksum is; the GSO type and segment
// size). The emulator translates such a frame as it is, keeping the partial
// checksum partial (checksum.h), and sends it on with the same header, so
// the kernel on the other link finishes the checksum and the segmentation.
// Without it, TCP through the NAT would meet 64 KiB frames it could not
// forward. RxBatch::info() converts the header to the core's FrameMeta.
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
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "simulator/router/datapath.h"
#include "simulator/wire/ethernet.h"

namespace natlab::nat {

class RxBatch {
public:
    static constexpr std::size_t kCapacity = 32;
    static constexpr std::size_t kVnetHeaderSize = 10;     // struct virtio_net_hdr
    static constexpr std::size_t kFrameSize = 65536 + 64;  // a 64 KiB super-frame and its headers
    static constexpr std::size_t kSlotSize = kVnetHeaderSize + kFrameSize;

    RxBatch();
    RxBatch(const RxBatch&) = delete;
    RxBatch& operator=(const RxBatch&) = delete;

    std::size_t size() const { return count_; }
    std::span<std::byte> frame(std::size_t i);
    RxInfo info(std::size_t i) const;

private:
    friend class Link;
    void prepare();
    unsigned status(std::size_t i) const;

    static constexpr std::size_t kControlSize = 64;
    // 2 MB of slots, left uninitialised: malloc maps so large a block
    // straight from the kernel, and a page becomes memory of the process
    // only once a frame is written to it. An idle NAT then holds none of
    // it (zeroed, every emulator held all of it: most of its private memory).
    std::unique_ptr<std::byte[]> storage_;
    std::array<mmsghdr, kCapacity> headers_{};
    std::array<iovec, kCapacity> iov_{};
    std::array<std::array<std::byte, kControlSize>, kCapacity> control_{};
    std::size_t count_ = 0;
};

// Promiscuous: the interface also takes frames for other MAC addresses (a
// link that forwards every frame, like link-emu, needs that; the NAT does not).
enum class LinkMode { Plain, Promiscuous };

class Link {
public:
    explicit Link(std::string interface, LinkMode mode = LinkMode::Plain);  // throws SetupError
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
    void configure(int ifindex, LinkMode mode);
    int send_chunk(std::span<const TxBatch::Entry> frames);

    std::string name_;
    int fd_ = -1;
    MacAddress mac_;
};

}  // namespace natlab::nat
