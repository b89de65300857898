#pragma once
// What a sink is (Vector's split): it encodes a batch, sends one request and classifies the
// answer — per entry delivered / retry / rejected with the reason, or a failure of the request as
// a whole — and may report its own health. Batching, retries with the shared backoff, timeouts,
// concurrency, the circuit breaker, dead letters and the outbox belong to delivery/driver.hpp,
// written once for every sink.
#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "delivery/results.hpp"
#include "delivery/outbox.hpp"
#include "observability/health.hpp"

namespace grm::delivery {

// `validate --check-connectivity`: one harmless call that shows the sink can be reached and takes
// our credentials, without delivering anything.
enum class probe_outcome : std::uint8_t { reachable, failed, not_checked };
struct probe_result {
  probe_outcome outcome = probe_outcome::not_checked;
  std::string detail;  // what was called and what it answered; no secrets
};

class sink {
 public:
  virtual ~sink() = default;
  virtual batch_limits limits() const = 0;
  // The size the limits' max_bytes counts (EventBridge: AWS's entry-size formula).
  virtual std::size_t entry_size(const entry& e) const { return e.msg.payload.size(); }
  // One request for these entries. Throws relay_error when there is no answer (its kind decides
  // whether that is retried); any other exception is a rejection of the batch.
  virtual boost::asio::awaitable<send_result> send(const std::vector<const entry*>& batch) = 0;
  // What only the sink knows (credentials that cannot be had, ...); the driver adds its breaker.
  virtual health::result health() const { return {}; }
  // Throws relay_error when there is no answer (the caller reports its message).
  virtual boost::asio::awaitable<probe_result> probe() { co_return probe_result{probe_outcome::not_checked, "nothing to call"}; }
};

}  // namespace grm::delivery
