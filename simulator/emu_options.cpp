#include "emu_options.h"

#include <CLI/CLI.hpp>
#include <charconv>
#include <cmath>

#include "setup_error.h"

namespace natlab::nat {
namespace {

// The raw strings from CLI11, before our own parsers check them.
struct RawOptions {
    std::string inside_address, outside_address, type = "port-restricted", hairpin = "off", refresh = "off";
    std::optional<std::string> gateway, mapping, filtering, allocation, port_range;
    double timeout_seconds = 120;
};

void add_options(CLI::App& app, EmuOptions& o, RawOptions& r) {
    app.add_option("--name", o.name, "name of this NAT, for logs")->required();
    app.add_option("--inside", o.inside_interface, "inside (LAN) interface")->required();
    app.add_option("--inside-address", r.inside_address, "our LAN address, a.b.c.d/len")->required();
    app.add_option("--outside", o.outside_interface, "outside (WAN) interface")->required();
    app.add_option("--outside-address", r.outside_address, "our external address, a.b.c.d/len")->required();
    app.add_option("--outside-gateway", r.gateway, "next hop for destinations off the outside subnet");
    app.add_option("--type", r.type, "full-cone|restricted|port-restricted|symmetric");
    app.add_option("--mapping", r.mapping,
                   "endpoint-independent|address-dependent|address-and-port-dependent");
    app.add_option("--filtering", r.filtering,
                   "endpoint-independent|address-dependent|address-and-port-dependent");
    app.add_option("--port-allocation", r.allocation, "preserve|sequential|random");
    app.add_option("--port-range", r.port_range, "external ports LO-HI (default 1024-65535)");
    app.add_option("--mapping-timeout", r.timeout_seconds,
                   "idle seconds before a mapping expires (default 120)");
    app.add_option("--hairpin", r.hairpin, "on|off (default off)");
    app.add_option("--refresh-on-inbound", r.refresh, "on|off (default off)");
    app.add_option("--events", o.events_path, "JSON-lines event log (default stdout)");
    app.add_option("--ready-fd", o.ready_fd, "write \"ready\\n\" to this fd once the links are open");
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

Duration timeout_from(double seconds) {
    if (!std::isfinite(seconds) || seconds <= 0 || seconds > 86400 * 365)
        throw SetupError{"--mapping-timeout: expected a positive number of seconds, got " +
                         std::to_string(seconds)};
    return Duration{static_cast<Duration::rep>(std::llround(seconds * 1000))};
}

NatConfig nat_config(const RawOptions& r, NatType type) {
    NatConfig c = NatConfig::preset(type);
    apply_behaviour_flags(r, c);
    if (r.port_range)
        c.ports = checked(PortRange::parse(*r.port_range), "--port-range", *r.port_range,
                          "LO-HI with 1 <= LO <= HI");
    c.mapping_timeout = timeout_from(r.timeout_seconds);
    c.hairpin = on_off("--hairpin", r.hairpin);
    c.refresh_on_inbound = on_off("--refresh-on-inbound", r.refresh);
    return c;
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

void check_addressing(const EmuOptions& o) {
    if (overlap(o.inside.subnet, o.outside.subnet))
        throw SetupError{"--inside-address " + o.inside.to_string() + " and --outside-address " +
                         o.outside.to_string() + " overlap"};
    if (o.gateway && !o.outside.subnet.contains(*o.gateway))
        throw SetupError{"--outside-gateway " + o.gateway->to_string() + " is not in the outside subnet " +
                         o.outside.subnet.to_string()};
    if (o.gateway && *o.gateway == o.outside.address)
        throw SetupError{"--outside-gateway " + o.gateway->to_string() + " is our own outside address"};
}

void convert(const RawOptions& r, EmuOptions& o) {
    const char* with_prefix = "an address with prefix, a.b.c.d/len";
    o.inside =
        checked(InterfaceAddress::parse(r.inside_address), "--inside-address", r.inside_address, with_prefix);
    o.outside = checked(InterfaceAddress::parse(r.outside_address), "--outside-address", r.outside_address,
                        with_prefix);
    if (r.gateway)
        o.gateway = checked(Ipv4::parse(*r.gateway), "--outside-gateway", *r.gateway, "an IPv4 address");
    o.type = checked(parse_nat_type(r.type), "--type", r.type,
                     "full-cone, restricted, port-restricted or symmetric");
    o.nat = nat_config(r, o.type);
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

std::string InterfaceAddress::to_string() const {
    return address.to_string() + '/' + std::to_string(subnet.prefix);
}

EmuOptions parse_options(const std::vector<std::string>& args) {
    CLI::App app{"nat-emu: a user-space NAT between two links (RFC 4787 behaviours)", "nat-emu"};
    EmuOptions options;
    RawOptions raw;
    add_options(app, options, raw);
    std::vector<std::string> reversed(args.rbegin(), args.rend());  // CLI11 consumes from the back
    try {
        app.parse(reversed);
    } catch (const CLI::CallForHelp&) {
        throw HelpRequested{app.help()};
    } catch (const CLI::ParseError& e) {
        throw SetupError{e.what()};
    }
    convert(raw, options);
    return options;
}

}  // namespace natlab::nat
