#include "simulator/portmap/http_message.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>

#include "src/net/enum_names.h"

namespace natlab::portmap {
namespace {

using nat::EnumName;

constexpr std::array kReadNames{
    EnumName<ReadStatus>{ReadStatus::Complete, "complete"},
    EnumName<ReadStatus>{ReadStatus::Incomplete, "incomplete"},
    EnumName<ReadStatus>{ReadStatus::Invalid, "invalid"},
};
static_assert(nat::names_in_order(kReadNames, ReadStatus::Invalid));

constexpr std::string_view kCrlf = "\r\n";

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

// Cuts the next CRLF-terminated line off `rest`.
std::string_view next_line(std::string_view& rest) {
    auto end = rest.find(kCrlf);
    auto line = rest.substr(0, end);
    rest.remove_prefix(end == std::string_view::npos ? rest.size() : end + kCrlf.size());
    return line;
}

// RFC 9112 §3: method SP request-target SP HTTP-version.
bool read_request_line(std::string_view line, HttpRequest& request) {
    auto first = line.find(' ');
    auto last = line.rfind(' ');
    if (first == std::string_view::npos || first == last || first == 0) return false;
    request.method = line.substr(0, first);
    request.target = line.substr(first + 1, last - first - 1);
    request.version = line.substr(last + 1);
    return request.version.starts_with("HTTP/1.") && !request.target.empty();
}

// RFC 9112 §5: field-name ":" OWS field-value OWS; a leading space is obsolete folding.
bool read_header_line(std::string_view line, HttpRequest& request) {
    auto colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0 || line.front() == ' ' || line.front() == '\t')
        return false;
    auto name = line.substr(0, colon);
    if (name.back() == ' ') return false;  // §5.1: no space before the colon
    request.headers.push_back({std::string{name}, std::string{trim(line.substr(colon + 1))}});
    return true;
}

std::optional<std::size_t> content_length(const HttpRequest& request) {
    auto value = request.header("Content-Length");
    if (!value) return std::size_t{0};
    std::size_t n = 0;
    auto [end, error] = std::from_chars(value->data(), value->data() + value->size(), n);
    if (error != std::errc{} || end != value->data() + value->size()) return std::nullopt;
    return n;
}

bool read_head(std::string_view head, HttpRequest& request) {
    if (!read_request_line(next_line(head), request)) return false;
    while (!head.empty())
        if (!read_header_line(next_line(head), request)) return false;
    return true;
}

}  // namespace

std::string_view to_string(ReadStatus s) {
    return nat::name_of(kReadNames, s);
}

bool equal_ignoring_case(std::string_view a, std::string_view b) {
    return std::ranges::equal(a, b, [](char x, char y) {
        return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
    });
}

std::optional<std::string_view> HttpRequest::header(std::string_view name) const {
    for (const auto& h : headers)
        if (equal_ignoring_case(h.name, name)) return std::string_view{h.value};
    return std::nullopt;
}

ReadResult read_request(std::string_view text) {
    constexpr std::string_view kEnd = "\r\n\r\n";
    auto end = text.find(kEnd);
    if (end == std::string_view::npos)
        return {text.size() > kMaxRequestBytes ? ReadStatus::Invalid : ReadStatus::Incomplete, {}};
    ReadResult result;
    if (!read_head(text.substr(0, end + kCrlf.size()), result.request)) return {ReadStatus::Invalid, {}};
    auto length = content_length(result.request);
    auto body_start = end + kEnd.size();
    if (!length || body_start + *length > kMaxRequestBytes) return {ReadStatus::Invalid, {}};
    if (text.size() < body_start + *length) return {ReadStatus::Incomplete, {}};
    result.request.body = text.substr(body_start, *length);
    result.status = ReadStatus::Complete;
    return result;
}

std::string write_response(const HttpResponse& response) {
    std::string out = "HTTP/1.1 " + std::to_string(response.status) + " " + response.reason + "\r\n";
    for (const auto& h : response.headers) out += h.name + ": " + h.value + "\r\n";
    out += "Content-Length: " + std::to_string(response.body.size()) + "\r\n";
    out += "Connection: close\r\n\r\n";
    out += response.body;
    return out;
}

}  // namespace natlab::portmap
