// The probe's findings as a scenario NAT block (YAML, one comment a line
// saying how sure the value is and why) or as one JSON document. Pure.
//
// The YAML is a `nats:` map with one NAT, `probed`, written with the keys
// of docs/scenarios.md "NATs" (mapping, filtering, port_allocation,
// mapping_timeout, refresh_on_inbound, hairpin, pooling, and addresses when
// more than one lab internet address was seen), so it loads unchanged as a
// scenario's NAT. What no key can say yet (port parity, contiguity, the
// sequential step, how many mappings a host may hold) is a comment.
#pragma once

#include <string>

#include "harness/probe/probe_core.h"

namespace natlab::probe {

std::string to_yaml(const Findings& f);
std::string to_json(const Findings& f);

}  // namespace natlab::probe
