// HTTP/1.1 messages as the IGD reads and writes them (RFC 9112), over text.
//
// Theory of operation
// -------------------
// The IGD speaks HTTP twice: SSDP (UPnP Device Architecture 1.1 §1) sends
// whole HTTP requests and responses in single UDP datagrams, and the
// description and control URLs are plain HTTP over TCP. Both read the same
// way here:
//   - `read_request(text)` looks at what has arrived so far. It answers
//     Incomplete while the blank line that ends the header section, or the
//     Content-Length bytes of body after it, have not all arrived yet;
//     Invalid when the request line or a header line cannot be read
//     (RFC 9112 §3, §5), and otherwise the request: method, target,
//     version, headers (names compared without case, §5.1) and body.
//   - `write_response` frames a status line, the given headers, a
//     Content-Length and `Connection: close` (the server answers one request
//     per connection and then closes it, RFC 9112 §9.6), and the body.
// There is no chunked transfer coding, no keep-alive and no continuation
// lines (obsolete line folding, §5.2, is refused as Invalid). A request body
// is only as long as its Content-Length says; a request larger than
// kMaxRequestBytes is Invalid (the IGD's requests are all small).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace natlab::portmap {

inline constexpr std::size_t kMaxRequestBytes = 16 * 1024;

struct HttpHeader {
    std::string name;
    std::string value;
};

struct HttpRequest {
    std::string method;
    std::string target;
    std::string version;  // "HTTP/1.1"
    std::vector<HttpHeader> headers;
    std::string body;

    // The first header of that name (any case), its value trimmed; nullopt when absent.
    std::optional<std::string_view> header(std::string_view name) const;
};

enum class ReadStatus : std::uint8_t { Complete, Incomplete, Invalid };
std::string_view to_string(ReadStatus s);  // "complete", "incomplete", "invalid"

struct ReadResult {
    ReadStatus status = ReadStatus::Incomplete;
    HttpRequest request;  // valid when Complete
};

ReadResult read_request(std::string_view text);

struct HttpResponse {
    int status = 200;
    std::string reason = "OK";
    std::vector<HttpHeader> headers;  // besides Content-Length and Connection
    std::string body;
};

std::string write_response(const HttpResponse& response);

bool equal_ignoring_case(std::string_view a, std::string_view b);

}  // namespace natlab::portmap
