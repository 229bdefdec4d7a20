#include "simulator/router/counter_table.h"

namespace natlab::nat {

std::vector<NamedCounter> named_counters(const CountersSnapshot& c) {
    DropCounters dropped = c.nat.dropped;
    dropped += c.shell_dropped;
    std::vector<NamedCounter> out = {
        {"translated_out", c.nat.translated_out},
        {"translated_in", c.nat.translated_in},
        {"hairpinned", c.nat.hairpinned},
        {"mappings_created", c.nat.mappings_created},
        {"mappings_expired", c.nat.mappings_expired},
        {"mappings_flushed", c.nat.mappings_flushed},
        {"mappings_live", c.mappings_live},
        {"refreshes", c.nat.refreshes},
        {"icmp_errors_translated", c.nat.icmp_errors_translated},
        {"icmp_errors_sent", c.nat.icmp_errors_sent},
        {"echo_replies_sent", c.nat.echo_replies_sent},
        {"service_requests", c.nat.service_requests},
        {"grants", c.nat.grants},
        {"grants_renewed", c.nat.grants_renewed},
        {"grants_deleted", c.nat.grants_deleted},
        {"grants_expired", c.nat.grants_expired},
        {"port_blocks_reserved", c.nat.port_blocks_reserved},
        {"port_blocks_released", c.nat.port_blocks_released},
        {"frames_in.inside", c.inside.frames_in},
        {"frames_in.outside", c.outside.frames_in},
        {"frames_out.inside", c.inside.frames_out},
        {"frames_out.outside", c.outside.frames_out},
        {"link_errors.inside", c.inside.link_errors},
        {"link_errors.outside", c.outside.link_errors},
        {"arp.requests_sent", c.inside.arp.requests_sent + c.outside.arp.requests_sent},
        {"arp.replies_sent", c.inside.arp.replies_sent + c.outside.arp.replies_sent},
        {"ipv6_frames_in.inside", c.ipv6.frames_in_inside},
        {"ipv6_frames_in.outside", c.ipv6.frames_in_outside},
        {"ipv6_frames_out.inside", c.ipv6.frames_out_inside},
        {"ipv6_frames_out.outside", c.ipv6.frames_out_outside},
        {"ipv6_forwarded.outbound", c.ipv6.forwarded_outbound},
        {"ipv6_forwarded.inbound", c.ipv6.forwarded_inbound},
        {"ipv6_states_created", c.ipv6.states_created},
        {"ipv6_states_expired", c.ipv6.states_expired},
        {"ipv6_states_live", c.ipv6.states_live},
        {"nat64_outbound", c.ipv6.nat64_outbound},
        {"nat64_inbound", c.ipv6.nat64_inbound},
        {"nat64_hosts", c.ipv6.nat64_hosts},
        {"icmp6.echo_replies_sent", c.ipv6.echo_replies_sent},
        {"icmp6.errors_sent", c.ipv6.errors_sent},
        {"icmp6.errors_suppressed", c.ipv6.errors_suppressed},
        {"ndp.solicitations_sent",
         c.ipv6.inside_nd.solicitations_sent + c.ipv6.outside_nd.solicitations_sent},
        {"ndp.advertisements_sent",
         c.ipv6.inside_nd.advertisements_sent + c.ipv6.outside_nd.advertisements_sent},
        {"ndp.router_advertisements_sent", c.ipv6.router_advertisements_sent},
        {"dropped_total", dropped.total()},
    };
    for (std::size_t i = 0; i < kDropCodeCount; ++i)
        out.push_back({"dropped." + std::string(to_string(static_cast<DropCode>(i))), dropped.by_code[i]});
    return out;
}

const std::vector<std::string>& counter_names() {
    static const std::vector<std::string> names = [] {
        std::vector<std::string> n;
        for (auto& counter : named_counters(CountersSnapshot{})) n.push_back(counter.name);
        return n;
    }();
    return names;
}

}  // namespace natlab::nat
