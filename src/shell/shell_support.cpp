// Shared pieces of the rendezvous and peer I/O shells. See shell_support.h.
#include "src/shell/shell_support.h"

#include <cstdlib>
#include <iostream>

#include "src/stun/rendezvous_protocol.h"
#include "src/stun/stun_codec.h"

namespace natlab {

asio::ip::udp::endpoint to_asio(Endpoint e) {
    return {asio::ip::address_v4(e.addr.value), e.port};
}

std::optional<Endpoint> from_asio(const asio::ip::udp::endpoint& e) {
    if (!e.address().is_v4()) return std::nullopt;
    return Endpoint{Ipv4{e.address().to_v4().to_uint()}, e.port()};
}

asio::ip::udp::endpoint to_asio(const IpEndpoint& e, bool v6_socket) {
    if (e.v4() && !v6_socket) return to_asio(*e.v4());
    const Endpoint6 e6 = e.v4() ? Endpoint6{mapped_ipv6(e.v4()->addr), e.port()} : *e.v6();
    return {asio::ip::address_v6(e6.addr.bytes), e6.port};
}

IpEndpoint ip_endpoint_of(const asio::ip::udp::endpoint& e) {
    if (auto v4 = from_asio(e)) return *v4;
    Endpoint6 e6{{e.address().to_v6().to_bytes()}, e.port()};
    return IpEndpoint(e6).unmapped();
}

std::optional<int> parse_command_line(CLI::App& app, int argc, char** argv) {
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp&) {
        std::cout << app.help() << std::flush;
        return 0;
    } catch (const CLI::ParseError& e) {
        fail_line(app.get_name(), e.what());
        return 2;
    }
    return std::nullopt;
}

void fail_line(std::string_view program, std::string_view message) {
    std::string line(message);
    for (char& c : line)
        if (c == '\n' || c == '\r') c = ' ';
    while (!line.empty() && line.back() == ' ') line.pop_back();
    std::cerr << program << ": " << line << std::endl;
}

bool trace_enabled() {
    static const bool enabled = [] {
        const char* value = std::getenv("NATLAB_TRACE");
        return value && *value && std::string_view(value) != "0";
    }();
    return enabled;
}

std::string describe(std::span<const std::byte> datagram) {
    auto size = " " + std::to_string(datagram.size()) + " bytes";
    auto decoded = stun::decode(datagram, {.accept_classic = true});
    if (!decoded.message) return "not STUN (" + std::string(stun::to_string(decoded.error)) + ")" + size;
    const auto& m = *decoded.message;
    return std::string(proto::method_name(m.method)) + " " + std::string(stun::to_string(m.cls)) + size;
}

std::size_t send_all(asio::ip::udp::socket& socket, const std::vector<Outgoing>& datagrams) {
    std::size_t failures = 0;
    for (const auto& d : datagrams) {
        asio::error_code ec;
        bool v6_socket = socket.local_endpoint(ec).address().is_v6();
        socket.send_to(asio::buffer(d.bytes), to_asio(d.destination, v6_socket), 0, ec);
        if (ec) ++failures;
    }
    return failures;
}

}  // namespace natlab
