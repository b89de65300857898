#include "net/retry.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <charconv>

#include "core/time.hpp"

namespace grm::net {

namespace asio = boost::asio;
using namespace std::chrono;


bool is_retryable(error_kind kind) noexcept {
  return kind == error_kind::network || kind == error_kind::timeout ||
         kind == error_kind::rate_limited || kind == error_kind::server;
}

milliseconds backoff_delay(const retry_policy& p, int attempt, std::mt19937_64& rng) {
  auto shift = std::clamp(attempt - 1, 0, 30);
  auto ceiling = std::min<std::int64_t>(p.cap.count(), p.base.count() << shift);
  if (p.base.count() << shift < 0) ceiling = p.cap.count();  // overflow guard
  std::uniform_int_distribution<std::int64_t> dist(0, std::max<std::int64_t>(ceiling, 0));
  return milliseconds{dist(rng)};
}

std::optional<milliseconds> parse_retry_after(std::string_view v, system_clock::time_point now) {
  while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
  while (!v.empty() && v.back() == ' ') v.remove_suffix(1);
  if (v.empty()) return std::nullopt;
  if (std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    std::int64_t secs = 0;
    auto r = std::from_chars(v.data(), v.data() + v.size(), secs);
    if (r.ec != std::errc{}) return milliseconds::max();
    return duration_cast<milliseconds>(seconds{secs});
  }
  auto date = parse_http_date(v);
  if (!date) return std::nullopt;
  auto delta = duration_cast<milliseconds>(*date - now);
  return std::max(delta, milliseconds{0});
}

milliseconds delay_after(const retry_policy& p, int attempt, const http_response* response,
                         std::mt19937_64& rng) {
  if (response && (response->status == 429 || response->status == 503)) {
    if (auto h = response->header_value("Retry-After")) {
      if (auto d = parse_retry_after(*h, system_clock::now())) return std::min(*d, p.max_retry_after);
    }
  }
  return backoff_delay(p, attempt, rng);
}

asio::awaitable<void> sleep_for(milliseconds delay) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  timer.expires_after(delay);
  co_await timer.async_wait(asio::use_awaitable);
}

asio::awaitable<http_response> send_with_retry(http_client& client, http_request request,
                                               retry_policy policy, retry_observer observer) {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  for (int attempt = 1;; ++attempt) {
    bool last = policy.max_attempts > 0 && attempt >= policy.max_attempts;
    std::optional<http_response> response;
    std::string reason;
    if (observer.before_attempt) co_await observer.before_attempt();
    try {
      response = co_await client.send(request);
    } catch (const relay_error& e) {
      if (observer.after_attempt) observer.after_attempt(nullptr);
      if (last || !is_retryable(e.kind())) throw;
      reason = e.what();
    } catch (...) {  // cancellation: the budget still learns the attempt is over
      if (observer.after_attempt) observer.after_attempt(nullptr);
      throw;
    }
    if (response && observer.after_attempt) observer.after_attempt(&*response);
    if (response) {
      if (classify_status(response->status) != status_class::retryable || last) co_return *response;
      reason = "HTTP " + std::to_string(response->status);
    }
    auto delay = delay_after(policy, attempt, response ? &*response : nullptr, rng);
    if (observer.on_retry) observer.on_retry(attempt, delay, reason);
    co_await sleep_for(delay);
  }
}

}  // namespace grm::net
