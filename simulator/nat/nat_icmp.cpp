// The NAT's ICMP paths (see icmp.h for the rules and their RFC sections):
// errors about translated flows, both ways, and the errors it originates.

#include <string>

#include "simulator/nat/nat.h"
#include "simulator/wire/icmp.h"

namespace natlab::nat {
namespace {

DropReason unmatched(Flow quoted) {
    return {DropCode::IcmpErrorUnmatched,
            "icmp error unmatched: no live mapping sent or received " + quoted.to_string()};
}

}  // namespace

// From inside, about a packet the host received through us: the quote's
// destination is the host's endpoint and becomes our external one (REQ-5).
// The host's grant first, as for its other outbound packets: under a
// dependent mapping a grant is keyed on no remote, so the remote the quote
// names would not find it.
bool Nat::error_out(Ipv4Packet& packet, TimePoint now, DropReason& why) {
    auto quote = quoted_packet_of(packet, why);
    if (!quote) return false;
    const Flow inner = quote->flow();
    Mapping* mapping = grants_live_ ? grant_of(inner.protocol, inner.destination, now) : nullptr;
    if (!mapping) mapping = table_.find_outbound(inner.protocol, inner.destination, inner.source);
    if (!mapping || !table_.live(*mapping, now)) {
        why = unmatched(inner);
        return false;
    }
    quote->set_destination(mapping->outside);
    packet.set_source_address(mapping->outside.addr);
    refresh_icmp_checksum(packet);
    ++counters_.icmp_errors_translated;
    return true;
}

// From outside, about a packet we sent: the quote's source is one of our
// external endpoints and goes back to the inside one, and the outer
// destination follows it (REQ-4). The mapping must have sent to the quote's
// destination: an error about a packet we never sent is a forgery or noise.
bool Nat::error_in(Ipv4Packet& packet, TimePoint now, DropReason& why) {
    if (!pool_.owns(packet.destination().addr)) {
        why = {DropCode::NotOurAddress, "not our address: " + packet.destination().addr.to_string() +
                                            " is not an external address of the NAT"};
        return false;
    }
    auto quote = quoted_packet_of(packet, why);
    if (!quote) return false;
    const Flow inner = quote->flow();
    Mapping* mapping = mapping_addressed(inner.protocol, inner.source, now, why);
    if (mapping && !mapping->sent_to.endpoint_live(inner.destination, now, table_.timeout(*mapping)))
        mapping = nullptr;
    if (!mapping) {
        why = unmatched(inner);
        return false;
    }
    quote->set_source(mapping->inside);
    packet.set_destination_address(mapping->inside.addr);
    refresh_icmp_checksum(packet);
    ++counters_.icmp_errors_translated;
    return true;
}

// RFC 1812 §4.3.2.7: never about an ICMP error or a non-unicast address.
void Nat::send_error(const Ipv4Packet& about, std::uint8_t type, std::uint8_t code, Ipv4 from) {
    if (!config_.icmp_errors || from == Ipv4{} || !may_send_error_about(about)) return;
    generated_.push_back(build_icmp_error(from, type, code, about.bytes()));
    ++counters_.icmp_errors_sent;
}

// The address of the link `packet` came in on: our LAN address for packets
// from inside, the external address it was sent to for packets from outside.
Ipv4 Nat::router_address(const Ipv4Packet& packet, Direction from) const {
    if (from == Direction::Outbound) return addresses_.inside;
    Ipv4 to = packet.destination().addr;
    return pool_.owns(to) ? to : addresses_.external.front();
}

}  // namespace natlab::nat
