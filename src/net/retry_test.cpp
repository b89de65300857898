#include "net/retry.hpp"

#include <gtest/gtest.h>

namespace grm::net {
namespace {

using namespace std::chrono;

TEST(RetryPolicy, Retries408And429AndEvery5xxButNotImplemented) {
  for (unsigned s : {200u, 202u, 204u}) EXPECT_EQ(classify_status(s), status_class::success) << s;
  for (unsigned s : {408u, 429u, 500u, 502u, 503u, 504u, 599u})
    EXPECT_EQ(classify_status(s), status_class::retryable) << s;
  for (unsigned s : {301u, 400u, 401u, 403u, 404u, 409u, 413u, 501u})
    EXPECT_EQ(classify_status(s), status_class::fatal) << s;
}

TEST(RetryPolicy, FullJitterStaysWithinTheExponentialCeiling) {
  retry_policy p{.max_attempts = 0, .base = milliseconds{100}, .cap = milliseconds{1000}};
  std::mt19937_64 rng{1};
  for (int attempt = 1; attempt <= 8; ++attempt) {
    auto ceiling = std::min<std::int64_t>(1000, 100LL << (attempt - 1));
    milliseconds max_seen{0};
    for (int i = 0; i < 2000; ++i) {
      auto d = backoff_delay(p, attempt, rng);
      ASSERT_GE(d.count(), 0);
      ASSERT_LE(d.count(), ceiling) << "attempt " << attempt;
      max_seen = std::max(max_seen, d);
    }
    // Jitter spreads over the whole range, not just near zero.
    EXPECT_GT(max_seen.count(), ceiling / 2) << "attempt " << attempt;
  }
}

TEST(RetryPolicy, HugeAttemptNumbersDoNotOverflow) {
  retry_policy p{.max_attempts = 0, .base = milliseconds{500}, .cap = milliseconds{30'000}};
  std::mt19937_64 rng{2};
  auto d = backoff_delay(p, 10'000, rng);
  EXPECT_LE(d.count(), 30'000);
}

TEST(RetryAfter, ParsesDeltaSecondsAndHttpDates) {
  auto now = system_clock::time_point{seconds{784111777}};  // Sun, 06 Nov 1994 08:49:37 GMT
  EXPECT_EQ(parse_retry_after("3", now), milliseconds{3000});
  EXPECT_EQ(parse_retry_after(" 0 ", now), milliseconds{0});
  EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:49:47 GMT", now), milliseconds{10'000});
  EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:49:00 GMT", now), milliseconds{0});  // past
  EXPECT_FALSE(parse_retry_after("soon", now));
  EXPECT_FALSE(parse_retry_after("-5", now));
}

TEST(RetryAfter, WinsOverBackoffOn429AndIsClamped) {
  retry_policy p{.max_attempts = 3, .base = milliseconds{1}, .cap = milliseconds{2},
                 .max_retry_after = milliseconds{5000}};
  std::mt19937_64 rng{3};
  http_response r{429, {{"Retry-After", "4"}}, {}};
  EXPECT_EQ(delay_after(p, 1, &r, rng), milliseconds{4000});
  r.headers[0].value = "60";
  EXPECT_EQ(delay_after(p, 1, &r, rng), milliseconds{5000});
  r.status = 502;  // Retry-After on a 502 is not a rate-limit instruction
  EXPECT_LE(delay_after(p, 1, &r, rng).count(), 1);
}

}  // namespace
}  // namespace grm::net
