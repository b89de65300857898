#pragma once
// The Platform API's rate limit as one budget shared by every Genesys call of a relay (one OAuth
// token, so one limit). Every response's inin-ratelimit-count / -allowed / -reset say how much of
// the current window is used and when it ends; the budget counts the requests it lets go since,
// and makes a call wait for the next window rather than spend what a more important one needs:
//   stream      channels and subscriptions may use the whole window;
//   recovery    reconciliation and backfill leave `reserve` of it to the stream;
//   forwarding  sentiment reads and marker writes leave `reserve` to each of the others.
// A 429 (the budget was wrong, or another client shares the token) stops every priority until
// its Retry-After. Until the first answer, one request goes at a time (a burst at start could
// spend a window the relay knows nothing of); against servers that never send the headers,
// nothing waits after that.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "core/log.hpp"
#include "net/http.hpp"

namespace grm::metrics {
class registry;
}

namespace grm::genesys {

enum class api_priority : std::uint8_t { stream, recovery, forwarding };
inline constexpr api_priority all_api_priorities[] = {api_priority::stream, api_priority::recovery,
                                                      api_priority::forwarding};
std::string_view to_string(api_priority p) noexcept;  // "stream", "recovery", "forwarding"

// What one response says of the window; nullopt when any of the three headers is missing or not a number.
struct rate_limit_state {
  std::int64_t count = 0, allowed = 0, reset_s = 0;
};
std::optional<rate_limit_state> read_rate_limit(const net::http_response& r);

struct rate_budget_settings {
  double reserve = 0.1;  // of `allowed`, kept by each priority above forwarding (at least 1 request)
  // Waited past the window's announced end: the header counts whole seconds and the server's
  // clock is not ours.
  std::chrono::milliseconds margin{1000};
};

// The accounting, without clocks of its own, so it can be tested step by step.
class rate_window final {
 public:
  using time_point = std::chrono::steady_clock::time_point;
  explicit rate_window(rate_budget_settings s = {}) : settings_(s) {}

  // nullopt: the request may go now (it is counted as sent); else when to ask again.
  std::optional<time_point> admit(api_priority p, time_point now);
  // An answer to a request admitted before (`r` null: it failed before any answer).
  void observe(const net::http_response* r, time_point now);

  std::optional<std::int64_t> allowed() const noexcept { return allowed_; }
  std::int64_t used() const noexcept { return used_; }
  std::int64_t limit_for(api_priority p) const noexcept;  // the share of `allowed` p may use

 private:
  void roll(time_point now);

  rate_budget_settings settings_;
  bool answered_ = false;       // an answer came (with the headers or without)
  std::optional<std::int64_t> allowed_;
  std::int64_t used_ = 0;       // requests counted in this window: the server's count or ours, the larger
  std::int64_t in_flight_ = 0;  // admitted, not yet answered
  time_point window_end_{};     // the earliest end the headers announced for this window
  time_point previous_end_{};   // the window before (answers from it arrive late)
  bool confirmed_ = false;      // an answer placed this window (else it is assumed, after a roll)
  std::chrono::milliseconds window_length_{0};
  time_point blocked_until_{};  // a 429's Retry-After
};

class rate_budget final {
 public:
  explicit rate_budget(rate_budget_settings s = {}) : window_(s) {}

  // Waits (cancellably) until a request of priority `p` fits, then counts it as sent.
  boost::asio::awaitable<void> acquire(api_priority p);
  void observe(const net::http_response* r);  // the answer to an acquired request (null: none came)

  void set_log(log_fn log) { log_ = std::move(log); }
  // relay_genesys_ratelimit_allowed, _headroom, relay_genesys_ratelimit_waits_total{priority},
  // relay_genesys_rate_limited_total. The budget must outlive the registry's scrapes.
  void register_metrics(metrics::registry& m);

  std::optional<std::int64_t> headroom() const;  // allowed - used; nullopt before the API said
  std::uint64_t waits(api_priority p) const noexcept { return waits_[static_cast<int>(p)].load(); }
  std::uint64_t rate_limited() const noexcept { return rate_limited_.load(); }

 private:
  void publish();

  rate_window window_;
  struct sleeper {
    boost::asio::steady_timer* timer;
    bool woken = false;  // by an answer (not cancelled by the caller)
  };
  std::vector<sleeper*> sleepers_;  // acquires waiting: an answer wakes them to look again
  log_fn log_;
  std::chrono::steady_clock::time_point last_pacing_log_{};
  // Read by scrapes on another thread.
  std::atomic<std::int64_t> allowed_seen_{-1}, used_seen_{0};
  std::atomic<std::uint64_t> waits_[3]{};
  std::atomic<std::uint64_t> rate_limited_{0};
};

}  // namespace grm::genesys
