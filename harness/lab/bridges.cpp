// The segments' bridges: trees past BR_MAX_PORTS, quiet ARP on big
// segments. See bridges.h for the theory of operation.
#include "harness/lab/bridges.h"

#include <algorithm>

namespace natlab::harness {
namespace {

// The link's port on its bridge: the switch end, or link-emu's bridge end.
const std::string& port_of(const Link& link) {
    return link.stage ? link.stage->bridge_ifname : link.switch_ifname;
}

std::size_t links_on(const Topology& topo, const std::string& segment) {
    return static_cast<std::size_t>(
        std::count_if(topo.links.begin(), topo.links.end(), [&](auto& l) { return l.segment == segment; }));
}

// Where bridge `at` of a tree sends frames for a link on bridge `to`: the
// trunk toward it (every other bridge hangs off the first).
std::string trunk(const std::vector<std::string>& bridges, std::size_t at, std::size_t to) {
    auto& root = bridges.front();
    return at == 0 ? root + "x" + std::to_string(to) + "t" : root + "x" + std::to_string(at) + "u";
}

}  // namespace

Mac link_mac(std::size_t index) {
    auto n = static_cast<std::uint32_t>(index + 1);
    return {0x02,
            0x6e,
            0x6c,
            static_cast<std::uint8_t>(n >> 16),
            static_cast<std::uint8_t>(n >> 8),
            static_cast<std::uint8_t>(n)};
}

std::vector<std::pair<Ipv4, Mac>> static_neighbours(const Topology& topo, std::size_t index) {
    auto& link = topo.links[index];
    auto* node = topo.find_node(link.node);
    if (topo.nodes.size() <= kQuietSegment || !node || (node->is_nat && !node->kernel_nat)) return {};
    bool quiet = links_on(topo, link.segment) > kQuietSegment;
    std::vector<std::pair<Ipv4, Mac>> out;
    for (std::size_t i = 0; i < topo.links.size(); ++i) {
        auto& other = topo.links[i];
        if (i == index || other.segment != link.segment) continue;
        for (auto ip : other.answers)
            if (quiet || (node->gateway && *node->gateway == ip)) out.emplace_back(ip, link_mac(i));
    }
    return out;
}

void Bridges::add_segment(const Segment& segment) {
    sw_.add_bridge(segment.bridge);
    trees_[segment.name].bridges = {segment.bridge};
}

std::string Bridges::bridge_for(const Topology& topo, std::size_t index) {
    auto& tree = trees_.at(topo.links[index].segment);
    auto n = tree.ports.size();
    auto b = n / kPortsPerBridge;
    if (b == tree.bridges.size()) {
        auto extra = tree.bridges.front() + "x" + std::to_string(b);
        sw_.add_bridge(extra);
        sw_.add_veth(trunk(tree.bridges, 0, b), tree.bridges.front(), extra + "u", -1);
        sw_.enslave(extra + "u", extra);
        sw_.set_up(extra + "u");
        tree.bridges.push_back(extra);
    }
    tree.ports.emplace_back(index, b);
    return tree.bridges[b];
}

void Bridges::quiet(const Topology& topo) {
    for (auto& [name, tree] : trees_)
        if (tree.ports.size() > kQuietSegment) quiet_tree(topo, tree);
}

void Bridges::quiet_tree(const Topology& topo, const Tree& tree) {
    for (auto [link, on] : tree.ports) sw_.set_proxy_arp(port_of(topo.links[link]));
    for (std::size_t at = 0; at < tree.bridges.size(); ++at)
        for (auto [link, on] : tree.ports) {
            auto mac = link_mac(link);
            sw_.add_fdb(on == at ? port_of(topo.links[link]) : trunk(tree.bridges, at, on), mac);
            for (auto ip : topo.links[link].answers) sw_.add_neighbour(tree.bridges[at], ip, mac);
        }
}

}  // namespace natlab::harness
