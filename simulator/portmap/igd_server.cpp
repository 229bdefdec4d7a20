#include "simulator/portmap/igd_server.h"

#include "simulator/portmap/ssdp.h"
#include "simulator/wire/builder.h"

namespace natlab::portmap {
namespace {

HttpResponse plain(int status, std::string reason) {
    return {status, std::move(reason), {}, {}};
}

HttpResponse xml(std::string body) {
    return {200, "OK", {{"Content-Type", "text/xml; charset=\"utf-8\""}}, std::move(body)};
}

std::vector<std::byte> bytes_of(std::string_view text) {
    auto* first = reinterpret_cast<const std::byte*>(text.data());
    return {first, first + text.size()};
}

}  // namespace

IgdServer::IgdServer(DeviceIdentity identity, IgdPolicy policy, MappingGrants& grants, TimePoint started)
    : identity_(identity),
      service_(identity, policy, grants, started),
      tcp_({identity.inside, identity.http_port},
           [this](std::string_view request, Endpoint client, TimePoint now) {
               return answer(request, client, now);
           }) {}

bool IgdServer::wants(const nat::Ipv4Packet& packet) const {
    auto to = packet.destination();
    if (packet.protocol() == nat::Protocol::Udp)
        return to.port == kSsdpPort && (to.addr == kSsdpGroup || to.addr == identity_.inside);
    return packet.protocol() == nat::Protocol::Tcp && to == Endpoint{identity_.inside, identity_.http_port};
}

std::vector<Ipv4> IgdServer::groups() const {
    return {kSsdpGroup};
}

void IgdServer::receive(const nat::Ipv4Packet& packet, TimePoint now) {
    if (packet.protocol() == nat::Protocol::Udp) return search(packet);
    if (auto segment = read_segment(packet)) tcp_.receive(*segment, now);
}

void IgdServer::tick(TimePoint now) {
    tcp_.tick(now);
    service_.expire(now);
}

std::vector<std::vector<std::byte>> IgdServer::take_output() {
    for (auto& datagram : tcp_.take_output()) output_.push_back(std::move(datagram));
    return std::move(output_);
}

IgdCounters IgdServer::counters() const {
    auto counters = counters_;
    counters.tcp = tcp_.counters();
    return counters;
}

// UDA 1.1 §1.3.3: the answers go unicast to where the search came from.
void IgdServer::search(const nat::Ipv4Packet& packet) {
    constexpr std::size_t kUdpHeader = 8;
    auto payload = packet.transport().subspan(kUdpHeader);
    std::string_view text{reinterpret_cast<const char*>(payload.data()), payload.size()};
    auto answers = answer_search(text, identity_);
    ++(answers.empty() ? counters_.ignored : counters_.searches);
    for (const auto& reply : answers) {
        nat::UdpDatagramSpec spec{{{identity_.inside, kSsdpPort}, packet.source(), nat::Protocol::Udp},
                                  bytes_of(reply)};
        output_.push_back(nat::build_udp_datagram(spec));
    }
}

std::optional<std::string> IgdServer::answer(std::string_view request, Endpoint client, TimePoint now) {
    auto read = read_request(request);
    if (read.status == ReadStatus::Incomplete) return std::nullopt;
    ++counters_.http_requests;
    if (read.status == ReadStatus::Invalid) return write_response(plain(400, "Bad Request"));
    return write_response(route(read.request, client, now));
}

HttpResponse IgdServer::route(const HttpRequest& request, Endpoint client, TimePoint now) {
    const auto& path = request.target;
    if (request.method == "GET" && path == kDescriptionPath) return xml(device_description(identity_));
    if (request.method == "GET") {
        auto scpd = service_description(identity_, path);
        return scpd.empty() ? plain(404, "Not Found") : xml(std::move(scpd));
    }
    bool control_path = path == kIpConnectionControlPath || path == kCommonConfigControlPath;
    if (!control_path) return plain(404, "Not Found");
    if (request.method != "POST") return plain(405, "Method Not Allowed");
    return control(request, client, now);
}

HttpResponse IgdServer::control(const HttpRequest& request, Endpoint client, TimePoint now) {
    ++counters_.actions;
    auto read = read_call(request.header("SOAPAction").value_or(""), request.body);
    if (!read.call)
        return write_fault(code_of(UpnpError::InvalidAction), to_string(UpnpError::InvalidAction));
    return service_.control(*read.call, client.addr, now);
}

}  // namespace natlab::portmap
