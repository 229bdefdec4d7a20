// libFuzzer target: SSDP (UPnP Device Architecture 1.1 §1.3) on both sides.
// Input: portmap_input.h.
//
// Server (configuration bit 7 clear; bit 0: IGD:2, else IGD:1): each record
// is a UDP datagram from the LAN host "who" picks, to 239.255.255.250:1900
// (who even) or to 10.0.1.1:1900 (odd), given to the IGD as the datapath
// gives it (IgdServer::receive). What it sends back is checked: nothing
// for a datagram that is not an M-SEARCH we read (read_search); else at
// most one answer per device and service (9), each a UDP datagram from
// 10.0.1.1:1900 to the searcher, small enough for one Ethernet frame
// (1472 bytes of payload), an `HTTP/1.1 200 OK` head ending in a blank
// line whose every line ends in CRLF (no bare CR or LF: the searcher's ST
// is echoed, and must not split a header), naming the ST asked for (its
// own type for each answer to ssdp:all).
//
// Peer (bit 7 set): each record is an answer to the peer's search
// (upnp::location_of); a LOCATION it reads survives a round trip through
// its text, and a record with who = 1 is a reference resolved against the
// last LOCATION (Url::resolve, for a description's controlURL). With
// who = 2 the record is a search target: the peer's M-SEARCH for it
// (search_request) must be read back by nat-emu's reader with the same ST,
// when the ST is one line with no surrounding blanks.
//
//   ci/fuzz [SECONDS]

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "simulator/fuzz/portmap_input.h"
#include "simulator/portmap/ssdp.h"
#include "simulator/wire/builder.h"
#include "src/fuzz/fuzz_entry.h"
#include "src/net/invariant.h"
#include "src/peer/upnp_client.h"

namespace {

using namespace natlab;
using namespace natlab::nat;
using namespace natlab::nat::fuzz;

constexpr std::size_t kMaxAnswers = 9;
constexpr std::size_t kMaxPayload = 1472;  // one 1500-byte Ethernet frame
constexpr std::size_t kMaxDatagram = 8192;

bool lines_end_in_crlf(std::string_view text) {
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '\r' && (i + 1 == text.size() || text[i + 1] != '\n')) return false;
        if (text[i] == '\n' && (i == 0 || text[i - 1] != '\r')) return false;
    }
    return true;
}

void check_answer(std::span<std::byte> datagram, Endpoint searcher, const portmap::SsdpSearch& search) {
    DropReason why;
    auto packet = Ipv4Packet::parse(datagram, why);
    NATLAB_INVARIANT(packet && packet->protocol() == Protocol::Udp);
    NATLAB_INVARIANT((packet->source() == Endpoint{kGateway, portmap::kSsdpPort}));
    NATLAB_INVARIANT(packet->destination() == searcher);
    auto payload = packet->transport().subspan(8);
    std::string_view text{reinterpret_cast<const char*>(payload.data()), payload.size()};
    NATLAB_INVARIANT(text.size() <= kMaxPayload);
    NATLAB_INVARIANT(text.starts_with("HTTP/1.1 200 OK\r\n") && text.ends_with("\r\n\r\n"));
    NATLAB_INVARIANT(text.find("\r\n\r\n") == text.size() - 4);
    NATLAB_INVARIANT(lines_end_in_crlf(text));
    auto st = search.st == "ssdp:all" ? std::string{"\r\nST: "} : "\r\nST: " + search.st + "\r\n";
    NATLAB_INVARIANT(text.find(st) != std::string_view::npos);
}

void search(portmap::IgdServer& igd, const Message& m) {
    Endpoint searcher = kLanHosts[m.who];
    Endpoint group{(m.who & 1) ? kGateway : portmap::kSsdpGroup, portmap::kSsdpPort};
    auto text = as_text(m.bytes.first(std::min(m.bytes.size(), kMaxDatagram)));
    auto bytes = as_bytes(text);
    auto datagram = build_udp_datagram({{searcher, group, Protocol::Udp}, {bytes.begin(), bytes.end()}});
    DropReason why;
    auto packet = Ipv4Packet::parse(datagram, why);
    NATLAB_INVARIANT(packet && igd.wants(*packet));
    igd.receive(*packet, TimePoint{});
    auto sent = igd.take_output();
    auto read = portmap::read_search(text);
    NATLAB_INVARIANT(read || sent.empty());
    NATLAB_INVARIANT(sent.size() <= kMaxAnswers);
    for (auto& answer : sent) check_answer(answer, searcher, *read);
}

void run_server(std::uint8_t config, std::span<const std::uint8_t> in) {
    PortMapBox box{config, policy_from(config, true, true), (config & 1) ? 2 : 1};
    Message m;
    while (next_message(in, m)) search(box.igd, m);
}

bool one_trimmed_line(std::string_view st) {
    return !st.empty() && st.find_first_of("\r\n") == std::string_view::npos && st.front() != ' ' &&
           st.front() != '\t' && st.back() != ' ' && st.back() != '\t';
}

void peer_message(const Message& m, std::optional<upnp::Url>& last) {
    auto text = as_text(m.bytes);
    if (m.who == 2) {
        auto read = portmap::read_search(upnp::search_request(text));
        NATLAB_INVARIANT(!one_trimmed_line(text) || (read && read->st == text));
        return;
    }
    if (m.who == 1 && last) {
        auto resolved = last->resolve(text);
        NATLAB_INVARIANT(!resolved || resolved->path.starts_with("/"));
        return;
    }
    auto url = upnp::location_of(text);
    if (!url) return;
    auto again = upnp::Url::parse(url->to_string());
    NATLAB_INVARIANT(again && again->host == url->host && again->path == url->path);
    last = url;
}

}  // namespace

extern "C" int NATLAB_FUZZ_ENTRY(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    std::span<const std::uint8_t> in{data + 1, size - 1};
    if (!(data[0] & kPeerSide)) {
        run_server(data[0], in);
        return 0;
    }
    std::optional<upnp::Url> last;
    Message m;
    while (next_message(in, m)) peer_message(m, last);
    return 0;
}
