// Start-condition probes, pure. See probe.h.
#include "harness/lab/probe.h"

#include <regex>
#include <sstream>

namespace natlab::harness {

bool log_matches(const std::string& log, const std::string& pattern) {
    return std::regex_search(log, std::regex(pattern, std::regex::ECMAScript | std::regex::multiline));
}

// Lines like
//   "  sl  local_address rem_address   st tx_queue rx_queue ..."
//   "   0: 00000000:0D96 00000000:0000 07 00000000:00000000 ..."
// local_address is ADDR:PORT in hex; st is the state in hex.
bool port_bound(const std::string& proc_net, int port, bool tcp) {
    std::istringstream in(proc_net);
    std::string line;
    std::getline(in, line);  // the header
    while (std::getline(in, line)) {
        std::istringstream fields(line);
        std::string slot, local, remote, state;
        if (!(fields >> slot >> local >> remote >> state)) continue;
        auto colon = local.rfind(':');
        if (colon == std::string::npos) continue;
        unsigned long value = 0;
        try {
            value = std::stoul(local.substr(colon + 1), nullptr, 16);
        } catch (const std::exception&) {
            continue;
        }
        if (static_cast<int>(value) != port) continue;
        if (!tcp || state == "0A") return true;
    }
    return false;
}

}  // namespace natlab::harness
