#include "harness/lab/netlink.h"

#include <arpa/inet.h>
#include <linux/if_addr.h>
#include <linux/if_bridge.h>
#include <linux/neighbour.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/bridge.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/neighbour.h>
#include <netlink/route/route.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstddef>
#include <cstdio>
#include <memory>
#include <string>

#include "src/net/setup_error.h"

namespace natlab::harness {
namespace {

[[noreturn]] void fail(const std::string& what, int err) {
    throw SetupError("netlink: " + what + ": " + nl_geterror(err));
}

void check(int err, const std::string& what) {
    if (err < 0) fail(what, err);
}

struct LinkDeleter {
    void operator()(rtnl_link* l) const { rtnl_link_put(l); }
};
struct AddrDeleter {
    void operator()(rtnl_addr* a) const { rtnl_addr_put(a); }
};
struct RouteDeleter {
    void operator()(rtnl_route* r) const { rtnl_route_put(r); }
};
struct NlAddrDeleter {
    void operator()(nl_addr* a) const { nl_addr_put(a); }
};
struct NeighDeleter {
    void operator()(rtnl_neigh* n) const { rtnl_neigh_put(n); }
};
struct MsgDeleter {
    void operator()(nl_msg* m) const { nlmsg_free(m); }
};
using LinkPtr = std::unique_ptr<rtnl_link, LinkDeleter>;
using NeighPtr = std::unique_ptr<rtnl_neigh, NeighDeleter>;
using MsgPtr = std::unique_ptr<nl_msg, MsgDeleter>;
using NlAddrPtr = std::unique_ptr<nl_addr, NlAddrDeleter>;

NlAddrPtr make_addr(Ipv4 ip, int prefix) {
    std::uint32_t net = htonl(ip.value);
    NlAddrPtr addr(nl_addr_build(AF_INET, &net, sizeof net));
    if (!addr) throw SetupError("netlink: out of memory building an address");
    nl_addr_set_prefixlen(addr.get(), prefix);
    return addr;
}

NlAddrPtr make_addr(const Ipv6& ip, int prefix) {
    NlAddrPtr addr(nl_addr_build(AF_INET6, ip.bytes.data(), ip.bytes.size()));
    if (!addr) throw SetupError("netlink: out of memory building an address");
    nl_addr_set_prefixlen(addr.get(), prefix);
    return addr;
}

NlAddrPtr make_lladdr(const Mac& mac) {
    NlAddrPtr addr(nl_addr_build(AF_LLC, mac.data(), mac.size()));
    if (!addr) throw SetupError("netlink: out of memory building an Ethernet address");
    return addr;
}

std::string mac_text(const Mac& mac) {
    char text[18];
    std::snprintf(text, sizeof text, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4],
                  mac[5]);
    return text;
}

}  // namespace

Netlink::Netlink() {
    sock_ = nl_socket_alloc();
    if (!sock_) throw SetupError("netlink: cannot allocate a socket");
    int err = nl_connect(sock_, NETLINK_ROUTE);
    if (err < 0) {
        nl_socket_free(sock_);
        fail("connect", err);
    }
}

Netlink::~Netlink() {
    nl_socket_free(sock_);
}

int Netlink::ifindex(const std::string& name) {
    rtnl_link* raw = nullptr;
    check(rtnl_link_get_kernel(sock_, 0, name.c_str(), &raw), "find device " + name);
    LinkPtr link(raw);
    return rtnl_link_get_ifindex(link.get());
}

void Netlink::add_bridge(const std::string& name) {
    LinkPtr link(rtnl_link_bridge_alloc());
    if (!link) throw SetupError("netlink: cannot allocate bridge " + name);
    rtnl_link_set_name(link.get(), name.c_str());
    check(rtnl_link_add(sock_, link.get(), NLM_F_CREATE | NLM_F_EXCL), "create bridge " + name);
    set_up(name);
}

void Netlink::add_veth(const std::string& name, const std::string& bridge, const std::string& peer_name,
                       int peer_ns_fd, const std::optional<Mac>& peer_mac) {
    LinkPtr link(rtnl_link_veth_alloc());
    if (!link) throw SetupError("netlink: cannot allocate veth " + name);
    rtnl_link_set_name(link.get(), name.c_str());
    if (!bridge.empty()) rtnl_link_set_master(link.get(), ifindex(bridge));
    rtnl_link_set_flags(link.get(), IFF_UP);
    rtnl_link* peer = rtnl_link_veth_get_peer(link.get());
    rtnl_link_set_name(peer, peer_name.c_str());
    if (peer_ns_fd >= 0) rtnl_link_set_ns_fd(peer, peer_ns_fd);
    if (peer_mac) rtnl_link_set_addr(peer, make_lladdr(*peer_mac).get());
    rtnl_link_put(peer);
    check(rtnl_link_add(sock_, link.get(), NLM_F_CREATE | NLM_F_EXCL),
          "create veth " + name + "/" + peer_name);
}

void Netlink::enslave(const std::string& name, const std::string& bridge) {
    LinkPtr change(rtnl_link_alloc());
    rtnl_link_set_ifindex(change.get(), ifindex(name));
    rtnl_link_set_master(change.get(), ifindex(bridge));
    check(rtnl_link_change(sock_, change.get(), change.get(), 0), "make " + name + " a port of " + bridge);
}

// RTM_SETLINK for the bridge family: ifinfomsg, then IFLA_PROTINFO holding
// the port's IFLA_BRPORT_* settings (libnl has no name for this one).
void Netlink::set_proxy_arp(const std::string& name) {
    MsgPtr msg(nlmsg_alloc_simple(RTM_SETLINK, NLM_F_REQUEST | NLM_F_ACK));
    if (!msg) throw SetupError("netlink: out of memory building a bridge port request");
    ifinfomsg info{};
    info.ifi_family = AF_BRIDGE;
    info.ifi_index = ifindex(name);
    check(nlmsg_append(msg.get(), &info, sizeof info, NLMSG_ALIGNTO), "proxy ARP on " + name);
    auto* port = nla_nest_start(msg.get(), IFLA_PROTINFO | NLA_F_NESTED);
    check(nla_put_u8(msg.get(), IFLA_BRPORT_PROXYARP, 1), "proxy ARP on " + name);
    nla_nest_end(msg.get(), port);
    check(nl_send_sync(sock_, msg.release()), "proxy ARP on " + name);  // frees the message
}

void Netlink::add_fdb(const std::string& port, const Mac& mac) {
    NeighPtr entry(rtnl_neigh_alloc());
    rtnl_neigh_set_family(entry.get(), AF_BRIDGE);
    rtnl_neigh_set_ifindex(entry.get(), ifindex(port));
    rtnl_neigh_set_lladdr(entry.get(), make_lladdr(mac).get());
    rtnl_neigh_set_state(entry.get(), NUD_NOARP);
    rtnl_neigh_set_flags(entry.get(), NTF_MASTER);
    check(rtnl_neigh_add(sock_, entry.get(), NLM_F_CREATE | NLM_F_REPLACE),
          "forwarding entry " + mac_text(mac) + " on " + port);
}

void Netlink::add_neighbour(const std::string& dev, Ipv4 ip, const Mac& mac) {
    NeighPtr entry(rtnl_neigh_alloc());
    rtnl_neigh_set_family(entry.get(), AF_INET);
    rtnl_neigh_set_ifindex(entry.get(), ifindex(dev));
    check(rtnl_neigh_set_dst(entry.get(), make_addr(ip, 32).get()), "neighbour " + ip.to_string());
    rtnl_neigh_set_lladdr(entry.get(), make_lladdr(mac).get());
    rtnl_neigh_set_state(entry.get(), NUD_PERMANENT);
    check(rtnl_neigh_add(sock_, entry.get(), NLM_F_CREATE | NLM_F_REPLACE),
          "neighbour " + ip.to_string() + " on " + dev);
}

void Netlink::set_up(const std::string& name) {
    set_flags(name, true);
}
void Netlink::set_down(const std::string& name) {
    set_flags(name, false);
}

void Netlink::set_flags(const std::string& name, bool up) {
    LinkPtr change(rtnl_link_alloc());
    rtnl_link_set_ifindex(change.get(), ifindex(name));
    if (up)
        rtnl_link_set_flags(change.get(), IFF_UP);
    else
        rtnl_link_unset_flags(change.get(), IFF_UP);
    check(rtnl_link_change(sock_, change.get(), change.get(), 0), (up ? "bring up " : "bring down ") + name);
}

void Netlink::add_address(const std::string& ifname, const Address& address) {
    std::unique_ptr<rtnl_addr, AddrDeleter> addr(rtnl_addr_alloc());
    rtnl_addr_set_ifindex(addr.get(), ifindex(ifname));
    auto local = make_addr(address.ip, address.prefix);
    check(rtnl_addr_set_local(addr.get(), local.get()), "address " + address.to_string());
    check(rtnl_addr_add(sock_, addr.get(), 0), "add " + address.to_string() + " to " + ifname);
}

void Netlink::delete_address(const std::string& ifname, const Address& address) {
    std::unique_ptr<rtnl_addr, AddrDeleter> addr(rtnl_addr_alloc());
    rtnl_addr_set_ifindex(addr.get(), ifindex(ifname));
    auto local = make_addr(address.ip, address.prefix);
    check(rtnl_addr_set_local(addr.get(), local.get()), "address " + address.to_string());
    check(rtnl_addr_delete(sock_, addr.get(), 0), "delete " + address.to_string() + " from " + ifname);
}

void Netlink::add_default_route(Ipv4 gateway, const std::string& ifname) {
    std::unique_ptr<rtnl_route, RouteDeleter> route(rtnl_route_alloc());
    auto any = make_addr(Ipv4{0}, 0);
    check(rtnl_route_set_dst(route.get(), any.get()), "default route");
    rtnl_route_set_family(route.get(), AF_INET);
    rtnl_route_set_table(route.get(), RT_TABLE_MAIN);
    rtnl_route_set_scope(route.get(), RT_SCOPE_UNIVERSE);
    rtnl_route_set_protocol(route.get(), RTPROT_STATIC);
    rtnl_nexthop* hop = rtnl_route_nh_alloc();
    auto via = make_addr(gateway, 32);
    rtnl_route_nh_set_gateway(hop, via.get());
    rtnl_route_nh_set_ifindex(hop, ifindex(ifname));
    rtnl_route_add_nexthop(route.get(), hop);  // the route owns the hop now
    check(rtnl_route_add(sock_, route.get(), NLM_F_CREATE), "default route via " + gateway.to_string());
}

void Netlink::add_address(const std::string& ifname, const Address6& address) {
    std::unique_ptr<rtnl_addr, AddrDeleter> addr(rtnl_addr_alloc());
    rtnl_addr_set_ifindex(addr.get(), ifindex(ifname));
    auto local = make_addr(address.ip, address.prefix);
    check(rtnl_addr_set_local(addr.get(), local.get()), "address " + address.to_string());
    rtnl_addr_set_flags(addr.get(), IFA_F_NODAD);
    check(rtnl_addr_add(sock_, addr.get(), 0), "add " + address.to_string() + " to " + ifname);
}

void Netlink::add_route(const Ipv6Prefix& to, const Ipv6& via, const std::string& ifname) {
    std::unique_ptr<rtnl_route, RouteDeleter> route(rtnl_route_alloc());
    auto dst = make_addr(to.base, to.length);
    check(rtnl_route_set_dst(route.get(), dst.get()), "route to " + to.to_string());
    rtnl_route_set_family(route.get(), AF_INET6);
    rtnl_route_set_table(route.get(), RT_TABLE_MAIN);
    rtnl_route_set_scope(route.get(), RT_SCOPE_UNIVERSE);
    rtnl_route_set_protocol(route.get(), RTPROT_STATIC);
    rtnl_nexthop* hop = rtnl_route_nh_alloc();
    auto gateway = make_addr(via, 128);
    rtnl_route_nh_set_gateway(hop, gateway.get());
    rtnl_route_nh_set_ifindex(hop, ifindex(ifname));
    rtnl_route_add_nexthop(route.get(), hop);
    check(rtnl_route_add(sock_, route.get(), NLM_F_CREATE),
          "route to " + to.to_string() + " via " + via.to_string());
}

}  // namespace natlab::harness

namespace natlab::harness {

// One request, one acknowledgement: nlmsghdr + nfgenmsg, no attributes.
void flush_conntrack() {
    int fd = ::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
    if (fd < 0) throw_errno("open a ctnetlink socket");
    struct {
        nlmsghdr header;
        nfgenmsg body;
    } request{};
    request.header.nlmsg_len = sizeof request;
    request.header.nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_DELETE;
    request.header.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
    request.header.nlmsg_seq = 1;
    request.body.nfgen_family = AF_INET;
    request.body.version = NFNETLINK_V0;
    sockaddr_nl kernel{};
    kernel.nl_family = AF_NETLINK;
    alignas(nlmsghdr) char reply[512] = {};
    int err = 0;
    ssize_t got = -1;
    if (::sendto(fd, &request, sizeof request, 0, reinterpret_cast<sockaddr*>(&kernel), sizeof kernel) < 0 ||
        (got = ::recv(fd, reply, sizeof reply, 0)) < 0)
        err = errno;
    ::close(fd);
    if (err) throw_errno("flush conntrack", err);
    // Only what the kernel wrote is read: a whole header, and for an error
    // message the whole nlmsgerr after it.
    auto len = static_cast<std::size_t>(got);
    auto* answer = reinterpret_cast<nlmsghdr*>(reply);
    if (len < sizeof(nlmsghdr) || answer->nlmsg_len < sizeof(nlmsghdr) || answer->nlmsg_len > len)
        throw SetupError("flush conntrack: short or malformed netlink answer (" + std::to_string(len) +
                         " bytes)");
    if (answer->nlmsg_type == NLMSG_ERROR) {
        if (answer->nlmsg_len < NLMSG_LENGTH(sizeof(nlmsgerr)))
            throw SetupError("flush conntrack: truncated netlink error answer");
        int code = -reinterpret_cast<nlmsgerr*>(NLMSG_DATA(answer))->error;
        if (code != 0) throw_errno("flush conntrack", code);
    }
}

}  // namespace natlab::harness
