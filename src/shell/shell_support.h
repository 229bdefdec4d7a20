// What the two programs' I/O shells share: endpoint conversion to and from
// Asio, one-line CLI error handling, the NATLAB_TRACE switch, and a
// datagram summary for trace lines. Nothing here knows the protocol state.
#pragma once

#include <CLI/CLI.hpp>
#include <asio/ip/udp.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "src/net/address.h"
#include "src/net/datagram.h"
#include "src/net/endpoint.h"

namespace natlab {

asio::ip::udp::endpoint to_asio(Endpoint e);
// nullopt for an IPv6 source.
std::optional<Endpoint> from_asio(const asio::ip::udp::endpoint& e);
// Either family. For a socket of family AF_INET6 (`v6_socket`), an IPv4
// endpoint becomes its IPv4-mapped IPv6 form (RFC 4291 section 2.5.5.2).
asio::ip::udp::endpoint to_asio(const IpEndpoint& e, bool v6_socket = false);
// Either family; an IPv4-mapped source (a dual-stack socket's IPv4 peer)
// comes back as the IPv4 endpoint it is.
IpEndpoint ip_endpoint_of(const asio::ip::udp::endpoint& e);

// Parses the command line. Returns an exit code when the program should stop
// now: 0 after --help (printed to stdout), 2 after a one-line error on stderr.
std::optional<int> parse_command_line(CLI::App& app, int argc, char** argv);

// Prints "<program>: <message>" on stderr.
void fail_line(std::string_view program, std::string_view message);

// True when the environment has NATLAB_TRACE set to anything but "" or "0".
bool trace_enabled();

// "Register success 88 bytes" or "not STUN (bad magic cookie) 12 bytes".
std::string describe(std::span<const std::byte> datagram);

// Sends each datagram; a failed send (no route, no buffer) is not an error of
// the program: the datagram is lost, as on any network. Returns the failures.
std::size_t send_all(asio::ip::udp::socket& socket, const std::vector<Outgoing>& datagrams);

}  // namespace natlab
