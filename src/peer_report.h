// The peer's JSON lines: one object per state change, the result last.
//
//   {"event":"registered","name":..,"public":..,"local":[..]}
//   {"event":"introduced","name":..,"partner":..,"role":..,"candidates":[{"endpoint","kind"}..]}
//   {"event":"connected","name":..,"partner":..,"path":..,"remote":..,"rtt_ms":..,
//    "time_to_connect_ms":..}
//   {"event":"result","name":..,"partner":..,"connected":..,"path":..,"remote":..,"public":..,
//    "rtt_ms":..,"time_to_connect_ms":..,"sent":..,"acked":..,"received":..[,"reason":..]}
//
// Keys keep this order (ordered_json). Unknown values are null; times are
// milliseconds rounded to microseconds.
#pragma once

#include <nlohmann/json.hpp>

#include "peer_session.h"

namespace natlab {

// The line for an event; PeerEvent::finished gives the result object.
nlohmann::ordered_json event_json(const PeerSession& session, PeerEvent event);
nlohmann::ordered_json result_json(const PeerSession& session);

}  // namespace natlab
