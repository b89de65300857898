#pragma once
// Delivery as one running thing: the outbox, the dead letters, and one driver per named sink.
// The composition root (src/topology) adds the sinks it built; stages accept messages into
// outbox() and register a finaliser for the message kinds they own ("sentiment", "alert": the
// forwarder writes the audit record and finishes the key). A final message of a kind nobody
// registered ("lifecycle") is simply dropped once every sink is done with it.
//
// Threading: one executor. run() until stop(); stop() lets requests in flight finish (the rest
// stays in the outbox), cancel() abandons them (still pending for the next start).
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/log.hpp"
#include "delivery/dead_letters.hpp"
#include "delivery/driver.hpp"
#include "delivery/outbox.hpp"

namespace grm::metrics {
class registry;
}
namespace grm::health {
class registry;
}

namespace grm::delivery {

class database;
class sink;

// What became of one replayed dead letter.
struct replay_report {
  std::int64_t dead_letter = 0;
  std::string sink;
  delivery_state state = delivery_state::pending;  // pending: still retrying at the deadline
  std::string detail;  // the sink's id for it, the new dead-letter reason, or why it was not replayed
  bool replayed = false;  // false: not accepted (its sink is not in this configuration)
};

class delivery_service final {
 public:
  // `db` must outlive the service.
  delivery_service(boost::asio::any_io_executor executor, database& db, outbox_limits limits, log_fn log);
  ~delivery_service();
  delivery_service(const delivery_service&) = delete;
  delivery_service& operator=(const delivery_service&) = delete;

  // Before run(). The service owns the sink; `id` is what the outbox rows and metrics name.
  void add_sink(std::string id, std::unique_ptr<sink> s, driver_options options);
  bool has_sink(std::string_view id) const;
  std::vector<std::string> sink_ids() const;

  outbox& box();
  dead_letters& dlq();
  void on_final(std::string kind, outbox::finaliser f);

  boost::asio::awaitable<void> run();  // finalises what the last run left, then the drivers until stop()
  void stop();
  void cancel();
  void resume();  // clears stop(): for a service that runs again in place

  // Dead letters back through the outbox to their sink, with their forwardingId (marked replayed
  // in the same commit); waits for each to be final or `wait` to pass (run() must run meanwhile).
  boost::asio::awaitable<std::vector<replay_report>> replay(dead_letter_filter which, std::chrono::milliseconds wait);

  // "outbox" (full) and "sink <id>" (its breaker open, or what the sink reports).
  void add_health_checks(health::registry& health);
  void register_metrics(metrics::registry& m);  // relay_outbox_*, relay_sink_*{sink}
  std::size_t requests_in_flight() const;
  outbox_stats stats() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace grm::delivery
