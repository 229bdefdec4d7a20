#include "src/net/ipv6.h"

#include <charconv>
#include <vector>

#include "src/net/endpoint.h"

namespace natlab {
namespace {

// 1-4 hex digits.
std::optional<std::uint16_t> hex_group(std::string_view text) {
    if (text.empty() || text.size() > 4) return std::nullopt;
    std::uint16_t value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value, 16);
    if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
    return value;
}

// Colon-separated groups; the last may be a dotted quad (two groups).
// Empty text is no groups.
std::optional<std::vector<std::uint16_t>> groups_of(std::string_view text, bool quad_allowed) {
    std::vector<std::uint16_t> out;
    if (text.empty()) return out;
    for (;;) {
        auto colon = text.find(':');
        auto part = text.substr(0, colon);
        if (colon == std::string_view::npos && quad_allowed && part.find('.') != std::string_view::npos) {
            auto v4 = Ipv4::parse(part);
            if (!v4) return std::nullopt;
            out.push_back(static_cast<std::uint16_t>(v4->value >> 16));
            out.push_back(static_cast<std::uint16_t>(v4->value & 0xffff));
            return out;
        }
        auto g = hex_group(part);
        if (!g) return std::nullopt;
        out.push_back(*g);
        if (colon == std::string_view::npos) return out;
        text.remove_prefix(colon + 1);
    }
}

// The longest run of two or more zero groups: {start, length}, length 0 for none.
std::pair<int, int> longest_zero_run(const Ipv6& a) {
    std::pair<int, int> best{0, 0};
    for (int i = 0; i < 8;) {
        int j = i;
        while (j < 8 && a.group(j) == 0) ++j;
        if (j - i >= 2 && j - i > best.second) best = {i, j - i};
        i = j == i ? i + 1 : j;
    }
    return best;
}

std::string hex(std::uint16_t g) {
    char buffer[4];
    auto [end, ec] = std::to_chars(buffer, buffer + 4, g, 16);
    return std::string(buffer, end);
}

}  // namespace

std::uint16_t Ipv6::group(int i) const {
    return static_cast<std::uint16_t>(bytes[2 * i] << 8 | bytes[2 * i + 1]);
}

void Ipv6::set_group(int i, std::uint16_t value) {
    bytes[2 * i] = static_cast<std::uint8_t>(value >> 8);
    bytes[2 * i + 1] = static_cast<std::uint8_t>(value & 0xff);
}

std::optional<Ipv6> Ipv6::parse(std::string_view text) {
    auto gap = text.find("::");
    bool compressed = gap != std::string_view::npos;
    auto head_text = compressed ? text.substr(0, gap) : text;
    auto tail_text = compressed ? text.substr(gap + 2) : std::string_view{};
    if (compressed && tail_text.find("::") != std::string_view::npos) return std::nullopt;
    auto head = groups_of(head_text, !compressed);
    auto tail = groups_of(tail_text, true);
    if (!head || !tail) return std::nullopt;
    std::size_t n = head->size() + tail->size();
    if (compressed ? n > 7 : n != 8) return std::nullopt;
    Ipv6 a;
    for (std::size_t i = 0; i < head->size(); ++i) a.set_group(static_cast<int>(i), (*head)[i]);
    for (std::size_t i = 0; i < tail->size(); ++i)
        a.set_group(static_cast<int>(8 - tail->size() + i), (*tail)[i]);
    return a;
}

std::string Ipv6::to_string() const {
    auto [start, length] = longest_zero_run(*this);
    std::string out;
    for (int i = 0; i < 8; ++i) {
        if (length > 0 && i == start) {
            out += "::";
            i += length - 1;
            continue;
        }
        if (!out.empty() && out.back() != ':') out += ':';
        out += hex(group(i));
    }
    return out;
}

std::optional<Endpoint6> Endpoint6::parse(std::string_view text) {
    auto close = text.rfind("]:");
    if (text.empty() || text[0] != '[' || close == std::string_view::npos) return std::nullopt;
    auto address = Ipv6::parse(text.substr(1, close - 1));
    auto port_text = text.substr(close + 2);
    std::uint32_t port = 0;
    auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (!address || port_text.empty() || ec != std::errc{} || end != port_text.data() + port_text.size() ||
        port > 65535 || (port_text.size() > 1 && port_text[0] == '0'))
        return std::nullopt;
    return Endpoint6{*address, static_cast<std::uint16_t>(port)};
}

std::string Endpoint6::to_string() const {
    return "[" + addr.to_string() + "]:" + std::to_string(port);
}

std::optional<Ipv6Prefix> Ipv6Prefix::parse(std::string_view text) {
    auto slash = text.find('/');
    if (slash == std::string_view::npos) return std::nullopt;
    auto base = Ipv6::parse(text.substr(0, slash));
    auto length_text = text.substr(slash + 1);
    int length = -1;
    auto [end, ec] = std::from_chars(length_text.data(), length_text.data() + length_text.size(), length);
    if (!base || length_text.empty() || ec != std::errc{} || end != length_text.data() + length_text.size() ||
        length < 0 || length > 128 || (length_text.size() > 1 && length_text[0] == '0'))
        return std::nullopt;
    for (int bit = length; bit < 128; ++bit)
        if (base->bytes[bit / 8] & (0x80 >> (bit % 8))) return std::nullopt;  // host bits set
    return Ipv6Prefix{*base, length};
}

std::string Ipv6Prefix::to_string() const {
    return base.to_string() + "/" + std::to_string(length);
}

bool Ipv6Prefix::contains(const Ipv6& address) const {
    int whole = length / 8;
    for (int i = 0; i < whole; ++i)
        if (address.bytes[i] != base.bytes[i]) return false;
    if (length % 8 == 0) return true;
    auto mask = static_cast<std::uint8_t>(0xff << (8 - length % 8));
    return (address.bytes[whole] & mask) == (base.bytes[whole] & mask);
}

bool Ipv6Prefix::overlaps(const Ipv6Prefix& other) const {
    return length <= other.length ? contains(other.base) : other.contains(base);
}

}  // namespace natlab
