#include <random>

#include "core/error.hpp"
#include "sources/source_context.hpp"

namespace grm::sources {

bool is_fatal_for_streams(error_kind kind) noexcept { return kind == error_kind::auth || kind == error_kind::config; }

stream_failures::stream_failures(source_context& ctx, std::string name) : ctx_(ctx), name_(std::move(name)) {
  ctx_.stats.streams[name_];  // known (not connected) from the start: readiness waits for it
}

void stream_failures::connected() {
  count_ = 0;
  auto& s = ctx_.stats.streams[name_];
  s.connected = true;
  s.consecutive_failures = 0;
  s.last_error.clear();
}

bool stream_failures::worth_logging() const noexcept {
  return count_ <= 5 || (count_ <= 100 && count_ % 10 == 0) || count_ % 100 == 0;
}

std::chrono::milliseconds stream_failures::failed(const std::string& reason, const net::http_response* response) {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  ++count_;
  ++ctx_.stats.reconnects;
  auto& s = ctx_.stats.streams[name_];
  if (s.connected || s.consecutive_failures == 0) s.failing_since = std::chrono::system_clock::now();
  s.connected = false;
  s.consecutive_failures = count_;
  s.last_error = reason;
  if (ctx_.reconnect.max_retries > 0 && count_ > ctx_.reconnect.max_retries)
    throw relay_error(error_kind::network, name_ + ": gave up after " + std::to_string(ctx_.reconnect.max_retries) +
                                               " reconnect attempts (monitor.max_retries); last error: " + reason);
  return net::delay_after(ctx_.reconnect.backoff, count_, response, rng);
}

}  // namespace grm::sources
