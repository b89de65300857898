// End-to-end sentiment forwarding throughput: K conversations through the forwarding service
// (Genesys reads and attribute write, schema validation, EventBridge PutEvents with SigV4, the
// CRM webhook, the audit log, and optionally the SQLite state), C of them in flight.
//   - default: against the simulated org, the AWS emulator and a webhook receiver in this
//     process, over verified TLS, with the real API flow (Speech & Text Analytics + transcript,
//     PATCH on the customer participant);
//   - --genesys/--eventbridge/--crm: against external endpoints, e.g. the Node peer's nginx mock
//     (http://127.0.0.1:18080), with the seed's flow (analytics query, PUT on the conversation),
//     the same work `node forward_bench.js` does.
// Prints conversations/s, latency percentiles per conversation and peak RSS; --json one object.
#include <CLI/CLI.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <fmt/format.h>
#include <openssl/sha.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "bench/open_loop.hpp"
#include "bench/workload.hpp"
#include "core/allocator.hpp"
#include "genesys/api.hpp"
#include "pipeline/sentiment/forwarding_service.hpp"
#include "sim/aws_emulator.hpp"
#include "sim/forwarding_targets.hpp"
#include "sim/genesys_sim.hpp"
#include "sim/sentiment_data.hpp"
#include "sim/webhook_receiver.hpp"
#include "sinks/eventbridge/component.hpp"
#include "sinks/genesys_attributes/component.hpp"
#include "sinks/webhook/component.hpp"
#include "topology/service.hpp"

namespace asio = boost::asio;
using namespace std::chrono;
namespace sentiment = grm::sentiment;

namespace {

// Lower-case UUIDs from sha256("<seed>:<i>"), as the Node bench makes them.
std::vector<std::string> conversation_ids(std::size_t n, const std::string& seed) {
  std::vector<std::string> ids;
  for (std::size_t i = 0; i < n; ++i) {
    auto text = seed + ":" + std::to_string(i);
    unsigned char d[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), d);
    std::string h;
    for (auto c : d) h += fmt::format("{:02x}", c);
    ids.push_back(h.substr(0, 8) + "-" + h.substr(8, 4) + "-4" + h.substr(13, 3) + "-a" + h.substr(17, 3) + "-" + h.substr(20, 12));
  }
  return ids;
}

struct run_result {
  std::size_t ok = 0, failed = 0;
  std::size_t accepted = 0;  // in the outbox, deliveries still under way when forward() stopped waiting
  std::vector<double> latency_ms;
  std::string first_failure;
};

// `before` runs as each conversation starts (continuous mode: what its end notification says).
// With a `rate`, conversation i is due at start + i/rate and its latency counts from then.
run_result forward_all(asio::io_context& ioc, sentiment::forwarding_service& service, const std::vector<std::string>& ids,
                       std::size_t concurrency, bool measure, const std::function<void(const std::string&)>& before = {},
                       double rate = 0) {
  run_result r;
  std::size_t next = 0;
  auto start = steady_clock::now();
  auto worker = [&]() -> asio::awaitable<void> {
    while (next < ids.size()) {
      auto i = next++;
      auto& id = ids[i];
      auto t0 = co_await grm::bench::due(start, i, rate);
      if (before) before(id);
      auto report = co_await service.forward(id, "bench");
      if (report.outcome == grm::sentiment::forward_outcome::forwarded) {
        ++r.ok;
        if (measure) r.latency_ms.push_back(duration<double, std::milli>(steady_clock::now() - t0).count());
      } else if (report.outcome == grm::sentiment::forward_outcome::accepted) {
        ++r.accepted;  // not lost: the drivers go on delivering it (drained below)
      } else {
        if (r.first_failure.empty()) r.first_failure = std::string(to_string(report.outcome)) + ": " + report.reason;
        ++r.failed;
      }
    }
  };
  std::vector<std::future<void>> workers;
  for (std::size_t w = 0; w < std::min(concurrency, ids.size()); ++w)
    workers.push_back(asio::co_spawn(ioc, worker(), asio::use_future));
  for (auto& f : workers)
    while (f.wait_for(seconds{0}) != std::future_status::ready) ioc.run_one();
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  grm::tune_allocator();  // as the relay runs
  CLI::App app{"Sentiment forwarding load: conversations/s end to end"};
  std::size_t conversations = 2000, concurrency = 1, warmup = 50;
  std::string genesys_url, eventbridge_url, crm_url, state, log_path = "/dev/null";
  bool json = false, continuous = false;
  std::uint32_t api_rate_limit = 0;
  double rate = 0;
  app.add_option("--conversations,-k", conversations, "conversations to forward")->capture_default_str();
  app.add_option("--concurrency,-c", concurrency, "conversations in flight")->capture_default_str();
  app.add_option("--warmup", warmup, "conversations before measuring (token, pools, schema)")->capture_default_str();
  app.add_option("--genesys", genesys_url, "external Genesys API base (e.g. the nginx mock): the seed's flow");
  app.add_option("--eventbridge", eventbridge_url, "external EventBridge endpoint");
  app.add_option("--crm", crm_url, "external CRM webhook URL");
  app.add_option("--state", state, "SQLite state file (the continuous mode's idempotency); default: none");
  app.add_option("--log", log_path, "where the [FORWARD]/[ALERT ROUTING] lines go")->capture_default_str();
  app.add_flag("--continuous", continuous,
               "simulator: each chat's customer comes from its end notification, as in `monitor` (no conversation read)");
  app.add_option("--api-rate-limit", api_rate_limit, "simulator: per-token limit, requests per minute (0: off)")
      ->capture_default_str();
  app.add_option("--rate", rate, "offer this many conversations/s (open loop; latency counts from each one's due time)");
  app.add_flag("--json", json, "one JSON object");
  CLI11_PARSE(app, argc, argv);
  bool external = !genesys_url.empty();
  if (external && (eventbridge_url.empty() || crm_url.empty())) {
    std::cerr << "forward_load: --genesys needs --eventbridge and --crm too\n";
    return 2;
  }

  auto warm_ids = conversation_ids(warmup, "warmup");
  auto ids = conversation_ids(conversations, "bench");
  std::unique_ptr<grm::sim::genesys_simulator> genesys;
  std::unique_ptr<grm::sim::aws_emulator> aws;
  std::unique_ptr<grm::sim::webhook_receiver> crm;
  grm::net::http_client_options ho;
  ho.max_idle_per_host = concurrency + 4;
  grm::topology::plan fs;
  if (external) {
    grm::sinks::eventbridge::eventbridge_target eb;
    eb.settings.region = "us-east-1";
    eb.settings.endpoint = eventbridge_url;
    eb.settings.max_entries = 1;  // one PutEvents per conversation, as the seed sends (the mock answers one entry)
    auto key = grm::sim::aws_emulator_options{}.keys.at(0);  // any key: the mock does not check signatures
    eb.keys = grm::aws::credentials{key.access_key_id, grm::secret(key.secret_access_key), {}, std::nullopt, "bench"};
    fs.sentiment = grm::topology::sentiment_plan{};
    fs.sinks.push_back({"eventbridge", {"sentiment"}, std::make_unique<grm::sinks::eventbridge::component>(std::move(eb))});
    grm::sinks::webhook::webhook_settings hook;
    hook.url = crm_url;
    fs.sinks.push_back({"crm", {"sentiment"}, std::make_unique<grm::sinks::webhook::component>(std::move(hook))});
    // The seed's flow, as the Node peer runs it: analytics query, PUT attributes, alert as a log line.
    fs.sentiment->settings.forwarder.source = sentiment::source_kind::analytics;
    fs.sinks.push_back({"marker", {"sentiment"}, std::make_unique<grm::sinks::genesys_attributes::component>(
                                                     grm::sinks::genesys_attributes::attributes_settings{.participant = false, .conversation = true})});
    fs.sentiment->settings.forwarder.escalation_threshold = 0.85;  // the seed's example config
  } else {
    grm::sim::sim_options so;
    so.max_conversations = 1;
    so.start_paused = true;
    so.api_rate_limit = api_rate_limit;
    so.log_rate_limited = false;  // counted below
    genesys = std::make_unique<grm::sim::genesys_simulator>(so);
    for (auto* list : {&warm_ids, &ids})
      for (auto& id : *list) {
        grm::sim::sentiment_record r;
        r.id = id;
        genesys->add_sentiment(r);
      }
    grm::sim::aws_emulator_options ao;
    ao.keep_events = false;
    aws = std::make_unique<grm::sim::aws_emulator>(ao);
    crm = std::make_unique<grm::sim::webhook_receiver>();
    genesys_url = genesys->https_url();
    ho.tls.ca_pem = genesys->certificate_pem();
    fs = grm::sim::forwarding_plan(*aws, *crm);
  }
  fs.sink_as<grm::sinks::eventbridge::component>("eventbridge")->target.http.max_idle_per_host = 12;
  fs.sink_as<grm::sinks::webhook::component>("crm")->settings.http.max_idle_per_host = concurrency + 4;
  fs.sink("eventbridge")->component->delivery.max_in_flight = 8;
  fs.sink("crm")->component->delivery.max_in_flight = concurrency + 1;
  fs.sink("eventbridge")->inputs = {"sentiment"};  // alerts as log lines only
  auto dir = std::filesystem::temp_directory_path() / ("grm-forward-load-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  fs.audit.path = (dir / "audit.jsonl").string();
  fs.delivery.state_path = state;
  fs.genesys.api_base = fs.genesys.login_base = genesys_url;
  fs.genesys.http = ho;
  fs.genesys.credentials = {"sim-client", grm::secret("sim-secret")};
  fs.genesys.api_retry = {.max_attempts = 4, .base = milliseconds{100}};

  asio::io_context ioc(1);
  std::ofstream log_out(log_path, std::ios::app);
  grm::topology::service relay(ioc.get_executor(), std::move(fs), grm::topology::purpose::forward,
                               [&](grm::severity, std::string_view m) { log_out << m << '\n'; });
  auto& service = *relay.forwarding();

  // The sinks' drivers deliver while forward() waits for each conversation's deliveries.
  auto deliveries = asio::co_spawn(ioc, relay.run(), asio::use_future);
  // Continuous mode: the monitor hands the forward each chat's end notification, whose body is
  // the conversation with its participants (the simulator's document; not an API call).
  std::function<void(const std::string&)> notified;
  if (continuous && genesys)
    notified = [&](const std::string& id) {
      if (auto doc = genesys->conversation_json(id)) relay.genesys()->api.customers().remember_document(id, *doc);
    };
  auto warm = forward_all(ioc, service, warm_ids, concurrency, false, notified);
  if (warmup > 0 && warm.ok == 0) {
    std::cerr << "forward_load: every warm-up conversation failed: " << warm.first_failure << "\n";
    return 1;
  }
  auto before = genesys ? genesys->stats() : grm::sim::sim_stats{};
  auto t0 = steady_clock::now();
  auto r = forward_all(ioc, service, ids, concurrency, true, notified, rate);
  double seconds_taken = duration<double>(steady_clock::now() - t0).count();
  // Accepted forwards still delivering (the rate limit's next window): wait for the outbox to
  // empty, bounded, so the figures say whether every chat got out.
  auto drain_until = steady_clock::now() + seconds{180};
  while (r.accepted && service.stats().deliveries_pending > 0 && steady_clock::now() < drain_until)
    ioc.run_for(milliseconds{100});
  auto left_pending = service.stats().deliveries_pending;
  relay.stop();
  while (deliveries.wait_for(seconds{0}) != std::future_status::ready) ioc.run_one();
  auto after = genesys ? genesys->stats() : grm::sim::sim_stats{};
  // Every /api/v2 request the org answered (the transcript download is S3's, not counted).
  auto through = r.ok + r.accepted;
  double calls_per = through ? static_cast<double>(after.api_requests - before.api_requests) / static_cast<double>(through) : 0;
  auto rate_limited = after.rate_limited - before.rate_limited;
  std::filesystem::remove_all(dir);

  double achieved = static_cast<double>(r.ok) / seconds_taken;
  auto p50 = grm::bench::percentile(r.latency_ms, 0.50);
  auto p99 = grm::bench::percentile(r.latency_ms, 0.99);
  auto max = grm::bench::percentile(r.latency_ms, 1.0);
  auto rss_mb = static_cast<double>(grm::bench::peak_rss_bytes()) / (1 << 20);
  std::string target = external ? "external (seed flow)" : continuous ? "simulator (real API flow, TLS, continuous)" : "simulator (real API flow, TLS)";
  if (api_rate_limit) target += fmt::format(", {} requests/min", api_rate_limit);
  if (json) {
    std::cout << fmt::format(
        R"({{"bench":"forward","target":"{}","conversations":{},"concurrency":{},"ok":{},"failed":{},"seconds":{:.3f},"conversations_per_s":{:.1f},"offered_per_s":{:.0f},"achieved_per_s":{:.1f},"p50_ms":{:.3f},"p99_ms":{:.3f},"max_ms":{:.3f},"state":{},"peak_rss_mb":{:.1f},"genesys_calls_per_conversation":{:.2f},"rate_limited":{},"accepted":{},"left_pending":{}}})",
        target, conversations, concurrency, r.ok, r.failed, seconds_taken, achieved, rate, achieved, p50, p99, max, state.empty() ? "false" : "true",
        rss_mb, calls_per, rate_limited, r.accepted, left_pending) << "\n";
  } else {
    std::cout << fmt::format("forward [{}]: {} ok / {} failed, concurrency {}, {:.3f}s, {:.1f} conversations/s, "
                             "p50 {:.3f} ms, p99 {:.3f} ms, max {:.3f} ms, peak RSS {:.1f} MB{}{}\n",
                             target, r.ok, r.failed, concurrency, seconds_taken, achieved, p50, p99, max, rss_mb,
                             state.empty() ? "" : ", with SQLite state",
                             external ? "" : fmt::format(", {:.2f} Genesys API calls per conversation, {} answered 429", calls_per, rate_limited));
    if (r.accepted)
      std::cout << fmt::format("{} accepted while their deliveries waited (the rate limit's next window); after the run {} "
                               "deliveries were left pending\n", r.accepted, left_pending);
    if (r.failed) std::cout << "first failure: " << r.first_failure << "\n";
  }
  return r.failed || left_pending ? 1 : 0;
}
