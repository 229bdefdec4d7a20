#include "src/shell/resolve.h"

#include <netdb.h>
#include <netinet/in.h>

#include <algorithm>
#include <charconv>
#include <iterator>

namespace natlab {
namespace {

std::optional<std::uint16_t> port_of(std::string_view text) {
    unsigned value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size() || value > 65535)
        return std::nullopt;
    return static_cast<std::uint16_t>(value);
}

std::optional<Ipv4> lookup(const std::string& host, std::string& error) {
    addrinfo hints{};
    hints.ai_family = AF_INET;
    hints.ai_socktype = SOCK_DGRAM;
    addrinfo* found = nullptr;
    if (int rc = ::getaddrinfo(host.c_str(), nullptr, &hints, &found); rc != 0) {
        error = "cannot resolve '" + host + "': " + ::gai_strerror(rc);
        return std::nullopt;
    }
    auto* sin = reinterpret_cast<const sockaddr_in*>(found->ai_addr);
    Ipv4 ip{ntohl(sin->sin_addr.s_addr)};
    ::freeaddrinfo(found);
    return ip;
}

}  // namespace

std::optional<Endpoint> resolve_endpoint(std::string_view text, std::string& error) {
    if (auto literal = Endpoint::parse(text)) return literal;
    auto colon = text.rfind(':');
    auto port = colon == std::string_view::npos ? std::nullopt : port_of(text.substr(colon + 1));
    if (!port || colon == 0) {
        error = "expected HOST:PORT, got '" + std::string(text) + "'";
        return std::nullopt;
    }
    auto ip = lookup(std::string(text.substr(0, colon)), error);
    if (!ip) return std::nullopt;
    return Endpoint{*ip, *port};
}

}  // namespace natlab

namespace natlab {

std::vector<IpEndpoint> resolve_endpoints(std::string_view text, std::string& error) {
    if (auto literal = IpEndpoint::parse(text)) return {*literal};
    auto colon = text.rfind(':');
    auto port = colon == std::string_view::npos ? std::nullopt : port_of(text.substr(colon + 1));
    if (!port || colon == 0 || text.front() == '[') {
        error = "expected HOST:PORT, got '" + std::string(text) + "'";
        return {};
    }
    std::string host(text.substr(0, colon));
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_DGRAM;
    addrinfo* found = nullptr;
    if (int rc = ::getaddrinfo(host.c_str(), nullptr, &hints, &found); rc != 0) {
        error = "cannot resolve '" + host + "': " + ::gai_strerror(rc);
        return {};
    }
    std::optional<IpEndpoint> v4, v6;
    for (addrinfo* a = found; a; a = a->ai_next) {
        if (a->ai_family == AF_INET && !v4) {
            auto* sin = reinterpret_cast<const sockaddr_in*>(a->ai_addr);
            v4 = Endpoint{Ipv4{ntohl(sin->sin_addr.s_addr)}, *port};
        }
        if (a->ai_family == AF_INET6 && !v6) {
            auto* sin6 = reinterpret_cast<const sockaddr_in6*>(a->ai_addr);
            Endpoint6 e{{}, *port};
            std::copy(std::begin(sin6->sin6_addr.s6_addr), std::end(sin6->sin6_addr.s6_addr),
                      e.addr.bytes.begin());
            v6 = IpEndpoint(e).unmapped();
        }
    }
    ::freeaddrinfo(found);
    std::vector<IpEndpoint> out;
    if (v4) out.push_back(*v4);
    if (v6 && v6 != v4) out.push_back(*v6);
    return out;
}

}  // namespace natlab
