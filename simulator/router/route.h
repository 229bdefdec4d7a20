// Which link a translated packet leaves by, and which neighbour receives it.
//
// The emulator is a router with two links and at most one default route:
//   destination in the inside subnet  -> inside link, on-link;
//   destination in the outside subnet -> outside link, on-link;
//   anything else                     -> outside link via the gateway, if one
//                                        was configured, else "no route".
// Routing by destination after translation is what sends a hairpinned packet
// back out of the inside link, with no special case.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "simulator/wire/drop_reason.h"
#include "src/net/endpoint.h"

namespace natlab::nat {

enum class Side : std::uint8_t { Inside, Outside };
std::string_view to_string(Side side);  // "inside", "outside"

struct NextHop {
    Side side = Side::Outside;
    Ipv4 address;  // the neighbour to resolve with ARP
    auto operator<=>(const NextHop&) const = default;
};

struct Routes {
    Cidr inside;
    Cidr outside;
    std::optional<Ipv4> gateway;
};

std::optional<NextHop> next_hop(const Routes& routes, Ipv4 destination);
DropReason no_route(Ipv4 destination);

}  // namespace natlab::nat
