#include "src/peer/upnp_client.h"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "src/net/xml_text.h"

namespace natlab::upnp {
namespace {

bool same_text(std::string_view a, std::string_view b) {
    return std::ranges::equal(a, b, [](char x, char y) {
        return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
    });
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
    return s;
}

// The value of header `name` in the head of an HTTP message.
std::optional<std::string_view> header(std::string_view head, std::string_view name) {
    for (auto at = head.find("\r\n"); at != std::string_view::npos; at = head.find("\r\n")) {
        head.remove_prefix(at + 2);
        auto line = head.substr(0, head.find("\r\n"));
        auto colon = line.find(':');
        if (colon != std::string_view::npos && same_text(trim(line.substr(0, colon)), name))
            return trim(line.substr(colon + 1));
    }
    return std::nullopt;
}

// The text of the first element whose local name is `name`, from `from` on.
std::optional<std::string_view> element_text(std::string_view xml, std::string_view name,
                                             std::size_t from = 0) {
    for (auto open = xml.find('<', from); open != std::string_view::npos; open = xml.find('<', open + 1)) {
        auto close = xml.find('>', open);
        if (close == std::string_view::npos) return std::nullopt;
        auto tag = xml.substr(open + 1, close - open - 1);
        auto local = tag.substr(tag.find(':') == std::string_view::npos ? 0 : tag.find(':') + 1);
        if (local != name &&
            !(local.starts_with(name) && local.size() > name.size() && local[name.size()] == ' '))
            continue;
        auto end = xml.find("</", close);
        if (end == std::string_view::npos) return std::nullopt;
        return xml.substr(close + 1, end - close - 1);
    }
    return std::nullopt;
}

// The serviceType and controlURL of the first service whose type contains `kind`.
std::optional<std::pair<std::string, std::string>> service_of(std::string_view xml, std::string_view kind) {
    for (auto at = xml.find("<service>"); at != std::string_view::npos; at = xml.find("<service>", at + 1)) {
        auto end = xml.find("</service>", at);
        auto block = xml.substr(at, end == std::string_view::npos ? std::string_view::npos : end - at);
        auto type = element_text(block, "serviceType");
        auto control = element_text(block, "controlURL");
        if (type && control && type->find(kind) != std::string_view::npos)
            return std::pair{std::string{trim(*type)}, std::string{trim(*control)}};
    }
    return std::nullopt;
}

// The out arguments after the "...Response" start tag: <name>text</name>
// each, up to the first end tag. Every element read moves past its end tag,
// so a body cut short anywhere ends the loop.
void read_values(std::string_view rest, std::map<std::string, std::string>& values) {
    for (auto at = rest.find('<');
         at != std::string_view::npos && at + 1 < rest.size() && rest[at + 1] != '/'; at = rest.find('<')) {
        auto close = rest.find('>', at);
        auto end = rest.find("</", close);
        if (close == std::string_view::npos || end == std::string_view::npos) break;
        values[std::string{rest.substr(at + 1, close - at - 1)}] =
            xml_unescape(rest.substr(close + 1, end - close - 1));
        auto end_close = rest.find('>', end);
        if (end_close == std::string_view::npos) break;
        rest.remove_prefix(end_close + 1);
    }
}

}  // namespace

std::optional<Url> Url::parse(std::string_view text) {
    constexpr std::string_view kScheme = "http://";
    if (!text.starts_with(kScheme)) return std::nullopt;
    text.remove_prefix(kScheme.size());
    auto slash = text.find('/');
    auto authority = text.substr(0, slash);
    Url url;
    url.path = slash == std::string_view::npos ? "/" : std::string{text.substr(slash)};
    auto colon = authority.find(':');
    auto address = Ipv4::parse(authority.substr(0, colon));
    if (!address) return std::nullopt;
    url.host = {*address, 80};
    if (colon == std::string_view::npos) return url;
    auto digits = authority.substr(colon + 1);
    auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), url.host.port);
    if (error != std::errc{} || end != digits.data() + digits.size()) return std::nullopt;
    return url;
}

std::string Url::to_string() const {
    return "http://" + host.to_string() + path;
}

std::optional<Url> Url::resolve(std::string_view reference) const {
    if (reference.starts_with("http://")) return parse(reference);
    Url url = *this;
    url.path = reference.starts_with("/") ? std::string{reference} : "/" + std::string{reference};
    return url;
}

std::string search_request(std::string_view search_target, int mx) {
    return "M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nST: " + std::string{search_target} +
           "\r\nMAN: \"ssdp:discover\"\r\nMX: " + std::to_string(mx) + "\r\n\r\n";
}

std::optional<Url> location_of(std::string_view answer) {
    if (!answer.starts_with("HTTP/1.1 200") && !answer.starts_with("HTTP/1.0 200")) return std::nullopt;
    auto location = header(answer.substr(0, answer.find("\r\n\r\n")), "LOCATION");
    return location ? Url::parse(*location) : std::nullopt;
}

std::optional<ControlPoint> find_ip_connection(std::string_view description, const Url& location) {
    auto service = service_of(description, ":WANIPConnection:");
    if (!service) service = service_of(description, ":WANPPPConnection:");
    if (!service) return std::nullopt;
    Url base = location;
    if (auto url_base = element_text(description, "URLBase"); url_base && !trim(*url_base).empty())
        if (auto parsed = Url::parse(trim(*url_base))) base = *parsed;
    auto control = base.resolve(service->second);
    if (!control) return std::nullopt;
    return ControlPoint{*control, service->first};
}

std::string get_request(const Url& url) {
    return "GET " + url.path + " HTTP/1.1\r\nHost: " + url.host.to_string() + "\r\nConnection: close\r\n\r\n";
}

std::string soap_request(const ControlPoint& point, std::string_view action, const Arguments& arguments) {
    std::string body =
        "<?xml version=\"1.0\"?>\r\n<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\" "
        "s:encodingStyle=\"http://schemas.xmlsoap.org/soap/encoding/\"><s:Body><u:" +
        std::string{action} + " xmlns:u=\"" + point.service + "\">";
    for (const auto& [name, value] : arguments)
        body += "<" + name + ">" + xml_escape(value) + "</" + name + ">";
    body += "</u:" + std::string{action} + "></s:Body></s:Envelope>\r\n";
    return "POST " + point.control.path + " HTTP/1.1\r\nHost: " + point.control.host.to_string() +
           "\r\nContent-Length: " + std::to_string(body.size()) +
           "\r\nContent-Type: text/xml; charset=\"utf-8\"\r\nSOAPAction: \"" + point.service + "#" +
           std::string{action} + "\"\r\nConnection: close\r\n\r\n" + body;
}

Arguments add_port_mapping(Endpoint internal, std::uint16_t external_port, std::uint32_t lease_seconds,
                           std::string_view description) {
    return {{"NewRemoteHost", ""},
            {"NewExternalPort", std::to_string(external_port)},
            {"NewProtocol", "UDP"},
            {"NewInternalPort", std::to_string(internal.port)},
            {"NewInternalClient", internal.addr.to_string()},
            {"NewEnabled", "1"},
            {"NewPortMappingDescription", std::string{description}},
            {"NewLeaseDuration", std::to_string(lease_seconds)}};
}

Arguments delete_port_mapping(std::uint16_t external_port) {
    return {
        {"NewRemoteHost", ""}, {"NewExternalPort", std::to_string(external_port)}, {"NewProtocol", "UDP"}};
}

std::optional<HttpReply> read_http(std::string_view response, bool closed) {
    auto end = response.find("\r\n\r\n");
    if (end == std::string_view::npos || !response.starts_with("HTTP/1.")) return std::nullopt;
    HttpReply reply;
    auto code = response.substr(9, 3);
    if (std::from_chars(code.data(), code.data() + code.size(), reply.status).ec != std::errc{})
        return std::nullopt;
    auto body = response.substr(end + 4);
    std::size_t length = 0;
    auto declared = header(response.substr(0, end), "Content-Length");
    if (declared &&
        std::from_chars(declared->data(), declared->data() + declared->size(), length).ec == std::errc{}) {
        if (body.size() < length) return std::nullopt;
        body = body.substr(0, length);
    } else if (!closed) {
        return std::nullopt;
    }
    reply.body = body;
    return reply;
}

SoapReply read_reply(const HttpReply& reply) {
    SoapReply soap;
    if (reply.status != 200) {
        auto code = element_text(reply.body, "errorCode");
        soap.error_code = reply.status;
        if (code) std::from_chars(code->data(), code->data() + code->size(), soap.error_code);
        return soap;
    }
    auto response = reply.body.find("Response");
    auto open = reply.body.rfind('<', response);
    auto start = reply.body.find('>', response);
    if (response == std::string::npos || open == std::string::npos || start == std::string::npos) return soap;
    read_values(std::string_view{reply.body}.substr(start + 1), soap.values);
    return soap;
}

}  // namespace natlab::upnp
