// Interface address discovery for the peer's local candidates (getifaddrs).
// Read once at start-up; addresses added later are not noticed.
#include "src/shell/interfaces.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>

#include <algorithm>

namespace natlab {
namespace {

bool usable(const ifaddrs& ifa) {
    return ifa.ifa_addr && ifa.ifa_addr->sa_family == AF_INET && (ifa.ifa_flags & IFF_UP) &&
           !(ifa.ifa_flags & IFF_LOOPBACK);
}

Ipv4 address_of(const ifaddrs& ifa) {
    sockaddr_in sin{};
    std::copy_n(reinterpret_cast<const char*>(ifa.ifa_addr), sizeof sin, reinterpret_cast<char*>(&sin));
    return Ipv4{ntohl(sin.sin_addr.s_addr)};
}

}  // namespace

std::vector<Ipv4> interface_addresses() {
    ifaddrs* list = nullptr;
    if (getifaddrs(&list) != 0) return {};
    std::vector<Ipv4> out;
    for (ifaddrs* ifa = list; ifa; ifa = ifa->ifa_next) {
        if (!usable(*ifa)) continue;
        Ipv4 ip = address_of(*ifa);
        if (std::find(out.begin(), out.end(), ip) == out.end()) out.push_back(ip);
    }
    freeifaddrs(list);
    return out;
}

std::vector<Endpoint> local_endpoints(Endpoint bound) {
    if (bound.addr.value != 0) return {bound};
    std::vector<Endpoint> out;
    for (Ipv4 ip : interface_addresses()) out.push_back({ip, bound.port});
    return out;
}

}  // namespace natlab
