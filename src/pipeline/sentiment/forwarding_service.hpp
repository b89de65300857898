#pragma once
// The sentiment transform as a running service: turns triggers into forwards with bounded
// concurrency:
//   - the monitor's ConversationEnd of a chat/message conversation ("conversation-end"),
//   - optionally every `periodic` while such a conversation is active ("periodic-<n>", n counted
//     from the epoch so a restart does not forward the same period twice),
//   - conversations that ended while the streams were down (backfill, "conversation-end"),
//   - direct calls (`genesys-relay forward`).
// A trigger is recorded in the state database before it is queued, so one that was queued or
// running when the process stopped is resumed on the next start; the state also makes duplicate
// events harmless. A failed forward is tried again after `retry_after`, `attempts` times in all.
// It is given everything it uses (the composition root builds it: src/topology): the Genesys
// API, the delivery service whose sinks its targets name, the state and the audit trail.
// Threading: everything runs on the executor given.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/events.hpp"
#include "core/log.hpp"
#include "pipeline/sentiment/forwarder.hpp"

namespace grm::metrics {
class registry;
}
namespace grm::delivery {
class delivery_service;
class idempotency_store;
}  // namespace grm::delivery
namespace grm::health {
class registry;
}

namespace grm::sentiment {

struct trigger_settings {
  bool on_end = true;
  std::set<std::string> media_types{"chat", "message"};
  std::chrono::seconds periodic{0};  // 0: only when the conversation ends
  // A conversation whose end was never seen stops getting periodic triggers this long after it
  // was first seen (its end may have been missed while the relay was down).
  std::chrono::seconds periodic_max_age{24 * 3600};
  std::size_t max_in_flight = 16;
  std::size_t max_pending = 10'000;
  int attempts = 3;
  std::chrono::milliseconds retry_after{30'000};
  std::chrono::hours state_retention{24 * 7};  // finished keys older than this are pruned (hourly)
  // Backfill: conversations that ended while the streams were down are found with the analytics
  // details query when they are connected again (and at start), at most this far back; 0: off.
  std::chrono::hours backfill_lookback{24};
  std::vector<std::string> backfill_queues;  // the monitor's queues (empty: all)
};

struct sentiment_settings {
  forwarder_settings forwarder;
  trigger_settings triggers;
  bool idempotency = true;  // false: forward again even if done before (forward --no-state)
};

// What the service works with; all of it outlives the service.
struct forwarding_parts {
  delivery::delivery_service& delivery;
  delivery::idempotency_store& state;
  sinks::file::audit_trail& audit;
  std::vector<target> payload_targets;  // the sinks whose inputs name this transform
  std::vector<target> alert_targets;    // ... and "<id>.alerts"
};

struct service_stats {
  std::uint64_t triggered = 0, resumed = 0, completed = 0, retried = 0, dropped = 0, deferred = 0;
  std::uint64_t worker_errors = 0;   // exceptions caught at a worker's boundary (the job was kept)
  std::uint64_t state_errors = 0;    // state database writes that failed (the trigger was kept)
  std::size_t pending = 0, in_flight = 0;
  std::size_t unrecorded = 0;        // triggers waiting to be written to the state database
  std::size_t audit_waiting = 0;     // audit records kept for a retry
  std::size_t deliveries_pending = 0;  // in the outbox, not final
  std::size_t delivery_requests_in_flight = 0;
  std::uint64_t backfilled = 0;        // conversations triggered by backfill
  std::uint64_t backfill_runs = 0;
};

class forwarding_service final {
 public:
  forwarding_service(boost::asio::any_io_executor executor, genesys::api_client& api, sentiment_settings settings,
                     forwarding_parts parts, log_fn log, metrics::registry* metrics = nullptr);
  ~forwarding_service();
  forwarding_service(const forwarding_service&) = delete;
  forwarding_service& operator=(const forwarding_service&) = delete;

  // One forward now (the one-shot command), outside the queue. "Not analysed yet" is waited for
  // here, up to the horizon, unless stop() is called (the report is then `deferred`: the trigger
  // stays pending). An accepted forward is waited for until its deliveries are final or
  // `wait` has passed (the report is then `accepted`: the outbox keeps it for `monitor`).
  // Deliveries run only while the delivery service does.
  boost::asio::awaitable<forward_report> forward(std::string conversation_id, std::string trigger = "manual",
                                                 std::chrono::milliseconds wait = std::chrono::seconds{30});

  // Continuous mode: feed every routed lifecycle event; run() until stop(). on_event never
  // throws: a trigger the state database cannot record is reported and retried.
  void on_event(const lifecycle_event& event);
  boost::asio::awaitable<void> run();  // resumes pending triggers, then serves the queue
  // Shutdown, phase one: no new triggers; forwards in flight finish; queued ones stay pending.
  void stop();
  // Phase two, after the caller's deadline: forwards still in flight are abandoned (they stay
  // pending for the next start) and run() returns at once.
  void cancel();

  // Whether every stream is connected (the monitor's): while it is, the backfill checkpoint
  // advances; when it becomes true again, the gap since the checkpoint is backfilled.
  void set_streams_connected(std::function<bool()> connected);

  // "audit" (records kept because the audit log cannot be written) and "state" (triggers the
  // database could not record).
  void add_health_checks(health::registry& health);

  service_stats stats() const;
  // Called with each completed report (the demo and the CLI print them).
  void on_report(std::function<void(const forward_report&)> handler);

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace grm::sentiment
