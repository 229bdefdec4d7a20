#include "simulator/portmap/policy.h"

#include <algorithm>

namespace natlab::portmap {

bool Policy::enabled(nat::Requester r) const {
    switch (r) {
        case nat::Requester::NatPmp:
            return nat_pmp;
        case nat::Requester::Pcp:
            return pcp;
        case nat::Requester::Upnp:
            return upnp;
    }
    return false;
}

std::chrono::seconds Policy::clamp(std::chrono::seconds asked) const {
    return std::clamp(asked, min_lifetime, std::max(min_lifetime, max_lifetime));
}

}  // namespace natlab::portmap
