#include "simulator/emu/emu_options.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <charconv>
#include <cmath>

#include "simulator/emu/emu_options6.h"
#include "simulator/io/daemon.h"
#include "simulator/nat/profile.h"
#include "src/net/setup_error.h"

namespace natlab::nat {
namespace {

// The raw strings from CLI11, before our own parsers check them.
struct RawOptions {
    std::string inside_address, type = "port-restricted", icmp_errors = "on";
    std::optional<std::string> hairpin, refresh, pooling, parity;
    std::vector<std::string> outside_addresses;
    std::optional<std::string> gateway, mapping, filtering, allocation, port_range;
    std::string port_mapping = "off", pm_refuse = "off", pm_honour = "on", pm_third_party = "off";
    std::string upnp_igd = "1", upnp_permanent_only = "off";
    std::optional<std::string> pm_lifetime;
    unsigned pm_per_host = 16;
    // Unset: the type's value (a profile sets some of them).
    std::optional<double> timeout_seconds, before_inbound_seconds, icmp_seconds, tcp_established_seconds,
        tcp_transitory_seconds;
    std::optional<unsigned> block_size, blocks_per_host, per_host;
};

// The links, the addresses, and the shell's own flags.
void add_options(CLI::App& app, EmuOptions& o, RawOptions& r) {
    app.add_option("--name", o.name, "name of this NAT, for logs")->required();
    app.add_option("--inside", o.inside_interface, "inside (LAN) interface")->required();
    app.add_option("--inside-address", r.inside_address, "our LAN address, a.b.c.d/len")->required();
    app.add_option("--outside", o.outside_interface, "outside (WAN) interface")->required();
    app.add_option("--outside-address", r.outside_addresses,
                   "our external address, a.b.c.d/len; repeat for a pool (later ones may omit /len)")
        ->required()
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    app.add_option("--outside-gateway", r.gateway, "next hop for destinations off the outside subnet");
    app.add_option("--events", o.events_path, "JSON-lines event log (default stdout)");
    app.add_option("--ready-fd", o.ready_fd, "write \"ready\\n\" to this fd once the links are open");
}

// Port parity (RFC 4787 §4.2.2), port blocks (RFC 7422), the limit per host (RFC 6888 REQ-4).
void add_port_options(CLI::App& app, RawOptions& r) {
    app.add_option("--port-parity", r.parity, "on|off: keep the inside port's parity (default off)");
    app.add_option("--port-block-size", r.block_size, "ports in a block reserved per inside host (0: none)");
    app.add_option("--port-blocks-per-host", r.blocks_per_host,
                   "blocks one inside host may hold (default 1)");
    app.add_option("--mappings-per-host", r.per_host, "live mappings one inside host may hold (0: no limit)");
}

// RFC 4787 behaviours, RFC 5382/5508 timeouts, and the rest of the NAT's knobs.
void add_nat_options(CLI::App& app, RawOptions& r) {
    app.add_option("--type", r.type,
                   "full-cone|restricted|port-restricted|symmetric, or a profile (nat-lab profiles)");
    app.add_option("--mapping", r.mapping,
                   "endpoint-independent|address-dependent|address-and-port-dependent");
    app.add_option("--filtering", r.filtering,
                   "endpoint-independent|address-dependent|address-and-port-dependent");
    app.add_option("--port-allocation", r.allocation, "preserve|sequential|random");
    app.add_option("--pooling", r.pooling, "paired|arbitrary: external address per host or per mapping");
    app.add_option("--port-range", r.port_range, "external ports LO-HI (default 1024-65535)");
    app.add_option("--mapping-timeout", r.timeout_seconds,
                   "idle seconds before a mapping expires (default 120)");
    app.add_option(
        "--mapping-timeout-before-inbound", r.before_inbound_seconds,
        "idle seconds of a UDP mapping no inbound packet has used yet (default: --mapping-timeout)");
    app.add_option("--icmp-timeout", r.icmp_seconds, "idle seconds of an ICMP query mapping (default 60)");
    app.add_option("--tcp-established-timeout", r.tcp_established_seconds,
                   "idle seconds of an established TCP mapping (default 7440)");
    app.add_option("--tcp-transitory-timeout", r.tcp_transitory_seconds,
                   "idle seconds of an opening or closing TCP mapping (default 240)");
    app.add_option("--hairpin", r.hairpin, "on|off (default off)");
    app.add_option("--refresh-on-inbound", r.refresh, "on|off (default off)");
    app.add_option("--icmp-errors", r.icmp_errors, "on|off: send time exceeded and prohibited (default on)");
    add_port_options(app, r);
}

// The port mapping protocols and their policy (simulator/portmap/policy.h).
void add_port_mapping_options(CLI::App& app, RawOptions& r) {
    app.add_option("--port-mapping", r.port_mapping,
                   "protocols served on the inside address: nat-pmp,pcp,upnp (comma-separated) or off");
    app.add_option("--port-mapping-refuse", r.pm_refuse, "on|off: answer every request not authorized");
    app.add_option("--port-mapping-lifetime", r.pm_lifetime, "granted lifetimes MIN-MAX seconds (120-86400)");
    app.add_option("--port-mapping-per-host", r.pm_per_host, "grants one inside address may hold (16)");
    app.add_option("--port-mapping-honour-port", r.pm_honour, "on|off: grant a free suggested port (on)");
    app.add_option("--port-mapping-third-party", r.pm_third_party, "on|off: PCP THIRD_PARTY allowed (off)");
    app.add_option("--upnp-igd", r.upnp_igd, "1|2: the UPnP IGD version served (1)");
    app.add_option("--upnp-permanent-only", r.upnp_permanent_only,
                   "on|off: IGD:1 refuses leases other than 0 with 725 (off)");
}

template <class T>
T checked(std::optional<T> value, const std::string& flag, const std::string& text,
          const std::string& expected) {
    if (!value) throw SetupError{flag + ": expected " + expected + ", got '" + text + "'"};
    return *value;
}

std::string profile_list() {
    std::string list;
    for (auto& name : names_of<NatProfile>()) list += (list.empty() ? "" : ", ") + name;
    return list;
}

bool on_off(const std::string& flag, const std::string& text) {
    if (text != "on" && text != "off") throw SetupError{flag + ": expected on or off, got '" + text + "'"};
    return text == "on";
}

constexpr const char* kBehaviours = "endpoint-independent, address-dependent or address-and-port-dependent";

void apply_behaviour_flags(const RawOptions& r, NatConfig& c) {
    if (r.mapping)
        c.mapping = checked(parse_mapping_behaviour(*r.mapping), "--mapping", *r.mapping, kBehaviours);
    if (r.filtering)
        c.filtering =
            checked(parse_filtering_behaviour(*r.filtering), "--filtering", *r.filtering, kBehaviours);
    if (r.allocation)
        c.port_allocation = checked(parse_port_allocation(*r.allocation), "--port-allocation", *r.allocation,
                                    "preserve, sequential or random");
}

Millis timeout_from(double seconds, const std::string& flag) {
    if (!std::isfinite(seconds) || seconds <= 0 || seconds > 86400 * 365)
        throw SetupError{flag + ": expected a positive number of seconds, got " + std::to_string(seconds)};
    return Millis{static_cast<Millis::rep>(std::llround(seconds * 1000))};
}

void set_timeout(const std::optional<double>& seconds, const char* flag, Millis& field) {
    if (seconds) field = timeout_from(*seconds, flag);
}

void apply_timeouts(const RawOptions& r, NatConfig& c) {
    set_timeout(r.timeout_seconds, "--mapping-timeout", c.mapping_timeout);
    set_timeout(r.before_inbound_seconds, "--mapping-timeout-before-inbound",
                c.mapping_timeout_before_inbound);
    set_timeout(r.icmp_seconds, "--icmp-timeout", c.icmp_timeout);
    set_timeout(r.tcp_established_seconds, "--tcp-established-timeout", c.tcp_established_timeout);
    set_timeout(r.tcp_transitory_seconds, "--tcp-transitory-timeout", c.tcp_transitory_timeout);
}

void set_switch(const std::optional<std::string>& text, const std::string& flag, bool& field) {
    if (text) field = on_off(flag, *text);
}

std::uint16_t block_count(unsigned value, const char* flag, unsigned least) {
    if (value < least || value > 65535)
        throw SetupError{std::string{flag} + ": expected " + std::to_string(least) + " to 65535, got " +
                         std::to_string(value)};
    return static_cast<std::uint16_t>(value);
}

void apply_port_flags(const RawOptions& r, NatConfig& c) {
    if (r.port_range)
        c.ports = checked(PortRange::parse(*r.port_range), "--port-range", *r.port_range,
                          "LO-HI with 1 <= LO <= HI");
    set_switch(r.parity, "--port-parity", c.port_parity);
    if (r.block_size) c.port_block_size = block_count(*r.block_size, "--port-block-size", 0);
    if (r.blocks_per_host)
        c.port_blocks_per_host = block_count(*r.blocks_per_host, "--port-blocks-per-host", 1);
    if (r.per_host) c.mappings_per_host = *r.per_host;
    if (c.port_block_size > c.ports.size())
        throw SetupError{"--port-block-size: " + std::to_string(c.port_block_size) + " ports do not fit in " +
                         c.ports.to_string()};
}

NatConfig nat_config(const RawOptions& r, const NatConfig& base) {
    NatConfig c = base;
    apply_behaviour_flags(r, c);
    apply_port_flags(r, c);
    apply_timeouts(r, c);
    if (r.pooling)
        c.pooling =
            checked(parse_address_pooling(*r.pooling), "--pooling", *r.pooling, "paired or arbitrary");
    set_switch(r.hairpin, "--hairpin", c.hairpin);
    set_switch(r.refresh, "--refresh-on-inbound", c.refresh_on_inbound);
    c.icmp_errors = on_off("--icmp-errors", r.icmp_errors);
    return c;
}

// --type: a preset, or a profile (then `type` is the preset its mapping and filtering match, if any).
void apply_type(const RawOptions& r, EmuOptions& o) {
    if (auto profile = parse_nat_profile(r.type)) {
        o.profile = profile;
        o.nat = nat_config(r, profile_config(*profile));
        return;
    }
    auto type = parse_nat_type(r.type);
    if (!type)
        throw SetupError{"--type: expected full-cone, restricted, port-restricted or symmetric, got '" +
                         r.type + "' (or a profile: " + profile_list() + ")"};
    o.type = *type;
    o.nat = nat_config(r, NatConfig::preset(o.type));
}

void enable_protocols(const std::string& list, portmap::Policy& p) {
    if (list == "off") return;
    std::size_t start = 0;
    while (start <= list.size()) {
        auto comma = list.find(',', start);
        std::string word = list.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        auto requester = checked(parse_requester(word), "--port-mapping", word, "nat-pmp, pcp, upnp or off");
        (requester == Requester::NatPmp ? p.nat_pmp : requester == Requester::Pcp ? p.pcp : p.upnp) = true;
        if (comma == std::string::npos) break;
        start = comma + 1;
    }
}

// MIN-MAX seconds, 1 <= MIN <= MAX.
void apply_lifetimes(const std::string& text, portmap::Policy& p) {
    auto dash = text.find('-');
    unsigned long lo = 0, hi = 0;
    if (dash != std::string::npos) {
        auto a = std::from_chars(text.data(), text.data() + dash, lo);
        auto b = std::from_chars(text.data() + dash + 1, text.data() + text.size(), hi);
        if (a.ec != std::errc{} || b.ec != std::errc{} || b.ptr != text.data() + text.size()) lo = hi = 0;
    }
    if (lo < 1 || hi < lo || hi > 0xffffffffUL)
        throw SetupError{"--port-mapping-lifetime: expected MIN-MAX seconds with 1 <= MIN <= MAX, got '" +
                         text + "'"};
    p.min_lifetime = std::chrono::seconds{lo};
    p.max_lifetime = std::chrono::seconds{hi};
}

portmap::Policy port_mapping_policy(const RawOptions& r) {
    portmap::Policy p;
    enable_protocols(r.port_mapping, p);
    p.refuse = on_off("--port-mapping-refuse", r.pm_refuse);
    if (r.pm_lifetime) apply_lifetimes(*r.pm_lifetime, p);
    if (r.pm_per_host < 1) throw SetupError{"--port-mapping-per-host: expected at least 1"};
    p.per_host = r.pm_per_host;
    p.honour_port = on_off("--port-mapping-honour-port", r.pm_honour);
    p.third_party = on_off("--port-mapping-third-party", r.pm_third_party);
    return p;
}

// A prefix length for an interface: 1..32 (a /0 "subnet" would swallow every route).
std::optional<int> parse_prefix(std::string_view digits) {
    int prefix = -1;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), prefix);
    if (digits.empty() || ec != std::errc{} || end != digits.data() + digits.size()) return std::nullopt;
    if (prefix < 1 || prefix > 32) return std::nullopt;
    return prefix;
}

bool overlap(const Cidr& a, const Cidr& b) {
    return a.contains(b.base) || b.contains(a.base);
}

// A further --outside-address: an address (prefix optional, but if given the
// same subnet as the first's), in that subnet, not given twice.
Ipv4 further_outside(const std::string& text, const EmuOptions& o) {
    auto with_prefix = InterfaceAddress::parse(text);
    auto bare = Ipv4::parse(text);
    if (!with_prefix && !bare)
        throw SetupError{"--outside-address: expected an address a.b.c.d or a.b.c.d/len, got '" + text + "'"};
    Ipv4 address = with_prefix ? with_prefix->address : *bare;
    if ((with_prefix && with_prefix->subnet != o.outside.subnet) || !o.outside.subnet.contains(address))
        throw SetupError{"--outside-address " + text + " is not in the outside subnet " +
                         o.outside.subnet.to_string()};
    auto all = o.outside_addresses();
    if (std::find(all.begin(), all.end(), address) != all.end())
        throw SetupError{"--outside-address " + address.to_string() + " is given twice"};
    return address;
}

void check_addressing(const EmuOptions& o) {
    if (overlap(o.inside.subnet, o.outside.subnet))
        throw SetupError{"--inside-address " + o.inside.to_string() + " and --outside-address " +
                         o.outside.to_string() + " overlap"};
    if (o.gateway && !o.outside.subnet.contains(*o.gateway))
        throw SetupError{"--outside-gateway " + o.gateway->to_string() + " is not in the outside subnet " +
                         o.outside.subnet.to_string()};
    auto all = o.outside_addresses();
    if (o.gateway && std::find(all.begin(), all.end(), *o.gateway) != all.end())
        throw SetupError{"--outside-gateway " + o.gateway->to_string() + " is our own outside address"};
}

void convert(const RawOptions& r, EmuOptions& o) {
    const char* with_prefix = "an address with prefix, a.b.c.d/len";
    o.inside =
        checked(InterfaceAddress::parse(r.inside_address), "--inside-address", r.inside_address, with_prefix);
    o.outside = checked(InterfaceAddress::parse(r.outside_addresses.front()), "--outside-address",
                        r.outside_addresses.front(), with_prefix);
    for (std::size_t i = 1; i < r.outside_addresses.size(); ++i)
        o.outside_more.push_back(further_outside(r.outside_addresses[i], o));
    if (r.gateway)
        o.gateway = checked(Ipv4::parse(*r.gateway), "--outside-gateway", *r.gateway, "an IPv4 address");
    apply_type(r, o);
    o.port_mapping = port_mapping_policy(r);
    if (r.upnp_igd != "1" && r.upnp_igd != "2")
        throw SetupError{"--upnp-igd: expected 1 or 2, got '" + r.upnp_igd + "'"};
    o.upnp_version = r.upnp_igd == "2" ? 2 : 1;
    o.upnp_permanent_only = on_off("--upnp-permanent-only", r.upnp_permanent_only);
    if (o.ready_fd && *o.ready_fd < 0) throw SetupError{"--ready-fd: expected a file descriptor number"};
    check_addressing(o);
}

}  // namespace

std::optional<InterfaceAddress> InterfaceAddress::parse(std::string_view text) {
    auto slash = text.find('/');
    if (slash == std::string_view::npos) return std::nullopt;
    auto address = Ipv4::parse(text.substr(0, slash));
    auto prefix = parse_prefix(text.substr(slash + 1));
    if (!address || !prefix) return std::nullopt;
    Cidr subnet{{}, *prefix};
    subnet.base = Ipv4{address->value & subnet.mask()};
    return InterfaceAddress{*address, subnet};
}

std::vector<Ipv4> EmuOptions::outside_addresses() const {
    std::vector<Ipv4> all{outside.address};
    all.insert(all.end(), outside_more.begin(), outside_more.end());
    return all;
}

std::string InterfaceAddress::to_string() const {
    return address.to_string() + '/' + std::to_string(subnet.prefix);
}

EmuOptions parse_options(const std::vector<std::string>& args) {
    CLI::App app{"nat-emu: a user-space NAT between two links (RFC 4787 behaviours)", "nat-emu"};
    EmuOptions options;
    RawOptions raw;
    RawOptions6 raw6;
    add_options(app, options, raw);
    add_nat_options(app, raw);
    add_port_mapping_options(app, raw);
    add_ipv6_options(app, raw6);
    parse_command_line(app, args);
    convert(raw, options);
    options.ipv6 = ipv6_config(raw6);
    return options;
}

}  // namespace natlab::nat
