#include "harness/report/html.h"

#include "src/net/xml_text.h"

namespace natlab::harness::html {

// XML's escapes (src/net/xml_text.h) and the apostrophe, for attribute
// values quoted either way.
std::string escape(const std::string& text) {
    std::string out;
    for (char c : xml_escape(text)) {
        if (c == '\'')
            out += "&#39;";
        else
            out += c;
    }
    return out;
}

std::string page(const std::string& title, const std::string& body) {
    static const char* style = R"(
body { font: 14px/1.45 system-ui, sans-serif; margin: 1.5em 2em; color: #222; }
h1 { font-size: 1.4em; } h2 { font-size: 1.1em; margin-top: 1.6em; }
table { border-collapse: collapse; margin: .5em 0; }
th, td { border: 1px solid #ccc; padding: .25em .6em; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
.pass { background: #e3f6e3; } .fail { background: #fbe0e0; } .muted { color: #777; }
code, pre { font: 12px ui-monospace, monospace; }
pre { background: #f7f7f7; padding: .6em; overflow-x: auto; }
svg text { font: 11px ui-monospace, monospace; }
)";
    return "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>" + escape(title) +
           "</title><style>" + style + "</style></head>\n<body>\n" + body + "</body></html>\n";
}

std::string element(const std::string& tag, const std::string& text, const std::string& attrs) {
    return "<" + tag + (attrs.empty() ? "" : " " + attrs) + ">" + escape(text) + "</" + tag + ">";
}

}  // namespace natlab::harness::html
