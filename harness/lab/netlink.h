// Link, address and route configuration through libnl (rtnetlink).
//
// Theory of operation: a Netlink object is one rtnetlink socket, bound for
// life to the network namespace of the thread that created it. The lab keeps
// one per namespace it configures. Every call either succeeds or throws a
// SetupError naming the device and libnl's reason; there is no partial
// state to undo because the whole namespace tree dies with the lab.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "harness/plan/topology.h"

struct nl_sock;

namespace natlab::harness {

using Mac = std::array<std::uint8_t, 6>;

class Netlink {
public:
    Netlink();  // in the calling thread's current network namespace
    ~Netlink();
    Netlink(const Netlink&) = delete;
    Netlink& operator=(const Netlink&) = delete;

    void add_bridge(const std::string& name);
    // A veth pair: `name` stays here, enslaved to `bridge` (none if empty);
    // `peer_name` is created directly in the namespace held by `peer_ns_fd`
    // (here if -1). Both ends are brought up.
    // `peer_mac`, when given, is the peer end's Ethernet address.
    void add_veth(const std::string& name, const std::string& bridge, const std::string& peer_name,
                  int peer_ns_fd, const std::optional<Mac>& peer_mac = std::nullopt);
    // Bridge port `name` answers ARP from the bridge's neighbour entries and
    // gets no flooded frames (IFLA_BRPORT_PROXYARP).
    void set_proxy_arp(const std::string& name);
    // A static forwarding entry: frames to `mac` leave by bridge port `port`.
    void add_fdb(const std::string& port, const Mac& mac);
    // A permanent neighbour entry on `dev` (not counted against the kernel's
    // neighbour table limits, which all namespaces share).
    void add_neighbour(const std::string& dev, Ipv4 ip, const Mac& mac);
    // `name` (a device here) made a port of `bridge`.
    void enslave(const std::string& name, const std::string& bridge);
    void set_up(const std::string& name);
    void set_down(const std::string& name);
    void add_address(const std::string& ifname, const Address& address);
    void delete_address(const std::string& ifname, const Address& address);
    void add_default_route(Ipv4 gateway, const std::string& ifname);
    // IPv6: an address used at once (IFA_F_NODAD), a route (::/0 for the default).
    void add_address(const std::string& ifname, const Address6& address);
    void add_route(const Ipv6Prefix& to, const Ipv6& via, const std::string& ifname);
    int ifindex(const std::string& name);

private:
    void set_flags(const std::string& name, bool up);
    nl_sock* sock_ = nullptr;
};

// Forgets every connection the kernel tracks in the calling thread's
// network namespace (ctnetlink IPCTNL_MSG_CT_DELETE without a tuple: what
// `conntrack -F` sends). A type linux NAT's mappings are its conntrack
// entries, so this is its `flush`.
void flush_conntrack();

}  // namespace natlab::harness
