// Interface address discovery for the peer's local candidates: IPv4 from
// getifaddrs, IPv6 from /proc/net/if_inet6 (which, unlike getifaddrs, has
// each address's scope and flags). Read at start-up and again whenever the
// peer loses its path.
#include "src/shell/interfaces.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>

#include <algorithm>
#include <fstream>
#include <sstream>

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

// One line of /proc/net/if_inet6: 32 hex digits of address, interface
// index, prefix length, scope, flags (hex), name. Scope 0x00 is global;
// IFA_F_TENTATIVE (0x40) and IFA_F_DADFAILED (0x08) mark unusable ones.
std::vector<Ipv6> global_addresses6(std::string_view text) {
    constexpr unsigned kTentative = 0x40, kDadFailed = 0x08;
    std::vector<Ipv6> out;
    std::istringstream lines{std::string(text)};
    std::string hex, index, prefix, scope, flags, name;
    while (lines >> hex >> index >> prefix >> scope >> flags >> name) {
        Ipv6 a;
        if (hex.size() != 32) continue;
        for (std::size_t i = 0; i < 16; ++i)
            a.bytes[i] = static_cast<std::uint8_t>(std::stoul(hex.substr(2 * i, 2), nullptr, 16));
        bool usable = std::stoul(scope, nullptr, 16) == 0 &&
                      !(std::stoul(flags, nullptr, 16) & (kTentative | kDadFailed));
        if (usable && !ipv4_mapped(a) && std::find(out.begin(), out.end(), a) == out.end()) out.push_back(a);
    }
    return out;
}

std::vector<Ipv6> interface_addresses6() {
    std::ifstream file("/proc/net/if_inet6");
    std::stringstream text;
    text << file.rdbuf();
    return global_addresses6(text.str());
}

std::vector<IpEndpoint> local_endpoints(const IpEndpoint& bound, bool ipv4, bool ipv6) {
    if (!bound.unspecified()) return {bound};
    std::vector<IpEndpoint> out;
    if (ipv4)
        for (Ipv4 ip : interface_addresses()) out.push_back(Endpoint{ip, bound.port()});
    if (ipv6)
        for (const Ipv6& ip : interface_addresses6()) out.push_back(Endpoint6{ip, bound.port()});
    return out;
}

std::vector<Endpoint> local_endpoints(Endpoint bound) {
    if (bound.addr.value != 0) return {bound};
    std::vector<Endpoint> out;
    for (Ipv4 ip : interface_addresses()) out.push_back({ip, bound.port});
    return out;
}

}  // namespace natlab
