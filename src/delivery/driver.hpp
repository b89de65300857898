#pragma once
// The one delivery driver, one per sink: it takes the sink's due deliveries from the outbox,
// groups them into requests within the sink's limits, runs at most max_in_flight requests, and
// records what each entry's answer means — delivered, retry later (full-jitter backoff, or the
// service's Retry-After), or dead-lettered with the reason — until the outbox's max age, after
// which a retry is a dead letter too. A circuit breaker per sink stops sending after
// `failures_to_open` consecutive failed requests (network, timeout, 5xx, 429), probes with one
// request after `open_for` (doubling while it keeps failing, up to `max_open_for`), and closes on
// the first success. The sink itself only encodes, sends and classifies (delivery/sink.hpp).
//
// Threading: one executor. run() is a long-lived coroutine; stop() asks it to end once its
// requests are back; cancel() (shutdown's hard phase) abandons them (their rows stay pending).
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/log.hpp"
#include "observability/health.hpp"

namespace grm::metrics {
class exposition;
}

namespace grm::delivery {

class outbox;
class sink;

enum class breaker_state : std::uint8_t { closed, half_open, open };
std::string_view to_string(breaker_state s) noexcept;

struct breaker_options {
  int failures_to_open = 5;                        // consecutive failed requests
  std::chrono::milliseconds open_for{5'000};       // before the first probe
  std::chrono::milliseconds max_open_for{300'000}; // the wait doubles up to this while probes fail
  std::chrono::seconds ready_budget{300};          // open (or half-open) longer than this: not ready
};

struct driver_options {
  std::size_t max_in_flight = 4;                   // requests at once
  std::chrono::milliseconds request_timeout{30'000};  // the whole request, whatever the sink does
  std::chrono::milliseconds backoff_base{1'000};   // full jitter: random(0, min(base * 2^(n-1), cap))
  std::chrono::milliseconds backoff_cap{300'000};
  std::chrono::milliseconds max_retry_after{3'600'000};  // a longer Retry-After is clamped
  // Attempts per entry before a dead letter; 0 (the daemon's default): until the outbox's max
  // age. One-shot commands (eventbridge put) use the AWS SDKs' 3.
  int max_attempts = 0;
  breaker_options breaker;
};

struct driver_stats {
  std::uint64_t requests = 0, request_failures = 0;
  std::uint64_t delivered = 0, retried = 0, dead_lettered = 0;
  std::uint64_t breaker_opened = 0;
  std::size_t in_flight = 0;  // requests
  breaker_state breaker = breaker_state::closed;
  std::string last_error;
};

class driver final {
 public:
  // `s` and `o` must outlive the driver.
  driver(boost::asio::any_io_executor executor, std::string sink_id, sink& s, outbox& o, driver_options options,
         log_fn log = {});
  ~driver();
  driver(const driver&) = delete;
  driver& operator=(const driver&) = delete;

  boost::asio::awaitable<void> run();
  void wake();    // deliveries were accepted for this sink
  void stop();    // run() returns once its requests are back (also when called before run() starts)
  void resume();  // clears stop(): for a service that runs again in place
  void cancel();

  const std::string& sink_id() const noexcept;
  driver_stats stats() const;
  // Failing while the breaker is open, naming the sink and its last error.
  health::result health() const;
  // relay_sink_* counters and gauges labelled sink=<id>.
  void export_metrics(metrics::exposition& x) const;

 private:
  struct impl;
  std::shared_ptr<impl> impl_;
};

}  // namespace grm::delivery
