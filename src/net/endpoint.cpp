#include "src/net/endpoint.h"

#include <charconv>

namespace natlab {
namespace {

std::optional<std::uint32_t> parse_number(std::string_view text, std::uint32_t max) {
    if (text.empty() || text.size() > 10) return std::nullopt;
    std::uint32_t value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end != text.data() + text.size() || value > max) return std::nullopt;
    return value;
}

}  // namespace

std::optional<Ipv4> Ipv4::parse(std::string_view text) {
    std::uint32_t value = 0;
    for (int i = 0; i < 4; ++i) {
        auto dot = text.find('.');
        bool last = i == 3;
        if (last != (dot == std::string_view::npos)) return std::nullopt;
        auto part = text.substr(0, dot);
        if (part.size() > 1 && part[0] == '0') return std::nullopt;  // no octal look-alikes
        auto octet = parse_number(part, 255);
        if (!octet) return std::nullopt;
        value = (value << 8) | *octet;
        if (!last) text.remove_prefix(dot + 1);
    }
    return Ipv4{value};
}

std::string Ipv4::to_string() const {
    return std::to_string(value >> 24) + '.' + std::to_string((value >> 16) & 0xff) + '.' +
           std::to_string((value >> 8) & 0xff) + '.' + std::to_string(value & 0xff);
}

std::optional<Endpoint> Endpoint::parse(std::string_view text) {
    auto colon = text.rfind(':');
    if (colon == std::string_view::npos) return std::nullopt;
    auto addr = Ipv4::parse(text.substr(0, colon));
    auto port = parse_number(text.substr(colon + 1), 65535);
    if (!addr || !port) return std::nullopt;
    return Endpoint{*addr, static_cast<std::uint16_t>(*port)};
}

std::string Endpoint::to_string() const {
    return addr.to_string() + ':' + std::to_string(port);
}

std::optional<Cidr> Cidr::parse(std::string_view text) {
    auto slash = text.find('/');
    if (slash == std::string_view::npos) return std::nullopt;
    auto addr = Ipv4::parse(text.substr(0, slash));
    auto prefix = parse_number(text.substr(slash + 1), 32);
    if (!addr || !prefix) return std::nullopt;
    Cidr cidr{*addr, static_cast<int>(*prefix)};
    if ((addr->value & ~cidr.mask()) != 0) return std::nullopt;
    return cidr;
}

std::string Cidr::to_string() const {
    return base.to_string() + '/' + std::to_string(prefix);
}

std::uint32_t Cidr::mask() const {
    return prefix == 0 ? 0 : ~std::uint32_t{0} << (32 - prefix);
}

bool Cidr::contains(Ipv4 ip) const {
    return (ip.value & mask()) == base.value;
}

std::optional<Ipv4> Cidr::host(std::uint32_t n) const {
    std::uint64_t size = std::uint64_t{1} << (32 - prefix);
    if (n >= size) return std::nullopt;
    return Ipv4{base.value + n};
}

}  // namespace natlab
