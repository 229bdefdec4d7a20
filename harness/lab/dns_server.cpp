// The lab's DNS server at run time. See dns_server.h.
#include "harness/lab/dns_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "harness/plan/dns_plan.h"
#include "src/net/setup_error.h"

namespace natlab::harness {
namespace {

void put16(std::vector<std::uint8_t>& out, std::uint16_t v) {
    out.push_back(static_cast<std::uint8_t>(v >> 8));
    out.push_back(static_cast<std::uint8_t>(v));
}

std::uint16_t get16(std::span<const std::uint8_t> in, std::size_t at) {
    return static_cast<std::uint16_t>((in[at] << 8) | in[at + 1]);
}

void write_text(const std::string& path, const std::string& text) {
    std::ofstream out(path, std::ios::trunc);
    out << text;
    if (!out) throw SetupError("cannot write " + path);
}

}  // namespace

// Header: ID, flags (RD), QDCOUNT 1, AN/NS/AR 0; then QNAME as labels,
// QTYPE, QCLASS IN.
std::vector<std::uint8_t> dns_query(std::uint16_t id, const std::string& name, std::uint16_t type) {
    std::vector<std::uint8_t> q;
    for (std::uint16_t word :
         {id, std::uint16_t{0x0100}, std::uint16_t{1}, std::uint16_t{0}, std::uint16_t{0}, std::uint16_t{0}})
        put16(q, word);
    for (std::size_t at = 0; at < name.size();) {
        auto dot = std::min(name.find('.', at), name.size());
        q.push_back(static_cast<std::uint8_t>(dot - at));
        q.insert(q.end(), name.begin() + static_cast<long>(at), name.begin() + static_cast<long>(dot));
        at = dot + 1;
    }
    q.push_back(0);
    put16(q, type);
    put16(q, 1);
    return q;
}

// QR set, RCODE 0 (the low four bits of the flags), ANCOUNT above 0.
bool dns_answered(std::span<const std::uint8_t> reply, std::uint16_t id) {
    if (reply.size() < 12 || get16(reply, 0) != id) return false;
    auto flags = get16(reply, 2);
    return (flags & 0x8000) && (flags & 0x000f) == 0 && get16(reply, 6) > 0;
}

std::string write_dns_files(const DnsPlan& dns, const std::string& dir) {
    std::filesystem::create_directories(dir);
    write_text(dir + "/" + dns.zone + ".zone", dns.zone_text);
    auto config = dir + "/unbound.conf";
    write_text(config, unbound_config(dns, dir));
    return config;
}

bool dns_answers(Ipv4 server, const std::string& name, int wait_ms) {
    int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(53);
    to.sin_addr.s_addr = htonl(server.value);
    std::uint16_t id = static_cast<std::uint16_t>(::getpid() ^ wait_ms);
    auto query = dns_query(id, name, 1);
    bool ok = false;
    if (::sendto(fd, query.data(), query.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to) > 0) {
        pollfd pfd{fd, POLLIN, 0};
        std::uint8_t reply[512];
        if (::poll(&pfd, 1, wait_ms) == 1) {
            auto n = ::recv(fd, reply, sizeof reply, 0);
            ok = n > 0 && dns_answered({reply, static_cast<std::size_t>(n)}, id);
        }
    }
    ::close(fd);
    return ok;
}

}  // namespace natlab::harness
