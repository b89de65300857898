#pragma once
// The real-time conversation monitor: authenticates, runs the configured transports
// (Notifications WebSocket and/or the tutorial's SSE stream) into one pipeline, and routes typed
// lifecycle events to the router's handlers until stop() or a fatal error. It is given its
// Genesys session (the composition root builds it, with the credentials); it builds none.
// Threading: everything runs on the executor given; call stop() on that executor.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <functional>
#include <memory>
#include <string>

#include "genesys/api.hpp"
#include "genesys/oauth.hpp"
#include "pipeline/monitor_pipeline.hpp"
#include "sources/event_stream_sse/sse_source.hpp"
#include "sources/notifications_ws/ws_source.hpp"
#include "sources/source_context.hpp"

namespace grm::health {
class registry;
}

namespace grm::sources {

struct monitor_settings {
  reconnect_policy reconnect;
  bool use_notifications = true;
  bool use_sse = false;
  ws_source_options notifications;
  sse_source_options sse;
  pipeline::event_filter filter;      // what the notifications source passes on
  pipeline::event_filter sse_filter;  // what the sse source passes on
  std::size_t max_payload_bytes = pipeline::event_decoder::default_max_payload_bytes;
  pipeline::tracker_limits tracker;
  // A stream reconnecting for less than this is degraded, not failing: /readyz stays 200.
  std::chrono::seconds ready_reconnect_budget{30};
};

class monitor_service final {
 public:
  // `genesys` and `router` must outlive the service.
  monitor_service(boost::asio::any_io_executor executor, genesys::api_session& genesys, monitor_settings settings,
                  pipeline::event_router& router,
                  std::function<void(severity, std::string_view)> log,
                  std::function<void(const pipeline::stream_error&)> on_stream_error);
  ~monitor_service();

  // Runs until stop(); rethrows the first fatal relay_error of any transport. Fatal are only
  // refused credentials or permissions and invalid configuration: an unreachable login host or
  // API, 5xx, 429 and dropped sockets are retried forever (or monitor.max_retries times).
  boost::asio::awaitable<void> run();
  void stop();    // closes the sockets: run() returns once the transports have ended
  void cancel();  // shutdown's hard phase: cancels what the transports still wait for
  // "genesys streams": failing while any stream is connecting or reconnecting, naming each with
  // its consecutive failures, since when, and the last error.
  void add_health_checks(health::registry& health);

  const pipeline::pipeline_counters& counters() const;
  const source_stats& stats() const;
  bool streams_connected() const;  // every stream of this run is connected (false before the first)
  std::size_t tracked_conversations() const;
  std::size_t conversations_seen() const;
  std::size_t token_refreshes() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace grm::sources
