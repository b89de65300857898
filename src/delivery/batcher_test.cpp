#include "delivery/batcher.hpp"

#include <gtest/gtest.h>

#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <functional>
#include <map>
#include <set>

namespace grm::delivery {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

struct item {
  std::string name;
  std::size_t size = 1;
};

// A sink that records every request and answers what the test scripts: per-entry verdicts by
// name and attempt, whole-request failures, and a delay to hold requests in flight.
class scripted_sink final : public batch_sink<item> {
 public:
  batch_limits limit{10, 100};
  std::vector<std::vector<std::string>> requests;
  std::map<std::string, std::vector<entry_result>> per_entry;  // consumed in order, then delivered
  std::vector<std::optional<request_failure>> request_failures;  // consumed per request
  std::chrono::milliseconds delay{0};
  std::size_t in_flight = 0, max_in_flight = 0;
  int throw_next = 0;  // requests that throw std::runtime_error (not a relay_error)

  batch_limits limits() const override { return limit; }
  std::size_t entry_size(const item& e) const override { return e.size; }

  asio::awaitable<send_result> send(const std::vector<const item*>& batch) override {
    std::vector<std::string> names;
    for (auto* e : batch) names.push_back(e->name);
    requests.push_back(names);
    if (throw_next > 0 && throw_next--) throw std::runtime_error("json: unexpected token");
    ++in_flight;
    max_in_flight = std::max(max_in_flight, in_flight);
    if (delay.count()) co_await net::sleep_for(delay);
    --in_flight;
    send_result r;
    if (!request_failures.empty()) {
      auto f = request_failures.front();
      request_failures.erase(request_failures.begin());
      if (f) {
        r.failure = f;
        co_return r;
      }
    }
    for (auto* e : batch) {
      auto& script = per_entry[e->name];
      if (script.empty()) {
        r.entries.push_back({verdict::delivered, "id-" + e->name, {}, {}});
      } else {
        r.entries.push_back(script.front());
        script.erase(script.begin());
      }
    }
    co_return r;
  }
};

delivery_options fast() {
  delivery_options o;
  o.linger = 5ms;
  o.backoff_base = 1ms;
  o.backoff_cap = 2ms;
  return o;
}

// Submits every item at once, then drains; returns the outcomes by name.
std::map<std::string, outcome> run(scripted_sink& sink, delivery_options opt, const std::vector<item>& items,
                                   bool drain = true) {
  asio::io_context ioc;
  batcher<item> b(sink, opt);
  std::map<std::string, outcome> out;
  for (auto& it : items)
    asio::co_spawn(ioc, [&, it]() -> asio::awaitable<void> { out[it.name] = co_await b.submit(it); }, asio::detached);
  asio::co_spawn(ioc, [&]() -> asio::awaitable<void> {
    if (drain) co_await b.drain();
    while (out.size() < items.size()) co_await net::sleep_for(1ms);
    co_await b.close();
  }, asio::detached);
  ioc.run();
  return out;
}

std::vector<item> named(int n, std::size_t size = 1) {
  std::vector<item> v;
  for (int i = 0; i < n; ++i) v.push_back({"e" + std::to_string(i), size});
  return v;
}

TEST(Batcher, ASinkThrowingAnythingRejectsThatBatchWithTheReasonAndTheWorkersGoOn) {
  scripted_sink sink;
  sink.limit = {1, 0};
  sink.throw_next = 2;
  auto opt = fast();
  opt.max_in_flight = 2;  // both workers meet the exception; both must survive it
  auto out = run(sink, opt, named(5));
  ASSERT_EQ(out.size(), 5u);
  int rejected = 0;
  for (auto& [name, o] : out) {
    if (o.delivered) continue;
    ++rejected;
    EXPECT_EQ(o.code, "InternalError");
    EXPECT_EQ(o.message, "the sink failed: json: unexpected token");
  }
  EXPECT_EQ(rejected, 2);
  EXPECT_EQ(sink.requests.size(), 5u) << "no retry of a request that threw";
}

TEST(Batcher, BatchesCloseAtTheEntryCount) {
  scripted_sink sink;
  auto out = run(sink, fast(), named(25));
  ASSERT_EQ(sink.requests.size(), 3u);
  EXPECT_EQ(sink.requests[0].size(), 10u);
  EXPECT_EQ(sink.requests[1].size(), 10u);
  EXPECT_EQ(sink.requests[2].size(), 5u);
  for (auto& [name, o] : out) {
    EXPECT_TRUE(o.delivered) << name;
    EXPECT_EQ(o.id, "id-" + name);
    EXPECT_EQ(o.attempts, 1);
  }
}

TEST(Batcher, BatchesCloseAtTheByteLimitAndExactlyTheLimitFits) {
  scripted_sink sink;
  sink.limit = {10, 100};
  // 40 + 60 = 100 fits exactly; the third (1 byte) must go in the next request.
  auto out = run(sink, fast(), {{"a", 40}, {"b", 60}, {"c", 1}});
  ASSERT_EQ(sink.requests.size(), 2u);
  EXPECT_EQ(sink.requests[0], (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(sink.requests[1], (std::vector<std::string>{"c"}));
  EXPECT_TRUE(out["c"].delivered);
}

TEST(Batcher, OversizedEntryIsRejectedLocallyAndNeverSent) {
  scripted_sink sink;
  auto out = run(sink, fast(), {{"big", 101}, {"ok", 100}});
  EXPECT_FALSE(out["big"].delivered);
  EXPECT_EQ(out["big"].code, "OversizedEntry");
  EXPECT_EQ(out["big"].message, "the entry is 101 bytes by the sink's size rule; a request may carry at most 100");
  EXPECT_EQ(out["big"].attempts, 0);
  ASSERT_EQ(sink.requests.size(), 1u);
  EXPECT_EQ(sink.requests[0], (std::vector<std::string>{"ok"}));
}

TEST(Batcher, OnlyEntriesThatFailedRetryablyAreResent) {
  scripted_sink sink;
  sink.per_entry["e1"] = {{verdict::retry, {}, "ThrottlingException", "Rate exceeded"}};
  sink.per_entry["e2"] = {{verdict::rejected, {}, "MalformedDetail", "Detail is malformed."}};
  auto out = run(sink, fast(), named(4));
  ASSERT_EQ(sink.requests.size(), 2u);
  EXPECT_EQ(sink.requests[0].size(), 4u);
  EXPECT_EQ(sink.requests[1], (std::vector<std::string>{"e1"}));
  EXPECT_TRUE(out["e1"].delivered);
  EXPECT_EQ(out["e1"].attempts, 2);
  EXPECT_FALSE(out["e2"].delivered);
  EXPECT_EQ(out["e2"].code, "MalformedDetail");
  EXPECT_EQ(out["e2"].message, "Detail is malformed.");
  EXPECT_TRUE(out["e0"].delivered);
  EXPECT_EQ(out["e0"].attempts, 1);
}

TEST(Batcher, RetryableEntryGivesUpAfterMaxAttemptsKeepingTheCode) {
  scripted_sink sink;
  entry_result busy{verdict::retry, {}, "InternalFailure", "try again"};
  sink.per_entry["e0"] = {busy, busy, busy, busy};
  auto opt = fast();
  opt.max_attempts = 3;
  auto out = run(sink, opt, named(1));
  EXPECT_EQ(sink.requests.size(), 3u);
  EXPECT_FALSE(out["e0"].delivered);
  EXPECT_EQ(out["e0"].code, "InternalFailure");
  EXPECT_EQ(out["e0"].message, "try again (after 3 attempts)");
}

TEST(Batcher, ThrottledRequestIsRetriedWholeThenSucceeds) {
  scripted_sink sink;
  sink.request_failures = {request_failure{true, "ThrottlingException", "Rate exceeded", std::nullopt}};
  auto out = run(sink, fast(), named(3));
  ASSERT_EQ(sink.requests.size(), 2u);
  EXPECT_EQ(sink.requests[1].size(), 3u);
  for (auto& [n, o] : out) {
    EXPECT_TRUE(o.delivered);
    EXPECT_EQ(o.attempts, 2);
  }
}

TEST(Batcher, NonRetryableRequestFailureRejectsTheBatchWithTheServiceMessage) {
  scripted_sink sink;
  sink.request_failures = {request_failure{false, "ValidationException", "HTTP 400 ValidationException: bad", std::nullopt}};
  auto out = run(sink, fast(), named(2));
  EXPECT_EQ(sink.requests.size(), 1u);
  EXPECT_EQ(out["e0"].code, "ValidationException");
  EXPECT_EQ(out["e1"].message, "HTTP 400 ValidationException: bad");
}

TEST(Batcher, TransportErrorsAreRetriedByKind) {
  struct flaky final : batch_sink<item> {
    int calls = 0;
    batch_limits limits() const override { return {10, 0}; }
    std::size_t entry_size(const item&) const override { return 1; }
    asio::awaitable<send_result> send(const std::vector<const item*>& b) override {
      if (++calls == 1) throw relay_error(error_kind::network, "connection reset by peer");
      if (calls == 2) throw relay_error(error_kind::timeout, "request timed out");
      send_result r;
      for (std::size_t i = 0; i < b.size(); ++i) r.entries.push_back({verdict::delivered, "x", {}, {}});
      co_return r;
    }
  } sink;
  asio::io_context ioc;
  batcher<item> b(sink, fast());
  outcome o;
  asio::co_spawn(ioc, [&]() -> asio::awaitable<void> {
    item a{"a", 1};  // a named local: GCC 12 frees a braced temporary argument twice
    o = co_await b.submit(a);
    co_await b.close();
  }, asio::detached);
  ioc.run();
  EXPECT_TRUE(o.delivered);
  EXPECT_EQ(o.attempts, 3);
  EXPECT_EQ(sink.calls, 3);
}

TEST(Batcher, ConcurrencyIsBoundedByMaxInFlight) {
  scripted_sink sink;
  sink.limit = {1, 0};
  sink.delay = 3ms;
  auto opt = fast();
  opt.max_in_flight = 2;
  auto out = run(sink, opt, named(8));
  EXPECT_EQ(sink.requests.size(), 8u);
  EXPECT_EQ(sink.max_in_flight, 2u);
  for (auto& [n, o] : out) EXPECT_TRUE(o.delivered);
}

TEST(Batcher, ALoneEntryLeavesAfterTheLingerWithoutADrain) {
  scripted_sink sink;
  auto out = run(sink, fast(), named(1), /*drain=*/false);
  EXPECT_TRUE(out["e0"].delivered);
  EXPECT_EQ(sink.requests.size(), 1u);
}

TEST(Batcher, AnIdleSinkSendsAtOnceWithoutWaitingForTheLinger) {
  scripted_sink sink;
  auto opt = fast();
  opt.linger = std::chrono::hours{1};  // waiting for it would time the test out
  auto out = run(sink, opt, named(1), /*drain=*/false);
  EXPECT_TRUE(out["e0"].delivered);
  EXPECT_EQ(sink.requests.size(), 1u);
}

TEST(Batcher, ABusySinkBatchesWhatArrivesWhileARequestIsOut) {
  scripted_sink sink;
  sink.delay = 1s;  // holds the first request out while the others arrive
  auto opt = fast();
  opt.linger = std::chrono::hours{1};
  opt.max_in_flight = 2;
  asio::io_context ioc;
  batcher<item> b(sink, opt);
  std::map<std::string, outcome> out;
  auto submit = [&](item it) {
    asio::co_spawn(ioc, [&, it]() -> asio::awaitable<void> { out[it.name] = co_await b.submit(it); }, asio::detached);
  };
  asio::co_spawn(ioc, [&]() -> asio::awaitable<void> {
    submit({"first", 1});
    while (sink.requests.empty()) co_await net::sleep_for(0ms);
    for (auto& it : named(4)) submit(it);
    while (out.size() < 5) co_await net::sleep_for(1ms);
    co_await b.close();
  }, asio::detached);
  ioc.run();
  ASSERT_EQ(sink.requests.size(), 2u);
  EXPECT_EQ(sink.requests[0], (std::vector<std::string>{"first"}));
  EXPECT_EQ(sink.requests[1], (std::vector<std::string>{"e0", "e1", "e2", "e3"}));
  for (auto& [n, o] : out) EXPECT_TRUE(o.delivered) << n;
}

TEST(Batcher, SubmitWaitsForRoomWhenTheQueueIsFull) {
  scripted_sink sink;
  sink.limit = {1, 0};
  sink.delay = 1ms;
  auto opt = fast();
  opt.max_queued = 2;
  opt.max_in_flight = 1;
  auto out = run(sink, opt, named(12));
  EXPECT_EQ(out.size(), 12u);
  for (auto& [n, o] : out) EXPECT_TRUE(o.delivered) << n;
}

TEST(Batcher, SubmitAfterCloseIsRejected) {
  scripted_sink sink;
  asio::io_context ioc;
  batcher<item> b(sink, fast());
  outcome o;
  asio::co_spawn(ioc, [&]() -> asio::awaitable<void> {
    co_await b.close();
    item late{"late", 1};
    o = co_await b.submit(late);
  }, asio::detached);
  ioc.run();
  EXPECT_FALSE(o.delivered);
  EXPECT_EQ(o.code, "ShuttingDown");
  EXPECT_TRUE(sink.requests.empty());
}

}  // namespace
}  // namespace grm::delivery
