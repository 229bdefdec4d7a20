// The stateful IPv6 firewall of a home router (RFC 6092, "simple
// security"): no translation, but inbound traffic only where the inside
// opened the way, filtered with the RFC 4787 words.
//
// Theory of operation
// -------------------
// IPv6 hosts have global addresses, so nothing is translated: the firewall
// keeps state per inside endpoint (protocol, address, port) instead of a
// mapping, and decides each inbound packet by it.
//
//   outbound   from an address in the inside prefix: forwarded; it opens
//              (or refreshes) the state of its inside endpoint and a
//              permission for its remote endpoint (RFC 6092 section 3.2:
//              outbound traffic creates state, by default nothing else does).
//   inbound    to an inside endpoint, admitted by the filtering behaviour of
//              the state (the same three behaviours as RFC 4787 section 5,
//              RFC 6092 section 3.2.2 and 3.2.3):
//                endpoint-independent      the endpoint has live state;
//                address-dependent         it has sent to that address;
//                address-and-port-dependent  to that address and port.
//              Everything else is dropped, "no state" or "filtered".
//   timeouts   a permission lives `udp_timeout` after the last outbound
//              packet to its remote (RFC 6092 section 3.2.3: not under two
//              minutes for ports above 1023, five minutes by default), TCP
//              `tcp_timeout` (section 3.3.2: an established connection
//              at least 2 hours 4 minutes idle); with `refresh_on_inbound`
//              an admitted inbound packet renews its permission too
//              (section 3.2.3 allows it).
//   ICMPv6     (RFC 4890 section 4.3.1, RFC 6092 section 3.2.1): an echo
//              request from outside is admitted when `echo_inbound` (the
//              default: echo must not be dropped in transit); an echo reply
//              only for a live outbound echo (identifier as the port); an
//              error (destination unreachable, packet too big, time
//              exceeded, parameter problem) only when the packet it quotes
//              left through the firewall: its quoted source is an inside
//              endpoint with a permission for its quoted destination.
//
// The core is pure: flows and times in, verdicts out. The frame path that
// parses IPv6 packets into Flow6 and drops what is refused stands on it.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "simulator/nat/behaviour.h"
#include "simulator/wire/ipv6_packet.h"
#include "src/net/clock.h"
#include "src/net/ipv6.h"

namespace natlab::v6 {

using nat::Flow6;
using nat::Icmp6Kind;

struct FirewallConfig {
    nat::FilteringBehaviour filtering = nat::FilteringBehaviour::EndpointIndependent;
    Millis udp_timeout{300'000};
    Millis tcp_timeout{7'440'000};
    bool refresh_on_inbound = false;
    bool echo_inbound = true;
};

enum class Refusal : std::uint8_t { not_inside, no_state, filtered, icmp_unmatched, icmp_unsupported };
std::string_view to_string(Refusal r);

// What an admitted outbound packet changed: nothing (known state and
// remote), a new state, or a new permission on an existing state.
enum class Opened : std::uint8_t { nothing, state, permission };

// A state that timed out.
struct ExpiredState {
    nat::Protocol protocol;
    Endpoint6 inside;
};

struct Refused {
    Refusal why;
    std::string text;  // names the behaviour and the endpoints
};

class Firewall6 {
public:
    Firewall6(FirewallConfig config, Ipv6Prefix inside);

    // A packet from the inside; nullopt: forwarded (and state recorded).
    std::optional<Refused> outbound(const Flow6& flow, TimePoint now, Opened* opened = nullptr);
    // A UDP or TCP packet, or an ICMPv6 echo, from the outside.
    std::optional<Refused> inbound(const Flow6& flow, TimePoint now, Icmp6Kind kind = Icmp6Kind::other);
    // An ICMPv6 error from the outside quoting `quoted`, a packet as it left.
    std::optional<Refused> inbound_error(const Flow6& quoted, TimePoint now) const;

    // Drops dead permissions and states; returns how many states went
    // (and names them in `gone` when given).
    std::size_t expire(TimePoint now, std::vector<ExpiredState>* gone = nullptr);
    std::size_t states() const { return states_.size(); }
    const FirewallConfig& config() const { return config_; }

private:
    struct Permission {
        Endpoint6 remote;
        TimePoint until;
    };
    struct State {
        std::vector<Permission> permissions;
    };
    using Key = std::pair<nat::Protocol, Endpoint6>;

    Millis timeout(nat::Protocol protocol) const;
    Permission* admitting(State& state, const Endpoint6& remote, TimePoint now) const;

    FirewallConfig config_;
    Ipv6Prefix inside_;
    std::map<Key, State> states_;
};

}  // namespace natlab::v6
