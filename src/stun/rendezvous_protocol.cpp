// Builders and parsers for the rendezvous messages (docs/protocol.md).
//
// Theory of operation: a builder lays out the attributes of one message in
// a fixed order; a parser checks the method and class first, then fetches
// each attribute it needs and refuses the whole message if a required one is
// absent or malformed. Attributes a parser does not know are skipped, which
// is what RFC 8489 section 14 asks of comprehension-optional attributes.
// Endpoints travel XOR-encoded like XOR-MAPPED-ADDRESS (RFC 8489 section
// 14.2), so a NAT's application-level gateway that rewrites addresses it
// finds in payloads does not corrupt them. Every endpoint attribute carries
// either family: family 0x01 with 4 address bytes xored with the magic
// cookie, or family 0x02 with 16 bytes xored with the cookie followed by
// the transaction id. A repeatable attribute may mix the two.
#include "src/stun/rendezvous_protocol.h"

#include <algorithm>

namespace natlab::proto {
namespace {

using stun::Class;
using stun::Message;

bool is(const Message& m, std::uint16_t method, Class cls) {
    return !m.classic() && m.method == method && m.cls == cls;
}

Message start(std::uint16_t method, Class cls, const stun::TransactionId& id) {
    Message m;
    m.method = method;
    m.cls = cls;
    m.transaction = id;
    return m;
}

Message start_response(const Message& request, Class cls) {
    Message m = start(request.method, cls, request.transaction);
    m.cookie = request.cookie;
    return m;
}

void add_endpoint(Message& m, std::uint16_t type, const IpEndpoint& e) {
    m.add(stun::make_xor_address(type, stun::Address::from(e), m.transaction));
}

std::optional<std::string> get_name(const Message& m, std::uint16_t type) {
    const auto* a = m.find(type);
    if (!a) return std::nullopt;
    auto name = stun::read_string(*a);
    if (!valid_name(name)) return std::nullopt;
    return name;
}

std::optional<IpEndpoint> get_endpoint(const Message& m, std::uint16_t type) {
    const auto* a = m.find(type);
    if (!a) return std::nullopt;
    return stun::read_xor_ip_endpoint(*a, m.transaction);
}

// Every endpoint of a repeatable attribute, of either family, from the
// `skip`-th on; malformed values are skipped, and only the first
// kMaxLocalEndpoints are kept.
std::vector<IpEndpoint> get_endpoints(const Message& m, std::uint16_t type, std::size_t skip = 0) {
    std::vector<IpEndpoint> out;
    auto all = m.find_all(type);
    for (std::size_t i = skip; i < all.size(); ++i) {
        auto e = stun::read_xor_ip_endpoint(*all[i], m.transaction);
        if (e && out.size() < kMaxLocalEndpoints) out.push_back(*e);
    }
    return out;
}

// A 16-byte value (TOKEN, SECRET).
std::optional<Token> get_16_bytes(const Message& m, std::uint16_t type) {
    const auto* a = m.find(type);
    if (!a || a->value.size() != Token{}.size()) return std::nullopt;
    Token t;
    std::copy(a->value.begin(), a->value.end(), t.begin());
    return t;
}

std::optional<Token> get_token(const Message& m) {
    return get_16_bytes(m, attr::token);
}

// An optional name-like attribute: absent is "", present must be valid.
std::optional<std::string> get_optional_name(const Message& m, std::uint16_t type) {
    if (!m.find(type)) return std::string();
    return get_name(m, type);
}

std::optional<std::uint32_t> get_sequence(const Message& m) {
    const auto* a = m.find(attr::sequence);
    return a ? stun::read_u32(*a) : std::nullopt;
}

// ICE-CONTROLLING or ICE-CONTROLLED (RFC 8445 section 7.1.3), exactly one.
std::optional<std::pair<Role, std::uint64_t>> get_role(const Message& m) {
    const auto* ing = m.find(stun::attr::ice_controlling);
    const auto* ed = m.find(stun::attr::ice_controlled);
    if ((ing == nullptr) == (ed == nullptr)) return std::nullopt;
    auto tiebreaker = stun::read_u64(ing ? *ing : *ed);
    if (!tiebreaker) return std::nullopt;
    return std::pair{ing ? Role::controlling : Role::controlled, *tiebreaker};
}

// RFC 3629 section 4 well-formedness, without overlong forms or surrogates.
std::size_t utf8_sequence_length(std::string_view s, std::size_t at) {
    auto byte = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
    unsigned lead = byte(at);
    if (lead < 0x80) return lead >= 0x20 && lead != 0x7f ? 1 : 0;
    std::size_t n = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC2 ? 2 : 0;
    if (n == 0 || lead > 0xF4 || at + n > s.size()) return 0;
    for (std::size_t i = 1; i < n; ++i)
        if ((byte(at + i) & 0xC0) != 0x80) return 0;
    unsigned second = byte(at + 1);
    if ((lead == 0xE0 && second < 0xA0) || (lead == 0xED && second > 0x9F)) return 0;
    if ((lead == 0xF0 && second < 0x90) || (lead == 0xF4 && second > 0x8F)) return 0;
    return n;
}

}  // namespace

std::optional<std::string_view> known_method_name(std::uint16_t m) {
    switch (m) {
        case method::binding:
            return "Binding";
        case method::register_:
            return "Register";
        case method::connect:
            return "Connect";
        case method::introduce:
            return "Introduce";
        case method::probe:
            return "Probe";
        case method::data:
            return "Data";
        case method::list:
            return "List";
        case method::relay:
            return "Relay";
        default:
            return std::nullopt;
    }
}

std::string_view method_name(std::uint16_t m) {
    return known_method_name(m).value_or("Unknown");
}

bool valid_name(std::string_view name) {
    if (name.empty() || name.size() > kMaxNameBytes) return false;
    for (std::size_t at = 0; at < name.size();) {
        std::size_t n = utf8_sequence_length(name, at);
        if (n == 0) return false;
        at += n;
    }
    return true;
}

std::string_view to_string(Role role) {
    switch (role) {
        case Role::controlling:
            return "controlling";
        case Role::controlled:
            return "controlled";
    }
    return "?";
}

std::vector<IpEndpoint> Introduction::all_public() const {
    std::vector<IpEndpoint> out{peer_public};
    out.insert(out.end(), peer_other_public.begin(), peer_other_public.end());
    return out;
}

// ---- builders -------------------------------------------------------------

Message binding_request(const stun::TransactionId& id) {
    return start(method::binding, Class::request, id);
}

Message build(const RegisterRequest& r, const stun::TransactionId& id) {
    Message m = start(method::register_, Class::request, id);
    m.add(stun::make_string(attr::name, r.name));
    for (const IpEndpoint& e : r.local) add_endpoint(m, attr::local_endpoint, e);
    if (!r.group.empty()) m.add(stun::make_string(attr::group, r.group));
    if (r.secret) m.add(stun::make_bytes(attr::secret, *r.secret));
    for (const IpEndpoint& e : r.mapped) add_endpoint(m, attr::mapped_endpoint, e);
    return m;
}

Message build(const ConnectRequest& c, const stun::TransactionId& id) {
    Message m = start(method::connect, Class::request, id);
    if (!c.name.empty()) m.add(stun::make_string(attr::name, c.name));
    m.add(stun::make_string(attr::peer_name, c.peer_name));
    if (c.previous) m.add(stun::make_bytes(attr::token, *c.previous));
    return m;
}

Message build(const ListRequest& l, const stun::TransactionId& id) {
    Message m = start(method::list, Class::request, id);
    if (!l.cursor.empty()) m.add(stun::make_string(attr::cursor, l.cursor));
    return m;
}

Message build(const Relay& r, const stun::TransactionId& id) {
    Message m = start(method::relay, Class::indication, id);
    m.add(stun::make_bytes(attr::token, r.token));
    if (!r.peer_name.empty()) m.add(stun::make_string(attr::peer_name, r.peer_name));
    m.add(stun::make_bytes(stun::attr::data, r.payload));
    return m;
}

Message build(const Introduction& i, const stun::TransactionId& id) {
    Message m = start(method::introduce, Class::indication, id);
    m.add(stun::make_string(attr::peer_name, i.peer_name));
    add_endpoint(m, attr::peer_public_endpoint, i.peer_public);
    for (const IpEndpoint& e : i.peer_other_public) add_endpoint(m, attr::peer_public_endpoint, e);
    for (const IpEndpoint& e : i.peer_local) add_endpoint(m, attr::peer_local_endpoint, e);
    for (const IpEndpoint& e : i.peer_mapped) add_endpoint(m, attr::peer_mapped_endpoint, e);
    m.add(stun::make_bytes(attr::token, i.token));
    auto role_attr = i.role == Role::controlling ? stun::attr::ice_controlling : stun::attr::ice_controlled;
    m.add(stun::make_u64(role_attr, i.tiebreaker));
    return m;
}

Message build(const ProbeRequest& p, const stun::TransactionId& id) {
    Message m = start(method::probe, Class::request, id);
    m.add(stun::make_string(attr::name, p.name));
    m.add(stun::make_bytes(attr::token, p.token));
    if (p.use_candidate) m.add(stun::make_flag(stun::attr::use_candidate));
    return m;
}

Message build(const DataRequest& d, const stun::TransactionId& id) {
    Message m = start(method::data, Class::request, id);
    m.add(stun::make_bytes(attr::token, d.token));
    m.add(stun::make_u32(attr::sequence, d.sequence));
    m.add(stun::make_bytes(stun::attr::data, d.payload));
    return m;
}

Message build_answer(const ProbeAnswer& a, const Message& request) {
    Message m = start_response(request, Class::success);
    add_endpoint(m, stun::attr::xor_mapped_address, a.observed);
    m.add(stun::make_string(attr::name, a.name));
    m.add(stun::make_bytes(attr::token, a.token));
    return m;
}

Message build_ack(const DataAck& a, const Message& request) {
    Message m = start_response(request, Class::success);
    m.add(stun::make_bytes(attr::token, a.token));
    m.add(stun::make_u32(attr::sequence, a.sequence));
    return m;
}

Message build_register_answer(const RegisterAnswer& a, const Message& request) {
    Message m = start_response(request, Class::success);
    add_endpoint(m, stun::attr::xor_mapped_address, a.observed);
    m.add(stun::make_bytes(attr::secret, a.secret));
    m.add(stun::make_string(stun::attr::software, kSoftware));
    return m;
}

Message build_list_answer(const ListAnswer& a, const Message& request) {
    Message m = start_response(request, Class::success);
    for (const auto& name : a.names) m.add(stun::make_string(attr::peer_name, name));
    if (!a.cursor.empty()) m.add(stun::make_string(attr::cursor, a.cursor));
    m.add(stun::make_string(stun::attr::software, kSoftware));
    return m;
}

// RFC 8489 section 14.2 answers with XOR-MAPPED-ADDRESS; an RFC 3489
// client (no magic cookie) only understands MAPPED-ADDRESS (its 11.2.1).
Message mapped_response(const Message& request, const IpEndpoint& observed) {
    Message m = start_response(request, Class::success);
    if (request.classic())
        m.add(stun::make_address(stun::attr::mapped_address, stun::Address::from(observed)));
    else
        add_endpoint(m, stun::attr::xor_mapped_address, observed);
    m.add(stun::make_string(stun::attr::software, kSoftware));
    return m;
}

Message error_response(const Message& request, const stun::ErrorCode& error) {
    Message m = start_response(request, Class::error);
    m.add(stun::make_error_code(error));
    m.add(stun::make_string(stun::attr::software, kSoftware));
    return m;
}

// RFC 3489 has no FINGERPRINT, so answers to classic clients go without.
stun::Bytes to_wire(const Message& message) {
    stun::EncodeOptions options;
    options.fingerprint = !message.classic();
    return stun::encode(message, options);
}

bool wireguard_lookalike(std::span<const std::byte> datagram) {
    return datagram.size() == 148 && datagram[0] == std::byte{0x01};
}

// ---- parsers --------------------------------------------------------------

// A SECRET, if present, must be 16 bytes; a GROUP, if present, a valid name.
std::optional<RegisterRequest> parse_register(const Message& m) {
    if (!is(m, method::register_, Class::request)) return std::nullopt;
    auto name = get_name(m, attr::name);
    auto group = get_optional_name(m, attr::group);
    auto secret = get_16_bytes(m, attr::secret);
    if (!name || !group || (m.find(attr::secret) && !secret)) return std::nullopt;
    return RegisterRequest{*name, get_endpoints(m, attr::local_endpoint), *group, secret,
                           get_endpoints(m, attr::mapped_endpoint)};
}

std::optional<RegisterAnswer> parse_register_answer(const Message& m) {
    if (!is(m, method::register_, Class::success)) return std::nullopt;
    auto observed = get_endpoint(m, stun::attr::xor_mapped_address);
    auto secret = get_16_bytes(m, attr::secret);
    if (!observed || !secret) return std::nullopt;
    return RegisterAnswer{*observed, *secret};
}

std::optional<ConnectRequest> parse_connect(const Message& m) {
    if (!is(m, method::connect, Class::request)) return std::nullopt;
    auto peer = get_name(m, attr::peer_name);
    auto name = get_optional_name(m, attr::name);
    auto previous = get_token(m);
    if (!peer || !name || (m.find(attr::token) && !previous)) return std::nullopt;
    return ConnectRequest{*name, *peer, previous};
}

std::optional<ListRequest> parse_list(const Message& m) {
    if (!is(m, method::list, Class::request)) return std::nullopt;
    auto cursor = get_optional_name(m, attr::cursor);
    if (!cursor) return std::nullopt;
    return ListRequest{*cursor};
}

// Every PEER-NAME in order; an invalid one refuses the whole page.
std::optional<ListAnswer> parse_list_answer(const Message& m) {
    if (!is(m, method::list, Class::success)) return std::nullopt;
    ListAnswer a;
    for (const auto* attribute : m.find_all(attr::peer_name)) {
        auto name = stun::read_string(*attribute);
        if (!valid_name(name)) return std::nullopt;
        a.names.push_back(std::move(name));
    }
    auto cursor = get_optional_name(m, attr::cursor);
    if (!cursor) return std::nullopt;
    a.cursor = *cursor;
    return a;
}

std::optional<Relay> parse_relay(const Message& m) {
    if (!is(m, method::relay, Class::indication)) return std::nullopt;
    auto token = get_token(m);
    auto peer = get_optional_name(m, attr::peer_name);
    const auto* data = m.find(stun::attr::data);
    if (!token || !peer || !data || data->value.size() > kMaxRelayBytes) return std::nullopt;
    return Relay{*token, *peer, data->value};
}

std::optional<Introduction> parse_introduction(const Message& m) {
    if (!is(m, method::introduce, Class::indication)) return std::nullopt;
    auto peer = get_name(m, attr::peer_name);
    auto pub = get_endpoint(m, attr::peer_public_endpoint);
    auto token = get_token(m);
    auto role = get_role(m);
    if (!peer || !pub || !token || !role) return std::nullopt;
    return Introduction{*peer,
                        *pub,
                        get_endpoints(m, attr::peer_local_endpoint),
                        *token,
                        role->first,
                        role->second,
                        get_endpoints(m, attr::peer_mapped_endpoint),
                        get_endpoints(m, attr::peer_public_endpoint, 1)};
}

std::optional<ProbeRequest> parse_probe(const Message& m) {
    if (!is(m, method::probe, Class::request)) return std::nullopt;
    auto name = get_name(m, attr::name);
    auto token = get_token(m);
    if (!name || !token) return std::nullopt;
    return ProbeRequest{*name, *token, m.find(stun::attr::use_candidate) != nullptr};
}

std::optional<ProbeAnswer> parse_probe_answer(const Message& m) {
    if (!is(m, method::probe, Class::success)) return std::nullopt;
    auto name = get_name(m, attr::name);
    auto token = get_token(m);
    auto observed = get_endpoint(m, stun::attr::xor_mapped_address);
    if (!name || !token || !observed) return std::nullopt;
    return ProbeAnswer{*name, *token, *observed};
}

std::optional<DataRequest> parse_data(const Message& m) {
    if (!is(m, method::data, Class::request)) return std::nullopt;
    auto token = get_token(m);
    auto sequence = get_sequence(m);
    const auto* data = m.find(stun::attr::data);
    if (!token || !sequence || !data || data->value.size() > kMaxDataBytes) return std::nullopt;
    return DataRequest{*token, *sequence, data->value};
}

std::optional<DataAck> parse_data_ack(const Message& m) {
    if (!is(m, method::data, Class::success)) return std::nullopt;
    auto token = get_token(m);
    auto sequence = get_sequence(m);
    if (!token || !sequence) return std::nullopt;
    return DataAck{*token, *sequence};
}

std::optional<IpEndpoint> parse_mapped(const Message& m) {
    if (m.cls != Class::success) return std::nullopt;
    return get_endpoint(m, stun::attr::xor_mapped_address);
}

std::optional<stun::ErrorCode> parse_error(const Message& m) {
    const auto* a = m.find(stun::attr::error_code);
    if (m.cls != Class::error || !a) return std::nullopt;
    return stun::read_error_code(*a);
}

}  // namespace natlab::proto
