// `genesys-relay demo`: the simulator in-process, the monitor against it over both transports
// (TLS verified against the simulator's own certificate), a schedule of faults, the live view
// (metrics::render_top_frame over the relay's own registry; the log goes to a file) and a summary
// table at the end with the files to look at. Chat and message conversations that end go through
// the sentiment forwarder to the AWS emulator (SigV4 verified) and a CRM webhook receiver, with
// escalation alerts to a second webhook and an audit log.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>

#include "commands.hpp"
#include "log_format.hpp"
#include "core/error.hpp"
#include "observability/health.hpp"
#include "observability/metrics.hpp"
#include "observability/scrape.hpp"
#include "observability/top_view.hpp"
#include "sim/aws_emulator.hpp"
#include "sim/forwarding_targets.hpp"
#include "sim/genesys_sim.hpp"
#include "sim/webhook_receiver.hpp"
#include "sources/monitor_service.hpp"
#include "topology/service.hpp"

namespace grm::app {

namespace asio = boost::asio;
using namespace std::chrono;

namespace {

struct scheduled_fault {
  double at;  // fraction of the run
  const char* what;
  std::function<void(sim::genesys_simulator&)> inject;
};

std::vector<scheduled_fault> fault_plan() {
  return {
      {0.25, "socket_closing (planned channel rotation)", [](auto& s) { s.send_socket_closing(); }},
      {0.40, "malformed, wrong-typed and oversized events", [](auto& s) {
         s.inject_malformed();
         s.inject_wrong_types();
         s.inject_oversized(300 * 1024);
       }},
      {0.50, "429 Too Many Requests with Retry-After: 1", [](auto& s) { s.rate_limit_next(2, 1); }},
      {0.55, "token revocation (401 on the next call)", [](auto& s) { s.revoke_tokens(); }},
      {0.60, "WebSocket dropped, reconnect refused for 1.5 s", [](auto& s) {
         s.refuse_websockets_for(milliseconds{1500});
         s.drop_sockets();
       }},
      {0.75, "SSE byte-by-byte delivery for 1 s", [](auto& s) { s.slow_delivery(true); }},
      {0.80, "SSE back to normal delivery", [](auto& s) { s.slow_delivery(false); }},
  };
}

// The demo's service: both transports from the simulator (its certificate trusted explicitly),
// chat ends to the sentiment transform, its payloads to EventBridge (the emulator), the CRM and
// the marker, its alerts to EventBridge and an alert webhook.
topology::plan demo_plan(const sim::genesys_simulator& s, const sim::sim_options& o, const sim::aws_emulator& aws,
                         const sim::webhook_receiver& crm, const sim::webhook_receiver& alerts, const std::string& dir) {
  auto p = sim::forwarding_plan(aws, crm, "/crm/sentiment");
  p.genesys = sim::connect_to(s, o);
  p.genesys.api_retry.base = milliseconds{200};
  auto& m = p.monitor;
  m.use_notifications = true;
  m.use_sse = true;
  for (auto& q : o.queue_ids) m.notifications.topics.push_back("v2.routing.queues." + q + ".conversations");
  for (auto& u : o.user_ids) m.notifications.topics.push_back("v2.users." + u + ".conversations");
  m.notifications.heartbeat_timeout = milliseconds{5000};
  m.notifications.overlap = milliseconds{1000};
  m.sse.query_json = sources::default_sse_query({}, {});
  m.reconnect.max_retries = 0;
  m.reconnect.backoff.base = milliseconds{200};
  m.reconnect.backoff.cap = milliseconds{2000};
  p.sources.push_back({"notifications", sources::transport::notifications, {}, o.queue_ids});
  p.sources.push_back({"sse", sources::transport::sse, {}, {}});
  p.sentiment->inputs = {"notifications", "sse"};
  p.sentiment->settings.triggers.retry_after = milliseconds{1000};
  p.sinks.push_back(sim::webhook_sink("alert_webhook", alerts, "/alerts", {"sentiment.alerts"}, sinks::webhook::body_shape::raw));
  p.audit.path = dir + "/audit.jsonl";
  p.delivery.state_path = dir + "/state.db";
  return p;
}

}  // namespace

int run_demo(const demo_args& args) {
  sim::sim_options o;
  o.heartbeat_interval = milliseconds{1000};
  o.socket_closing_grace = milliseconds{2000};
  o.start_interval = milliseconds{100};
  o.stage_interval = milliseconds{300};
  o.api_rate_limit = 300;  // per token per minute, the figure commonly quoted for Genesys Cloud
  sim::genesys_simulator simulator(o);
  auto dir = (std::filesystem::temp_directory_path() / ("genesys-relay-demo-" + std::to_string(::getpid()))).string();
  std::filesystem::create_directories(dir);
  sim::aws_emulator_options ao;
  ao.events_file = dir + "/eventbridge-events.jsonl";
  sim::aws_emulator aws(ao);
  sim::webhook_receiver crm(0, dir + "/crm-posts.jsonl"), alerts(0, dir + "/alert-posts.jsonl");
  // The relay's log goes to a file: the terminal shows the live view.
  auto log_path = dir + "/relay.log";
  auto previous_logger = spdlog::default_logger();
  spdlog::set_default_logger(spdlog::basic_logger_mt("genesys-relay.demo", log_path, true));
  spdlog::default_logger()->set_level(previous_logger->level());
  spdlog::flush_every(std::chrono::seconds{1});
  std::ofstream(dir + "/dlq.toml") << "# for `genesys-relay dlq list -c` on the demo's state\n[state]\npath = \"" << dir << "/state.db\"\n";
  std::cerr << "genesys-relay demo: the simulated org " << simulator.https_url() << ", the AWS emulator " << aws.https_url()
            << ", a CRM webhook and an alert webhook on loopback; the relay's log: " << log_path << "\n";

  asio::io_context ioc(1);
  metrics::registry registry;
  health::registry health;
  std::array<std::uint64_t, 5> by_source_ws{}, by_source_sse{};
  std::map<std::string, int> outcomes;
  topology::service_hooks hooks;
  hooks.metrics = &registry;
  hooks.module_log = module_log;
  hooks.health = &health;
  hooks.on_event = [&](const lifecycle_event& e) {
    bool sse = fields_of(e).origin.starts_with("sse:");
    (sse ? by_source_sse : by_source_ws)[e.index()]++;
    if (args.json) std::cout << event_line(e, true) << '\n';
  };
  hooks.on_stream_error = print_stream_error;
  hooks.on_report = [&](const sentiment::forward_report& r) { ++outcomes[std::string(to_string(r.outcome))]; };
  topology::service relay(ioc.get_executor(), demo_plan(simulator, o, aws, crm, alerts, dir), topology::purpose::monitor,
                          log_line, std::move(hooks));
  auto& service = *relay.monitor();
  auto& forwarding = *relay.forwarding();
  add_monitor_metrics(registry, service);
  bool live = !args.json && ::isatty(STDOUT_FILENO);
  std::optional<metrics::scrape> before;
  std::string last_fault = "none yet";
  auto total = duration<double>(args.duration_s);
  auto started = steady_clock::now();
  auto faults = fault_plan();
  std::size_t next_fault = 0;
  bool failed = false;
  std::string failure;

  asio::signal_set signals(ioc, SIGINT, SIGTERM);
  // Like `monitor`: stop() lets work in flight finish, but only for shutdown_timeout_s; then what
  // is unfinished is abandoned (pending in the demo's state), so the demo ends in bounded time.
  asio::steady_timer deadline(ioc);
  auto finish = [&] {
    relay.stop();
    deadline.expires_after(relay.layout().shutdown_timeout);
    deadline.async_wait([&](auto ec) {
      if (!ec) relay.cancel();
    });
  };
  signals.async_wait([&](auto ec, int) {
    if (!ec) finish();
  });
  asio::co_spawn(ioc, relay.run(), [&](std::exception_ptr e) {
    signals.cancel();
    deadline.cancel();
    if (!e) return;
    failed = true;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& err) {
      failure = err.what();
    }
  });
  auto draw = [&](double interval_s, bool whole_run) {
    auto now = metrics::parse_scrape(registry.render());
    auto elapsed = duration<double>(steady_clock::now() - started).count();
    auto status = whole_run ? fmt::format("finished after {:.1f} s; faults injected {} of {}", elapsed, next_fault, faults.size())
                            : fmt::format("{:.0f} s of {:.0f} s; faults injected {} of {} (last: {})", elapsed, args.duration_s,
                                          next_fault, faults.size(), last_fault);
    auto frame = metrics::render_top_frame({"demo: the simulated org, the AWS emulator, a CRM", before ? &*before : nullptr, &now,
                                            interval_s, status, false, whole_run});
    std::cout << (live ? "\x1b[H\x1b[2J" : "") << frame << (live ? "" : "\n") << std::flush;
    before = std::move(now);
  };
  asio::co_spawn(ioc, [&]() -> asio::awaitable<void> {
    asio::steady_timer t(ioc);
    while (!failed) {
      t.expires_after(milliseconds{250});
      co_await t.async_wait(asio::use_awaitable);
      double frac = duration<double>(steady_clock::now() - started) / total;
      while (next_fault < faults.size() && frac >= faults[next_fault].at) {
        spdlog::warn("demo: injecting fault: {}", faults[next_fault].what);
        faults[next_fault].inject(simulator);
        last_fault = faults[next_fault].what;
        ++next_fault;
      }
      static int ticks = 0;
      // The live view: every second on a terminal (drawn in place), every 5 s otherwise.
      if (!args.json && ++ticks % (live ? 4 : 20) == 0) draw(live ? 1.0 : 5.0, false);
      if (frac >= 1.0) {
        finish();
        co_return;
      }
    }
  }, asio::detached);
  ioc.run();
  if (!args.json) {  // the final state, with rates averaged over the whole run (from an empty scrape)
    before.emplace();
    draw(duration<double>(steady_clock::now() - started).count(), true);
  }

  auto& c = service.counters();
  auto& st = service.stats();
  auto sim_stats = simulator.stats();
  std::cout << "\n== genesys-relay demo summary (" << args.duration_s << " s) ==\n";
  std::cout << fmt::format("{:<12}{:>16}{:>12}{:>10}\n", "event", "notifications", "sse", "total");
  const char* names[] = {"start", "update", "end", "wrapup", "unknown"};
  for (std::size_t i = 0; i < 5; ++i)
    std::cout << fmt::format("{:<12}{:>16}{:>12}{:>10}\n", names[i], by_source_ws[i], by_source_sse[i], c.routed[i]);
  std::cout << fmt::format("{:<40}{:>10}\n", "conversations seen", service.conversations_seen())
            << fmt::format("{:<40}{:>10}\n", "conversations published by the sim", sim_stats.conversations_started)
            << fmt::format("{:<40}{:>10}\n", "connections", st.connects)
            << fmt::format("{:<40}{:>10}\n", "reconnects (drops, errors)", st.reconnects)
            << fmt::format("{:<40}{:>10}\n", "channel rotations (no gap)", st.rotations)
            << fmt::format("{:<40}{:>10}\n", "conversations reconciled after drop", st.reconciled)
            << fmt::format("{:<40}{:>10}\n", "duplicates suppressed", c.duplicates)
            << fmt::format("{:<40}{:>10}\n", "keep-alives / heartbeats skipped", c.keepalives + c.heartbeats)
            << fmt::format("{:<40}{:>10}\n", "stream errors (bad input, kept going)", c.stream_errors)
            << fmt::format("{:<40}{:>10}\n", "tokens issued (refresh after 401)", service.token_refreshes())
            << fmt::format("{:<40}{:>10}\n", "API requests (limit 300/min per token)", sim_stats.api_requests)
            << fmt::format("{:<40}{:>10}\n", "429s answered (the injected fault included)", sim_stats.rate_limited);
  std::cout << "\n-- sentiment forwarding (chat/message conversations that ended) --\n";
  for (auto name : {"forwarded", "below-threshold", "not-analysed", "no-transcript", "not-found", "duplicate", "failed"})
    std::cout << fmt::format("{:<40}{:>10}\n", name, outcomes[name]);
  auto fs = forwarding.stats();
  std::cout << fmt::format("{:<40}{:>10}\n", "events accepted by EventBridge (SigV4)", aws.stats().accepted)
            << fmt::format("{:<40}{:>10}\n", "CRM webhook posts", crm.received().size())
            << fmt::format("{:<40}{:>10}\n", "escalation alerts (webhook)", alerts.received().size())
            << fmt::format("{:<40}{:>10}\n", "left pending for the next run", fs.pending);
  spdlog::default_logger()->flush();
  spdlog::set_default_logger(previous_logger);
  std::cout << "\n-- files to look at --\n"
            << "  the relay's log:                 " << log_path << "\n"
            << "  the audit log (one line each):   " << dir << "/audit.jsonl\n"
            << "  what EventBridge accepted:       " << ao.events_file << "\n"
            << "  what the CRM received:           " << dir << "/crm-posts.jsonl (alerts: alert-posts.jsonl)\n"
            << "  dead letters:                    genesys-relay dlq list -c " << dir << "/dlq.toml\n"
            << "\n-- to point it at a real org and a real AWS account --\n"
            << "  genesys-relay generate-config --for real-org -o relay.toml   # then set the region and queue ids\n"
            << "  export GENESYSCLOUD_OAUTHCLIENT_ID=... GENESYSCLOUD_OAUTHCLIENT_SECRET=... CRM_WEBHOOK_TOKEN=...\n"
            << "  # AWS: the default chain (AWS_PROFILE, SSO, a role, instance or container credentials)\n"
            << "  genesys-relay validate -c relay.toml --check-connectivity\n"
            << "  genesys-relay monitor -c relay.toml      # and `genesys-relay top` beside it\n";
  if (failed) {
    std::cout << "demo failed: " << failure << "\n";
    return 1;
  }
  return 0;
}

}  // namespace grm::app
