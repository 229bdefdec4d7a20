#include "simulator/wire/drop_reason.h"

#include <numeric>

#include "src/net/enum_names.h"

namespace natlab::nat {
namespace {

constexpr std::array kDropCodeNames{
    EnumName<DropCode>{DropCode::Malformed, "malformed"},
    EnumName<DropCode>{DropCode::Fragment, "fragment"},
    EnumName<DropCode>{DropCode::UnsupportedProtocol, "unsupported-protocol"},
    EnumName<DropCode>{DropCode::UnsupportedIcmp, "unsupported-icmp"},
    EnumName<DropCode>{DropCode::TtlExpired, "ttl-expired"},
    EnumName<DropCode>{DropCode::NotOurAddress, "not-our-address"},
    EnumName<DropCode>{DropCode::NoMapping, "no-mapping"},
    EnumName<DropCode>{DropCode::Filtered, "filtered"},
    EnumName<DropCode>{DropCode::TcpNotSyn, "tcp-not-syn"},
    EnumName<DropCode>{DropCode::IcmpErrorUnmatched, "icmp-error-unmatched"},
    EnumName<DropCode>{DropCode::HairpinOff, "hairpin-off"},
    EnumName<DropCode>{DropCode::PortsExhausted, "ports-exhausted"},
    EnumName<DropCode>{DropCode::NoRoute, "no-route"},
    EnumName<DropCode>{DropCode::NeighbourUnreachable, "neighbour-unreachable"},
    EnumName<DropCode>{DropCode::ArpQueueFull, "arp-queue-full"},
    EnumName<DropCode>{DropCode::NotOurMac, "not-our-mac"},
    EnumName<DropCode>{DropCode::UnsupportedEthertype, "unsupported-ethertype"},
    EnumName<DropCode>{DropCode::SendFailed, "send-failed"},
    EnumName<DropCode>{DropCode::InternalError, "internal-error"},
    EnumName<DropCode>{DropCode::PortMappingOutside, "port-mapping-outside"},
    EnumName<DropCode>{DropCode::MappingLimit, "mapping-limit"},
    EnumName<DropCode>{DropCode::NoState, "no-state"},
    EnumName<DropCode>{DropCode::NotInside, "not-inside"},
};
static_assert(names_in_order(kDropCodeNames, kLastDropCode));

}  // namespace

std::string_view to_string(DropCode code) {
    return name_of(kDropCodeNames, code);
}

std::uint64_t DropCounters::total() const {
    return std::accumulate(by_code.begin(), by_code.end(), std::uint64_t{0});
}

DropCounters& DropCounters::operator+=(const DropCounters& other) {
    for (std::size_t i = 0; i < by_code.size(); ++i) by_code[i] += other.by_code[i];
    return *this;
}

}  // namespace natlab::nat
