// The HTML report's escaping (harness/report/html.h): text and attribute
// values, whichever quote they use.
#include <gtest/gtest.h>

#include "harness/report/html.h"

namespace natlab::harness::html {
namespace {

TEST(Html, EscapesTextAndBothQuotes) {
    EXPECT_EQ(escape("<a href='x' title=\"y\">&</a>"),
              "&lt;a href=&#39;x&#39; title=&quot;y&quot;&gt;&amp;&lt;/a&gt;");
    EXPECT_EQ(escape("alice -> bob: 10/10"), "alice -&gt; bob: 10/10");
    EXPECT_EQ(escape(""), "");
}

}  // namespace
}  // namespace natlab::harness::html
