#pragma once
// The one retry policy: exponential backoff with full jitter, Retry-After honoured (seconds or
// HTTP date) on 429 and 503, retry on 408, 429, 5xx except 501 and connection errors, never on
// other 4xx. Every HTTP client and sink classifies with classify_status. `max_attempts` 0 means retry forever (the monitor's reconnect loop).
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <random>
#include <string_view>

#include "core/error.hpp"
#include "net/http.hpp"

namespace grm::net {

struct retry_policy {
  int max_attempts = 3;
  std::chrono::milliseconds base{500};
  std::chrono::milliseconds cap{30'000};
  std::chrono::milliseconds max_retry_after{300'000};  // a larger Retry-After is clamped
};

bool is_retryable(error_kind kind) noexcept;

// Full jitter: uniform in [0, min(cap, base * 2^(attempt-1))]; attempt counts from 1.
std::chrono::milliseconds backoff_delay(const retry_policy& policy, int attempt,
                                        std::mt19937_64& rng);
// Retry-After: delta-seconds or an HTTP date (relative to `now`); nullopt when unparseable.
std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view value,
                                                           std::chrono::system_clock::time_point now);
// The delay before the next attempt after `response` (Retry-After wins when present).
std::chrono::milliseconds delay_after(const retry_policy& policy, int attempt,
                                      const http_response* response, std::mt19937_64& rng);

struct retry_observer {
  // Called before sleeping: attempt just failed, the delay, and why.
  std::function<void(int attempt, std::chrono::milliseconds delay, std::string_view reason)> on_retry;
  // Awaited before each attempt (a rate budget), then told its answer (null: none came).
  std::function<boost::asio::awaitable<void>()> before_attempt;
  std::function<void(const http_response*)> after_attempt;
};

// Sends with retries. Returns the final response: a success, a non-retryable status, or the
// last retryable one when attempts ran out. Throws the last relay_error when every attempt failed
// at the transport level.
boost::asio::awaitable<http_response> send_with_retry(http_client& client, http_request request,
                                                      retry_policy policy,
                                                      retry_observer observer = {});

// Sleeps on the current coroutine's executor (cancellable).
boost::asio::awaitable<void> sleep_for(std::chrono::milliseconds delay);

}  // namespace grm::net
