// The words a scenario takes for one of the NAT's behaviour enums (mapping,
// filtering, port allocation, pooling): the emulator's own name table, as
// the set YamlReader::word checks a value against.
#pragma once

#include <set>
#include <string>

#include "simulator/nat/behaviour.h"

namespace natlab::harness {

template <typename E>
std::set<std::string> nat_words() {
    auto names = nat::names_of<E>();
    return {names.begin(), names.end()};
}

}  // namespace natlab::harness
