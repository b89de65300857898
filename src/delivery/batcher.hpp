#pragma once
// The delivery layer every batch sink shares: entries are queued, grouped into requests that
// respect the sink's count and size limits, sent by at most `max_in_flight` workers. A batch
// closes when full, when its oldest entry has lingered `linger`, or at once when no request is
// in flight (like Nagle: an idle sink adds no delay, a busy one batches while it waits), and retried with the shared
// full-jitter backoff. Only the entries the service failed with a retryable code are resent. Each
// submit() completes with that entry's final outcome: delivered with the service's id, or
// rejected with the code and message that decided it (the dead-letter reason).
//
// Included by sink implementations (.cpp) only: it pulls in Asio timers.
// Threading: one executor; submit(), drain() and close() are coroutines on it.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <deque>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/task_group.hpp"
#include "delivery/batch_sink.hpp"
#include "net/retry.hpp"

namespace grm::delivery {

template <class Entry>
class batcher {
 public:
  batcher(batch_sink<Entry>& sink, delivery_options options)
      : state_(std::make_shared<state>(sink, options)) {}
  ~batcher() { state_->stopping = true; state_->wake_workers(); }
  batcher(const batcher&) = delete;
  batcher& operator=(const batcher&) = delete;

  boost::asio::awaitable<outcome> submit(Entry entry) {
    auto s = state_;
    auto ex = co_await boost::asio::this_coro::executor;
    s->start(ex);
    if (s->stopping) co_return outcome{false, {}, "ShuttingDown", "the sink is closed", 0};
    auto p = std::make_shared<pending>(ex, std::move(entry));
    p->size = s->sink.entry_size(p->entry);
    auto limits = s->sink.limits();
    if (limits.max_bytes && p->size > limits.max_bytes) {
      ++s->stats.submitted;
      ++s->stats.rejected;
      co_return outcome{false, {}, "OversizedEntry",
                        "the entry is " + std::to_string(p->size) + " bytes by the sink's size rule; a request may carry at most " +
                            std::to_string(limits.max_bytes),
                        0};
    }
    while (s->queue.size() >= s->opt.max_queued) co_await s->wait_on(s->space);
    ++s->stats.submitted;
    p->enqueued = std::chrono::steady_clock::now();
    s->queued_bytes += p->size;
    s->queue.push_back(p);
    s->wake_workers();
    while (!p->finished) co_await p->wait();
    co_return p->result;
  }

  // Sends everything queued now without waiting for the linger time, and returns when nothing
  // is queued or in flight.
  boost::asio::awaitable<void> drain() {
    auto s = state_;
    ++s->draining;
    s->wake_workers();
    while (!s->queue.empty() || s->in_flight > 0) co_await s->wait_on(s->idle);
    --s->draining;
  }

  // drain(), then stop the workers and wait for them to end; later submits are rejected.
  boost::asio::awaitable<void> close() {
    co_await drain();
    state_->stopping = true;
    state_->wake_workers();
    if (state_->workers) co_await state_->workers->join();
  }

  // The hard phase of shutdown: queued entries end as ShuttingDown, requests in flight are
  // cancelled (their entries end too), and the workers stop. Nothing waits.
  void abort() {
    auto& s = *state_;
    s.stopping = true;
    while (!s.queue.empty()) {
      s.queue.front()->finish(outcome{false, {}, "ShuttingDown", "the relay stopped before this was sent", 0});
      ++s.stats.rejected;
      s.queue.pop_front();
    }
    s.queued_bytes = 0;
    if (s.workers) s.workers->cancel();
    s.wake_workers();
  }

  delivery_stats stats() const { return state_->stats; }

 private:
  using clock = std::chrono::steady_clock;

  struct pending {
    pending(boost::asio::any_io_executor ex, Entry e) : entry(std::move(e)), done(ex) {
      done.expires_at(clock::time_point::max());
    }
    boost::asio::awaitable<void> wait() { co_await done.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable)); }
    void finish(outcome o) {
      result = std::move(o);
      finished = true;
      done.cancel();
    }
    Entry entry;
    std::size_t size = 0;
    clock::time_point enqueued{};
    outcome result;
    bool finished = false;
    boost::asio::steady_timer done;
  };
  using pending_ptr = std::shared_ptr<pending>;

  struct state : std::enable_shared_from_this<state> {
    state(batch_sink<Entry>& k, delivery_options o) : sink(k), opt(o) {}
    batch_sink<Entry>& sink;
    delivery_options opt;
    std::deque<pending_ptr> queue;
    std::size_t queued_bytes = 0;
    std::size_t in_flight = 0;
    int draining = 0;
    bool started = false, stopping = false;
    std::vector<boost::asio::steady_timer*> sleepers;  // idle workers
    std::unique_ptr<boost::asio::steady_timer> space, idle;  // never expire; cancel() wakes all
    std::unique_ptr<task_group> workers;  // each worker holds this state alive while it runs
    delivery_stats stats;
    std::mt19937_64 rng{std::random_device{}()};

    void start(boost::asio::any_io_executor ex) {
      if (started) return;
      started = true;
      space = std::make_unique<boost::asio::steady_timer>(ex, clock::time_point::max());
      idle = std::make_unique<boost::asio::steady_timer>(ex, clock::time_point::max());
      workers = std::make_unique<task_group>(ex);
      for (std::size_t i = 0; i < std::max<std::size_t>(opt.max_in_flight, 1); ++i)
        workers->spawn("delivery worker", run_worker(this->shared_from_this()));
    }

    boost::asio::awaitable<void> wait_on(std::unique_ptr<boost::asio::steady_timer>& t) {
      co_await t->async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
    }

    void wake_workers() {
      for (auto* t : sleepers) t->cancel();
    }

    bool batch_full() const {
      auto l = sink.limits();
      return queue.size() >= l.max_entries || (l.max_bytes && queued_bytes > l.max_bytes);
    }

    std::vector<pending_ptr> take_batch() {
      auto l = sink.limits();
      std::vector<pending_ptr> batch;
      std::size_t bytes = 0;
      while (!queue.empty() && batch.size() < l.max_entries &&
             (!l.max_bytes || bytes + queue.front()->size <= l.max_bytes)) {
        bytes += queue.front()->size;
        queued_bytes -= queue.front()->size;
        batch.push_back(std::move(queue.front()));
        queue.pop_front();
      }
      space->cancel();
      return batch;
    }

    // By value: the batcher may go away while a request is out; the worker keeps the state.
    static boost::asio::awaitable<void> run_worker(std::shared_ptr<state> self) { co_await self->work(); }

    boost::asio::awaitable<void> work() {
      boost::asio::steady_timer sleeper(co_await boost::asio::this_coro::executor);
      for (;;) {
        if (queue.empty() && stopping) co_return;
        if (!queue.empty()) {
          auto deadline = queue.front()->enqueued + opt.linger;
          bool full = batch_full();
          if (full || draining > 0 || stopping || in_flight == 0 || clock::now() >= deadline) {
            ++(full ? stats.full_batches : stats.linger_batches);
            auto batch = take_batch();
            ++in_flight;
            co_await deliver_guarded(std::move(batch));
            --in_flight;
            if (queue.empty() && in_flight == 0) idle->cancel();
            continue;
          }
          sleeper.expires_at(deadline);
        } else {
          sleeper.expires_at(clock::time_point::max());
        }
        sleepers.push_back(&sleeper);
        co_await sleeper.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
        sleepers.erase(std::find(sleepers.begin(), sleepers.end(), &sleeper));
      }
    }

    std::chrono::milliseconds backoff(int attempt, std::optional<std::chrono::milliseconds> asked) {
      if (asked) return std::min(*asked, opt.backoff_cap);
      net::retry_policy p{.max_attempts = opt.max_attempts, .base = opt.backoff_base, .cap = opt.backoff_cap};
      return net::backoff_delay(p, attempt, rng);
    }

    static void reject(std::vector<pending_ptr>& batch, const std::string& code, const std::string& message, int attempts,
                       delivery_stats& st) {
      for (auto& p : batch) {
        p->finish(outcome{false, {}, code, message, attempts});
        ++st.rejected;
      }
      batch.clear();
    }

    // The worker's boundary: whatever a sink or the retry sleep throws, every entry of the batch
    // gets an outcome and the worker goes on serving the queue.
    boost::asio::awaitable<void> deliver_guarded(std::vector<pending_ptr> batch) {
      auto held = batch;
      std::string failure;
      try {
        co_await deliver(std::move(batch));
      } catch (const boost::system::system_error& e) {
        failure = e.code() == boost::asio::error::operation_aborted ? "delivery was cancelled (shutting down)"
                                                                    : std::string("internal error: ") + e.what();
      } catch (const std::exception& e) {
        failure = std::string("internal error: ") + e.what();
      } catch (...) {
        failure = "internal error: unknown exception";
      }
      for (auto& p : held)
        if (!p->finished) {
          p->finish(outcome{false, {}, "InternalError", failure, 0});
          ++stats.rejected;
        }
    }

    boost::asio::awaitable<void> deliver(std::vector<pending_ptr> batch) {
      for (int attempt = 1; !batch.empty(); ++attempt) {
        std::vector<const Entry*> entries;
        for (auto& p : batch) entries.push_back(&p->entry);
        ++stats.requests;
        std::optional<request_failure> failure;
        send_result result;
        try {
          result = co_await sink.send(entries);
          failure = result.failure;
        } catch (const relay_error& e) {
          failure = request_failure{net::is_retryable(e.kind()), std::string(to_string(e.kind())), e.what(), std::nullopt};
        } catch (const boost::system::system_error&) {
          throw;  // cancellation: deliver_guarded reports it
        } catch (const std::exception& e) {
          // Not the project's error type: a bug or a library surprise in the sink. Retrying the
          // same request would meet it again, so the entries are rejected with what it said.
          failure = request_failure{false, "InternalError", std::string("the sink failed: ") + e.what(), std::nullopt};
        }
        bool last = attempt >= opt.max_attempts;
        if (failure) {
          ++stats.request_failures;
          if (!failure->retryable || last) {
            reject(batch, failure->code, failure->message + (last && failure->retryable ? " (after " + std::to_string(attempt) + " attempts)" : ""),
                   attempt, stats);
            co_return;
          }
          co_await net::sleep_for(backoff(attempt, failure->retry_after));
          continue;
        }
        std::vector<pending_ptr> again;
        for (std::size_t i = 0; i < batch.size(); ++i) {
          entry_result r = i < result.entries.size() ? std::move(result.entries[i])
                                                      : entry_result{verdict::rejected, {}, "MissingResult", "the service answered fewer entries than it was sent"};
          if (r.what == verdict::delivered) {
            batch[i]->finish(outcome{true, std::move(r.id), {}, {}, attempt});
            ++stats.delivered;
          } else if (r.what == verdict::retry && !last) {
            again.push_back(batch[i]);
            ++stats.entries_retried;
          } else {
            auto message = r.what == verdict::retry ? r.message + " (after " + std::to_string(attempt) + " attempts)" : r.message;
            batch[i]->finish(outcome{false, {}, std::move(r.code), std::move(message), attempt});
            ++stats.rejected;
          }
        }
        batch = std::move(again);
        if (!batch.empty()) co_await net::sleep_for(backoff(attempt, std::nullopt));
      }
    }
  };

  std::shared_ptr<state> state_;
};

}  // namespace grm::delivery
