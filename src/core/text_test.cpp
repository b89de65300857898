#include "core/text.hpp"

#include <gtest/gtest.h>

namespace grm {
namespace {

TEST(SafeExcerpt, BoundsTheTextOnACharacterBoundary) {
  EXPECT_EQ(safe_excerpt("short"), "short");
  EXPECT_EQ(safe_excerpt(std::string(500, 'x'), 10), "xxxxxxxxxx…");
  EXPECT_EQ(safe_excerpt("ab\xc3\xa9", 3), "ab…") << "a two-byte character is not split";
  EXPECT_EQ(safe_excerpt("ab\xc3\xa9", 4), "ab\xc3\xa9");
}

TEST(SafeExcerpt, ShowsControlCharactersAndBrokenUtf8Harmlessly) {
  EXPECT_EQ(safe_excerpt("line one\r\n\tline two\x1b[31m"), "line one line two [31m");
  EXPECT_EQ(safe_excerpt("bad \xff\xfe byte"), "bad ?? byte");
}

TEST(SafeExcerpt, MasksWhatLooksLikeACredential) {
  EXPECT_EQ(safe_excerpt("echo: Authorization: Bearer eyJhbGciOi.payload.sig rest"),
            "echo: Authorization: Bearer <redacted> rest");
  EXPECT_EQ(safe_excerpt("GET /hook?token=abc123&x=1"), "GET /hook?token=<redacted>&x=1");
  EXPECT_EQ(safe_excerpt(R"({"error":"bad","client_secret": "s3cr3t", "password":"hunter2"})"),
            R"({"error":"bad","client_secret": "<redacted>", "password":"<redacted>"})");
  EXPECT_EQ(safe_excerpt("Basic dXNlcjpwYXNz"), "Basic <redacted>");
  EXPECT_EQ(safe_excerpt("tokens are fine; mytoken=kept"), "tokens are fine; mytoken=kept")
      << "only a key that is a whole word";
}

}  // namespace
}  // namespace grm
