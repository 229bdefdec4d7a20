#include "simulator/portmap/upnp_soap.h"

#include <array>

#include "src/net/enum_names.h"
#include "src/net/xml_text.h"

namespace natlab::portmap {
namespace {

using nat::EnumName;

constexpr std::array kErrorNames{
    EnumName<SoapError>{SoapError::NoAction, "no-action"},
    EnumName<SoapError>{SoapError::BadEnvelope, "bad-envelope"},
    EnumName<SoapError>{SoapError::ActionMismatch, "action-mismatch"},
};
static_assert(nat::names_in_order(kErrorNames, SoapError::ActionMismatch));

constexpr std::string_view kEnvelopeOpen =
    "<?xml version=\"1.0\"?>\r\n"
    "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\" "
    "s:encodingStyle=\"http://schemas.xmlsoap.org/soap/encoding/\"><s:Body>";
constexpr std::string_view kEnvelopeClose = "</s:Body></s:Envelope>\r\n";

// One markup item of the body: a start, end or empty-element tag, or text.
struct Tag {
    enum class Kind : std::uint8_t { Start, End, Empty, Other } kind = Kind::Other;
    std::string_view name;  // local name, without prefix
};

std::string_view local_name(std::string_view qualified) {
    auto colon = qualified.find(':');
    return colon == std::string_view::npos ? qualified : qualified.substr(colon + 1);
}

// The tag text between '<' and '>'.
Tag classify(std::string_view inner) {
    if (inner.empty() || inner.front() == '?' || inner.front() == '!') return {};
    Tag tag{Tag::Kind::Start, {}};
    if (inner.front() == '/') {
        tag.kind = Tag::Kind::End;
        inner.remove_prefix(1);
    } else if (inner.back() == '/') {
        tag.kind = Tag::Kind::Empty;
        inner.remove_suffix(1);
    }
    tag.name = local_name(inner.substr(0, inner.find_first_of(" \t\r\n")));
    return tag;
}

// Reads markup from the front of `rest`: the text before the next tag goes to `text`.
class Scanner {
public:
    explicit Scanner(std::string_view body) : rest_(body) {}
    std::optional<Tag> next(std::string_view& text) {
        auto open = rest_.find('<');
        if (open == std::string_view::npos) return std::nullopt;
        auto close = rest_.find('>', open);
        if (close == std::string_view::npos) return std::nullopt;
        text = rest_.substr(0, open);
        auto tag = classify(rest_.substr(open + 1, close - open - 1));
        rest_.remove_prefix(close + 1);
        return tag;
    }
    std::optional<Tag> next_element() {
        std::string_view text;
        for (auto tag = next(text); tag; tag = next(text))
            if (tag->kind != Tag::Kind::Other) return tag;
        return std::nullopt;
    }

private:
    std::string_view rest_;
};

// Moves the scanner past <Envelope><Body>; false when they are not there.
bool enter_body(Scanner& scanner) {
    auto envelope = scanner.next_element();
    if (!envelope || envelope->kind != Tag::Kind::Start || envelope->name != "Envelope") return false;
    auto body = scanner.next_element();
    return body && body->kind == Tag::Kind::Start && body->name == "Body";
}

// One argument: after its start tag, its text, then its end tag.
std::optional<std::pair<std::string, std::string>> read_argument(Scanner& scanner, const Tag& start) {
    if (start.kind == Tag::Kind::Empty) return std::pair{std::string{start.name}, std::string{}};
    std::string_view text;
    auto end = scanner.next(text);
    if (!end || end->kind != Tag::Kind::End || end->name != start.name) return std::nullopt;
    return std::pair{std::string{start.name}, xml_unescape(text)};
}

std::optional<Arguments> read_arguments(Scanner& scanner, std::string_view action) {
    Arguments arguments;
    for (auto tag = scanner.next_element(); tag; tag = scanner.next_element()) {
        if (tag->kind == Tag::Kind::End) {
            if (tag->name == action) return arguments;
            return std::nullopt;
        }
        auto argument = read_argument(scanner, *tag);
        if (!argument) return std::nullopt;
        arguments.push_back(std::move(*argument));
    }
    return std::nullopt;
}

// "\"service#Action\"" -> (service, Action)
std::optional<std::pair<std::string_view, std::string_view>> split_soap_action(std::string_view header) {
    if (header.size() >= 2 && header.front() == '"' && header.back() == '"')
        header = header.substr(1, header.size() - 2);
    auto hash = header.find('#');
    if (hash == std::string_view::npos || hash == 0 || hash + 1 == header.size()) return std::nullopt;
    return std::pair{header.substr(0, hash), header.substr(hash + 1)};
}

HttpResponse xml_response(int status, std::string reason, std::string body) {
    return {status,
            std::move(reason),
            {{"Content-Type", "text/xml; charset=\"utf-8\""},
             {"EXT", ""},
             {"SERVER", "Linux UPnP/1.1 nat-lab/1.0"}},
            std::move(body)};
}

}  // namespace

std::string_view to_string(SoapError e) {
    return nat::name_of(kErrorNames, e);
}

std::optional<std::string_view> SoapCall::argument(std::string_view name) const {
    for (const auto& [key, value] : arguments)
        if (key == name) return std::string_view{value};
    return std::nullopt;
}

SoapRead read_call(std::string_view soap_action, std::string_view body) {
    auto names = split_soap_action(soap_action);
    if (!names) return {std::nullopt, SoapError::NoAction};
    Scanner scanner{body};
    if (!enter_body(scanner)) return {std::nullopt, SoapError::BadEnvelope};
    auto action = scanner.next_element();
    if (!action || action->name != names->second) return {std::nullopt, SoapError::ActionMismatch};
    SoapCall call{std::string{names->first}, std::string{names->second}, {}};
    if (action->kind == Tag::Kind::Empty) return {std::move(call), {}};
    auto arguments = read_arguments(scanner, call.action);
    if (!arguments) return {std::nullopt, SoapError::BadEnvelope};
    call.arguments = std::move(*arguments);
    return {std::move(call), {}};
}

HttpResponse write_result(const SoapCall& call, const Arguments& out) {
    std::string body{kEnvelopeOpen};
    body += "<u:" + call.action + "Response xmlns:u=\"" + call.service + "\">";
    for (const auto& [name, value] : out) body += "<" + name + ">" + xml_escape(value) + "</" + name + ">";
    body += "</u:" + call.action + "Response>";
    body += kEnvelopeClose;
    return xml_response(200, "OK", std::move(body));
}

HttpResponse write_fault(int code, std::string_view description) {
    std::string body{kEnvelopeOpen};
    body +=
        "<s:Fault><faultcode>s:Client</faultcode><faultstring>UPnPError</faultstring><detail>"
        "<UPnPError xmlns=\"urn:schemas-upnp-org:control-1-0\"><errorCode>" +
        std::to_string(code) + "</errorCode><errorDescription>" + xml_escape(description) +
        "</errorDescription></UPnPError></detail></s:Fault>";
    body += kEnvelopeClose;
    return xml_response(500, "Internal Server Error", std::move(body));
}

}  // namespace natlab::portmap
