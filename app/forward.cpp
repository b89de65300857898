// `genesys-relay forward <conversationId>...` (the seed's one-shot) and the pieces the monitor
// and the demo share with it: report lines, the metrics exporter with the monitor's counters.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/use_future.hpp>
#include <fmt/format.h>

#include <csignal>
#include <iostream>

#include "commands.hpp"
#include "log_format.hpp"
#include "core/error.hpp"
#include "genesys/api.hpp"
#include "observability/metrics.hpp"
#include "sources/monitor_service.hpp"
#include "topology/service.hpp"

namespace grm::app {

namespace asio = boost::asio;

std::string report_line(const sentiment::forward_report& r, bool json) {
  if (json) return sentiment::audit_line(r);
  using sentiment::forward_outcome;
  std::string line = fmt::format("{}  {}", r.conversation_id, to_string(r.outcome));
  if (!r.polarity.empty()) line += fmt::format("  {} (confidence {:.4f})", r.polarity, r.confidence);
  if (!r.event_id.empty()) line += "  eventId " + r.event_id;
  if (r.outcome == forward_outcome::forwarded || r.outcome == forward_outcome::duplicate ||
      r.outcome == forward_outcome::accepted || r.outcome == forward_outcome::dead_lettered)
    line += "  forwardingId " + r.forwarding_id;
  for (auto& d : r.deliveries)
    if (d.type != "eventbridge" || d.state != delivery::delivery_state::delivered)
      line += "  " + d.sink + " " + (d.state == delivery::delivery_state::delivered ? d.detail : std::string(to_string(d.state)));
  if (r.alert) line += "  ALERT";
  if (!r.audit_error.empty()) line += "  AUDIT RECORD KEPT FOR A RETRY";
  if (r.outcome != forward_outcome::duplicate) line += fmt::format("  {:.1f} ms", r.latency.total);
  if (!r.reason.empty()) line += "  — " + r.reason;
  return line;
}

void add_monitor_metrics(metrics::registry& m, const sources::monitor_service& service) {
  m.add_collector([&service](metrics::exposition& x) {
    auto& c = service.counters();
    auto& s = service.stats();
    const char* kinds[] = {"start", "update", "end", "wrapup", "unknown"};
    for (std::size_t i = 0; i < c.routed.size(); ++i)
      x.counter("relay_events_routed_total", "lifecycle events handed to handlers", {{"kind", kinds[i]}},
                static_cast<double>(c.routed[i]));
    auto n = [](std::uint64_t v) { return static_cast<double>(v); };
    x.counter("relay_events_filtered_total", "dropped by the event-type / media-type filter", {}, n(c.filtered));
    x.counter("relay_events_duplicate_total", "suppressed duplicates", {}, n(c.duplicates));
    x.counter("relay_stream_errors_total", "malformed, wrongly typed or oversized input (reported, skipped)", {}, n(c.stream_errors));
    x.counter("relay_keepalives_total", "SSE keep-alives", {}, n(c.keepalives));
    x.counter("relay_heartbeats_total", "Notifications heartbeats", {}, n(c.heartbeats));
    x.counter("relay_frames_total", "frames/events read from all transports", {}, n(c.frames));
    x.counter("relay_source_connects_total", "successful connections", {}, n(s.connects));
    x.counter("relay_source_reconnects_total", "unplanned reconnects: drops, silent sockets, errors", {}, n(s.reconnects));
    x.counter("relay_channel_rotations_total", "planned: socket_closing, channel expiry", {}, n(s.rotations));
    x.counter("relay_conversations_reconciled_total", "conversations re-read after a drop", {}, n(s.reconciled));
    x.counter("relay_topics_rejected_total", "topics the API refused to subscribe", {}, n(s.rejected_topics));
    for (auto& [name, st] : s.streams) {
      x.gauge("relay_source_connected", "1 while the stream is connected, 0 while it connects or reconnects",
              {{"stream", name}}, st.connected ? 1 : 0);
      x.gauge("relay_source_consecutive_failures", "failed attempts since the stream was last connected",
              {{"stream", name}}, st.consecutive_failures);
    }
    x.gauge("relay_conversations_tracked", "active conversations in the tracker", {}, n(service.tracked_conversations()));
    x.counter("relay_oauth_tokens_issued_total", "token fetches (first and refreshes)", {}, n(service.token_refreshes()));
  });
}

int run_forward(const forward_args& args) {
  asio::io_context ioc(1);
  std::unique_ptr<topology::service> svc;
  try {
    auto layout = topology::load(args.config_path, topology::purpose::forward);
    // --no-state skips the "done once" keys; the outbox stays durable (accepted is never memory-only).
    if (args.no_state) layout.sentiment->settings.idempotency = false;
    layout.sentiment->settings.triggers.periodic = std::chrono::seconds{0};
    topology::service_hooks hooks;
    hooks.module_log = module_log;
    svc = std::make_unique<topology::service>(ioc.get_executor(), std::move(layout), topology::purpose::forward, log_line,
                                              std::move(hooks));
  } catch (const relay_error& e) {
    std::cerr << "genesys-relay forward: " << e.what() << "\n";
    return 2;
  }
  auto* service = svc->forwarding();
  const auto& state_path = svc->database().path();
  int code = 0;
  bool interrupted = false;
  std::string audit_error;
  // SIGINT/SIGTERM: stop after the conversation in hand (a wait for "not analysed yet" ends at
  // once; its trigger stays pending in the state database).
  asio::signal_set signals(ioc, SIGINT, SIGTERM);
  signals.async_wait([&](auto ec, int) {
    if (ec) return;
    interrupted = true;
    svc->stop();
  });
  bool still_delivering = false;
  // The sinks' drivers run while the conversations are forwarded and waited for.
  auto deliveries = asio::co_spawn(ioc, svc->run(), asio::use_future);
  auto done = asio::co_spawn(ioc, [&]() -> asio::awaitable<void> {
    std::exception_ptr failure;
    try {
      for (auto& id : args.conversation_ids) {
        if (interrupted) break;
        auto r = co_await service->forward(id, args.trigger, args.wait);
        std::cout << report_line(r, args.json) << std::endl;
        using sentiment::forward_outcome;
        if (r.outcome == forward_outcome::failed || r.outcome == forward_outcome::not_found ||
            r.outcome == forward_outcome::deferred || r.outcome == forward_outcome::dead_lettered)
          code = 1;
        if (r.outcome == forward_outcome::accepted) still_delivering = true;
        if (!r.audit_error.empty()) audit_error = r.audit_error;
      }
    } catch (...) {
      failure = std::current_exception();
    }
    svc->stop();  // requests in flight finish; what still retries stays in the outbox
    signals.cancel();
    if (failure) std::rethrow_exception(failure);
  }, asio::use_future);
  ioc.run();
  try {
    done.get();
  } catch (const std::exception& e) {
    std::cerr << "genesys-relay forward: " << e.what() << "\n";
    return 1;
  }
  auto waiting = service->stats().audit_waiting;
  if (!audit_error.empty()) {
    std::cerr << "genesys-relay forward: " << audit_error << "; "
              << waiting << " audit record(s) kept in " << state_path
              << " and written by the next run once the log is writable"
              << "\n";
    return 1;
  }
  deliveries.get();
  if (interrupted) {
    std::cerr << "genesys-relay forward: interrupted; a conversation waiting for its analysis stays pending and is "
                 "forwarded by the next run with the same --trigger\n";
    return 1;
  }
  if (still_delivering && code == 0) {
    std::cerr << "genesys-relay forward: some deliveries were still retrying after " << args.wait.count() / 1000
              << " s; they stay in the outbox (" << state_path
              << ") and `genesys-relay monitor` delivers them\n";
    return 4;
  }
  return code;
}

}  // namespace grm::app
