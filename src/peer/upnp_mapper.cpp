#include "src/peer/upnp_mapper.h"

#include <asio/ip/multicast.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/ip/udp.hpp>
#include <asio/read.hpp>
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>
#include <iostream>

#include "src/shell/shell_support.h"

namespace natlab::upnp {
namespace {

using asio::ip::tcp;
using asio::ip::udp;
constexpr auto kAwait = asio::use_awaitable;
constexpr int kPortsToTry = 4;

void trace(const std::string& what) {
    if (trace_enabled()) std::cerr << "peer upnp: " << what << std::endl;
}

// Closes `socket` when `step` has passed: whatever it is waiting for ends with an error.
template <class Socket>
void guard(asio::steady_timer& timer, Socket& socket, Duration step) {
    timer.expires_after(step);
    timer.async_wait([&socket](const asio::error_code& ec) {
        if (!ec) socket.close();
    });
}

asio::awaitable<std::optional<Url>> search(Duration step) {
    auto executor = co_await asio::this_coro::executor;
    udp::socket socket(executor, udp::endpoint(udp::v4(), 0));
    socket.set_option(asio::ip::multicast::hops(2));
    asio::steady_timer timer(executor);
    guard(timer, socket, step);
    asio::error_code ec;
    auto request = search_request(kIgdSearchTarget);
    co_await socket.async_send_to(asio::buffer(request), to_asio(kSsdpEndpoint),
                                  asio::redirect_error(kAwait, ec));
    std::array<char, 2048> buffer{};
    udp::endpoint from;
    while (!ec) {
        auto n =
            co_await socket.async_receive_from(asio::buffer(buffer), from, asio::redirect_error(kAwait, ec));
        if (ec) break;
        if (auto location = location_of({buffer.data(), n})) co_return location;
    }
    trace("no gateway answered the search: " + ec.message());
    co_return std::nullopt;
}

struct Exchange {
    HttpReply reply;
    Ipv4 local;  // the address the connection left from
};

// GCC 12 at -O2 takes asio's coroutine frame, allocated and freed by
// awaitable_frame_base's own operator new and delete, for a mismatched pair
// in this function (a false -Wmismatched-new-delete); the pair is asio's.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
asio::awaitable<std::optional<Exchange>> http(const Url& url, const std::string& request, Duration step) {
    auto executor = co_await asio::this_coro::executor;
    tcp::socket socket(executor);
    asio::steady_timer timer(executor);
    guard(timer, socket, step);
    asio::error_code ec;
    auto to = to_asio(url.host);
    co_await socket.async_connect(tcp::endpoint(to.address(), to.port()), asio::redirect_error(kAwait, ec));
    if (ec) co_return std::nullopt;
    auto local = Ipv4::parse(socket.local_endpoint(ec).address().to_string());
    co_await asio::async_write(socket, asio::buffer(request), asio::redirect_error(kAwait, ec));
    std::string response;
    std::array<char, 4096> buffer{};
    while (!ec) {
        auto n = co_await socket.async_read_some(asio::buffer(buffer), asio::redirect_error(kAwait, ec));
        response.append(buffer.data(), n);
    }
    auto reply = read_http(response, ec == asio::error::eof);
    if (!reply || !local) co_return std::nullopt;
    co_return Exchange{*reply, *local};
}
#pragma GCC diagnostic pop

asio::awaitable<std::optional<Exchange>> soap(const ControlPoint& point, std::string_view action,
                                              const Arguments& arguments, Duration step) {
    co_return co_await http(point.control, soap_request(point, action, arguments), step);
}

asio::awaitable<std::optional<ControlPoint>> describe(const Url& location, Duration step) {
    auto got = co_await http(location, get_request(location), step);
    if (!got || got->reply.status != 200) co_return std::nullopt;
    co_return find_ip_connection(got->reply.body, location);
}

Outcome refused(int error_code) {
    return {std::nullopt, "error " + std::to_string(error_code)};
}

// AddPortMapping for the same external port, then the next ones after a conflict.
asio::awaitable<Outcome> add(const ControlPoint& point, Endpoint internal, Ipv4 external, std::uint32_t lease,
                             Duration step) {
    int error_code = 0;
    for (int i = 0; i < kPortsToTry; ++i) {
        auto port = static_cast<std::uint16_t>(internal.port + i);
        auto got = co_await soap(point, "AddPortMapping",
                                 add_port_mapping(internal, port, lease, "nat-lab peer"), step);
        if (!got) co_return Outcome{std::nullopt, "no answer"};
        error_code = read_reply(got->reply).error_code;
        if (error_code == 0) co_return Outcome{Mapping{point, internal, {external, port}, lease}, "success"};
        trace("AddPortMapping " + std::to_string(port) + ": error " + std::to_string(error_code));
        if (error_code != 718) break;
    }
    co_return refused(error_code);
}

}  // namespace

asio::awaitable<Outcome> map_port(std::uint16_t port, std::uint32_t lease_seconds, Duration step) {
    auto location = co_await search(step);
    if (!location) co_return Outcome{std::nullopt, "no gateway"};
    trace("gateway at " + location->to_string());
    auto point = co_await describe(*location, step);
    if (!point) co_return Outcome{std::nullopt, "no description"};
    auto ip = co_await soap(*point, "GetExternalIPAddress", {}, step);
    if (!ip) co_return Outcome{std::nullopt, "no answer"};
    auto reply = read_reply(ip->reply);
    if (reply.error_code != 0) co_return refused(reply.error_code);
    auto external = Ipv4::parse(reply.values["NewExternalIPAddress"]);
    if (!external) co_return Outcome{std::nullopt, "no external address"};
    co_return co_await add(*point, {ip->local, port}, *external, lease_seconds, step);
}

asio::awaitable<bool> renew(const Mapping& mapping, Duration step) {
    auto args =
        add_port_mapping(mapping.internal, mapping.external.port, mapping.lease_seconds, "nat-lab peer");
    auto got = co_await soap(mapping.point, "AddPortMapping", args, step);
    co_return got&& read_reply(got->reply).error_code == 0;
}

asio::awaitable<bool> unmap(const Mapping& mapping, Duration step) {
    auto got =
        co_await soap(mapping.point, "DeletePortMapping", delete_port_mapping(mapping.external.port), step);
    co_return got&& read_reply(got->reply).error_code == 0;
}

}  // namespace natlab::upnp
