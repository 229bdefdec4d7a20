#include "simulator/nat/nat_event.h"

#include <array>

#include "src/net/enum_names.h"

namespace natlab::nat {
namespace {

constexpr std::array kDirectionNames{
    EnumName<Direction>{Direction::Outbound, "outbound"},
    EnumName<Direction>{Direction::Inbound, "inbound"},
};
static_assert(names_in_order(kDirectionNames, Direction::Inbound));

constexpr std::array kChangeNames{
    EnumName<MappingChange>{MappingChange::Created, "mapping-created"},
    EnumName<MappingChange>{MappingChange::Refreshed, "mapping-refreshed"},
    EnumName<MappingChange>{MappingChange::Expired, "mapping-expired"},
};
static_assert(names_in_order(kChangeNames, MappingChange::Expired));

constexpr std::array kStateChangeNames{
    EnumName<StateChange6>{StateChange6::Created, "state6-created"},
    EnumName<StateChange6>{StateChange6::Opened, "state6-opened"},
    EnumName<StateChange6>{StateChange6::Expired, "state6-expired"},
};
static_assert(names_in_order(kStateChangeNames, StateChange6::Expired));

}  // namespace

std::string_view to_string(Direction d) {
    return name_of(kDirectionNames, d);
}
std::string_view to_string(MappingChange c) {
    return name_of(kChangeNames, c);
}
std::string_view to_string(StateChange6 c) {
    return name_of(kStateChangeNames, c);
}

}  // namespace natlab::nat
