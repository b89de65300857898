// The rate budget's accounting, step by step on a clock the test moves: what each priority may
// spend of a window the headers describe, when a new window begins, and what a 429 does.
#include <gtest/gtest.h>

#include "genesys/rate_budget.hpp"

namespace grm::genesys {
namespace {

using namespace std::chrono;
using clock_t_ = steady_clock;

net::http_response answer(std::int64_t count, std::int64_t allowed, std::int64_t reset_s, unsigned status = 200) {
  net::http_response r;
  r.status = status;
  r.headers = {{"inin-ratelimit-count", std::to_string(count)},
               {"inin-ratelimit-allowed", std::to_string(allowed)},
               {"inin-ratelimit-reset", std::to_string(reset_s)}};
  return r;
}

// Admits requests of `p` at `now` until one is refused; returns how many went.
int admitted(rate_window& w, api_priority p, clock_t_::time_point now) {
  int n = 0;
  while (!w.admit(p, now) && n < 10'000) ++n;
  return n;
}

TEST(RateWindow, OneAtATimeUntilTheFirstAnswerThenNothingWaitsWithoutTheHeaders) {
  rate_window w;
  auto t = clock_t_::now();
  EXPECT_FALSE(w.admit(api_priority::forwarding, t));
  auto wait = w.admit(api_priority::stream, t);
  ASSERT_TRUE(wait) << "a burst at start could spend a window nobody knows yet";
  EXPECT_LE(*wait, t + seconds{1});
  w.observe(nullptr, t);  // the probe failed without an answer: the next one may go
  EXPECT_FALSE(w.admit(api_priority::forwarding, t));
  net::http_response plain;  // a server without the headers
  plain.status = 200;
  w.observe(&plain, t);
  for (int i = 0; i < 500; ++i) EXPECT_FALSE(w.admit(api_priority::forwarding, t));
  EXPECT_FALSE(w.allowed());
}

TEST(RateWindow, ForwardingLeavesAReserveToRecoveryAndTheStream) {
  rate_window w;  // reserve 10 % each
  auto t = clock_t_::now();
  ASSERT_FALSE(w.admit(api_priority::forwarding, t));
  auto first = answer(1, 100, 30);
  w.observe(&first, t);
  EXPECT_EQ(w.limit_for(api_priority::forwarding), 80);
  EXPECT_EQ(w.limit_for(api_priority::recovery), 90);
  EXPECT_EQ(w.limit_for(api_priority::stream), 100);
  EXPECT_EQ(admitted(w, api_priority::forwarding, t), 79);
  auto again = w.admit(api_priority::forwarding, t);
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, t + seconds{30} + seconds{1}) << "the window's end, past the margin";
  EXPECT_EQ(admitted(w, api_priority::recovery, t), 10);
  EXPECT_EQ(admitted(w, api_priority::stream, t), 10);
  EXPECT_EQ(w.used(), 100);
}

TEST(RateWindow, TheServersCountWinsWhenItIsHigherThanOurs) {
  rate_window w;
  auto t = clock_t_::now();
  ASSERT_FALSE(w.admit(api_priority::forwarding, t));
  auto r = answer(75, 100, 40);  // another client of the same token spent 74
  w.observe(&r, t);
  EXPECT_EQ(w.used(), 75);
  EXPECT_EQ(admitted(w, api_priority::forwarding, t), 5);
}

TEST(RateWindow, ANewWindowOpensAfterTheAnnouncedEndAndStaleAnswersDoNotMoveIt) {
  rate_window w;
  auto t = clock_t_::now();
  ASSERT_FALSE(w.admit(api_priority::forwarding, t));
  auto first = answer(1, 10, 5);
  w.observe(&first, t);
  EXPECT_EQ(admitted(w, api_priority::forwarding, t), 7);  // 8 of 10: 1 reserved for each other priority
  for (int k = 2; k <= 7; ++k) {
    auto r = answer(k, 10, 5);
    w.observe(&r, t);
  }
  // One is still in flight when the window ends (plus the margin): it may land in the next one.
  auto later = t + seconds{6} + milliseconds{1};
  EXPECT_EQ(admitted(w, api_priority::forwarding, later), 7);
  auto stale = answer(9, 10, 1);  // the old window's last answer, arriving late
  w.observe(&stale, later);
  auto when = w.admit(api_priority::forwarding, later);
  ASSERT_TRUE(when);
  EXPECT_EQ(*when, later + seconds{6}) << "the assumed window still ends where it did";
  EXPECT_EQ(w.used(), 8);
  auto fresh = answer(2, 10, 5);
  w.observe(&fresh, later + milliseconds{10});
  when = w.admit(api_priority::forwarding, later + milliseconds{10});
  ASSERT_TRUE(when);
  EXPECT_EQ(*when, later + milliseconds{10} + seconds{6}) << "placed by the new window's first answer";
}

TEST(RateWindow, AnEarlierServerWindowIsFollowed) {
  rate_window w;
  auto t = clock_t_::now();
  ASSERT_FALSE(w.admit(api_priority::forwarding, t));
  auto first = answer(1, 10, 60);
  w.observe(&first, t);
  EXPECT_EQ(admitted(w, api_priority::forwarding, t), 7);
  // The server says its window began again (reset jumped up, count back to 1).
  ASSERT_FALSE(w.admit(api_priority::stream, t + seconds{20}));
  auto reset = answer(1, 10, 60);
  w.observe(&reset, t + seconds{20});
  EXPECT_EQ(w.used(), 8) << "its count plus the 7 still in flight";
  for (int i = 0; i < 7; ++i) w.observe(nullptr, t + seconds{20});
  EXPECT_EQ(admitted(w, api_priority::stream, t + seconds{20}), 2);
}

TEST(RateWindow, A429StopsEveryPriorityUntilItsRetryAfter) {
  rate_window w;
  auto t = clock_t_::now();
  ASSERT_FALSE(w.admit(api_priority::forwarding, t));
  auto r = answer(301, 300, 20, 429);
  r.headers.push_back({"Retry-After", "7"});
  w.observe(&r, t);
  for (auto p : all_api_priorities) {
    auto when = w.admit(p, t + seconds{1});
    ASSERT_TRUE(when) << to_string(p);
    EXPECT_EQ(*when, t + seconds{7});
  }
  auto when = w.admit(api_priority::stream, t + seconds{8});
  ASSERT_TRUE(when) << "the window is still full after the Retry-After";
  EXPECT_EQ(*when, t + seconds{21});
  EXPECT_FALSE(w.admit(api_priority::forwarding, t + seconds{21}));
}

TEST(RateWindow, HeadersThatAreNotNumbersAreIgnored) {
  net::http_response r;
  r.headers = {{"inin-ratelimit-count", "x"}, {"inin-ratelimit-allowed", "300"}, {"inin-ratelimit-reset", "60"}};
  EXPECT_FALSE(read_rate_limit(r));
  r.headers[0].value = "-1";
  EXPECT_FALSE(read_rate_limit(r));
  r.headers[0].value = "12";
  auto s = read_rate_limit(r);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->count, 12);
  EXPECT_EQ(s->allowed, 300);
  EXPECT_EQ(s->reset_s, 60);
}

}  // namespace
}  // namespace grm::genesys
