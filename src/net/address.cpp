#include "src/net/address.h"

#include <algorithm>
#include <array>

namespace natlab {
namespace {

constexpr std::array<std::uint8_t, 12> kMappedPrefix{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

Ipv4 embedded_ipv4(const Ipv6& a) {
    return Ipv4{(std::uint32_t{a.bytes[12]} << 24) | (std::uint32_t{a.bytes[13]} << 16) |
                (std::uint32_t{a.bytes[14]} << 8) | a.bytes[15]};
}

}  // namespace

std::string_view to_string(Family family) {
    switch (family) {
        case Family::ipv4:
            return "ipv4";
        case Family::ipv6:
            return "ipv6";
    }
    return "?";
}

bool ipv4_mapped(const Ipv6& address) {
    return std::equal(kMappedPrefix.begin(), kMappedPrefix.end(), address.bytes.begin());
}

Ipv6 mapped_ipv6(Ipv4 address) {
    Ipv6 out;
    std::copy(kMappedPrefix.begin(), kMappedPrefix.end(), out.bytes.begin());
    for (int i = 0; i < 4; ++i) out.bytes[12 + i] = static_cast<std::uint8_t>(address.value >> (24 - 8 * i));
    return out;
}

std::optional<IpEndpoint> IpEndpoint::parse(std::string_view text) {
    if (!text.empty() && text.front() == '[') {
        if (auto e6 = Endpoint6::parse(text)) return IpEndpoint(*e6);
        return std::nullopt;
    }
    if (auto e4 = Endpoint::parse(text)) return IpEndpoint(*e4);
    return std::nullopt;
}

std::string IpEndpoint::to_string() const {
    return v4() ? v4()->to_string() : v6()->to_string();
}

std::uint16_t IpEndpoint::port() const {
    return v4() ? v4()->port : v6()->port;
}

IpEndpoint IpEndpoint::with_port(std::uint16_t port) const {
    if (v4()) return Endpoint{v4()->addr, port};
    return Endpoint6{v6()->addr, port};
}

bool IpEndpoint::same_address(const IpEndpoint& other) const {
    return with_port(0) == other.with_port(0);
}

bool IpEndpoint::unspecified() const {
    return with_port(0) == IpEndpoint(Endpoint{}) || with_port(0) == IpEndpoint(Endpoint6{});
}

IpEndpoint IpEndpoint::unmapped() const {
    if (!v6() || !ipv4_mapped(v6()->addr)) return *this;
    return Endpoint{embedded_ipv4(v6()->addr), v6()->port};
}

std::optional<IpEndpoint> first_of(std::span<const IpEndpoint> endpoints, Family family) {
    for (const auto& e : endpoints)
        if (e.family() == family) return e;
    return std::nullopt;
}

std::size_t IpEndpointHash::operator()(const IpEndpoint& e) const noexcept {
    if (e.v4()) return EndpointHash{}(*e.v4());
    std::size_t h = e.port();
    for (auto b : e.v6()->addr.bytes) h = h * 131 + b;
    return h;
}

}  // namespace natlab
