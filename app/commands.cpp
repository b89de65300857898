#include "commands.hpp"
#include "log_format.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/object.hpp>
#include <spdlog/spdlog.h>

#include <csignal>
#include <fstream>
#include <iostream>
#include <thread>

#include "core/error.hpp"
#include "net/sse_dump.hpp"
#include "observability/health.hpp"
#include "observability/metrics.hpp"
#include "observability/metrics_server.hpp"
#include "net/sse_parser.hpp"
#include "sim/aws_emulator.hpp"
#include "sim/connect_proxy.hpp"
#include "sim/genesys_sim.hpp"
#include "sim/sentiment_data.hpp"
#include "sim/webhook_receiver.hpp"
#include "sources/monitor_service.hpp"
#include "topology/service.hpp"

namespace grm::app {

namespace asio = boost::asio;

void log_line(sources::severity s, std::string_view m) {
  switch (s) {
    case sources::severity::debug: spdlog::debug("{}", m); break;
    case sources::severity::info: spdlog::info("{}", m); break;
    case sources::severity::warn: spdlog::warn("{}", m); break;
    case sources::severity::error: spdlog::error("{}", m); break;
  }
}

void serve_until_signal(std::optional<double> duration_s) {
  asio::io_context ioc(1);
  asio::signal_set signals(ioc, SIGINT, SIGTERM);
  signals.async_wait([](auto, int) {});
  std::optional<asio::steady_timer> stop_timer;
  if (duration_s) {
    stop_timer.emplace(ioc, std::chrono::milliseconds{static_cast<std::int64_t>(*duration_s * 1000)});
    stop_timer->async_wait([&](auto) { signals.cancel(); });
  }
  ioc.run_one();
}

void print_stream_error(const pipeline::stream_error& e) {
  constexpr std::size_t kShown = 200;  // a huge payload is summarised, not dumped
  std::string raw = e.raw.size() > kShown ? e.raw.substr(0, kShown) + "...(" + std::to_string(e.raw.size()) + " bytes)" : e.raw;
  spdlog::warn("[STREAM ERROR] {} ({}); raw: {}", e.message, e.origin, raw);
}

std::string event_line(const lifecycle_event& e, bool json) {
  const auto& f = fields_of(e);
  if (json) {
    return boost::json::serialize(boost::json::object{
        {"type", to_string(kind_of(e))}, {"eventType", f.event_type},
        {"conversationId", f.conversation_id}, {"timestamp", f.timestamp},
        {"mediaType", f.media_type}, {"origin", f.origin}});
  }
  std::string tag = std::string(to_string(kind_of(e)));
  for (auto& c : tag) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return "[" + tag + "] conversation " + f.conversation_id + " (" + (f.media_type.empty() ? "?" : f.media_type) +
         ") at " + f.timestamp + " via " + f.origin;
}

int run_monitor(const monitor_args& args) {
  asio::io_context ioc(1);
  metrics::registry registry;
  health::registry health;
  std::unique_ptr<topology::service> service;
  std::unique_ptr<metrics::metrics_server> scrape;
  topology::plan layout;
  try {
    layout = topology::load(args.config_path, topology::purpose::monitor);
    bool json = args.json || layout.json_output;
    topology::service_hooks hooks{&registry, &health,
                                  // a live monitor: flush each line
                                  [json](const lifecycle_event& e) { std::cout << event_line(e, json) << std::endl; },
                                  print_stream_error, {}, module_log};
    auto listen = layout.metrics_listen;
    auto token = layout.metrics_token;
    if (auto exposed = layout.metrics_exposure()) spdlog::warn("{}", *exposed);
    service = std::make_unique<topology::service>(ioc.get_executor(), std::move(layout), topology::purpose::monitor, log_line,
                                                  std::move(hooks));
    add_monitor_metrics(registry, *service->monitor());
    if (!listen.empty()) {
      auto [host, port] = metrics::parse_listen_address(listen, "metrics.listen");
      scrape = std::make_unique<metrics::metrics_server>(ioc.get_executor(), registry, host, port, &health, std::move(token));
      spdlog::info("metrics: http://{}:{}/metrics (health: /healthz, /readyz)", host, scrape->port());
    }
  } catch (const relay_error& e) {
    std::cerr << "genesys-relay: " << e.what() << "\n";
    return 2;
  }
  auto shutdown_timeout = service->layout().shutdown_timeout;
  auto* forwarding = service->forwarding();
  // Two-phase shutdown: the first SIGINT/SIGTERM stops intake and gives work in flight
  // shutdown_timeout_s; past it, what is unfinished is abandoned (it is pending in the state
  // database for the next start). A second signal exits at once.
  asio::signal_set signals(ioc, SIGINT, SIGTERM);
  asio::steady_timer deadline(ioc);
  bool stopping = false;
  std::function<void(const boost::system::error_code&, int)> on_signal = [&](const boost::system::error_code& ec, int sig) {
    if (ec) return;
    if (stopping) {
      spdlog::warn("second signal: exiting now; unfinished forwards stay pending for the next start");
      spdlog::default_logger()->flush();
      std::cout.flush();
      std::_Exit(128 + sig);
    }
    stopping = true;
    spdlog::info("shutting down: closing sockets{}; up to {} s for work in flight (a second signal exits at once)",
                 forwarding ? ", finishing forwards in flight" : "", shutdown_timeout.count());
    service->stop();
    deadline.expires_after(shutdown_timeout);
    deadline.async_wait([&](const boost::system::error_code& dec) {
      if (dec) return;
      auto forwards = forwarding ? forwarding->stats().in_flight : 0;
      spdlog::warn("shutdown: {} s passed; abandoning {} forward(s) and {} delivery request(s) in flight: they stay "
                   "pending for the next start",
                   shutdown_timeout.count(), forwards, service->delivery().requests_in_flight());
      service->cancel();
    });
    signals.async_wait(on_signal);
  };
  signals.async_wait(on_signal);
  int code = 0;
  asio::co_spawn(ioc, service->run(), [&](std::exception_ptr e) {
    signals.cancel();
    deadline.cancel();
    if (scrape) scrape->stop();
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const relay_error& err) {
      std::cerr << "genesys-relay: " << err.what() << "\n";
      code = err.kind() == error_kind::auth ? 3 : 1;
    } catch (const std::exception& err) {
      std::cerr << "genesys-relay: " << err.what() << "\n";
      code = 1;
    }
  });
  ioc.run();
  std::cout.flush();
  return code;
}

int run_config(const config_args& args) {
  auto use = args.purpose == "forward" ? topology::purpose::forward
             : args.purpose == "replay" ? topology::purpose::replay
                                        : topology::purpose::monitor;
  try {
    auto layout = topology::load(args.config_path, use);
    std::cout << layout.describe(use);
    std::cerr << "genesys-relay config: " << layout.source << " is valid" << (layout.shorthand ? " (shorthand form)" : "") << "\n";
    return 0;
  } catch (const relay_error& e) {
    std::cerr << "genesys-relay config: " << e.what() << "\n";
    return 2;
  }
}

namespace {

// One line per component: what was called and what it answered. The plan is moved in, after the
// io_context, so that the components' credential caches (their timers) go before it.
bool check_connectivity(topology::plan&& layout) {
  asio::io_context ioc(1);
  auto p = std::move(layout);
  auto done = asio::co_spawn(ioc, topology::check_connectivity(p, log_line), asio::use_future);
  ioc.run();
  bool ok = true;
  for (auto& r : done.get()) {
    auto mark = r.outcome == delivery::probe_outcome::reachable ? "ok  " : r.outcome == delivery::probe_outcome::failed ? "FAIL" : "--  ";
    ok = ok && r.outcome != delivery::probe_outcome::failed;
    std::cout << mark << " " << r.component << ": " << r.detail << "\n";
  }
  std::cerr << "genesys-relay validate: connectivity " << (ok ? "checked" : "failed") << "\n";
  return ok;
}

}  // namespace

int run_validate(const validate_args& args) {
  auto found = topology::validate(args.config_path);
  for (auto& p : found.problems) std::cout << p << "\n";
  for (auto& n : found.notes) std::cout << "note: " << n << "\n";
  std::cout << std::flush;
  if (!found.problems.empty()) {
    std::cerr << "genesys-relay validate: " << args.config_path << ": " << found.problems.size()
              << (found.problems.size() == 1 ? " problem" : " problems") << "\n";
    return 2;
  }
  auto& p = *found.built;
  std::cerr << fmt::format("genesys-relay validate: {} is valid{}: {} source(s), {} transform(s), {} sink(s)\n", p.source,
                           p.shorthand ? " (shorthand form)" : "", p.sources.size(), p.filters.size() + (p.sentiment ? 1 : 0),
                           p.sinks.size());
  if (!args.check_connectivity) return 0;
  return check_connectivity(std::move(p)) ? 0 : 3;
}

int run_sse_parse(const sse_parse_args& args) {
  std::string input{std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>()};
  std::string out;
  net::sse_parser parser(
      {[&](const net::sse_event& e) { (out += net::sse_event_json(e)) += '\n'; },
       [&](std::uint64_t ms) { (out += net::sse_retry_json(ms)) += '\n'; },
       [](std::string_view m) { std::cerr << "sse-parse: " << m << "\n"; }},
      std::size_t{64} << 20);
  std::size_t pos = 0, k = 0;
  while (pos < input.size()) {
    std::size_t n = args.chunks.empty() ? input.size() : args.chunks[k++ % args.chunks.size()];
    if (n == 0) n = 1;
    n = std::min(n, input.size() - pos);
    parser.feed(std::string_view(input).substr(pos, n));
    pos += n;
  }
  parser.end_of_stream();
  std::cout << out;
  return 0;
}

int run_webhook_sim(const webhook_sim_args& a) {
  std::unique_ptr<sim::webhook_receiver> hook;
  try {
    hook = std::make_unique<sim::webhook_receiver>(a.port, a.log);
  } catch (const std::exception& e) {
    std::cerr << "genesys-relay webhook-sim: cannot listen on 127.0.0.1:" << a.port << ": " << e.what() << "\n";
    return 1;
  }
  if (!a.cert_out.empty()) std::ofstream(a.cert_out) << hook->certificate_pem();
  std::cout << "webhook receiver listening on " << hook->https_url() << " (and " << hook->http_url() << ")\n" << std::flush;
  serve_until_signal(a.duration_s);
  std::cout << "webhook receiver stopped: " << hook->received().size() << " posts\n";
  return 0;
}

int run_sim(const sim_args& args) {
  sim::sim_options o;
  o.port = args.port;
  o.start_interval = std::chrono::microseconds{static_cast<std::int64_t>(1e6 / std::max(0.01, args.conversations_per_second))};
  o.heartbeat_interval = std::chrono::seconds{30};
  o.ledger_path = args.ledger;
  o.max_conversations = args.conversations;
  o.api_rate_limit = args.api_rate_limit;
  o.refuse_writes_after_end = args.refuse_writes_after_end;
  std::unique_ptr<sim::genesys_simulator> s;
  std::unique_ptr<sim::aws_emulator> aws;
  std::unique_ptr<sim::webhook_receiver> crm;
  std::unique_ptr<sim::connect_proxy> proxy;
  try {
    s = std::make_unique<sim::genesys_simulator>(o);
    s->forbid(args.forbid);
    if (args.with_proxy) proxy = std::make_unique<sim::connect_proxy>("Basic cmVsYXk6cHJveHktcGFzcw==");  // relay:proxy-pass
    if (args.with_sinks) {
      sim::aws_emulator_options ao;
      ao.port = args.aws_port;
      ao.keep_events = false;
      aws = std::make_unique<sim::aws_emulator>(ao);
      crm = std::make_unique<sim::webhook_receiver>(args.crm_port);
      if (args.crm_stall) crm->stall(true);
    }
  } catch (const std::exception& e) {
    std::cerr << "genesys-relay sim: cannot listen on 127.0.0.1:" << args.port
              << (args.with_sinks ? ", " + std::to_string(args.aws_port) + " or " + std::to_string(args.crm_port) : "")
              << ": " << e.what() << "\n";
    return 1;
  }
  for (auto& sample : sim::sample_conversations()) s->add_sentiment(sample.record);
  if (!args.cert_out.empty()) {
    std::ofstream out(args.cert_out);
    out << s->certificate_pem();
    if (aws) out << aws->certificate_pem() << crm->certificate_pem();
  }
  std::cout << "simulated Genesys Cloud org listening on\n"
            << "  login (OAuth):        " << s->https_url() << "/oauth/token\n"
            << "  API:                  " << s->https_url() << "/api/v2/...\n"
            << "  Notifications (WSS):  wss://127.0.0.1:" << s->port() << "/channels/{id}\n"
            << "  SSE (tutorial):       POST " << s->https_url() << "/api/v2/analytics/events\n"
            << "  plain HTTP too:       " << s->http_url() << "\n"
            << "  OAuth client:         id 'sim-client', secret in GENESYSCLOUD_OAUTHCLIENT_SECRET=sim-secret\n"
            << (args.cert_out.empty() ? "" : "  certificates written: " + args.cert_out + "\n")
            << "  conversations to forward (genesys-relay forward <id>):\n";
  for (auto& sample : sim::sample_conversations()) std::cout << "    " << sample.record.id << "  " << sample.what << "\n";
  if (aws) {
    print_aws_emulator(*aws, "");
    std::cout << "CRM webhook receiver:  " << crm->https_url() << "/crm/sentiment   (crm.url, CRM_WEBHOOK_URL)\n";
  }
  if (proxy) std::cout << "CONNECT proxy:         " << proxy->url() << "  (HTTPS_PROXY=http://relay:proxy-pass@...; 407 otherwise)\n";
  std::cout << std::flush;
  serve_until_signal(args.duration_s);
  auto st = s->stats();
  std::cout << "simulator stopped: " << st.conversations_started << " conversations, "
            << st.frames_published << " WebSocket frames, " << st.tokens_issued << " tokens\n";
  if (aws)
    std::cout << "AWS emulator: " << aws->stats().accepted << " events accepted; CRM webhook: " << crm->received().size()
              << " posts\n";
  return 0;
}

}  // namespace grm::app
