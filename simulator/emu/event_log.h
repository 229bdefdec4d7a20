// The event log: one JSON object per line, flushed as it is written.
//
// Lines, in the order a run produces them ("t" is seconds since start):
//   {"t":0,"event":"started","name":"nat1","type":"port-restricted",
//    "mapping":"endpoint-independent","filtering":"address-and-port-dependent",
//    "port_allocation":"preserve","pooling":"paired","port_range":"1024-65535",
//    "mapping_timeout":120,"icmp_timeout":60,"tcp_established_timeout":7440,
//    "tcp_transitory_timeout":240,"hairpin":false,"refresh_on_inbound":false,
//    "icmp_errors":true,"inside":"10.0.1.1/24","outside":"198.18.1.1/15",
//    "outside_addresses":["198.18.1.1"],"gateway":null}
//   {"t":0.123,"event":"mapping-created","protocol":"udp","inside":"10.0.1.2:4000",
//    "outside":"198.18.1.1:4000","remote":"198.18.0.2:3478"}
//   {"t":..,"event":"mapping-refreshed",...same fields...}
//   {"t":..,"event":"mapping-expired",...same fields...}
//   {"t":..,"event":"drop","direction":"inbound","packet":"198.18.0.3:40001 -> 198.18.1.1:4000",
//    "code":"filtered","reason":"filtered (address-and-port-dependent): no mapping has sent to
//    198.18.0.3:40001"}
//   {"t":..,"event":"port-mapping-requested","by":"pcp","protocol":"udp","inside":"10.0.1.2:4000",
//    "suggested_port":4000,"lifetime":7200}
//   {"t":..,"event":"port-mapping-granted","by":"pcp",...,"outside":"198.18.1.1:4000","lifetime":7200}
//   {"t":..,"event":"port-mapping-renewed",...same fields...}
//   {"t":..,"event":"port-mapping-refused","by":"nat-pmp",...,"code":"2","reason":"..."}
//   {"t":..,"event":"port-mapping-expired"|"port-mapping-deleted",...,"outside":"198.18.1.1:4000"}
//   {"t":..,"event":"flushed","mappings":3,"udp":2,"tcp":1,"icmp":0}   on SIGUSR2
//   {"t":..,"event":"counters",...}   once, at exit
// "packet" is absent from a drop whose headers could not be read. Only drops
// of IPv4 packets are logged; frames dropped at the Ethernet level (another
// station's MAC, IPv6, VLAN tags) are only counted, since a LAN is full of them.
#pragma once

#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

#include "simulator/emu/emu_options.h"
#include "simulator/nat/nat.h"
#include "simulator/nat/nat_event.h"
#include "simulator/router/datapath.h"
#include "src/net/clock.h"

namespace natlab::nat {

using Json = nlohmann::ordered_json;

double seconds_between(TimePoint start, TimePoint at);
Json started_json(const EmuOptions& options);
Json event_json(const NatEvent& event, TimePoint start);
Json counters_json(const CountersSnapshot& counters, TimePoint start, TimePoint now);

class EventLog {
public:
    // Opens `path` for writing (truncating), or uses stdout when it is empty.
    // Throws SetupError.
    EventLog(const std::string& path, TimePoint start);
    ~EventLog();
    EventLog(const EventLog&) = delete;
    EventLog& operator=(const EventLog&) = delete;

    void write(const Json& line);
    void write(const NatEvent& event) { write(event_json(event, start_)); }
    TimePoint start() const { return start_; }

private:
    std::FILE* out_;
    bool owned_;
    TimePoint start_;
};

}  // namespace natlab::nat
