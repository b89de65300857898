#include "core/time.hpp"

#include <gtest/gtest.h>

namespace grm {
namespace {

TEST(Rfc3339, FormatsEpochMillisecondsAsUtcWithMilliseconds) {
  EXPECT_EQ(format_rfc3339_epoch_ms(1'714'550'400'123), "2024-05-01T08:00:00.123Z");
  EXPECT_EQ(format_rfc3339_epoch_ms(0), "1970-01-01T00:00:00.000Z");
}

TEST(Rfc3339, ParsesZuluOffsetsAndFractions) {
  auto t = parse_rfc3339("2024-05-01T08:00:00.123Z");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->time_since_epoch().count(), 1'714'550'400'123);
  auto shifted = parse_rfc3339("2024-05-01T10:00:00.5+02:00");
  ASSERT_TRUE(shifted);
  EXPECT_EQ(shifted->time_since_epoch().count(), 1'714'550'400'500);
}

TEST(Rfc3339, RejectsMalformedText) {
  for (auto bad : {"", "2024-05-01", "2024-05-01T08:00:00", "2024-13-01T08:00:00Z",
                   "2024-02-30T08:00:00Z", "2024-05-01T08:00:00.Z", "2024-05-01T08:00:00Zjunk"})
    EXPECT_FALSE(parse_rfc3339(bad)) << bad;
}

TEST(HttpDate, AcceptsAllThreeFormsOfRfc9110) {
  const std::int64_t expected = 784111777;  // Sun, 06 Nov 1994 08:49:37 GMT
  for (auto text : {"Sun, 06 Nov 1994 08:49:37 GMT", "Sunday, 06-Nov-94 08:49:37 GMT",
                    "Sun Nov  6 08:49:37 1994"}) {
    auto t = parse_http_date(text);
    ASSERT_TRUE(t) << text;
    EXPECT_EQ(t->time_since_epoch().count(), expected) << text;
  }
}

TEST(HttpDate, RoundTripsThroughImfFixdate) {
  auto t = std::chrono::sys_seconds{std::chrono::seconds{1'800'000'000}};
  EXPECT_EQ(format_http_date(t), "Fri, 15 Jan 2027 08:00:00 GMT");
  EXPECT_EQ(parse_http_date(format_http_date(t)), t);
}

TEST(HttpDate, RejectsGarbage) {
  for (auto bad : {"", "tomorrow", "Sun, 06 Nov 1994 08:49:37 UTC", "Sun, 06 Foo 1994 08:49:37 GMT"})
    EXPECT_FALSE(parse_http_date(bad)) << bad;
}

}  // namespace
}  // namespace grm
