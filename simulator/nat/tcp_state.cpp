#include "simulator/nat/tcp_state.h"

#include <array>

#include "simulator/wire/packet.h"
#include "src/net/enum_names.h"

namespace natlab::nat {
namespace {

constexpr std::array kStateNames{
    EnumName<TcpState>{TcpState::SynSent, "syn-sent"},
    EnumName<TcpState>{TcpState::Established, "established"},
    EnumName<TcpState>{TcpState::FinOutbound, "fin-outbound"},
    EnumName<TcpState>{TcpState::FinInbound, "fin-inbound"},
    EnumName<TcpState>{TcpState::FinBoth, "fin-both"},
    EnumName<TcpState>{TcpState::Reset, "reset"},
};
static_assert(names_in_order(kStateNames, TcpState::Reset));

// A FIN in direction `from` on a connection that was open.
TcpState after_fin(TcpState s, Direction from) {
    bool out = from == Direction::Outbound;
    if (s == TcpState::FinOutbound) return out ? s : TcpState::FinBoth;
    if (s == TcpState::FinInbound) return out ? TcpState::FinBoth : s;
    return out ? TcpState::FinOutbound : TcpState::FinInbound;
}

}  // namespace

std::string_view to_string(TcpState s) {
    return name_of(kStateNames, s);
}

TcpStep tcp_step(TcpState state, Direction from, std::uint8_t flags) {
    bool out = from == Direction::Outbound;
    if (flags & kTcpRst) return {TcpState::Reset, !out};
    bool syn = flags & kTcpSyn, fin = flags & kTcpFin;
    switch (state) {
        case TcpState::SynSent:
            return {syn && !out ? TcpState::Established : state, true};
        case TcpState::Established:
        case TcpState::FinOutbound:
        case TcpState::FinInbound:
            return {fin ? after_fin(state, from) : state, true};
        case TcpState::FinBoth:
            if (syn && out) return {TcpState::SynSent, true};
            return {state, false};
        case TcpState::Reset:
            return {syn && out ? TcpState::SynSent : TcpState::Established, true};
    }
    return {state, true};
}

bool tcp_transitory(TcpState s) {
    return s == TcpState::SynSent || s == TcpState::FinBoth || s == TcpState::Reset;
}

}  // namespace natlab::nat
