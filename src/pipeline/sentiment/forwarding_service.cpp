#include "pipeline/sentiment/forwarding_service.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>

#include <deque>
#include <algorithm>
#include <map>
#include <optional>
#include <unordered_map>
#include <vector>

#include "core/error.hpp"
#include "core/ids.hpp"
#include "core/task_group.hpp"
#include "core/time.hpp"
#include "delivery/idempotency_store.hpp"
#include "delivery/service.hpp"
#include "genesys/api.hpp"
#include "genesys/conversation_details.hpp"
#include "observability/health.hpp"
#include "observability/metrics.hpp"
#include "sinks/file/audit_trail.hpp"

namespace grm::sentiment {

namespace asio = boost::asio;
using namespace std::chrono;
using asio::as_tuple;
using asio::use_awaitable;

namespace {

constexpr auto kTick = seconds{1};  // the longest the ticker sleeps (due retries wake it sooner)
constexpr auto kPruneEvery = hours{1};
constexpr auto kBackfillCheckpoint = "backfill: streams connected up to";
// The checkpoint trails "now" by this much: an end published just as a stream dropped is
// looked for again (the idempotency key makes the overlap harmless).
constexpr auto kCheckpointMargin = seconds{60};
struct job {
  std::string conversation_id;
  std::string trigger;
  int attempt = 1;
  steady_clock::time_point not_before{};
  system_clock::time_point first_attempt = system_clock::now();  // the not-analysed horizon counts from here
};

std::string state_key(const job& j) { return j.conversation_id + ":" + j.trigger; }

// The forwarder writes "<conversationId>:<trigger>"; conversation ids are UUIDs (no colon).
std::optional<job> job_of_key(const std::string& key) {
  auto colon = key.find(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == key.size()) return std::nullopt;
  job j{key.substr(0, colon), key.substr(colon + 1)};
  if (j.trigger == "alert") return std::nullopt;
  return j;
}

system_clock::time_point from_epoch_ms(std::int64_t ms) { return system_clock::time_point{milliseconds{ms}}; }

}  // namespace

struct forwarding_service::impl {
  impl(asio::any_io_executor ex, genesys::api_client& a, sentiment_settings s, forwarding_parts p, log_fn lg,
       metrics::registry* m)
      : settings(std::move(s)),
        log(std::move(lg)),
        executor(ex),
        api(a),
        delivery(p.delivery),
        state(p.state),
        audit(&p.audit),
        wake(ex, steady_clock::time_point::max()),
        tick(ex),
        tasks(ex, [this](std::string_view name, std::exception_ptr e) {
          report_error(fmt::format("forwarding {} stopped: {}", name, describe(e)));
        }) {
    forwarder_parts parts{api, &delivery.box(), settings.idempotency ? &state : nullptr, audit, std::move(p.payload_targets),
                          std::move(p.alert_targets), log, m};
    fwd = std::make_unique<forwarder>(std::move(parts), settings.forwarder);
    for (auto kind : {"sentiment", "alert"}) delivery.on_final(kind, [this](const delivery::final_message& f) { on_final(f); });
    if (m) register_metrics(*m);
  }

  void on_final(const delivery::final_message& f) {
    auto r = fwd->conclude(f);
    if (!r) return;
    ++counts.completed;
    queued_keys.erase(f.msg.key);
    if (auto it = waiting.find(f.msg.key); it != waiting.end()) {
      it->second.report = *r;
      for (auto* t : it->second.timers) t->cancel();
    }
    if (report_handler) report_handler(*r);
  }

  void register_metrics(metrics::registry& m) {
    m.add_collector([this](metrics::exposition& x) {
      auto n = [](auto v) { return static_cast<double>(v); };
      x.gauge("relay_forward_pending", "forward triggers queued or waiting for a retry", {}, n(queue.size() + retries.size()));
      x.gauge("relay_forward_in_flight", "forwards running", {}, n(in_flight));
      x.counter("relay_forward_triggers_dropped_total", "triggers refused because the queue was full", {}, n(counts.dropped));
      x.counter("relay_forward_worker_errors_total", "exceptions caught at a forwarding worker's boundary (the job was kept)",
                {}, n(counts.worker_errors));
      x.counter("relay_state_errors_total", "state database writes that failed (the trigger or record was kept)", {},
                n(counts.state_errors));
      x.counter("relay_backfill_runs_total", "backfill queries run after a gap in the streams", {}, n(counts.backfill_runs));
      x.counter("relay_backfill_triggers_total", "conversations that ended during a gap, triggered by backfill", {},
                n(counts.backfilled));
      x.gauge("relay_forward_triggers_unrecorded", "triggers waiting to be written to the state database", {},
              n(unrecorded.size()));
      x.counter("relay_audit_write_errors_total", "audit log writes that failed (the record was kept for a retry)", {},
                n(audit->write_errors()));
      x.gauge("relay_audit_backlog", "audit records kept because the audit log could not be written", {}, n(audit->waiting()));
    });
  }

  void report_error(const std::string& message) {
    ++counts.worker_errors;
    last_worker_error = message;
    if (log) log(severity::error, message);
  }

  void enqueue(job j, bool resumed) {
    if (queue.size() + retries.size() >= settings.triggers.max_pending) {
      ++counts.dropped;
      if (log)
        log(severity::error, fmt::format("forward queue full ({} pending): trigger {} for conversation {} stays "
                                         "in the state database and runs after a restart",
                                         settings.triggers.max_pending, j.trigger, j.conversation_id));
      return;
    }
    resumed ? ++counts.resumed : ++counts.triggered;
    queue.push_back(std::move(j));
    wake.cancel_one();
  }

  // Durable before it is queued. A database that fails is reported and the trigger kept (in
  // memory: there is nowhere durable left) to be recorded on a later tick.
  void trigger(std::string id, std::string trigger_name) {
    job j{std::move(id), std::move(trigger_name)};
    if (record_trigger(j)) return;
    if (unrecorded.size() < settings.triggers.max_pending) {
      unrecorded.push_back(std::move(j));
      return;
    }
    ++counts.dropped;
    if (log)
      log(severity::error, fmt::format("{} triggers wait for the state database already: trigger {} for conversation {} "
                                       "is dropped",
                                       unrecorded.size(), j.trigger, j.conversation_id));
  }

  bool record_trigger(job& j) {
    delivery::idempotency_store::entry e;
    try {
      e = state.begin(state_key(j), uuid_v4());
    } catch (const relay_error& x) {
      ++counts.state_errors;
      last_state_error = x.what();
      if (log)
        log(severity::error, fmt::format("cannot record trigger {} for conversation {}: {}; kept and tried again in {} s",
                                         j.trigger, j.conversation_id, x.what(), kTick.count()));
      return false;
    }
    last_state_error.clear();
    if (e.done) return true;  // a duplicate event or a replay
    j.first_attempt = from_epoch_ms(e.updated_ms);
    if (queued_keys.insert(state_key(j)).second) enqueue(std::move(j), false);
    return true;
  }

  // What follows one attempt: a deferral or a failure waits in `retries`; anything else is done.
  void after(job j, const forward_report& r) {
    if (r.outcome == forward_outcome::deferred) {
      ++counts.deferred;
      auto wait = r.retry_at ? *r.retry_at - system_clock::now() : system_clock::duration{settings.triggers.retry_after};
      j.not_before = steady_clock::now() + duration_cast<steady_clock::duration>(std::max(wait, system_clock::duration{}));
      retries.push_back(std::move(j));
      tick.cancel();  // the ticker sleeps until the earliest retry
      return;
    }
    if (r.outcome == forward_outcome::accepted) return;  // the outbox finishes it (on_final)
    ++counts.completed;
    if (r.outcome == forward_outcome::failed && j.attempt < settings.triggers.attempts) {
      try {
        state.begin(state_key(j), r.forwarding_id);  // pending again until the retry runs
      } catch (const relay_error& x) {
        ++counts.state_errors;
        last_state_error = x.what();
      }
      ++j.attempt;
      ++counts.retried;
      j.not_before = steady_clock::now() + settings.triggers.retry_after;
      retries.push_back(std::move(j));
      tick.cancel();
    } else {
      queued_keys.erase(state_key(j));
    }
    if (report_handler) report_handler(r);
  }

  asio::awaitable<void> worker() {
    for (;;) {
      while (queue.empty()) {
        if (stopping) co_return;
        co_await wake.async_wait(as_tuple(use_awaitable));
      }
      if (stopping) co_return;  // queued jobs stay pending in the state database
      auto j = std::move(queue.front());
      queue.pop_front();
      ++in_flight;
      struct done_guard {
        std::size_t& n;
        ~done_guard() { --n; }
      } guard{in_flight};
      // The worker's boundary: a job that throws is reported and kept for a retry; the worker goes on.
      std::string failure;
      try {
        auto r = co_await fwd->forward(j.conversation_id, j.trigger, j.first_attempt);
        after(std::move(j), r);
        continue;
      } catch (const boost::system::system_error& e) {
        if (e.code() == asio::error::operation_aborted) co_return;  // cancel(): the trigger stays pending
        failure = e.what();
      } catch (const relay_error& e) {
        if (e.kind() == error_kind::cancelled) co_return;
        failure = e.what();
      } catch (const std::exception& e) {
        failure = e.what();
      }
      report_error(fmt::format("forward of conversation {} (trigger {}) failed unexpectedly: {}; kept for a retry in {} s",
                               j.conversation_id, j.trigger, failure, duration_cast<seconds>(settings.triggers.retry_after).count()));
      j.not_before = steady_clock::now() + settings.triggers.retry_after;
      retries.push_back(std::move(j));
    }
  }

  void prune_state() {
    auto cutoff = duration_cast<milliseconds>((system_clock::now() - settings.triggers.state_retention).time_since_epoch());
    auto n = state.prune_finished_before(cutoff.count());
    if (n && log) log(severity::info, fmt::format("state: pruned {} finished key(s) older than {} h", n, settings.triggers.state_retention.count()));
  }

  void flush_audit() {
    if (audit->waiting() == 0) return;
    bool was_failing = !audit->last_error().empty();
    auto written = audit->flush();
    if (was_failing && audit->last_error().empty() && log)
      log(severity::info, fmt::format("audit log {} is writable again: wrote {} kept record(s)", audit->path(), written));
  }

  void retry_unrecorded() {
    for (std::size_t n = unrecorded.size(); n > 0; --n) {
      auto j = std::move(unrecorded.front());
      unrecorded.pop_front();
      if (!record_trigger(j)) {
        unrecorded.push_front(std::move(j));
        break;  // still failing: the rest waits for the next tick
      }
    }
  }

  // Active conversations for periodic triggers; one whose end was never seen ages out.
  void trigger_periodic(std::int64_t period) {
    auto now = steady_clock::now();
    for (auto it = active.begin(); it != active.end();) {
      if (now - it->second > settings.triggers.periodic_max_age) {
        if (log)
          log(severity::info, fmt::format("conversation {}: no end seen {} s after it started; periodic forwarding stops",
                                          it->first, settings.triggers.periodic_max_age.count()));
        it = active.erase(it);
        continue;
      }
      trigger(it->first, "periodic-" + std::to_string(period));
      ++it;
    }
  }

  // While every stream is connected the checkpoint follows the clock; when they are connected
  // again after a gap (or at the first connection of this run), the gap is backfilled.
  void backfill_tick() {
    if (settings.triggers.backfill_lookback.count() == 0 || !streams_connected || backfill_running) return;
    bool up = streams_connected();
    auto now = delivery::now_ms();
    if (up && !streams_were_up) {
      auto lookback_start = now - duration_cast<milliseconds>(settings.triggers.backfill_lookback).count();
      auto from = state.checkpoint(kBackfillCheckpoint);
      if (from) {
        backfill_running = true;
        tasks.spawn("backfill", backfill(std::max(*from, lookback_start), now));
      }
    } else if (up) {
      state.set_checkpoint(kBackfillCheckpoint, now - duration_cast<milliseconds>(kCheckpointMargin).count());
    }
    streams_were_up = up;
  }

  asio::awaitable<void> backfill(std::int64_t from, std::int64_t to) {
    struct done_guard {
      bool& running;
      ~done_guard() { running = false; }
    } guard{backfill_running};
    genesys::ended_query q;
    q.from_ms = from;
    q.to_ms = to;
    q.media_types = settings.triggers.media_types;
    q.queues = settings.triggers.backfill_queues;
    genesys::ended_result found;
    try {
      found = co_await genesys::ended_conversations(api, q);
    } catch (const relay_error& e) {
      streams_were_up = false;  // tried again on the next tick
      if (log) log(severity::warn, std::string("backfill: ") + e.what() + "; trying again");
      co_return;
    }
    ++counts.backfill_runs;
    std::size_t triggered = 0;
    for (auto& c : found.conversations) {
      auto before = counts.triggered;
      trigger(c.id, "conversation-end");
      if (counts.triggered > before) ++triggered;
    }
    counts.backfilled += triggered;
    state.set_checkpoint(kBackfillCheckpoint, to - duration_cast<milliseconds>(kCheckpointMargin).count());
    if (log)
      log(severity::info, fmt::format("backfill: {} conversation(s) ended between {} and {} ({} page(s)); {} new trigger(s){}",
                                      found.conversations.size(), format_rfc3339_epoch_ms(from), format_rfc3339_epoch_ms(to),
                                      found.pages, triggered, found.truncated ? "; more remain beyond the page limit" : ""));
  }

  void on_tick(std::int64_t& last_period, steady_clock::time_point& next_prune) {
    auto now = steady_clock::now();
    backfill_tick();
    if (now >= next_prune) {
      prune_state();
      next_prune = now + kPruneEvery;
    }
    flush_audit();
    retry_unrecorded();
    for (auto it = retries.begin(); it != retries.end();) {
      if (it->not_before <= now) {
        queue.push_back(std::move(*it));
        it = retries.erase(it);
        wake.cancel_one();
      } else {
        ++it;
      }
    }
    if (auto p = settings.triggers.periodic; p.count() > 0) {
      auto period = duration_cast<seconds>(system_clock::now().time_since_epoch()).count() / p.count();
      if (last_period >= 0 && period != last_period) trigger_periodic(period);
      last_period = period;
    }
  }

  asio::awaitable<void> ticker() {
    std::int64_t last_period = -1;
    auto next_prune = steady_clock::now();
    while (!stopping) {
      try {
        on_tick(last_period, next_prune);
      } catch (const std::exception& e) {
        report_error(std::string("forwarding ticker: ") + e.what());  // next tick tries again
      }
      auto next = steady_clock::now() + kTick;
      for (auto& r : retries) next = std::min(next, r.not_before);
      tick.expires_at(next);
      co_await tick.async_wait(as_tuple(use_awaitable));
    }
  }

  sentiment_settings settings;
  log_fn log;
  asio::any_io_executor executor;
  genesys::api_client& api;
  delivery::delivery_service& delivery;
  delivery::idempotency_store& state;
  sinks::file::audit_trail* audit;
  std::unique_ptr<forwarder> fwd;
  // forward() calls waiting for a key's final report, each with its own timer: one shared timer
  // re-armed by every waiter cancelled all the others, and a bounded map of recent reports could
  // drop a report before its waiter read it (both seen in bench/forward_load at 16 in flight).
  struct waiter {
    std::size_t count = 0;
    std::optional<forward_report> report;
    std::vector<asio::steady_timer*> timers;
  };
  std::unordered_map<std::string, waiter> waiting;  // node-based: references stay valid

  std::deque<job> queue;
  std::vector<job> retries;               // deferred or failed, each with its not-before time
  std::deque<job> unrecorded;             // triggers the state database could not record yet
  std::set<std::string> queued_keys;      // a key is queued at most once
  std::map<std::string, steady_clock::time_point> active;  // chat/message conversations started, not ended
  asio::steady_timer wake, tick;
  task_group tasks;                       // the workers and the ticker
  std::size_t in_flight = 0;
  bool stopping = false;
  service_stats counts;
  std::string last_state_error, last_worker_error;
  std::function<bool()> streams_connected;
  bool streams_were_up = false, backfill_running = false;
  std::function<void(const forward_report&)> report_handler;
};

forwarding_service::forwarding_service(asio::any_io_executor ex, genesys::api_client& api, sentiment_settings settings,
                                       forwarding_parts parts, log_fn log, metrics::registry* metrics)
    : impl_(std::make_unique<impl>(ex, api, std::move(settings), std::move(parts), std::move(log), metrics)) {}

forwarding_service::~forwarding_service() = default;

asio::awaitable<forward_report> forwarding_service::forward(std::string id, std::string trigger, milliseconds wait) {
  auto& d = *impl_;
  auto key = id + ":" + trigger;
  auto first = system_clock::now();
  if (auto e = d.state.find(key); e && !e->done) first = from_epoch_ms(e->updated_ms);
  // Registered before the attempt: the deliveries may finish before the attempt returns.
  auto& w = d.waiting[key];
  ++w.count;
  struct unregister {
    impl& d;
    const std::string& key;
    ~unregister() {
      if (auto it = d.waiting.find(key); it != d.waiting.end() && --it->second.count == 0) d.waiting.erase(it);
    }
  } registered{d, key};
  for (;;) {
    auto r = co_await d.fwd->forward(id, trigger, first);
    if (r.outcome == forward_outcome::deferred && !d.stopping) {
      d.tick.expires_at(steady_clock::now() + duration_cast<steady_clock::duration>(*r.retry_at - system_clock::now()));
      co_await d.tick.async_wait(as_tuple(use_awaitable));  // stop() wakes it
      continue;
    }
    if (r.outcome != forward_outcome::accepted) {
      if (d.report_handler) d.report_handler(r);
      co_return r;
    }
    // Accepted: wait for the deliveries, up to `wait`; what is still retrying stays in the outbox.
    asio::steady_timer timer(d.executor, steady_clock::now() + wait);
    w.timers.push_back(&timer);
    while (!w.report && !d.stopping && steady_clock::now() < timer.expiry())
      co_await timer.async_wait(as_tuple(use_awaitable));
    std::erase(w.timers, &timer);
    if (w.report) co_return *w.report;  // on_final reported it
    r.reason = "deliveries still under way; the outbox keeps them for `genesys-relay monitor`";
    if (d.report_handler) d.report_handler(r);
    co_return r;
  }
}

void forwarding_service::on_event(const lifecycle_event& e) {
  auto& d = *impl_;
  auto& t = d.settings.triggers;
  const auto& f = fields_of(e);
  // Events still arriving after stop() are recorded too: they run on the next start.
  if (!t.media_types.contains(f.media_type) || f.conversation_id.empty()) return;
  switch (kind_of(e)) {
    case lifecycle::start:
    case lifecycle::update:
      if (t.periodic.count() > 0) d.active.try_emplace(f.conversation_id, steady_clock::now());
      break;
    case lifecycle::end:
      d.active.erase(f.conversation_id);
      // A queue/user conversation notification carries the participants: the forward (and the
      // marker) need not read the conversation again for its customer.
      if (t.on_end) {
        d.api.customers().remember_document(f.conversation_id, f.raw);
        d.trigger(f.conversation_id, "conversation-end");
      }
      break;
    default:
      break;
  }
}

asio::awaitable<void> forwarding_service::run() {
  auto& d = *impl_;
  d.stopping = false;
  for (auto& key : d.state.pending()) {
    auto j = job_of_key(key);
    if (!j || !d.queued_keys.insert(key).second) continue;
    if (auto e = d.state.find(key)) j->first_attempt = from_epoch_ms(e->updated_ms);
    d.enqueue(std::move(*j), true);
  }
  if (d.counts.resumed && d.log)
    d.log(severity::info, fmt::format("resuming {} forward trigger(s) left pending by the last run", d.counts.resumed));
  if (d.audit->waiting() && d.log)
    d.log(severity::warn, fmt::format("{} audit record(s) kept by the last run are written to {} first", d.audit->waiting(),
                                      d.audit->path()));
  for (std::size_t i = 0; i < d.settings.triggers.max_in_flight; ++i) d.tasks.spawn("worker", d.worker());
  d.tasks.spawn("ticker", d.ticker());
  co_await d.tasks.join();
  d.flush_audit();
}

void forwarding_service::stop() {
  impl_->stopping = true;
  impl_->wake.cancel();
  impl_->tick.cancel();
  for (auto& [key, w] : impl_->waiting)
    for (auto* t : w.timers) t->cancel();
}

void forwarding_service::cancel() {
  stop();
  impl_->tasks.cancel();
}

void forwarding_service::add_health_checks(health::registry& health) {
  auto* d = impl_.get();
  if (d->audit->enabled())
    health.add("audit", [d] {
      if (d->audit->waiting() == 0) return health::result{};
      return health::result{health::status::failing,
                            fmt::format("{}; {} record(s) kept in the state database, written when the log is writable",
                                        d->audit->last_error().empty() ? "writing the kept records" : d->audit->last_error(),
                                        d->audit->waiting())};
    });
  health.add("state", [d] {
    if (d->unrecorded.empty() && d->last_state_error.empty()) return health::result{};
    return health::result{health::status::failing,
                          fmt::format("{}; {} trigger(s) waiting to be recorded", d->last_state_error, d->unrecorded.size())};
  });
}

service_stats forwarding_service::stats() const {
  auto s = impl_->counts;
  s.pending = impl_->queue.size() + impl_->retries.size();
  s.in_flight = impl_->in_flight;
  s.unrecorded = impl_->unrecorded.size();
  s.audit_waiting = impl_->audit->waiting();
  s.deliveries_pending = impl_->delivery.stats().pending;
  s.delivery_requests_in_flight = impl_->delivery.requests_in_flight();
  return s;
}

void forwarding_service::set_streams_connected(std::function<bool()> connected) {
  impl_->streams_connected = std::move(connected);
}

void forwarding_service::on_report(std::function<void(const forward_report&)> handler) {
  impl_->report_handler = std::move(handler);
}

}  // namespace grm::sentiment
