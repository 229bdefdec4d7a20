#include "simulator/router/route.h"

#include <array>

#include "src/net/enum_names.h"

namespace natlab::nat {
namespace {

constexpr std::array kSideNames{
    EnumName<Side>{Side::Inside, "inside"},
    EnumName<Side>{Side::Outside, "outside"},
};
static_assert(names_in_order(kSideNames, Side::Outside));

}  // namespace

std::string_view to_string(Side side) {
    return name_of(kSideNames, side);
}

std::optional<NextHop> next_hop(const Routes& routes, Ipv4 destination) {
    if (routes.inside.contains(destination)) return NextHop{Side::Inside, destination};
    if (routes.outside.contains(destination)) return NextHop{Side::Outside, destination};
    if (routes.gateway) return NextHop{Side::Outside, *routes.gateway};
    return std::nullopt;
}

DropReason no_route(Ipv4 destination) {
    return {DropCode::NoRoute, "no route to " + destination.to_string()};
}

}  // namespace natlab::nat
