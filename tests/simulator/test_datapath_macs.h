// The Ethernet addresses of the datapath tests' little network: the
// emulator's two links, a LAN host, a remote on the internet, and a
// stranger whose frames are not for us.
#pragma once

#include "simulator/wire/ethernet.h"

namespace natlab::nat::testing {

inline const MacAddress kInsideMac{{0x02, 0, 0, 0, 0, 0x01}};
inline const MacAddress kOutsideMac{{0x02, 0, 0, 0, 0, 0x02}};
inline const MacAddress kHostMac{{0x02, 0, 0, 0, 0, 0x10}};
inline const MacAddress kRemoteMac{{0x02, 0, 0, 0, 0, 0x20}};
inline const MacAddress kStrangerMac{{0x02, 0, 0, 0, 0, 0x30}};

}  // namespace natlab::nat::testing
