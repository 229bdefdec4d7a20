#include "src/peer/port_mapping_client.h"

#include <array>

#include "src/portmap/natpmp_codec.h"

namespace natlab {
namespace {

constexpr std::uint16_t kServerPort = 5351;

std::vector<MappingProtocol> plan_of(PortMappingMode mode) {
    switch (mode) {
        case PortMappingMode::off:
            return {};
        case PortMappingMode::automatic:
            return {MappingProtocol::pcp, MappingProtocol::nat_pmp, MappingProtocol::upnp};
        case PortMappingMode::pcp:
            return {MappingProtocol::pcp};
        case PortMappingMode::nat_pmp:
            return {MappingProtocol::nat_pmp};
        case PortMappingMode::upnp:
            return {MappingProtocol::upnp};
    }
    return {};
}

bool is_public(Ipv4 a) {
    const std::array<Cidr, 5> private_ranges{{{{0x64400000}, 10},  // 100.64.0.0/10, carrier-grade NAT
                                              {{0x0a000000}, 8},
                                              {{0xac100000}, 12},
                                              {{0xc0a80000}, 16},
                                              {{0}, 8}}};
    for (const Cidr& c : private_ranges)
        if (c.contains(a)) return false;
    return true;
}

}  // namespace

std::string_view to_string(PortMappingMode mode) {
    switch (mode) {
        case PortMappingMode::off:
            return "off";
        case PortMappingMode::automatic:
            return "auto";
        case PortMappingMode::pcp:
            return "pcp";
        case PortMappingMode::nat_pmp:
            return "nat-pmp";
        case PortMappingMode::upnp:
            return "upnp";
    }
    return "?";
}

std::optional<PortMappingMode> parse_port_mapping_mode(std::string_view text) {
    for (auto m : {PortMappingMode::off, PortMappingMode::automatic, PortMappingMode::pcp,
                   PortMappingMode::nat_pmp, PortMappingMode::upnp})
        if (to_string(m) == text) return m;
    return std::nullopt;
}

std::string_view to_string(MappingProtocol protocol) {
    switch (protocol) {
        case MappingProtocol::pcp:
            return "pcp";
        case MappingProtocol::nat_pmp:
            return "nat-pmp";
        case MappingProtocol::upnp:
            return "upnp";
    }
    return "?";
}

PortMappingClient::PortMappingClient(PortMappingMode mode, Endpoint gateway, Endpoint internal,
                                     pcp::Nonce nonce, std::uint32_t lifetime, PortMappingTimers timers)
    : plan_(plan_of(mode)),
      server_{gateway.addr, kServerPort},
      internal_(internal),
      nonce_(nonce),
      lifetime_(lifetime),
      timers_(timers) {
    if (!plan_.empty()) ask_ = first_ask();
}

PortMappingClient::Ask PortMappingClient::first_ask() const {
    switch (plan_[step_]) {
        case MappingProtocol::pcp:
            return Ask::pcp_map;
        case MappingProtocol::nat_pmp:
            return Ask::natpmp_address;
        case MappingProtocol::upnp:
            return Ask::upnp;
    }
    return Ask::upnp;
}

std::optional<MappingProtocol> PortMappingClient::protocol() const {
    if (!mapped_ || step_ >= plan_.size()) return std::nullopt;
    return plan_[step_];
}

std::vector<Outgoing> PortMappingClient::on_tick(TimePoint now) {
    std::vector<Outgoing> out;
    if (released_) return out;
    if (mapped_ && renew_at_ && now >= *renew_at_) {
        renew_at_.reset();
        renewing_ = true;
        tries_ = 0;
        next_send_ = now;
    }
    if (!mapped_ && !settled() && !next_send_) next_send_ = now;
    if (next_send_ && now >= *next_send_) send(now, out);
    return out;
}

void PortMappingClient::send(TimePoint now, std::vector<Outgoing>& out) {
    if (ask_ == Ask::upnp) return wait_for_upnp(now);
    if (tries_ == timers_.tries) {
        if (renewing_) {
            renewing_ = false;
            next_send_.reset();
            return;
        }
        return give_up("no answer", now);
    }
    ++tries_;
    out.push_back({request(ask_, lifetime_), server_});
    next_send_ = now + timers_.retry;
}

std::vector<std::byte> PortMappingClient::request(Ask ask, std::uint32_t lifetime) const {
    if (ask == Ask::pcp_map) {
        pcp::Message m{pcp::kVersion, pcp::kOpMap};
        m.lifetime = lifetime;
        m.client = internal_.addr;
        m.map = {nonce_, pcp::kProtocolUdp, internal_.port, {{}, internal_.port}};
        return pcp::encode(m);
    }
    natpmp::Request r{natpmp::kVersion, natpmp::kOpExternalAddress};
    if (ask == Ask::natpmp_map)
        r = {natpmp::kVersion, natpmp::kOpMapUdp, internal_.port, internal_.port, lifetime};
    return natpmp::encode(r);
}

std::vector<Outgoing> PortMappingClient::release() {
    if (!mapped_ || released_) return {};
    released_ = true;
    next_send_.reset();
    renew_at_.reset();
    if (ask_ == Ask::upnp) return {};
    return {{request(ask_, 0), server_}};
}

// The first call asks the shell and waits; a later one, past `upnp_wait`
// without an answer, gives the step up.
void PortMappingClient::wait_for_upnp(TimePoint now) {
    if (upnp_ != Upnp::idle) return give_up("no answer", now);
    upnp_ = Upnp::requested;
    next_send_ = now + timers_.upnp_wait;
}

bool PortMappingClient::take_upnp_request() {
    if (upnp_ != Upnp::requested || ask_ != Ask::upnp || step_ >= plan_.size()) return false;
    upnp_ = Upnp::taken;
    return true;
}

bool PortMappingClient::on_upnp_answer(std::optional<Endpoint> external, std::uint32_t lease,
                                       std::string answer, TimePoint now) {
    if (upnp_ != Upnp::taken || ask_ != Ask::upnp || step_ >= plan_.size() || mapped_) return false;
    if (!external) {
        give_up(std::move(answer), now);
        return true;
    }
    record(std::move(answer));
    mapped_ = external;
    granted_lifetime_ = lease;
    next_send_.reset();
    return true;
}

void PortMappingClient::give_up(std::string answer, TimePoint now) {
    record(std::move(answer));
    ++step_;
    tries_ = 0;
    next_send_.reset();
    if (step_ < plan_.size()) {
        ask_ = first_ask();
        next_send_ = now;
    }
}

void PortMappingClient::record(std::string answer) {
    if (step_ < plan_.size()) answers_.push_back({plan_[step_], std::move(answer)});
}

void PortMappingClient::on_datagram(std::span<const std::byte> datagram, TimePoint now) {
    if (step_ >= plan_.size() || datagram.empty() || !next_send_) return;
    if (ask_ == Ask::pcp_map)
        on_pcp(datagram, now);
    else if (ask_ != Ask::upnp)
        on_natpmp(datagram, now);
}

// RFC 6887 §9: a NAT-PMP answer (version 0) to a PCP request means NAT-PMP
// only. To a renewal it is a failed renewal like any other: the mapping held
// stays until it lapses.
void PortMappingClient::on_pcp(std::span<const std::byte> datagram, TimePoint now) {
    natpmp::Response old;
    if (natpmp::decode(datagram, old) == natpmp::Decoded::Ok &&
        old.result == natpmp::Result::UnsupportedVersion)
        return renewing_ ? void() : give_up("UNSUPP_VERSION (NAT-PMP only)", now);
    pcp::Message m;
    if (!pcp::decode_response(datagram, m) || m.opcode != pcp::kOpMap || m.map.nonce != nonce_) return;
    if (m.result != pcp::Result::Success) {
        if (renewing_) return;
        return give_up(std::string{pcp::to_string(m.result)}, now);
    }
    granted(m.map.external, m.lifetime, now);
}

void PortMappingClient::on_natpmp(std::span<const std::byte> datagram, TimePoint now) {
    natpmp::Response r;
    if (natpmp::decode(datagram, r) != natpmp::Decoded::Ok) return;
    const bool address = ask_ == Ask::natpmp_address;
    if (r.opcode != (address ? natpmp::kOpExternalAddress : natpmp::kOpMapUdp)) return;
    if (r.result != natpmp::Result::Success) {
        if (renewing_) return;
        return give_up(std::string{natpmp::to_string(r.result)}, now);
    }
    if (!address) return granted({natpmp_address_, r.mapped_port}, r.lifetime, now);
    natpmp_address_ = r.external;
    ask_ = Ask::natpmp_map;
    tries_ = 0;
    next_send_ = now;
}

void PortMappingClient::granted(Endpoint external, std::uint32_t lifetime, TimePoint now) {
    if (!mapped_) record(plan_[step_] == MappingProtocol::pcp ? "SUCCESS" : "success");
    if (renewing_) ++renewals_;
    renewing_ = false;
    mapped_ = external;
    granted_lifetime_ = lifetime;
    next_send_.reset();
    renew_at_ = now + std::chrono::seconds{std::max<std::uint32_t>(lifetime / 2, 1)};
}

std::string PortMappingClient::note() const {
    if (!mapped_ || is_public(mapped_->addr)) return "";
    return "the gateway's external address " + mapped_->addr.to_string() +
           " is not public: the gateway is behind another NAT, and its mapping maps only its own level";
}

}  // namespace natlab
