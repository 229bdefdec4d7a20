#include "simulator/nat/port_mapping.h"

#include <array>

#include "src/net/enum_names.h"

namespace natlab::nat {
namespace {

constexpr std::array kRequesterNames{
    EnumName<Requester>{Requester::NatPmp, "nat-pmp"},
    EnumName<Requester>{Requester::Pcp, "pcp"},
    EnumName<Requester>{Requester::Upnp, "upnp"},
};
static_assert(names_in_order(kRequesterNames, kLastRequester));

constexpr std::array kPortMapChangeNames{
    EnumName<PortMapChange>{PortMapChange::Requested, "port-mapping-requested"},
    EnumName<PortMapChange>{PortMapChange::Granted, "port-mapping-granted"},
    EnumName<PortMapChange>{PortMapChange::Refused, "port-mapping-refused"},
    EnumName<PortMapChange>{PortMapChange::Renewed, "port-mapping-renewed"},
    EnumName<PortMapChange>{PortMapChange::Expired, "port-mapping-expired"},
    EnumName<PortMapChange>{PortMapChange::Deleted, "port-mapping-deleted"},
};
static_assert(names_in_order(kPortMapChangeNames, kLastPortMapChange));

}  // namespace

std::string_view to_string(Requester r) {
    return name_of(kRequesterNames, r);
}

std::optional<Requester> parse_requester(std::string_view text) {
    return value_of(kRequesterNames, text);
}

std::string_view to_string(PortMapChange c) {
    return name_of(kPortMapChangeNames, c);
}

}  // namespace natlab::nat
