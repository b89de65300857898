#pragma once
// Lifecycle events to sinks (a sink whose inputs name a source or a filter): each event becomes
// one outbox message of kind "lifecycle" for those sinks. From the outbox on it is delivered or
// dead-lettered like any message; before it, it waits in a bounded queue (the group commit
// takes a turn of the event loop). A full queue drops the event with a log line and
// relay_lifecycle_dropped_total: Genesys notifications are not durable upstream either, and a
// stream must never block on a sink. The idempotency key is derived from the event (conversation,
// kind, time, event type), so the same event seen on both transports, or after a reconnection,
// carries the same key to the consumer.
//
// Threading: one executor; publish() never blocks.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/events.hpp"
#include "core/log.hpp"

namespace grm::delivery {
class outbox;
}
namespace grm::metrics {
class registry;
}

namespace grm::pipeline {

// The message payload for a lifecycle event (one JSON object) and its derived key.
std::string lifecycle_payload(const lifecycle_event& e, const std::string& event_id);
std::string lifecycle_event_id(const lifecycle_event& e);  // a UUID (version 8) from the event's identity

struct publish_stats {
  std::uint64_t published = 0, dropped = 0;
  std::size_t queued = 0;
};

class lifecycle_publisher final {
 public:
  lifecycle_publisher(boost::asio::any_io_executor executor, delivery::outbox& box, std::size_t max_queued, log_fn log);
  ~lifecycle_publisher();
  lifecycle_publisher(const lifecycle_publisher&) = delete;
  lifecycle_publisher& operator=(const lifecycle_publisher&) = delete;

  void publish(const lifecycle_event& e, const std::vector<std::string>& sinks);
  boost::asio::awaitable<void> run();  // accepts queued events into the outbox until stop()
  void stop();                         // run() returns once the queue is written
  void register_metrics(metrics::registry& m);
  publish_stats stats() const;

 private:
  struct impl;
  static boost::asio::awaitable<void> writer(std::shared_ptr<impl> self);
  std::shared_ptr<impl> impl_;
};

}  // namespace grm::pipeline
