// The peer's JSON lines: one object per state change, the result last.
//
//   {"event":"registered","name":..,"public":..,"local":[..]}
//   {"event":"listed","name":..,"group":..,"clients":[..]}                     (--list)
//   {"event":"introduced","name":..,"partner":..,"role":..,"candidates":[{"endpoint","kind"}..]}
//   {"event":"connected","name":..,"partner":..,"path":..,"remote":..,"rtt_ms":..,
//    "time_to_connect_ms":..,"predicted":..,"repunched":..}
//   {"event":"relaying","name":..,"partner":..,"remote":..,"reason":..}
//   {"event":"holding","name":..,"partner":..,"seconds":..}
//   {"event":"path-lost","name":..,"partner":..,"remote":..,"reason":..,"paths_lost":..}
//   {"event":"lingering","name":..,"sent":..,"acked":..,"received":..}
//   {"event":"result","name":..,"partner":..,"connected":..,"path":..,"remote":..,"public":..,
//    "rtt_ms":..,"time_to_connect_ms":..,"sent":..,"acked":..,"received":..,"predicted":..,
//    "keepalives":..,"paths_lost":..,"repunched":..[,"reason":..]}
//
// "connected" means a direct path was punched; data through the server's
// relay shows as "path":"relay" with "connected":false and the reason the
// punch failed.
//
// Keys keep this order (ordered_json). Unknown values are null; times are
// milliseconds rounded to microseconds.
#pragma once

#include <nlohmann/json.hpp>

#include "src/peer/peer_session.h"

namespace natlab {

// The line for an event; PeerEvent::finished gives the result object.
nlohmann::ordered_json event_json(const PeerSession& session, PeerEvent event);
nlohmann::ordered_json result_json(const PeerSession& session);

}  // namespace natlab
