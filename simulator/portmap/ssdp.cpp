#include "simulator/portmap/ssdp.h"

#include <charconv>
#include <optional>

#include "simulator/portmap/http_message.h"

namespace natlab::portmap {
namespace {

struct Target {
    std::string st;   // what the answer's ST says
    std::string usn;  // uuid:...[::type]
};

// "urn:...:Name:3" -> ("urn:...:Name", 3); version 0 when there is none.
std::pair<std::string_view, int> split_version(std::string_view type) {
    auto colon = type.rfind(':');
    if (colon == std::string_view::npos) return {type, 0};
    int version = 0;
    auto digits = type.substr(colon + 1);
    auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), version);
    if (error != std::errc{} || end != digits.data() + digits.size() || digits.empty()) return {type, 0};
    return {type.substr(0, colon), version};
}

// §1.3.3: a request for version N is answered by a device of version N or later.
bool type_matches(std::string_view asked, std::string_view ours) {
    auto [asked_name, asked_version] = split_version(asked);
    auto [our_name, our_version] = split_version(ours);
    return asked_version > 0 && asked_name == our_name && asked_version <= our_version;
}

std::vector<Target> every_target(const DeviceIdentity& identity) {
    auto root = "uuid:" + identity.uuid(DeviceKind::Gateway);
    std::vector<Target> all{{"upnp:rootdevice", root + "::upnp:rootdevice"}};
    for (auto kind : {DeviceKind::Gateway, DeviceKind::Wan, DeviceKind::Connection}) {
        auto uuid = "uuid:" + identity.uuid(kind);
        all.push_back({uuid, uuid});
        all.push_back({identity.device_type(kind), uuid + "::" + identity.device_type(kind)});
    }
    auto wan = "uuid:" + identity.uuid(DeviceKind::Wan);
    auto connection = "uuid:" + identity.uuid(DeviceKind::Connection);
    all.push_back({DeviceIdentity::common_config_type(), wan + "::" + DeviceIdentity::common_config_type()});
    all.push_back({identity.ip_connection_type(), connection + "::" + identity.ip_connection_type()});
    return all;
}

// The targets that answer `st`, their ST set to what was asked.
std::vector<Target> matching(std::string_view st, const DeviceIdentity& identity) {
    std::vector<Target> found;
    for (auto target : every_target(identity)) {
        if (st == "ssdp:all" || st == target.st) {
            found.push_back(target);
        } else if (type_matches(st, target.st)) {
            target.usn.replace(target.usn.size() - target.st.size(), target.st.size(), st);
            target.st = st;
            found.push_back(target);
        }
    }
    return found;
}

std::string answer(const Target& target, const DeviceIdentity& identity) {
    return "HTTP/1.1 200 OK\r\n"
           "CACHE-CONTROL: max-age=" +
           std::to_string(kSsdpMaxAge) +
           "\r\n"
           "EXT:\r\n"
           "LOCATION: " +
           identity.location() +
           "\r\n"
           "SERVER: Linux UPnP/1.1 nat-lab/1.0\r\n"
           "ST: " +
           target.st + "\r\nUSN: " + target.usn +
           "\r\n"
           "BOOTID.UPNP.ORG: 1\r\n"
           "CONFIGID.UPNP.ORG: 1\r\n"
           "\r\n";
}

int read_mx(const HttpRequest& request) {
    auto mx = request.header("MX");
    int value = 0;
    if (mx) std::from_chars(mx->data(), mx->data() + mx->size(), value);
    return value;
}

}  // namespace

std::optional<SsdpSearch> read_search(std::string_view datagram) {
    auto read = read_request(datagram);
    if (read.status != ReadStatus::Complete) return std::nullopt;
    const auto& request = read.request;
    if (request.method != "M-SEARCH" || request.target != "*") return std::nullopt;
    auto man = request.header("MAN");
    auto st = request.header("ST");
    if (!man || *man != "\"ssdp:discover\"" || !st || st->empty()) return std::nullopt;
    return SsdpSearch{std::string{*st}, read_mx(request)};
}

std::vector<std::string> answer_search(const SsdpSearch& search, const DeviceIdentity& identity) {
    std::vector<std::string> answers;
    for (const auto& target : matching(search.st, identity)) answers.push_back(answer(target, identity));
    return answers;
}

std::vector<std::string> answer_search(std::string_view datagram, const DeviceIdentity& identity) {
    auto search = read_search(datagram);
    return search ? answer_search(*search, identity) : std::vector<std::string>{};
}

}  // namespace natlab::portmap
