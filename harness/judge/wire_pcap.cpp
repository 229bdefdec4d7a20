// Reading a run's captures for the wire verdicts (libpcap). See wire.h.
#include <pcap/pcap.h>

#include <algorithm>
#include <filesystem>

#include "harness/judge/wire.h"
#include "src/net/setup_error.h"

namespace natlab::harness {
namespace {

// The UDP or TCP payload after an IP header of `ihl` bytes, in a packet of
// `end` bytes carrying `protocol`; empty for anything else.
std::string l4_payload(const u_char* ip, std::size_t ihl, std::size_t end, unsigned protocol) {
    std::size_t header = 0;
    if (protocol == 17) header = 8;
    if (protocol == 6 && ihl + 13 < end) header = (ip[ihl + 12] >> 4) * 4;
    if (!header || ihl + header > end) return {};
    return std::string(reinterpret_cast<const char*>(ip + ihl + header), end - ihl - header);
}

// The UDP or TCP payload of an Ethernet + IPv4 or IPv6 frame (IPv6: the
// fixed header's next header only, as decode.h draws it).
std::string transport_payload(const u_char* data, std::size_t size) {
    if (size < 14 + 20) return {};
    auto ip = data + 14;
    if ((data[12] << 8 | data[13]) == 0x86dd) {
        if (size < 14 + 40 || (ip[0] >> 4) != 6) return {};
        return l4_payload(ip, 40, std::min<std::size_t>(size - 14, 40 + (ip[4] << 8 | ip[5])), ip[6]);
    }
    std::size_t ihl = (ip[0] & 0x0F) * 4, total = (ip[2] << 8) | ip[3];
    return l4_payload(ip, ihl, std::min(size - 14, total), ip[9]);
}

}  // namespace

std::vector<WirePacket> read_capture(const std::string& file, const std::string& node,
                                     const std::string& segment) {
    char err[PCAP_ERRBUF_SIZE];
    pcap_t* p = pcap_open_offline(file.c_str(), err);
    if (!p) throw SetupError("cannot read " + file + ": " + err);
    if (pcap_datalink(p) != DLT_EN10MB) {
        pcap_close(p);
        throw SetupError(file + ": not an Ethernet capture");
    }
    std::vector<WirePacket> out;
    pcap_pkthdr* header;
    const u_char* data;
    while (pcap_next_ex(p, &header, &data) == 1) {
        auto frame = decode_frame({reinterpret_cast<const std::byte*>(data), header->caplen});
        if (frame)
            out.push_back({header->ts.tv_sec + header->ts.tv_usec / 1e6, node, segment, *frame,
                           transport_payload(data, header->caplen)});
    }
    pcap_close(p);
    return out;
}

WireEvidence read_wire_evidence(const Topology& topology, const std::string& out_dir) {
    WireEvidence ev;
    ev.plan = wire_plan(topology);
    if (!topology.capture) return ev;
    for (auto& link : topology.links) {
        auto file = out_dir + "/" + link.capture_file;
        try {
            if (!std::filesystem::exists(file)) throw SetupError("no " + link.capture_file);
            auto packets = read_capture(file, link.node, link.segment);
            ev.packets.insert(ev.packets.end(), packets.begin(), packets.end());
            ev.read = true;
        } catch (const SetupError& e) {
            ev.note += (ev.note.empty() ? "" : "; ") + std::string(e.what());
        }
    }
    std::stable_sort(ev.packets.begin(), ev.packets.end(), [](auto& a, auto& b) { return a.t < b.t; });
    return ev;
}

}  // namespace natlab::harness
