#include "genesys/rate_budget.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>

#include "net/retry.hpp"
#include "observability/metrics.hpp"

namespace grm::genesys {

namespace asio = boost::asio;
using namespace std::chrono;

namespace {

std::optional<std::int64_t> number(const net::http_response& r, std::string_view name) {
  auto v = r.header_value(name);
  if (!v) return std::nullopt;
  std::int64_t n = 0;
  auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
  if (ec != std::errc{} || end != v->data() + v->size() || n < 0) return std::nullopt;
  return n;
}

// The SDKs' default when a 429 carries no Retry-After (Java ApiClient: 3 s).
constexpr milliseconds kDefaultRetryAfter{3000};

}  // namespace

std::string_view to_string(api_priority p) noexcept {
  switch (p) {
    case api_priority::stream: return "stream";
    case api_priority::recovery: return "recovery";
    case api_priority::forwarding: return "forwarding";
  }
  return "forwarding";
}

std::optional<rate_limit_state> read_rate_limit(const net::http_response& r) {
  auto count = number(r, "inin-ratelimit-count");
  auto allowed = number(r, "inin-ratelimit-allowed");
  auto reset = number(r, "inin-ratelimit-reset");
  if (!count || !allowed || !reset || *allowed == 0) return std::nullopt;
  return rate_limit_state{*count, *allowed, *reset};
}

// --- rate_window --------------------------------------------------------------------------------

std::int64_t rate_window::limit_for(api_priority p) const noexcept {
  if (!allowed_) return INT64_MAX;
  auto a = *allowed_;
  auto reserve = std::max<std::int64_t>(1, std::llround(static_cast<double>(a) * settings_.reserve));
  switch (p) {
    case api_priority::stream: return a;
    case api_priority::recovery: return std::max<std::int64_t>(1, a - reserve);
    case api_priority::forwarding: return std::max<std::int64_t>(1, a - 2 * reserve);
  }
  return a;
}

// The window announced has ended (with the margin): a new one is assumed to start now, holding
// only what is still in flight, until the next answer confirms where the server's starts.
void rate_window::roll(time_point now) {
  if (!allowed_ || now < window_end_ + settings_.margin) return;
  previous_end_ = window_end_;
  window_end_ = now + window_length_;
  confirmed_ = false;
  used_ = in_flight_;
}

std::optional<rate_window::time_point> rate_window::admit(api_priority p, time_point now) {
  if (now < blocked_until_) return blocked_until_;
  if (!answered_ && in_flight_ > 0) return now + seconds{1};  // the first answer wakes it sooner
  roll(now);
  if (used_ >= limit_for(p)) return window_end_ + settings_.margin;
  ++used_;
  ++in_flight_;
  return std::nullopt;
}

void rate_window::observe(const net::http_response* r, time_point now) {
  in_flight_ = std::max<std::int64_t>(0, in_flight_ - 1);
  if (!r) return;
  answered_ = true;
  if (r->status == 429) {
    auto after = net::parse_retry_after(r->header_value("Retry-After").value_or(""), system_clock::now());
    blocked_until_ = std::max(blocked_until_, now + after.value_or(kDefaultRetryAfter));
  }
  auto h = read_rate_limit(*r);
  if (!h) return;
  auto end = now + seconds{h->reset_s};
  window_length_ = std::max(window_length_, duration_cast<milliseconds>(seconds{h->reset_s}));
  if (!allowed_) {  // the first answer that says
    window_end_ = end;
    confirmed_ = true;
    used_ = std::max(used_, h->count);
  } else if (!confirmed_) {
    // An answer from the window before ends near where that one did; the new window's first
    // ends a whole window later.
    if (end < previous_end_ + settings_.margin + window_length_ / 2) return;
    window_end_ = end;
    confirmed_ = true;
    used_ = std::max(used_, h->count);
  } else if (end > window_end_ + milliseconds{1500}) {
    // The server began a new window before ours ended: its count, plus what may land in it.
    window_end_ = end;
    used_ = h->count + in_flight_;
  } else {
    // Same window: the header rounds up, so the earliest end announced is the closest.
    window_end_ = std::min(window_end_, end);
    used_ = std::max(used_, h->count);
  }
  allowed_ = h->allowed;
  if (r->status == 429) used_ = std::max(used_, *allowed_);
}

// --- rate_budget --------------------------------------------------------------------------------

asio::awaitable<void> rate_budget::acquire(api_priority p) {
  bool counted = false;
  for (;;) {
    auto now = steady_clock::now();
    auto when = window_.admit(p, now);
    if (!when) break;
    if (!counted && window_.allowed()) {  // waiting for the first answer is not waiting for a window
      counted = true;
      waits_[static_cast<int>(p)].fetch_add(1);
    }
    // Only a known window is worth a pacing line: before the first answer there is nothing to report.
    if (log_ && window_.allowed() && now - last_pacing_log_ >= seconds{60}) {
      last_pacing_log_ = now;
      log_(severity::info,
           fmt::format("pacing Genesys API calls: {} of {} requests of this rate-limit window used; {} calls wait {} ms "
                       "for the next window (the stream keeps {}, reconciliation and backfill {})",
                       window_.used(), *window_.allowed(), to_string(p),
                       duration_cast<milliseconds>(*when - now).count(),
                       *window_.allowed() - window_.limit_for(api_priority::recovery),
                       window_.limit_for(api_priority::recovery) - window_.limit_for(api_priority::forwarding)));
    }
    asio::steady_timer timer(co_await asio::this_coro::executor, *when);
    sleeper self{&timer};
    sleepers_.push_back(&self);
    auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    std::erase(sleepers_, &self);
    if (ec && !self.woken) throw boost::system::system_error(ec);  // cancelled by its caller
  }
  publish();
}

void rate_budget::observe(const net::http_response* r) {
  window_.observe(r, steady_clock::now());
  if (r && r->status == 429) rate_limited_.fetch_add(1);
  publish();
  for (auto* s : sleepers_) {
    s->woken = true;
    s->timer->cancel();
  }
}

void rate_budget::publish() {
  allowed_seen_.store(window_.allowed().value_or(-1));
  used_seen_.store(window_.used());
}

std::optional<std::int64_t> rate_budget::headroom() const {
  auto a = allowed_seen_.load();
  if (a < 0) return std::nullopt;
  return std::max<std::int64_t>(0, a - used_seen_.load());
}

void rate_budget::register_metrics(metrics::registry& m) {
  m.add_collector([this](metrics::exposition& x) {
    if (auto a = allowed_seen_.load(); a >= 0) {
      x.gauge("relay_genesys_ratelimit_allowed", "Genesys API requests the current rate-limit window allows (inin-ratelimit-allowed)",
              {}, static_cast<double>(a));
      x.gauge("relay_genesys_ratelimit_headroom", "Genesys API requests left in the current rate-limit window", {},
              static_cast<double>(*headroom()));
    }
    for (auto p : all_api_priorities)
      x.counter("relay_genesys_ratelimit_waits_total", "Genesys API calls that waited for the next rate-limit window",
                {{"priority", std::string(to_string(p))}}, static_cast<double>(waits(p)));
    x.counter("relay_genesys_rate_limited_total", "Genesys API answers of 429 too.many.requests", {},
              static_cast<double>(rate_limited()));
  });
}

}  // namespace grm::genesys
