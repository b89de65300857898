// The outbox and the driver against real SQLite files and scripted sinks that fail on purpose.
// No timing is asserted: waits are bounded by conditions.
#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_future.hpp>

#include <algorithm>
#include <deque>
#include <filesystem>
#include <map>
#include <thread>

#include "core/error.hpp"
#include "delivery/database.hpp"
#include "delivery/dead_letters.hpp"
#include "delivery/driver.hpp"
#include "delivery/outbox.hpp"
#include "delivery/service.hpp"
#include "delivery/sink.hpp"
#include "net/retry.hpp"
#include "observability/metrics.hpp"

namespace grm::delivery {
namespace {

namespace asio = boost::asio;
using namespace std::chrono;

std::string temp_db(const std::string& name) {
  auto p = std::filesystem::temp_directory_path() / ("grm-outbox-" + std::to_string(::getpid()) + "-" + name + ".db");
  for (auto suffix : {"", "-wal", "-shm"}) std::filesystem::remove(p.string() + suffix);
  return p.string();
}

message msg(int n, std::string kind = "sentiment") {
  auto id = "conv-" + std::to_string(n);
  return {id + ":conversation-end", "fwd-" + std::to_string(n), id, std::move(kind), R"({"n":)" + std::to_string(n) + "}"};
}

template <typename T>
T run(asio::io_context& ioc, asio::awaitable<T> op) {
  auto f = asio::co_spawn(ioc, std::move(op), asio::use_future);
  ioc.restart();
  while (f.wait_for(seconds{0}) != std::future_status::ready) ioc.run_one_for(milliseconds{20});
  return f.get();
}

void run(asio::io_context& ioc, asio::awaitable<void> op) {
  auto f = asio::co_spawn(ioc, std::move(op), asio::use_future);
  ioc.restart();
  while (f.wait_for(seconds{0}) != std::future_status::ready) ioc.run_one_for(milliseconds{20});
  f.get();
}

std::int64_t count(database& db, const char* sql) {  // the first column of the one row
  database::statement q(db, sql);
  EXPECT_TRUE(q.step());
  return q.integer(0);
}

bool run_until(asio::io_context& ioc, const std::function<bool()>& done, seconds limit = seconds{20}) {
  ioc.restart();
  auto deadline = steady_clock::now() + limit;
  while (!done() && steady_clock::now() < deadline) ioc.run_one_for(milliseconds{10});
  return done();
}

// A kind nobody observes is dropped in the commit that makes it final (no read-back, no later
// delete); an observed kind still reaches the finaliser and is dropped after it.
TEST(Outbox, AMessageNobodyObservesIsDroppedInTheCommitThatMakesItFinal) {
  asio::io_context ioc;
  database db(":memory:");
  outbox box(ioc.get_executor(), db, {});
  std::vector<std::string> finalised;
  box.on_final([&](const final_message& f) { finalised.push_back(f.msg.kind); });
  box.observes([](const std::string& kind, std::int64_t) { return kind != "lifecycle"; });
  run(ioc, box.accept(msg(1, "lifecycle"), {"bus"}));
  run(ioc, box.accept(msg(2, "sentiment"), {"bus"}));
  auto due = box.due("bus", now_ms(), 10, {});
  ASSERT_EQ(due.size(), 2u);
  run(ioc, box.record({outbox_result::delivered(due[0].delivery_id, "e1"), outbox_result::delivered(due[1].delivery_id, "e2")}));
  EXPECT_EQ(finalised, (std::vector<std::string>{"sentiment"}));
  EXPECT_EQ(count(db, "SELECT COUNT(*) FROM outbox_messages WHERE kind = 'lifecycle'"), 0) << "gone with its last result";
  EXPECT_EQ(count(db, "SELECT COUNT(*) FROM outbox_messages WHERE kind = 'sentiment'"), 1) << "kept until the finaliser ran";
  ioc.restart();
  ioc.poll();  // the forget write
  EXPECT_EQ(count(db, "SELECT COUNT(*) FROM outbox_messages"), 0);
  EXPECT_EQ(count(db, "SELECT COUNT(*) FROM outbox_deliveries"), 0);
  EXPECT_EQ(box.stats().pending, 0u);
}

// The acknowledgement of the last open delivery of an unobserved message deletes it at once;
// one with two sinks stays until the second is done, and a dead letter is still written.
TEST(Outbox, AnUnobservedMessageGoesWithItsLastDeliveryDeliveredOrDeadLettered) {
  asio::io_context ioc;
  database db(":memory:");
  outbox box(ioc.get_executor(), db, {});
  box.on_final([](const final_message&) { ADD_FAILURE() << "nobody observes lifecycle"; });
  box.observes([](const std::string& kind, std::int64_t) { return kind != "lifecycle"; });
  run(ioc, box.accept(msg(1, "lifecycle"), {"bus", "crm"}));
  auto bus = box.due("bus", now_ms(), 10, {});
  auto crm = box.due("crm", now_ms(), 10, {});
  ASSERT_EQ(bus.size(), 1u);
  ASSERT_EQ(crm.size(), 1u);
  run(ioc, box.record({outbox_result::delivered(bus[0].delivery_id, "e1")}));
  EXPECT_EQ(count(db, "SELECT COUNT(*) FROM outbox_messages"), 1) << "the CRM has not finished";
  EXPECT_EQ(box.stats().pending, 1u);
  EXPECT_EQ(box.stats().oldest_pending_ms > 0, true);
  run(ioc, box.record({outbox_result::dead(crm[0].delivery_id, {error_kind::client, 400, "HTTP400", "bad request"})}));
  EXPECT_EQ(count(db, "SELECT COUNT(*) FROM outbox_messages"), 0);
  EXPECT_EQ(count(db, "SELECT COUNT(*) FROM outbox_deliveries"), 0);
  EXPECT_EQ(count(db, "SELECT COUNT(*) FROM dead_letters WHERE sink = 'crm' AND code = 'HTTP400'"), 1);
  EXPECT_EQ(box.stats().pending, 0u);
  EXPECT_EQ(box.stats().oldest_pending_ms, 0);
  run(ioc, box.record({outbox_result::delivered(bus[0].delivery_id, "again")}));  // a replayed result: nothing to close
  EXPECT_EQ(box.stats().pending, 0u);
}

TEST(Outbox, AMessageIsFinalWhenEverySinkIsDoneAndTheFinaliserSeesEachOutcome) {
  asio::io_context ioc;
  database db(":memory:");
  outbox box(ioc.get_executor(), db, {});
  std::vector<final_message> finals;
  box.on_final([&](const final_message& f) { finals.push_back(f); });
  auto id = run(ioc, box.accept(msg(1), {"bus", "crm"}));
  EXPECT_GT(id, 0);
  EXPECT_EQ(box.stats().pending, 2u);
  EXPECT_EQ(box.pending_by_sink(), (std::map<std::string, std::size_t>{{"bus", 1}, {"crm", 1}}));
  auto bus = box.due("bus", now_ms(), 10, {});
  auto crm = box.due("crm", now_ms(), 10, {});
  ASSERT_EQ(bus.size(), 1u);
  ASSERT_EQ(crm.size(), 1u);
  EXPECT_EQ(bus[0].msg.payload, R"({"n":1})");
  EXPECT_EQ(bus[0].msg.idempotency_key, "fwd-1");
  run(ioc, box.record({outbox_result::delivered(bus[0].delivery_id, "event-1")}));
  EXPECT_TRUE(finals.empty()) << "the CRM has not finished";
  EXPECT_EQ(box.pending_by_sink(), (std::map<std::string, std::size_t>{{"crm", 1}}));
  run(ioc, box.record({outbox_result::dead(crm[0].delivery_id, {error_kind::client, 400, "HTTP400", "bad request"})}));
  ASSERT_EQ(finals.size(), 1u);
  EXPECT_EQ(finals[0].msg.key, "conv-1:conversation-end");
  ASSERT_EQ(finals[0].outcomes.size(), 2u);
  EXPECT_EQ(finals[0].outcomes[0].sink, "bus");
  EXPECT_EQ(finals[0].outcomes[0].state, delivery_state::delivered);
  EXPECT_EQ(finals[0].outcomes[0].detail, "event-1");
  EXPECT_EQ(finals[0].outcomes[1].state, delivery_state::dead_lettered);
  EXPECT_EQ(finals[0].outcomes[1].detail, "HTTP400: bad request");
  EXPECT_EQ(box.stats().pending, 0u);
  database::statement dl(db, "SELECT sink, idempotency_key, payload, status, code, message, attempts FROM dead_letters");
  ASSERT_TRUE(dl.step());
  EXPECT_EQ(dl.text(0), "crm");
  EXPECT_EQ(dl.text(1), "fwd-1");
  EXPECT_EQ(dl.text(2), R"({"n":1})");
  EXPECT_EQ(dl.integer(3), 400);
  EXPECT_EQ(dl.text(4), "HTTP400");
  EXPECT_EQ(dl.text(5), "bad request");
  EXPECT_EQ(dl.integer(6), 1);
  ioc.restart();
  ioc.poll();  // the forget write
  database::statement left(db, "SELECT COUNT(*) FROM outbox_messages");
  ASSERT_TRUE(left.step());
  EXPECT_EQ(left.integer(0), 0) << "a finalised message is dropped";
}

TEST(Outbox, WhatWasAcceptedSurvivesTheProcessAndIsFinalisedOnceAgainAfterACrash) {
  auto path = temp_db("survives");
  {
    asio::io_context ioc;
    database db(path);
    outbox box(ioc.get_executor(), db, {});
    run(ioc, box.accept(msg(1), {"bus"}));
    run(ioc, box.accept(msg(2), {"bus"}));
    auto due = box.due("bus", now_ms(), 10, {});
    ASSERT_EQ(due.size(), 2u);
    // The finaliser never returns normally: the process "dies" before the message is dropped.
    box.on_final([](const final_message&) { throw std::runtime_error("killed"); });
    run(ioc, box.record({outbox_result::delivered(due[0].delivery_id, "e1")}));
  }
  asio::io_context ioc;
  database db(path);
  outbox box(ioc.get_executor(), db, {});
  EXPECT_EQ(box.stats().pending, 1u);
  auto due = box.due("bus", now_ms(), 10, {});
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].msg.key, "conv-2:conversation-end");
  std::vector<std::string> finals;
  box.on_final([&](const final_message& f) { finals.push_back(f.msg.key); });
  box.finalise_leftovers();
  EXPECT_EQ(finals, std::vector<std::string>{"conv-1:conversation-end"});
  EXPECT_EQ(std::filesystem::status(path).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
}

TEST(Outbox, WritesQueuedInOneTurnAreOneCommit) {
  asio::io_context ioc;
  database db(":memory:");
  outbox box(ioc.get_executor(), db, {});
  int done = 0;
  for (int i = 0; i < 50; ++i)
    asio::co_spawn(ioc, [&, i]() -> asio::awaitable<void> {
      std::vector<std::string> sinks{"bus", "crm"};
      co_await box.accept(msg(i), std::move(sinks));
      ++done;
    }, asio::detached);
  ASSERT_TRUE(run_until(ioc, [&] { return done == 50; }));
  EXPECT_EQ(box.stats().commits, 1u);
  EXPECT_EQ(box.stats().accepted, 50u);
  EXPECT_EQ(box.stats().pending, 100u);
}

TEST(Outbox, AFullOutboxMakesAcceptWaitUntilDeliveriesEnd) {
  asio::io_context ioc;
  database db(":memory:");
  std::vector<std::string> logs;
  outbox box(ioc.get_executor(), db, {.max_pending = 2}, [&](severity, std::string_view l) { logs.emplace_back(l); });
  run(ioc, box.accept(msg(1), {"bus", "crm"}));
  bool third_in = false;
  asio::co_spawn(ioc, [&]() -> asio::awaitable<void> {
    std::vector<std::string> sinks{"bus"};
    co_await box.accept(msg(2), std::move(sinks));
    third_in = true;
  }, asio::detached);
  run_until(ioc, [&] { return box.stats().full_waits > 0; });
  EXPECT_FALSE(third_in) << "backpressure: the accept waits";
  ASSERT_FALSE(logs.empty());
  EXPECT_EQ(logs[0], "outbox full (2 deliveries pending, outbox.max_pending): accepting waits until sinks catch up (backpressure)");
  auto due = box.due("bus", now_ms(), 10, {});
  run(ioc, box.record({outbox_result::delivered(due[0].delivery_id, "e")}));
  ASSERT_TRUE(run_until(ioc, [&] { return third_in; }));
}

TEST(Outbox, ARetryIsDueAtItsTimeAndCountsTheAttempt) {
  asio::io_context ioc;
  database db(":memory:");
  outbox box(ioc.get_executor(), db, {});
  run(ioc, box.accept(msg(1), {"bus"}));
  auto d = box.due("bus", now_ms(), 10, {});
  auto later = now_ms() + 60'000;
  run(ioc, box.record({outbox_result::retry(d[0].delivery_id, later, "ThrottlingException: slow down")}));
  EXPECT_TRUE(box.due("bus", now_ms(), 10, {}).empty());
  EXPECT_EQ(box.next_due_ms("bus"), later);
  auto again = box.due("bus", later, 10, {});
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].attempts, 1);
  EXPECT_TRUE(box.due("bus", later, 10, {again[0].delivery_id}).empty()) << "in flight: not handed out twice";
}

// --- the driver ---------------------------------------------------------------------------------

// Answers what the test scripts, request by request: a whole-request failure, per-entry verdicts,
// an exception, or (default) every entry delivered. Records every request.
class scripted_sink final : public sink {
 public:
  batch_limits limit{10, 0};
  std::deque<std::function<send_result(const std::vector<const entry*>&)>> script;
  std::vector<std::vector<std::string>> requests;  // payloads per request
  milliseconds delay{0};

  batch_limits limits() const override { return limit; }
  asio::awaitable<send_result> send(const std::vector<const entry*>& batch) override {
    std::vector<std::string> payloads;
    for (auto* e : batch) payloads.push_back(e->msg.payload);
    requests.push_back(payloads);
    if (delay.count()) co_await net::sleep_for(delay);
    if (!script.empty()) {
      auto step = std::move(script.front());
      script.pop_front();
      co_return step(batch);
    }
    send_result r;
    for (auto* e : batch) r.entries.push_back({verdict::delivered, "id-" + e->msg.idempotency_key, {}, {}});
    co_return r;
  }
};

send_result outage(const std::vector<const entry*>&) {
  send_result r;
  r.failure = request_failure{true, "HTTP503", "service unavailable", std::nullopt, error_kind::server, 503};
  return r;
}

driver_options fast() {
  driver_options o;
  o.backoff_base = milliseconds{1};
  o.backoff_cap = milliseconds{5};
  o.breaker = {.failures_to_open = 3, .open_for = milliseconds{20}, .max_open_for = milliseconds{80}};
  return o;
}

struct driver_fixture {
  asio::io_context ioc;
  database db{":memory:"};
  std::vector<std::string> logs;
  outbox box{ioc.get_executor(), db, {}, [this](severity, std::string_view l) { logs.emplace_back(l); }};
  std::map<std::string, std::vector<delivery_outcome>> finals;  // by idempotency key
  scripted_sink sink_a, sink_b;
  std::unique_ptr<driver> a, b;
  std::future<void> a_done, b_done;

  explicit driver_fixture(driver_options o = fast(), outbox_limits = {}) {
    box.on_final([this](const final_message& f) { finals[f.msg.idempotency_key] = f.outcomes; });
    a = std::make_unique<driver>(ioc.get_executor(), "a", sink_a, box, o, [this](severity, std::string_view l) { logs.emplace_back(l); });
    b = std::make_unique<driver>(ioc.get_executor(), "b", sink_b, box, o, [this](severity, std::string_view l) { logs.emplace_back(l); });
    box.on_accepted([this](const std::string& s) { (s == "a" ? a : b)->wake(); });
    a_done = asio::co_spawn(ioc, a->run(), asio::use_future);
    b_done = asio::co_spawn(ioc, b->run(), asio::use_future);
  }
  ~driver_fixture() {
    a->stop();
    b->stop();
    run_until(ioc, [&] {
      return a_done.wait_for(seconds{0}) == std::future_status::ready && b_done.wait_for(seconds{0}) == std::future_status::ready;
    });
  }
  void accept(int n, std::vector<std::string> sinks = {"a"}) { run(ioc, box.accept(msg(n), std::move(sinks))); }
  // All accepted in one commit, before the driver sees any of them.
  void accept_all(std::vector<int> ns) {
    std::size_t done = 0;
    for (int n : ns) asio::co_spawn(ioc, box.accept(msg(n), std::vector<std::string>{"a"}), [&](std::exception_ptr, std::int64_t) { ++done; });
    run_until(ioc, [&] { return done == ns.size(); });
  }
  bool logged(std::string_view part) const {
    return std::any_of(logs.begin(), logs.end(), [&](auto& l) { return l.find(part) != std::string::npos; });
  }
};

TEST(Driver, DeliversEveryAcceptedEntryAndRecordsTheSinksId) {
  driver_fixture f;
  for (int i = 0; i < 25; ++i) f.accept(i);
  ASSERT_TRUE(run_until(f.ioc, [&] { return f.finals.size() == 25; }));
  EXPECT_EQ(f.finals["fwd-7"][0].state, delivery_state::delivered);
  EXPECT_EQ(f.finals["fwd-7"][0].detail, "id-fwd-7");
  EXPECT_EQ(f.a->stats().delivered, 25u);
  std::size_t entries = 0;
  for (auto& r : f.sink_a.requests) {
    EXPECT_LE(r.size(), 10u);
    entries += r.size();
  }
  EXPECT_EQ(entries, 25u);
}

TEST(Driver, ADeadSinkNeverHoldsBackAnother) {
  driver_fixture f;
  for (int i = 0; i < 100; ++i) f.sink_b.script.push_back(outage);
  for (int i = 0; i < 5; ++i) f.accept(i, {"a", "b"});
  ASSERT_TRUE(run_until(f.ioc, [&] { return f.box.stats().delivered == 5; }));
  EXPECT_TRUE(f.finals.empty()) << "b still retries: the messages are not final";
  EXPECT_EQ(f.box.stats().pending, 5u);
  f.sink_b.script.clear();  // b recovers
  ASSERT_TRUE(run_until(f.ioc, [&] { return f.finals.size() == 5; })) << ::testing::PrintToString(f.logs);
  for (auto& [key, outcomes] : f.finals)
    for (auto& o : outcomes) EXPECT_EQ(o.state, delivery_state::delivered) << key << " " << o.sink;
}

TEST(Driver, RetryablePerEntryFailuresAreRetriedAloneAndRejectionsDeadLettered) {
  driver_fixture f;
  f.sink_a.script.push_back([](const std::vector<const entry*>& batch) {
    send_result r;
    for (auto* e : batch) {
      if (e->msg.idempotency_key == "fwd-1") r.entries.push_back({verdict::retry, {}, "ThrottlingException", "Rate exceeded"});
      else if (e->msg.idempotency_key == "fwd-2") r.entries.push_back({verdict::rejected, {}, "MalformedDetail", "Detail is malformed."});
      else r.entries.push_back({verdict::delivered, "ok", {}, {}});
    }
    return r;
  });
  f.accept_all({0, 1, 2});
  ASSERT_TRUE(run_until(f.ioc, [&] { return f.finals.size() == 3; }));
  EXPECT_EQ(f.finals["fwd-1"][0].state, delivery_state::delivered);
  EXPECT_EQ(f.finals["fwd-1"][0].attempts, 2);
  EXPECT_EQ(f.finals["fwd-2"][0].state, delivery_state::dead_lettered);
  EXPECT_EQ(f.finals["fwd-2"][0].detail, "MalformedDetail: Detail is malformed.");
  ASSERT_GE(f.sink_a.requests.size(), 2u);
  EXPECT_EQ(f.sink_a.requests[1], std::vector<std::string>{R"({"n":1})"}) << "only the throttled entry is sent again";
}

TEST(Driver, ANonRetryableAnswerIsADeadLetterWithTheRemoteStatusAndMessage) {
  driver_fixture f;
  f.sink_a.script.push_back([](const std::vector<const entry*>&) {
    send_result r;
    r.failure = request_failure{false, "HTTP400", "webhook https://crm.example.com/in answered HTTP 400: no such field",
                                std::nullopt, error_kind::client, 400};
    return r;
  });
  f.accept(1);
  ASSERT_TRUE(run_until(f.ioc, [&] { return f.finals.size() == 1; }));
  EXPECT_EQ(f.finals["fwd-1"][0].state, delivery_state::dead_lettered);
  database::statement q(f.db, "SELECT error_kind, status, code, message FROM dead_letters");
  ASSERT_TRUE(q.step());
  EXPECT_EQ(q.text(0), "client");
  EXPECT_EQ(q.integer(1), 400);
  EXPECT_EQ(q.text(2), "HTTP400");
  EXPECT_EQ(q.text(3), "webhook https://crm.example.com/in answered HTTP 400: no such field");
  EXPECT_EQ(f.sink_a.requests.size(), 1u) << "not retried";
}

TEST(Driver, RetriesStopAtTheOutboxsMaxAgeWithADeadLetterSayingSo) {
  asio::io_context ioc;
  database db(":memory:");
  outbox box(ioc.get_executor(), db, {.max_pending = 100, .max_age = milliseconds{50}});
  std::map<std::string, std::vector<delivery_outcome>> finals;
  box.on_final([&](const final_message& m) { finals[m.msg.idempotency_key] = m.outcomes; });
  scripted_sink s;
  for (int i = 0; i < 1000; ++i) s.script.push_back(outage);
  auto o = fast();
  o.breaker.failures_to_open = 1000;
  driver d(ioc.get_executor(), "a", s, box, o);
  box.on_accepted([&](const std::string&) { d.wake(); });
  auto done = asio::co_spawn(ioc, d.run(), asio::use_future);
  run(ioc, box.accept(msg(1), {"a"}));
  ASSERT_TRUE(run_until(ioc, [&] { return finals.size() == 1; }));
  auto& out = finals["fwd-1"][0];
  EXPECT_EQ(out.state, delivery_state::dead_lettered);
  EXPECT_EQ(out.detail.rfind("MaxAgeExceeded/HTTP503: still failing after ", 0), 0u) << out.detail;
  EXPECT_NE(out.detail.find("(outbox.max_age_h); last error: service unavailable"), std::string::npos) << out.detail;
  d.stop();
  run_until(ioc, [&] { return done.wait_for(seconds{0}) == std::future_status::ready; });
}

TEST(Driver, ABreakerOpenPastItsReadinessBudgetFailsTheCheck) {
  auto o = fast();
  o.breaker.ready_budget = seconds{0};
  driver_fixture f(o);
  for (int i = 0; i < 100; ++i) f.sink_a.script.push_back(outage);
  f.accept(1);
  ASSERT_TRUE(run_until(f.ioc, [&] { return f.a->stats().breaker_opened >= 1; }));
  EXPECT_EQ(f.a->health().state, health::status::failing);
  EXPECT_NE(f.a->health().detail.find(" s (readiness fails after 0 s) after "), std::string::npos) << f.a->health().detail;
}

TEST(Driver, TheBreakerOpensProbesAndCloses) {
  driver_fixture f;
  for (int i = 0; i < 3; ++i) f.sink_a.script.push_back(outage);  // opens it
  f.sink_a.script.push_back(outage);                               // the first probe fails
  f.accept(1);
  ASSERT_TRUE(run_until(f.ioc, [&] { return f.a->stats().breaker_opened == 2; })) << ::testing::PrintToString(f.logs);
  EXPECT_EQ(f.a->stats().breaker, breaker_state::open);
  EXPECT_EQ(f.a->health().state, health::status::degraded) << "open for less than outbox.breaker_ready_budget_s";
  EXPECT_EQ(f.a->health().detail, "circuit open for 0 s (readiness fails after 300 s) after 4 consecutive failed requests; last "
                                  "error: HTTP503: service unavailable");
  EXPECT_TRUE(f.logged("sink a: circuit open after 3 consecutive failed requests; probing again in 20 ms"));
  EXPECT_TRUE(f.logged("sink a: circuit open after 4 consecutive failed requests; probing again in 40 ms")) << "the wait doubles";
  ASSERT_TRUE(run_until(f.ioc, [&] { return f.finals.size() == 1; })) << ::testing::PrintToString(f.logs);
  EXPECT_TRUE(f.logged("sink a: circuit half-open: sending one probe request"));
  EXPECT_TRUE(f.logged("sink a: circuit closed: the probe request succeeded"));
  EXPECT_EQ(f.a->stats().breaker, breaker_state::closed);
  EXPECT_EQ(f.a->health().state, health::status::ok);
  metrics::exposition x;
  f.a->export_metrics(x);
  EXPECT_NE(x.text().find("relay_sink_breaker_opened_total{sink=\"a\"} 2\n"), std::string::npos) << x.text();
  EXPECT_NE(x.text().find("relay_sink_breaker_state{sink=\"a\"} 0\n"), std::string::npos) << x.text();
}

TEST(Driver, ASinkThatThrowsDeadLettersThatBatchAndTheDriverGoesOn) {
  driver_fixture f;
  f.sink_a.script.push_back([](const std::vector<const entry*>&) -> send_result { throw std::runtime_error("json: bad token"); });
  f.accept(1);
  ASSERT_TRUE(run_until(f.ioc, [&] { return f.finals.size() == 1; }, seconds{5})) << ::testing::PrintToString(f.logs);
  EXPECT_EQ(f.finals["fwd-1"][0].detail, "InternalError: the sink failed: json: bad token");
  f.accept(2);
  ASSERT_TRUE(run_until(f.ioc, [&] { return f.finals.size() == 2; }));
  EXPECT_EQ(f.finals["fwd-2"][0].state, delivery_state::delivered);
}

TEST(Driver, AnEntryTooBigForAnyRequestIsDeadLetteredWithoutBeingSent) {
  driver_fixture f;
  f.sink_a.limit = {10, 8};
  f.accept(1);  // {"n":1} is 7 bytes
  run(f.ioc, f.box.accept({"big:1", "fwd-big", "big", "sentiment", R"({"too":"big"})"}, {"a"}));
  ASSERT_TRUE(run_until(f.ioc, [&] { return f.finals.size() == 2; }));
  EXPECT_EQ(f.finals["fwd-big"][0].state, delivery_state::dead_lettered);
  EXPECT_EQ(f.finals["fwd-big"][0].detail,
            "OversizedEntry: the entry is 13 bytes by the sink's size rule; a request may carry at most 8");
  EXPECT_EQ(f.finals["fwd-1"][0].state, delivery_state::delivered);
}

TEST(Driver, CancelLeavesWhatIsInFlightPendingForTheNextStart) {
  auto path = temp_db("cancel");
  {
    asio::io_context ioc;
    database db(path);
    outbox box(ioc.get_executor(), db, {});
    scripted_sink s;
    s.delay = seconds{60};  // hung
    driver d(ioc.get_executor(), "a", s, box, fast());
    box.on_accepted([&](const std::string&) { d.wake(); });
    auto done = asio::co_spawn(ioc, d.run(), asio::use_future);
    run(ioc, box.accept(msg(1), {"a"}));
    ASSERT_TRUE(run_until(ioc, [&] { return d.stats().in_flight == 1; }));
    d.cancel();
    ASSERT_TRUE(run_until(ioc, [&] { return done.wait_for(seconds{0}) == std::future_status::ready; }));
  }
  asio::io_context ioc;
  database db(path);
  outbox box(ioc.get_executor(), db, {});
  EXPECT_EQ(box.due("a", now_ms(), 10, {}).size(), 1u);
}


// A run without one of the sinks an earlier run accepted for keeps those rows, says so at start
// with the sink's id and count, and a later run that has the sink delivers them.
TEST(DeliveryService, RowsForASinkThisRunDoesNotHaveAreKeptNamedAndDeliveredByARunThatHasIt) {
  auto path = temp_db("unknown-sink");
  {
    asio::io_context ioc;
    database db(path);
    outbox box(ioc.get_executor(), db, {});
    run(ioc, box.accept(msg(1), {"a", "gone"}));
    run(ioc, box.accept(msg(2), {"gone"}));
  }
  auto serve = [&](std::vector<std::string> ids, const std::function<bool(delivery_service&)>& until,
                   std::vector<std::string>& logs, std::vector<final_message>& finals) {
    asio::io_context ioc;
    database db(path);
    delivery_service svc(ioc.get_executor(), db, {}, [&](severity, std::string_view l) { logs.emplace_back(l); });
    for (auto& id : ids) svc.add_sink(id, std::make_unique<scripted_sink>(), fast());
    svc.on_final("sentiment", [&](const final_message& f) { finals.push_back(f); });
    auto done = asio::co_spawn(ioc, svc.run(), asio::use_future);
    bool reached = run_until(ioc, [&] { return until(svc); });
    svc.stop();
    run_until(ioc, [&] { return done.wait_for(seconds{0}) == std::future_status::ready; });
    return reached;
  };
  std::vector<std::string> logs;
  std::vector<final_message> finals;
  ASSERT_TRUE(serve({"a"}, [](delivery_service& s) { return s.stats().delivered == 1; }, logs, finals));
  EXPECT_NE(std::find(logs.begin(), logs.end(),
                      "outbox: 2 delivery(ies) for sink 'gone', which this run does not have, are kept until one does "
                      "(its id in [sinks.<id>])"),
            logs.end())
      << ::testing::PrintToString(logs);
  EXPECT_TRUE(finals.empty()) << "'gone' has not delivered: neither message is final";
  logs.clear();
  ASSERT_TRUE(serve({"a", "gone"}, [&](delivery_service&) { return finals.size() == 2; }, logs, finals));
  for (auto& l : logs) EXPECT_EQ(l.find("which this run does not have"), std::string::npos) << l;
  for (auto& f : finals)
    for (auto& o : f.outcomes) EXPECT_EQ(o.state, delivery_state::delivered) << f.msg.idempotency_key << " " << o.sink;
}


// --- several processes on one state file (a monitor and a one-shot forward or replay) -------------

outbox_limits owned_by(std::string owner, milliseconds lease = milliseconds{60'000}) {
  outbox_limits l;
  l.owner = std::move(owner);
  l.lease = lease;
  return l;
}

// Each connection stands for a process: what one accepted is not due for the other while its
// lease lives; once it releases (a clean stop), the other's hold() takes the rows at once.
TEST(OutboxOwners, EachProcessDeliversWhatItAcceptedAndAReleaseHandsTheRestOver) {
  auto path = temp_db("owners");
  asio::io_context ioc;
  database monitor_db(path), forward_db(path);
  outbox monitor(ioc.get_executor(), monitor_db, owned_by("monitor"));
  outbox forward(ioc.get_executor(), forward_db, owned_by("forward:1"));
  EXPECT_EQ(run(ioc, monitor.hold()), 0u);
  run(ioc, monitor.accept(msg(1), {"bus"}));
  run(ioc, forward.accept(msg(2), {"bus"}));
  auto mine = monitor.due("bus", now_ms(), 10, {});
  ASSERT_EQ(mine.size(), 1u);
  EXPECT_EQ(mine[0].msg.idempotency_key, "fwd-1");
  auto theirs = forward.due("bus", now_ms(), 10, {});
  ASSERT_EQ(theirs.size(), 1u);
  EXPECT_EQ(theirs[0].msg.idempotency_key, "fwd-2");
  EXPECT_EQ(monitor.next_due_ms("bus").has_value(), true);
  EXPECT_EQ(run(ioc, monitor.hold()), 0u) << "the forward's lease lives: nothing to take";
  run(ioc, forward.release());
  EXPECT_EQ(run(ioc, monitor.hold()), 1u);
  EXPECT_EQ(monitor.due("bus", now_ms(), 10, {}).size(), 2u);
  EXPECT_TRUE(forward.due("bus", now_ms(), 10, {}).empty());
  EXPECT_EQ(run(ioc, monitor.hold()), 0u) << "taken once";
}

// A process that vanished (kill -9) stops renewing: when its lease lapses, another takes its
// pending rows and the message it made final but did not finalise, and finalises that one.
TEST(OutboxOwners, AVanishedOwnersRowsAndItsUnfinalisedMessageAreTakenWhenItsLeaseLapses) {
  auto path = temp_db("owners-lapsed");
  {
    asio::io_context gone_ioc;  // its process: destroyed with the forget write still queued, as by a kill -9
    database db(path);
    outbox gone(gone_ioc.get_executor(), db, owned_by("forward:2", milliseconds{1}));
    gone.on_final([](const final_message&) {});
    run(gone_ioc, gone.accept(msg(1), {"bus"}));
    run(gone_ioc, gone.accept(msg(2), {"bus"}));
    auto due = gone.due("bus", now_ms(), 1, {});
    ASSERT_EQ(due.size(), 1u);
    run(gone_ioc, gone.record({outbox_result::delivered(due[0].delivery_id, "e1")}));
  }
  asio::io_context ioc;
  database db(path);
  outbox monitor(ioc.get_executor(), db, owned_by("monitor"));
  std::vector<std::string> finalised;
  monitor.on_final([&](const final_message& f) { finalised.push_back(f.msg.idempotency_key + " " + f.outcomes[0].detail); });
  monitor.finalise_leftovers();
  EXPECT_TRUE(finalised.empty()) << "not ours before the takeover";
  std::this_thread::sleep_for(milliseconds{5});  // the 1 ms lease lapses
  EXPECT_EQ(run(ioc, monitor.hold()), 2u);
  monitor.finalise_leftovers();
  EXPECT_EQ(finalised, (std::vector<std::string>{"fwd-1 e1"}));
  auto due = monitor.due("bus", now_ms(), 10, {});
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].msg.idempotency_key, "fwd-2");
}

// A file written before owners existed: its rows are nobody's, and the first hold() takes them.
TEST(OutboxOwners, RowsOfAFileFromBeforeOwnersAreTakenByTheFirstHold) {
  auto path = temp_db("owners-legacy");
  {
    database db(path);
    db.exec(
        "CREATE TABLE outbox_messages (id INTEGER PRIMARY KEY, key TEXT NOT NULL, idempotency_key TEXT NOT NULL, "
        "conversation_id TEXT NOT NULL, kind TEXT NOT NULL, payload TEXT NOT NULL, created_ms INTEGER NOT NULL, "
        "open_deliveries INTEGER NOT NULL)");
    db.exec(
        "CREATE TABLE outbox_deliveries (id INTEGER PRIMARY KEY, message_id INTEGER NOT NULL REFERENCES "
        "outbox_messages(id) ON DELETE CASCADE, sink TEXT NOT NULL, state INTEGER NOT NULL DEFAULT 0, attempts "
        "INTEGER NOT NULL DEFAULT 0, next_attempt_ms INTEGER NOT NULL, detail TEXT NOT NULL DEFAULT '', updated_ms "
        "INTEGER NOT NULL)");
    db.exec("CREATE INDEX outbox_due ON outbox_deliveries(sink, state, next_attempt_ms)");
    db.exec("INSERT INTO outbox_messages VALUES (1, 'c:conversation-end', 'fwd-old', 'c', 'sentiment', '{}', 1, 1)");
    db.exec("INSERT INTO outbox_deliveries (message_id, sink, next_attempt_ms, updated_ms) VALUES (1, 'bus', 1, 1)");
  }
  asio::io_context ioc;
  database db(path);
  outbox box(ioc.get_executor(), db, owned_by("monitor"));
  EXPECT_EQ(box.stats().pending, 1u);
  EXPECT_TRUE(box.due("bus", now_ms(), 10, {}).empty());
  EXPECT_EQ(run(ioc, box.hold()), 1u);
  auto due = box.due("bus", now_ms(), 10, {});
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].msg.idempotency_key, "fwd-old");
}

// The README's case: `forward` while a monitor runs on the same state file. The monitor's
// drivers, woken by its own accepts, never send the forward's message, so the forward's own
// finaliser reports its outcome (before owners the monitor could record it first, and the
// forward waited out its whole wait).
TEST(OutboxOwners, AOneShotBesideARunningMonitorFinalisesItsOwnMessage) {
  auto path = temp_db("owners-services");
  asio::io_context ioc;
  database monitor_db(path), forward_db(path);
  delivery_service monitor(ioc.get_executor(), monitor_db, owned_by("monitor"), {});
  delivery_service forward(ioc.get_executor(), forward_db, owned_by("forward:3"), {});
  auto* monitor_sink = new scripted_sink;
  auto* forward_sink = new scripted_sink;
  monitor.add_sink("bus", std::unique_ptr<sink>(monitor_sink), fast());
  forward.add_sink("bus", std::unique_ptr<sink>(forward_sink), fast());
  std::vector<std::string> monitor_finals, forward_finals;
  monitor.on_final("sentiment", [&](const final_message& f) { monitor_finals.push_back(f.msg.idempotency_key); });
  forward.on_final("sentiment", [&](const final_message& f) { forward_finals.push_back(f.msg.idempotency_key); });
  auto monitor_done = asio::co_spawn(ioc, monitor.run(), asio::use_future);
  auto forward_done = asio::co_spawn(ioc, forward.run(), asio::use_future);
  for (int n = 0; n < 20; ++n) {
    // accepted in the same turn: the monitor's driver wakes while the forward's row is committed
    asio::co_spawn(ioc, forward.box().accept(msg(100 + n), std::vector<std::string>{"bus"}), asio::detached);
    asio::co_spawn(ioc, monitor.box().accept(msg(n), std::vector<std::string>{"bus"}), asio::detached);
  }
  ASSERT_TRUE(run_until(ioc, [&] { return monitor_finals.size() == 20 && forward_finals.size() == 20; }))
      << monitor_finals.size() << " " << forward_finals.size();
  auto number = [](const std::string& key) { return std::stoi(key.substr(4)); };  // "fwd-<n>"
  for (auto& k : forward_finals) EXPECT_GE(number(k), 100) << k;
  for (auto& k : monitor_finals) EXPECT_LT(number(k), 100) << k;
  for (auto& request : monitor_sink->requests)
    for (auto& payload : request) EXPECT_LT(payload.size(), std::string(R"({"n":100})").size()) << "the forward's: " << payload;
  std::size_t forward_sent = 0;
  for (auto& request : forward_sink->requests) forward_sent += request.size();
  EXPECT_EQ(forward_sent, 20u);
  monitor.stop();
  forward.stop();
  ASSERT_TRUE(run_until(ioc, [&] {
    return monitor_done.wait_for(seconds{0}) == std::future_status::ready &&
           forward_done.wait_for(seconds{0}) == std::future_status::ready;
  }));
}

}  // namespace
}  // namespace grm::delivery

namespace grm::delivery {
namespace {

dead_letter_filter crm_only(bool include_replayed) {
  dead_letter_filter f;
  f.sink = "crm";
  f.include_replayed = include_replayed;
  return f;
}

TEST(DeadLetters, AreListedFilteredMarkedReplayedAndPurged) {
  asio::io_context ioc;
  database db(":memory:");
  outbox box(ioc.get_executor(), db, {});
  run(ioc, box.accept(msg(1), {"bus", "crm"}));
  run(ioc, box.accept(msg(2), {"crm"}));
  std::vector<outbox_result> dead;
  for (auto& e : box.due("crm", now_ms(), 10, {})) dead.push_back(outbox_result::dead(e.delivery_id, {error_kind::server, 503, "HTTP503", "down"}));
  for (auto& e : box.due("bus", now_ms(), 10, {})) dead.push_back(outbox_result::dead(e.delivery_id, {error_kind::auth, 400, "InvalidSignatureException", "bad"}));
  run(ioc, box.record(std::move(dead)));
  dead_letters letters(db);
  EXPECT_EQ(letters.count(), 3u);
  auto crm = letters.list(crm_only(false));
  ASSERT_EQ(crm.size(), 2u);
  EXPECT_EQ(crm[0].idempotency_key, "fwd-1");
  EXPECT_EQ(crm[0].payload, R"({"n":1})");
  EXPECT_EQ(crm[0].error_kind, "server");
  EXPECT_EQ(crm[0].status, 503u);
  letters.mark_replayed(crm[0].id);
  EXPECT_EQ(letters.list(crm_only(false)).size(), 1u) << "a replayed one is not listed by default";
  EXPECT_EQ(letters.list(crm_only(true)).size(), 2u);
  EXPECT_TRUE(letters.get(crm[0].id)->replayed_ms.has_value());
  dead_letter_filter old;
  old.include_replayed = true;
  old.dead_before_ms = now_ms() - 60'000;
  EXPECT_EQ(letters.purge(old), 0u) << "none is a minute old";
  dead_letter_filter bus;
  bus.sink = "bus";
  EXPECT_EQ(letters.purge(bus), 1u);
  dead_letter_filter all;
  all.include_replayed = true;
  EXPECT_EQ(letters.purge(all), 2u);
  EXPECT_EQ(letters.count(), 0u);
}

}  // namespace
}  // namespace grm::delivery
