#include "sources/monitor_service.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "genesys/api.hpp"

namespace grm::sources {

namespace asio = boost::asio;

struct monitor_service::impl {
  impl(asio::any_io_executor ex, monitor_settings s, pipeline::event_router& router,
       std::function<void(severity, std::string_view)> log_fn,
       std::function<void(const pipeline::stream_error&)> on_error)
      : settings(std::move(s)), log(std::move(log_fn)),
        genesys(ex, settings.http, settings.login_base, settings.api_base, settings.credentials, settings.api_retry),
        pipe(router, settings.filter, std::move(on_error), settings.max_payload_bytes,
             settings.tracker) {}

  monitor_settings settings;
  std::function<void(severity, std::string_view)> log;
  genesys::api_session genesys;
  pipeline::monitor_pipeline pipe;
  shutdown_signal shutdown;
  source_stats stats;

  source_context context() {
    return source_context{genesys.http, genesys.tokens, genesys.api, pipe, shutdown, settings.reconnect, stats, log};
  }
};

monitor_service::monitor_service(asio::any_io_executor executor, monitor_settings settings,
                                 pipeline::event_router& router,
                                 std::function<void(severity, std::string_view)> log,
                                 std::function<void(const pipeline::stream_error&)> on_stream_error)
    : impl_(std::make_unique<impl>(std::move(executor), std::move(settings), router, std::move(log),
                                   std::move(on_stream_error))) {}

monitor_service::~monitor_service() = default;

asio::awaitable<void> monitor_service::run() {
  auto& s = *impl_;
  auto ex = co_await asio::this_coro::executor;
  // Authenticate first, so wrong credentials fail fast with one precise message.
  co_await s.genesys.tokens.access_token();
  s.log(severity::info, "authenticated as OAuth client '" + s.genesys.tokens.client_id() + "'");
  std::size_t running = 0;
  std::exception_ptr first_error;
  asio::steady_timer all_done(ex, std::chrono::steady_clock::time_point::max());
  auto finished = [&](std::exception_ptr e) {
    if (e && !first_error) {
      first_error = e;
      s.shutdown.request();  // a fatal error in one transport stops the others
    }
    if (--running == 0) all_done.cancel();
  };
  if (s.settings.use_notifications) {
    ++running;
    asio::co_spawn(ex, run_notifications_source(s.context(), s.settings.notifications), finished);
  }
  if (s.settings.use_sse) {
    ++running;
    asio::co_spawn(ex, run_sse_source(s.context(), s.settings.sse), finished);
  }
  while (running > 0) co_await all_done.async_wait(asio::as_tuple(asio::use_awaitable));
  if (first_error) std::rethrow_exception(first_error);
}

void monitor_service::stop() { impl_->shutdown.request(); }
const pipeline::pipeline_counters& monitor_service::counters() const { return impl_->pipe.counters(); }
const source_stats& monitor_service::stats() const { return impl_->stats; }
std::size_t monitor_service::tracked_conversations() const { return impl_->pipe.tracker().active_count(); }
std::size_t monitor_service::conversations_seen() const { return impl_->pipe.tracker().seen_count(); }
std::size_t monitor_service::token_refreshes() const { return impl_->genesys.tokens.refresh_count(); }
genesys::api_client& monitor_service::api() { return impl_->genesys.api; }

}  // namespace grm::sources
