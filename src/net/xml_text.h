// XML character data: the predefined entities of XML 1.0 (section 4.6), for
// UPnP's SOAP bodies on both of nat-lab's sides, the peer's IGD client
// (src/peer/upnp_client) and nat-emu's IGD (simulator/portmap/upnp_soap).
// Element text only: no numeric character references, no CDATA.
#pragma once

#include <array>
#include <string>
#include <string_view>
#include <utility>

namespace natlab {

// `&`, `<`, `>` and `"` as entities, everything else as it is.
inline std::string xml_escape(std::string_view text) {
    std::string out;
    for (char c : text) {
        switch (c) {
            case '&':
                out += "&amp;";
                break;
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            case '"':
                out += "&quot;";
                break;
            default:
                out += c;
        }
    }
    return out;
}

// The five predefined entities back to their characters; anything else,
// unknown entities included, as it is.
inline std::string xml_unescape(std::string_view text) {
    constexpr std::array<std::pair<std::string_view, char>, 5> kEntities{
        {{"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}}};
    std::string out;
    while (!text.empty()) {
        bool replaced = false;
        for (auto [entity, c] : kEntities)
            if (text.starts_with(entity)) {
                out += c;
                text.remove_prefix(entity.size());
                replaced = true;
                break;
            }
        if (!replaced) {
            out += text.front();
            text.remove_prefix(1);
        }
    }
    return out;
}

}  // namespace natlab
