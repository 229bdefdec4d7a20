#include "simulator/portmap/responder.h"

namespace natlab::portmap {

std::optional<std::vector<std::byte>> PortMapResponder::serve(Endpoint from,
                                                              std::span<const std::byte> payload,
                                                              TimePoint now) {
    if (payload.empty()) return std::nullopt;
    const bool natpmp_version = payload[0] == std::byte{natpmp::kVersion};
    const Policy& policy = service_.policy();
    if (natpmp_version)
        return policy.nat_pmp ? natpmp_.serve(from, payload, now) : pcp_.unsupported_version(payload, now);
    return policy.pcp ? pcp_.serve(from, payload, now) : natpmp_.serve(from, payload, now);
}

std::vector<std::vector<std::byte>> PortMapResponder::announcements(TimePoint now) const {
    std::vector<std::vector<std::byte>> out;
    if (service_.policy().nat_pmp) out.push_back(natpmp_.announcement(now));
    if (service_.policy().pcp) out.push_back(pcp_.announcement(now));
    return out;
}

}  // namespace natlab::portmap
