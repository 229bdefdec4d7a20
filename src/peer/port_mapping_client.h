// The peer's port mapping client: asks its gateway for a mapping of its
// socket's port (PCP, RFC 6887; NAT-PMP, RFC 6886), renews it, deletes it.
//
// Theory of operation
// -------------------
// The mode (peer --port-mapping) is a plan of protocols tried in turn:
//   auto: pcp, then nat-pmp, then upnp; pcp, nat-pmp, upnp: that one alone.
// Each step sends its request to the gateway's UDP 5351 from the peer's own
// socket (so the internal port asked for is the socket's), every 250 ms, at
// most 4 times (RFC 6887 §8.1.1 and RFC 6886 §3.1 retransmit too, longer; a
// peer that waits a minute for a silent gateway punches late). The step's
// answer is recorded, words as the protocol says them ("SUCCESS",
// "NOT_AUTHORIZED", "not-authorized", "no answer"), and a step that did not
// get a mapping hands over to the next:
//   pcp      MAP for the socket's port with a random nonce; a NAT-PMP
//            "unsupported version" answer means the gateway speaks only
//            NAT-PMP (RFC 6887 §9): recorded as such, and the next step is
//            nat-pmp.
//   nat-pmp  the external address (opcode 0), then the UDP mapping (opcode 1):
//            the mapped endpoint is that address and the mapped port.
//   upnp     the UPnP IGD exchange runs over TCP and multicast, which a pure
//            client cannot do: the step asks the shell (take_upnp_request),
//            which runs upnp::map_port (upnp_mapper.h) and hands back what
//            came of it (on_upnp_answer: "success", "no gateway", "error
//            606", ...). No answer within `upnp_wait` and the step gives up
//            with "no answer". A UPnP mapping is renewed and deleted by the
//            shell too (AddPortMapping again, DeletePortMapping), so neither
//            the renewal timer nor `release` sends anything for it.
// The client is settled once it holds a mapping or every step answered or
// gave up; the session registers only then, naming the mapped endpoint.
// A mapping is renewed at half its lifetime (same protocol, same nonce) and
// deleted (lifetime 0) by `release` when the peer stops.
//
// `note` says why a mapping cannot help from outside: its external address
// is not a public one (100.64.0.0/10, 10/8, 172.16/12, 192.168/16): the
// gateway is itself behind a NAT (a home router behind a carrier-grade NAT),
// and its mapping maps only its own level.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "src/net/clock.h"
#include "src/net/datagram.h"
#include "src/net/endpoint.h"
#include "src/portmap/pcp_codec.h"

namespace natlab {

enum class PortMappingMode { off, automatic, pcp, nat_pmp, upnp };
std::string_view to_string(PortMappingMode mode);  // "off", "auto", "pcp", "nat-pmp", "upnp"
std::optional<PortMappingMode> parse_port_mapping_mode(std::string_view text);

enum class MappingProtocol { pcp, nat_pmp, upnp };
std::string_view to_string(MappingProtocol protocol);  // "pcp", "nat-pmp", "upnp"

struct MappingAnswer {
    MappingProtocol protocol = MappingProtocol::pcp;
    std::string answer;  // the protocol's result name, or "no answer"
};

struct PortMappingTimers {
    Duration retry = std::chrono::milliseconds(250);
    int tries = 4;
    Duration upnp_wait = std::chrono::seconds(16);  // the shell's whole UPnP exchange, search to mapping
};

class PortMappingClient {
public:
    PortMappingClient(PortMappingMode mode, Endpoint gateway, Endpoint internal, pcp::Nonce nonce,
                      std::uint32_t lifetime = 7200, PortMappingTimers timers = {});

    std::vector<Outgoing> on_tick(TimePoint now);
    // A datagram from the gateway's port mapping port.
    void on_datagram(std::span<const std::byte> datagram, TimePoint now);
    // Requests that delete the mapping (lifetime 0); nothing when none is
    // held, or when UPnP holds it (the shell deletes that one).
    std::vector<Outgoing> release();
    // True once, when the plan has reached its UPnP step: the shell is to
    // run the exchange and report with on_upnp_answer.
    bool take_upnp_request();
    // What the shell's UPnP exchange gave: the mapped endpoint and its
    // lease, or nullopt and why not. False when the step is no longer
    // waiting for it (it gave up: "no answer").
    bool on_upnp_answer(std::optional<Endpoint> external, std::uint32_t lease, std::string answer,
                        TimePoint now);

    Endpoint server() const { return server_; }
    bool settled() const { return mapped_.has_value() || step_ >= plan_.size(); }
    const std::optional<Endpoint>& mapped() const { return mapped_; }
    std::optional<MappingProtocol> protocol() const;
    std::uint32_t lifetime() const { return granted_lifetime_; }
    std::uint32_t renewals() const { return renewals_; }
    const std::vector<MappingAnswer>& answers() const { return answers_; }
    std::string note() const;

private:
    enum class Ask { pcp_map, natpmp_address, natpmp_map, upnp };

    Ask first_ask() const;
    std::vector<std::byte> request(Ask ask, std::uint32_t lifetime) const;
    void send(TimePoint now, std::vector<Outgoing>& out);
    void give_up(std::string answer, TimePoint now);
    void on_pcp(std::span<const std::byte> datagram, TimePoint now);
    void on_natpmp(std::span<const std::byte> datagram, TimePoint now);
    void granted(Endpoint external, std::uint32_t lifetime, TimePoint now);
    void wait_for_upnp(TimePoint now);
    void record(std::string answer);

    std::vector<MappingProtocol> plan_;
    std::size_t step_ = 0;
    Ask ask_ = Ask::pcp_map;
    Endpoint server_;
    Endpoint internal_;
    pcp::Nonce nonce_;
    std::uint32_t lifetime_;
    PortMappingTimers timers_;
    int tries_ = 0;
    std::optional<TimePoint> next_send_;
    Ipv4 natpmp_address_;
    std::optional<Endpoint> mapped_;
    std::uint32_t granted_lifetime_ = 0;
    std::uint32_t renewals_ = 0;
    std::optional<TimePoint> renew_at_;
    bool renewing_ = false;
    bool released_ = false;
    enum class Upnp { idle, requested, taken } upnp_ = Upnp::idle;
    std::vector<MappingAnswer> answers_;
};

}  // namespace natlab
