#pragma once
// The seam between the delivery layer and a sink (Vector's split): a sink only encodes a batch,
// sends one request and classifies the result; batching, retries with the shared backoff,
// concurrency limits and dead-lettering belong to delivery/batcher.hpp, written once.
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"

namespace grm::delivery {

enum class verdict : std::uint8_t { delivered, retry, rejected };

// What happened to one entry of a request the service answered.
struct entry_result {
  verdict what = verdict::delivered;
  std::string id;       // the service's id for a delivered entry (EventBridge EventId)
  std::string code;     // the service's error code otherwise (ThrottlingException, ...)
  std::string message;  // and its message, verbatim
  unsigned status = 0;  // the HTTP status that carried it, when it matters (a dead letter keeps it)
};

// A request the service refused as a whole (or that never got an answer).
struct request_failure {
  bool retryable = false;
  std::string code;
  std::string message;
  std::optional<std::chrono::milliseconds> retry_after;  // the service asked for this delay
  error_kind kind = error_kind::server;  // what the dead-letter table records
  unsigned status = 0;                   // the HTTP status, 0 when there was no answer
};

struct send_result {
  std::vector<entry_result> entries;  // same order and size as the batch, when no failure
  std::optional<request_failure> failure;
};

struct batch_limits {
  std::size_t max_entries = 1;
  std::size_t max_bytes = 0;  // largest accepted sum of entry_size() per request; 0: no limit
};

template <class Entry>
class batch_sink {
 public:
  virtual ~batch_sink() = default;
  virtual batch_limits limits() const = 0;
  virtual std::size_t entry_size(const Entry& entry) const = 0;
  // Sends one request; throws relay_error when there is no answer (the kind decides retrying).
  virtual boost::asio::awaitable<send_result> send(const std::vector<const Entry*>& batch) = 0;
};

// The final word on one submitted entry.
struct outcome {
  bool delivered = false;
  std::string id;
  std::string code;     // why it was rejected: the service's code, or ours (OversizedEntry, ...)
  std::string message;
  int attempts = 0;     // requests that carried this entry
};

struct delivery_options {
  std::chrono::milliseconds linger{20};  // while requests are in flight, a non-full batch waits at most this long
  std::size_t max_in_flight = 4;         // concurrent requests
  std::size_t max_queued = 10'000;       // submit() waits when this many are waiting to be sent
  int max_attempts = 3;                  // per entry, counting the first (AWS standard mode)
  std::chrono::milliseconds backoff_base{1000};  // full jitter: random(0, min(base*2^(n-1), cap))
  std::chrono::milliseconds backoff_cap{20'000};
};

struct delivery_stats {
  std::uint64_t submitted = 0;
  std::uint64_t delivered = 0;
  std::uint64_t rejected = 0;
  std::uint64_t requests = 0;
  std::uint64_t request_failures = 0;
  std::uint64_t entries_retried = 0;
  std::uint64_t full_batches = 0;     // closed on count or size
  std::uint64_t linger_batches = 0;   // closed by the linger time or a drain
};

}  // namespace grm::delivery
