#include "sources/monitor_service.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>

#include "core/task_group.hpp"
#include "core/time.hpp"
#include "genesys/api.hpp"
#include "observability/health.hpp"

namespace grm::sources {

namespace asio = boost::asio;

struct monitor_service::impl {
  impl(genesys::api_session& session, monitor_settings s, pipeline::event_router& router,
       std::function<void(severity, std::string_view)> log_fn,
       std::function<void(const pipeline::stream_error&)> on_error)
      : settings(std::move(s)), log(std::move(log_fn)),
        genesys(session),
        pipe(router, settings.filter, settings.sse_filter, std::move(on_error), settings.max_payload_bytes,
             settings.tracker) {}

  monitor_settings settings;
  std::function<void(severity, std::string_view)> log;
  genesys::api_session& genesys;
  pipeline::monitor_pipeline pipe;
  shutdown_signal shutdown;
  source_stats stats;
  task_group* running = nullptr;  // the transports while run() runs

  asio::awaitable<bool> authenticate();  // false: shutdown came first

  source_context context() {
    return source_context{genesys.http, genesys.tokens, genesys.api, pipe, shutdown, settings.reconnect, stats, log};
  }
};

monitor_service::monitor_service(asio::any_io_executor, genesys::api_session& genesys, monitor_settings settings,
                                 pipeline::event_router& router,
                                 std::function<void(severity, std::string_view)> log,
                                 std::function<void(const pipeline::stream_error&)> on_stream_error)
    : impl_(std::make_unique<impl>(genesys, std::move(settings), router, std::move(log), std::move(on_stream_error))) {}

monitor_service::~monitor_service() = default;

// Authenticate first, so wrong credentials fail fast with one precise message; a login host
// that cannot be reached is an outage like any other and is waited out.
asio::awaitable<bool> monitor_service::impl::authenticate() {
  auto ctx = context();
  stream_failures failures(ctx, "authentication");
  while (!shutdown.requested()) {
    std::string reason;
    try {
      co_await genesys.tokens.access_token();
      failures.connected();
      log(severity::info, "authenticated as OAuth client '" + genesys.tokens.client_id() + "'");
      co_return true;
    } catch (const relay_error& e) {
      if (is_fatal_for_streams(e.kind())) throw;
      reason = e.what();
    }
    auto delay = failures.failed(reason);
    if (failures.worth_logging())
      log(severity::warn, "authentication: " + reason + "; trying again in " + std::to_string(delay.count()) +
                              " ms (failure " + std::to_string(failures.count()) + ")");
    co_await shutdown.sleep(delay);
  }
  co_return false;
}

asio::awaitable<void> monitor_service::run() {
  auto& s = *impl_;
  auto ex = co_await asio::this_coro::executor;
  bool authenticated = co_await s.authenticate();  // apart: GCC 12 miscompiles an await in a condition
  if (!authenticated) co_return;
  s.stats.streams.erase("authentication");
  // A fatal error in one transport stops the others; run() rethrows it.
  task_group transports(ex, [&s](std::string_view, std::exception_ptr) { s.shutdown.request(); });
  s.running = &transports;
  struct forget {
    impl& s;
    ~forget() { s.running = nullptr; }
  } guard{s};
  if (s.settings.use_notifications) transports.spawn("notifications", run_notifications_source(s.context(), s.settings.notifications));
  if (s.settings.use_sse) transports.spawn("sse", run_sse_source(s.context(), s.settings.sse));
  co_await transports.join();
  if (auto e = transports.first_error()) std::rethrow_exception(e);
}

void monitor_service::cancel() {
  impl_->shutdown.request();
  if (impl_->running) impl_->running->cancel();
}

void monitor_service::add_health_checks(health::registry& health) {
  auto* d = impl_.get();
  health.add("genesys streams", [d] {
    std::string failing;
    bool beyond_budget = false;
    auto budget = d->settings.ready_reconnect_budget;
    for (auto& [name, st] : d->stats.streams) {
      if (st.connected) continue;
      // Never connected yet ("connecting"), or down for longer than the budget: not ready.
      beyond_budget = beyond_budget || st.consecutive_failures == 0 || std::chrono::system_clock::now() - st.failing_since > budget;
      if (!failing.empty()) failing += "; ";
      failing += name + (st.consecutive_failures == 0
                             ? ": connecting"
                             : ": reconnecting after " + std::to_string(st.consecutive_failures) + " failure(s) since " +
                                   format_rfc3339(std::chrono::time_point_cast<std::chrono::milliseconds>(st.failing_since)) +
                                   "; last error: " + st.last_error);
    }
    if (d->stats.streams.empty()) failing = "not started";
    if (failing.empty()) return health::result{};
    if (d->stats.streams.empty() || beyond_budget) return health::result{health::status::failing, failing};
    return health::result{health::status::degraded, failing + " (within monitor.ready_reconnect_budget_s = " +
                                                        std::to_string(budget.count()) + ")"};
  });
}

void monitor_service::stop() { impl_->shutdown.request(); }
const pipeline::pipeline_counters& monitor_service::counters() const { return impl_->pipe.counters(); }
const source_stats& monitor_service::stats() const { return impl_->stats; }
bool monitor_service::streams_connected() const {
  auto& streams = impl_->stats.streams;
  return !streams.empty() && std::all_of(streams.begin(), streams.end(), [](auto& s) { return s.second.connected; });
}
std::size_t monitor_service::tracked_conversations() const { return impl_->pipe.tracker().active_count(); }
std::size_t monitor_service::conversations_seen() const { return impl_->pipe.tracker().seen_count(); }
std::size_t monitor_service::token_refreshes() const { return impl_->genesys.tokens.refresh_count(); }

}  // namespace grm::sources
