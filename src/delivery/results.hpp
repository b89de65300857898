#pragma once
// What a sink's answer means, per entry and per request: the vocabulary between a sink's
// classification and the delivery driver (delivery/driver.hpp). No Asio: the sinks' codecs and
// their fuzz targets include it.
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

}  // namespace grm::delivery
