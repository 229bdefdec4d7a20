// The few pieces every HTML page of nat-lab shares: escaping and the page
// frame (one self-contained file, inline style, no scripts, no network), so
// report.html, matrix.html and review.html open anywhere, even from a CI
// artifact.
#pragma once

#include <string>

namespace natlab::harness::html {

// Text made safe for element content and attribute values.
std::string escape(const std::string& text);

// A whole page: <!doctype html>, <title>, the shared style, `body`.
std::string page(const std::string& title, const std::string& body);

// <tag attrs>escaped text</tag>
std::string element(const std::string& tag, const std::string& text, const std::string& attrs = "");

}  // namespace natlab::harness::html
