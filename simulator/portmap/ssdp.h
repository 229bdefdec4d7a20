// SSDP discovery answers (UPnP Device Architecture 1.1 §1.3), for the IGD.
//
// Theory of operation
// -------------------
// A control point looking for a gateway sends an M-SEARCH request, an HTTP
// request in one UDP datagram, to 239.255.255.250:1900 (or unicast to the
// device's port 1900). `answer_search(datagram, identity)` reads it and
// returns the datagrams to send back, unicast, to its source; none when it
// is not a search we answer:
//   - the request line must be `M-SEARCH * HTTP/1.1` (§1.3.2);
//   - MAN must be the quoted "ssdp:discover";
//   - ST names what is sought: ssdp:all (one answer per device and service,
//     §1.3.3), upnp:rootdevice, uuid:<one of our devices>, or a device or
//     service type. A type matches ours when its name is the same and its
//     version is no higher than ours, and the answer names the version that
//     was asked for (§1.3.3: a device answers with the version requested).
//   - MX, the seconds a device may wait before answering to spread replies,
//     is required on multicast searches (1..5; §1.3.2). The answer goes out
//     at once: a lab has one gateway per LAN and nothing to spread. MX is
//     not checked, so a unicast search without it is answered too.
// Each answer is `HTTP/1.1 200 OK` with CACHE-CONTROL, EXT, LOCATION (the
// description, upnp_device.h), SERVER, ST, USN (uuid:device::type) and the
// BOOTID/CONFIGID.UPNP.ORG fields. The emulator sends no NOTIFY
// advertisements: a gateway is found by searching, which is what IGD
// clients do.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "simulator/portmap/upnp_device.h"

namespace natlab::portmap {

inline constexpr std::uint16_t kSsdpPort = 1900;
inline constexpr Ipv4 kSsdpGroup{0xEFFFFFFA};  // 239.255.255.250
inline constexpr int kSsdpMaxAge = 1800;       // seconds (CACHE-CONTROL max-age)

// What a search asks for and what answers it; a search we do not answer has no targets.
struct SsdpSearch {
    std::string st;
    int mx = 0;  // 0: none given
};

// The search in `datagram`; nullopt when it is not a well-formed M-SEARCH.
std::optional<SsdpSearch> read_search(std::string_view datagram);

// The answers to a search (possibly none).
std::vector<std::string> answer_search(const SsdpSearch& search, const DeviceIdentity& identity);
std::vector<std::string> answer_search(std::string_view datagram, const DeviceIdentity& identity);

}  // namespace natlab::portmap
