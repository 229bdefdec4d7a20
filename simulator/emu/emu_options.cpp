#include "simulator/emu/emu_options.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <charconv>
#include <cmath>

#include "simulator/io/daemon.h"
#include "src/net/setup_error.h"

namespace natlab::nat {
namespace {

// The raw strings from CLI11, before our own parsers check them.
struct RawOptions {
    std::string inside_address, type = "port-restricted", hairpin = "off", refresh = "off",
                                icmp_errors = "on";
    std::string pooling = "paired";
    std::vector<std::string> outside_addresses;
    std::optional<std::string> gateway, mapping, filtering, allocation, port_range;
    std::string port_mapping = "off", pm_refuse = "off", pm_honour = "on", pm_third_party = "off";
    std::string upnp_igd = "1", upnp_permanent_only = "off";
    std::optional<std::string> pm_lifetime;
    unsigned pm_per_host = 16;
    double timeout_seconds = 120, icmp_seconds = 60, tcp_established_seconds = 7440,
           tcp_transitory_seconds = 240;
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

// RFC 4787 behaviours, RFC 5382/5508 timeouts, and the rest of the NAT's knobs.
void add_nat_options(CLI::App& app, RawOptions& r) {
    app.add_option("--type", r.type, "full-cone|restricted|port-restricted|symmetric");
    app.add_option("--mapping", r.mapping,
                   "endpoint-independent|address-dependent|address-and-port-dependent");
    app.add_option("--filtering", r.filtering,
                   "endpoint-independent|address-dependent|address-and-port-dependent");
    app.add_option("--port-allocation", r.allocation, "preserve|sequential|random");
    app.add_option("--pooling", r.pooling, "paired|arbitrary: external address per host or per mapping");
    app.add_option("--port-range", r.port_range, "external ports LO-HI (default 1024-65535)");
    app.add_option("--mapping-timeout", r.timeout_seconds,
                   "idle seconds before a mapping expires (default 120)");
    app.add_option("--icmp-timeout", r.icmp_seconds, "idle seconds of an ICMP query mapping (default 60)");
    app.add_option("--tcp-established-timeout", r.tcp_established_seconds,
                   "idle seconds of an established TCP mapping (default 7440)");
    app.add_option("--tcp-transitory-timeout", r.tcp_transitory_seconds,
                   "idle seconds of an opening or closing TCP mapping (default 240)");
    app.add_option("--hairpin", r.hairpin, "on|off (default off)");
    app.add_option("--refresh-on-inbound", r.refresh, "on|off (default off)");
    app.add_option("--icmp-errors", r.icmp_errors, "on|off: send time exceeded and prohibited (default on)");
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
T checked(std::optional<T> value, const std::string& flag, const std::string& text, const char* expected) {
    if (!value) throw SetupError{flag + ": expected " + expected + ", got '" + text + "'"};
    return *value;
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

void apply_timeouts(const RawOptions& r, NatConfig& c) {
    c.mapping_timeout = timeout_from(r.timeout_seconds, "--mapping-timeout");
    c.icmp_timeout = timeout_from(r.icmp_seconds, "--icmp-timeout");
    c.tcp_established_timeout = timeout_from(r.tcp_established_seconds, "--tcp-established-timeout");
    c.tcp_transitory_timeout = timeout_from(r.tcp_transitory_seconds, "--tcp-transitory-timeout");
}

NatConfig nat_config(const RawOptions& r, NatType type) {
    NatConfig c = NatConfig::preset(type);
    apply_behaviour_flags(r, c);
    if (r.port_range)
        c.ports = checked(PortRange::parse(*r.port_range), "--port-range", *r.port_range,
                          "LO-HI with 1 <= LO <= HI");
    apply_timeouts(r, c);
    c.pooling = checked(parse_address_pooling(r.pooling), "--pooling", r.pooling, "paired or arbitrary");
    c.hairpin = on_off("--hairpin", r.hairpin);
    c.refresh_on_inbound = on_off("--refresh-on-inbound", r.refresh);
    c.icmp_errors = on_off("--icmp-errors", r.icmp_errors);
    return c;
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
    o.type = checked(parse_nat_type(r.type), "--type", r.type,
                     "full-cone, restricted, port-restricted or symmetric");
    o.nat = nat_config(r, o.type);
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
    add_options(app, options, raw);
    add_nat_options(app, raw);
    add_port_mapping_options(app, raw);
    parse_command_line(app, args);
    convert(raw, options);
    return options;
}

}  // namespace natlab::nat
