#include "delivery/driver.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>

#include <random>
#include <set>

#include "core/error.hpp"
#include "core/task_group.hpp"
#include "core/text.hpp"
#include "delivery/database.hpp"
#include "delivery/outbox.hpp"
#include "delivery/sink.hpp"
#include "net/retry.hpp"
#include "observability/metrics.hpp"

namespace grm::delivery {

namespace asio = boost::asio;
using namespace std::chrono;
using namespace asio::experimental::awaitable_operators;

std::string_view to_string(breaker_state s) noexcept {
  switch (s) {
    case breaker_state::closed: return "closed";
    case breaker_state::half_open: return "half-open";
    case breaker_state::open: return "open";
  }
  return "closed";
}

namespace {

std::string describe_age(milliseconds age) {
  auto h = duration_cast<hours>(age).count();
  return h >= 1 ? fmt::format("{} h", h) : fmt::format("{} s", duration_cast<seconds>(age).count());
}

}  // namespace

struct driver::impl : std::enable_shared_from_this<impl> {
  impl(asio::any_io_executor ex, std::string id, sink& k, outbox& o, driver_options opt, log_fn lg)
      : executor(ex), sink_id(std::move(id)), snk(k), box(o), options(opt), log(std::move(lg)),
        changed(ex, steady_clock::time_point::max()), requests(ex, [this](std::string_view, std::exception_ptr e) {
          report(severity::error, "request task ended: " + describe(e));
        }) {}

  asio::any_io_executor executor;
  std::string sink_id;
  sink& snk;
  outbox& box;
  driver_options options;
  log_fn log;
  steady_clock::time_point opened_at{};  // when the breaker last left closed
  metrics::histogram request_seconds{metrics::latency_buckets()};  // send → answer (or timeout, or no answer)
  asio::steady_timer changed;  // woken by wake(), a finished request, stop()
  task_group requests;
  std::set<std::int64_t> in_flight_ids;
  std::size_t in_flight = 0;
  bool stopping = false;
  driver_stats stats;
  int consecutive_failures = 0;
  milliseconds open_for{0};
  steady_clock::time_point reopen_at{};
  std::mt19937_64 rng{std::random_device{}()};

  void report(severity s, const std::string& m) {
    if (log) log(s, "sink " + sink_id + ": " + m);
  }

  // --- the breaker ------------------------------------------------------------------------------
  void request_failed(const std::string& why) {
    ++stats.request_failures;
    stats.last_error = why;
    ++consecutive_failures;
    bool probe_failed = stats.breaker == breaker_state::half_open;
    if (!probe_failed && (stats.breaker != breaker_state::closed || consecutive_failures < options.breaker.failures_to_open))
      return;
    open_for = probe_failed ? std::min(open_for * 2, options.breaker.max_open_for) : options.breaker.open_for;
    reopen_at = steady_clock::now() + open_for;
    if (stats.breaker == breaker_state::closed) opened_at = steady_clock::now();
    stats.breaker = breaker_state::open;
    ++stats.breaker_opened;
    report(severity::warn, fmt::format("circuit open after {} consecutive failed requests; probing again in {} ms; last "
                                       "error: {}",
                                       consecutive_failures, open_for.count(), why));
  }

  void request_succeeded() {
    if (stats.breaker != breaker_state::closed) report(severity::info, "circuit closed: the probe request succeeded");
    stats.breaker = breaker_state::closed;
    consecutive_failures = 0;
    stats.last_error.clear();
  }

  // --- what an answer means for each entry -------------------------------------------------------
  milliseconds backoff(int attempts, std::optional<milliseconds> asked) {
    if (asked) return std::min(*asked, options.max_retry_after);
    net::retry_policy p{.max_attempts = 0, .base = options.backoff_base, .cap = options.backoff_cap};
    return net::backoff_delay(p, attempts, rng);
  }

  // Retry at `next` (ms since the epoch), or a dead letter when that passes the outbox's max age
  // or the attempt budget.
  outbox_result retry_or_expire(const entry& e, std::int64_t next, const dead_letter_reason& why) {
    auto now = now_ms();
    if (options.max_attempts > 0 && e.attempts + 1 >= options.max_attempts) {
      auto reason = why;
      reason.message += fmt::format(" (after {} attempts)", e.attempts + 1);
      ++stats.dead_lettered;
      return outbox_result::dead(e.delivery_id, std::move(reason));
    }
    auto max_age = box.limits().max_age.count();
    if (next - e.accepted_ms > max_age) {
      auto reason = why;
      reason.message = fmt::format("still failing after {} attempt(s) over {} (outbox.max_age_h); last error: {}",
                                   e.attempts + 1, describe_age(milliseconds{now - e.accepted_ms}), why.message);
      reason.code = "MaxAgeExceeded/" + why.code;
      ++stats.dead_lettered;
      return outbox_result::dead(e.delivery_id, std::move(reason));
    }
    ++stats.retried;
    return outbox_result::retry(e.delivery_id, next, why.code + ": " + why.message);
  }

  // One retry time for the whole request (from its most-tried entry): what was retried together
  // travels together again.
  std::int64_t next_attempt(const std::vector<const entry*>& batch, std::optional<milliseconds> asked) {
    int attempts = 0;
    for (auto* e : batch) attempts = std::max(attempts, e->attempts + 1);
    return now_ms() + backoff(attempts, asked).count();
  }

  std::vector<outbox_result> judge(const std::vector<const entry*>& batch, const send_result& r) {
    std::vector<outbox_result> out;
    if (r.failure) {
      const auto& f = *r.failure;
      dead_letter_reason why{f.kind, f.status, f.code, f.message};
      auto next = next_attempt(batch, f.retry_after);
      for (auto* e : batch) {
        if (f.retryable) {
          out.push_back(retry_or_expire(*e, next, why));
        } else {
          ++stats.dead_lettered;
          out.push_back(outbox_result::dead(e->delivery_id, why));
        }
      }
      return out;
    }
    auto next = next_attempt(batch, std::nullopt);
    for (std::size_t i = 0; i < batch.size(); ++i) {
      entry_result er = i < r.entries.size() ? r.entries[i]
                                             : entry_result{verdict::rejected, {}, "MissingResult",
                                                            "the service answered fewer entries than it was sent"};
      dead_letter_reason why{error_kind::client, er.status, er.code, er.message};
      if (er.what == verdict::delivered) {
        ++stats.delivered;
        out.push_back(outbox_result::delivered(batch[i]->delivery_id, er.id));
      } else if (er.what == verdict::retry) {
        why.kind = error_kind::server;
        out.push_back(retry_or_expire(*batch[i], next, why));
      } else {
        ++stats.dead_lettered;
        out.push_back(outbox_result::dead(batch[i]->delivery_id, why));
      }
    }
    return out;
  }

  // The send as a result, never an exception: Asio's `||` waits for the first branch that
  // *succeeds*, so a send that threw would otherwise sit out the whole deadline.
  asio::awaitable<std::pair<send_result, std::exception_ptr>> guarded_send(const std::vector<const entry*>& batch) {
    std::pair<send_result, std::exception_ptr> out;
    try {
      out.first = co_await snk.send(batch);
    } catch (...) {
      out.second = std::current_exception();
    }
    co_return out;
  }

  // One request: send (with the outer deadline), judge, record durably, release the entries.
  asio::awaitable<void> request(std::vector<entry> rows) {
    auto self = shared_from_this();
    std::vector<const entry*> batch;
    for (auto& e : rows) batch.push_back(&e);
    ++stats.requests;
    send_result r;
    auto started = steady_clock::now();
    try {
      asio::steady_timer deadline(executor, options.request_timeout);
      auto which = co_await (guarded_send(batch) || deadline.async_wait(asio::use_awaitable));
      if (which.index() == 1)
        r.failure = request_failure{true, "Timeout", fmt::format("no answer within {} ms", options.request_timeout.count()),
                                    std::nullopt, error_kind::timeout, 0};
      else if (auto& [result, error] = std::get<0>(which); error) std::rethrow_exception(error);
      else r = std::move(result);
    } catch (const relay_error& e) {
      if (e.kind() == error_kind::cancelled && stopping) co_return release(rows);
      r.failure = request_failure{net::is_retryable(e.kind()), std::string(to_string(e.kind())), std::string(e.what()).substr(0, 2000),
                                  std::nullopt, e.kind(), 0};
    } catch (const boost::system::system_error& e) {
      if (e.code() == asio::error::operation_aborted) co_return release(rows);  // cancel(): rows stay pending
      r.failure = request_failure{false, "InternalError", std::string("the sink failed: ") + e.what(), std::nullopt,
                                  error_kind::client, 0};
    } catch (const std::exception& e) {
      // Not the project's error type: a bug or a library surprise. The same request would meet it
      // again, so the entries are dead-lettered with what it said.
      r.failure = request_failure{false, "InternalError", std::string("the sink failed: ") + e.what(), std::nullopt,
                                  error_kind::client, 0};
    }
    request_seconds.observe(std::chrono::duration<double>(steady_clock::now() - started).count());  // not when cancelled
    bool outage = r.failure && r.failure->retryable;
    if (outage) request_failed(r.failure->code + ": " + r.failure->message);
    else request_succeeded();  // the sink answered (a rejection of our request is not an outage)
    auto results = judge(batch, r);
    try {
      co_await box.record(std::move(results));
    } catch (const std::exception& e) {
      report(severity::error, std::string("recording results: ") + e.what() + "; the deliveries stay pending");
    }
    release(rows);
  }

  void release(const std::vector<entry>& rows) {
    for (auto& e : rows) in_flight_ids.erase(e.delivery_id);
    --in_flight;
    changed.cancel();
  }

  // Groups due rows into requests within the sink's limits; an entry too big for any request is
  // dead-lettered at once.
  std::vector<std::vector<entry>> batches(std::vector<entry> rows, std::size_t max_requests,
                                          std::vector<outbox_result>& rejected) {
    auto l = snk.limits();
    std::vector<std::vector<entry>> out;
    std::size_t bytes = 0;
    for (auto& e : rows) {
      auto size = snk.entry_size(e);
      if (l.max_bytes && size > l.max_bytes) {
        ++stats.dead_lettered;
        rejected.push_back(outbox_result::dead(
            e.delivery_id, {error_kind::invalid_payload, 0, "OversizedEntry",
                            fmt::format("the entry is {} bytes by the sink's size rule; a request may carry at most {}", size,
                                        l.max_bytes)}));
        continue;
      }
      bool fits = !out.empty() && out.back().size() < l.max_entries && (!l.max_bytes || bytes + size <= l.max_bytes);
      if (!fits) {
        if (out.size() == max_requests) break;
        out.emplace_back();
        bytes = 0;
      }
      bytes += size;
      out.back().push_back(std::move(e));
    }
    return out;
  }

  asio::awaitable<void> wait_changed(std::optional<steady_clock::time_point> until) {
    if (until) changed.expires_at(*until);
    else changed.expires_at(steady_clock::time_point::max());
    co_await changed.async_wait(asio::as_tuple(asio::use_awaitable));
  }

  asio::awaitable<void> run() {
    auto self = shared_from_this();
    while (!stopping) {
      if (stats.breaker == breaker_state::open) {
        if (steady_clock::now() < reopen_at) {
          co_await wait_changed(reopen_at);
          continue;
        }
        stats.breaker = breaker_state::half_open;
        report(severity::info, "circuit half-open: sending one probe request");
      }
      std::size_t capacity = stats.breaker == breaker_state::half_open ? (in_flight == 0 ? 1 : 0)
                                                                       : options.max_in_flight - std::min(in_flight, options.max_in_flight);
      if (capacity == 0) {
        co_await wait_changed(std::nullopt);
        continue;
      }
      std::vector<entry> rows;
      bool unreadable = false;  // no co_await in a handler: the wait comes after it
      try {
        rows = box.due(sink_id, now_ms(), capacity * snk.limits().max_entries, in_flight_ids);
      } catch (const relay_error& e) {
        report(severity::error, std::string(e.what()) + "; trying again in 1 s");
        unreadable = true;
      }
      if (unreadable) {
        co_await wait_changed(steady_clock::now() + seconds{1});
        continue;
      }
      if (rows.empty()) {
        std::optional<steady_clock::time_point> until;
        if (auto next = box.next_due_ms(sink_id); next && in_flight_ids.empty())
          until = steady_clock::now() + milliseconds{std::max<std::int64_t>(*next - now_ms(), 1)};
        co_await wait_changed(until);
        continue;
      }
      std::vector<outbox_result> rejected;
      for (auto& b : batches(std::move(rows), capacity, rejected)) {
        for (auto& e : b) in_flight_ids.insert(e.delivery_id);
        ++in_flight;
        requests.spawn("request", request(std::move(b)));
      }
      if (!rejected.empty()) co_await box.record(std::move(rejected));
    }
    co_await requests.join();
  }
};

driver::driver(asio::any_io_executor ex, std::string sink_id, sink& s, outbox& o, driver_options options, log_fn log)
    : impl_(std::make_shared<impl>(ex, std::move(sink_id), s, o, options, std::move(log))) {}
driver::~driver() = default;

asio::awaitable<void> driver::run() { co_await impl_->run(); }
void driver::wake() { impl_->changed.cancel(); }
void driver::stop() {
  impl_->stopping = true;
  impl_->changed.cancel();
}
void driver::resume() { impl_->stopping = false; }
void driver::cancel() {
  stop();
  impl_->requests.cancel();
}
const std::string& driver::sink_id() const noexcept { return impl_->sink_id; }

driver_stats driver::stats() const {
  auto s = impl_->stats;
  s.in_flight = impl_->in_flight;
  return s;
}

health::result driver::health() const {
  auto own = impl_->snk.health();
  if (own.state != health::status::ok) return own;
  auto& s = impl_->stats;
  if (s.breaker == breaker_state::closed) return {};
  auto open = std::chrono::duration_cast<seconds>(steady_clock::now() - impl_->opened_at);
  auto within = open < impl_->options.breaker.ready_budget;  // a budget of 0: not ready at once
  return {within ? health::status::degraded : health::status::failing,
          fmt::format("circuit {} for {} s (readiness fails after {} s) after {} consecutive failed requests; last error: {}",
                      to_string(s.breaker), open.count(), impl_->options.breaker.ready_budget.count(),
                      impl_->consecutive_failures, s.last_error)};
}

void driver::export_metrics(metrics::exposition& x) const {
  auto s = stats();
  metrics::labels l{{"sink", impl_->sink_id}};
  auto n = [](auto v) { return static_cast<double>(v); };
  x.counter("relay_sink_delivered_total", "entries a sink delivered", l, n(s.delivered));
  x.counter("relay_sink_dead_letters_total", "entries dead-lettered (rejected, or still failing at the outbox's max age)", l,
            n(s.dead_lettered));
  x.counter("relay_sink_retries_total", "entries scheduled for another attempt", l, n(s.retried));
  x.counter("relay_sink_requests_total", "requests a sink sent", l, n(s.requests));
  x.counter("relay_sink_request_failures_total", "requests that failed as a whole (network, timeout, 5xx, throttling)", l,
            n(s.request_failures));
  x.counter("relay_sink_breaker_opened_total", "times the circuit breaker opened", l, n(s.breaker_opened));
  x.gauge("relay_sink_breaker_state", "circuit breaker: 0 closed, 1 half-open, 2 open", l, n(static_cast<int>(s.breaker)));
  x.gauge("relay_sink_in_flight", "requests in flight", l, n(s.in_flight));
  x.histogram("relay_sink_request_seconds", "time from sending a request to its answer (timeouts and failures included)", l,
              impl_->request_seconds.read());
}

}  // namespace grm::delivery
