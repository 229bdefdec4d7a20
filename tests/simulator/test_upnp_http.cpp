// HTTP request framing (RFC 9112) as the IGD reads it: byte vectors in,
// complete / incomplete / invalid out.
#include <gtest/gtest.h>

#include "simulator/portmap/http_message.h"

namespace natlab::portmap {
namespace {

struct ReadCase {
    const char* name;
    std::string text;
    ReadStatus want;
};

const std::string kGet = "GET /rootDesc.xml HTTP/1.1\r\nHost: 10.0.1.1:5000\r\n\r\n";
const std::string kPost = "POST /ctl/IPConn HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello";

TEST(UpnpHttp, ReadsRequestsAsTheyArrive) {
    const ReadCase cases[] = {
        {"whole GET", kGet, ReadStatus::Complete},
        {"GET without its blank line", kGet.substr(0, kGet.size() - 2), ReadStatus::Incomplete},
        {"nothing yet", "", ReadStatus::Incomplete},
        {"whole POST", kPost, ReadStatus::Complete},
        {"POST missing body bytes", kPost.substr(0, kPost.size() - 1), ReadStatus::Incomplete},
        {"request line with two words", "GET /\r\n\r\n", ReadStatus::Invalid},
        {"not HTTP/1.x", "GET / SPDY/3\r\n\r\n", ReadStatus::Invalid},
        {"header without colon", "GET / HTTP/1.1\r\nHost\r\n\r\n", ReadStatus::Invalid},
        {"obsolete line folding", "GET / HTTP/1.1\r\nA: b\r\n c\r\n\r\n", ReadStatus::Invalid},
        {"space before colon", "GET / HTTP/1.1\r\nHost : x\r\n\r\n", ReadStatus::Invalid},
        {"bad content length", "POST / HTTP/1.1\r\nContent-Length: 5x\r\n\r\nhello", ReadStatus::Invalid},
        {"body over the limit", "POST / HTTP/1.1\r\nContent-Length: 99999\r\n\r\n", ReadStatus::Invalid},
        {"endless header", std::string(kMaxRequestBytes + 1, 'a'), ReadStatus::Invalid},
    };
    for (const auto& c : cases) EXPECT_EQ(read_request(c.text).status, c.want) << c.name;
}

TEST(UpnpHttp, HeadersAreFoundWhateverTheirCase) {
    auto read =
        read_request("POST /ctl/IPConn HTTP/1.1\r\nsoapaction:  \"a#b\" \r\nCONTENT-LENGTH: 2\r\n\r\nxy");
    ASSERT_EQ(read.status, ReadStatus::Complete);
    EXPECT_EQ(read.request.method, "POST");
    EXPECT_EQ(read.request.target, "/ctl/IPConn");
    EXPECT_EQ(read.request.header("SOAPAction"), "\"a#b\"");
    EXPECT_EQ(read.request.body, "xy");
    EXPECT_FALSE(read.request.header("Host"));
}

TEST(UpnpHttp, ResponseClosesTheConnection) {
    HttpResponse response{404, "Not Found", {{"Content-Type", "text/plain"}}, "no"};
    EXPECT_EQ(write_response(response),
              "HTTP/1.1 404 Not Found\r\n"
              "Content-Type: text/plain\r\n"
              "Content-Length: 2\r\n"
              "Connection: close\r\n"
              "\r\n"
              "no");
}

}  // namespace
}  // namespace natlab::portmap
