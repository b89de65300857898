// End-to-end EventBridge sink throughput: N events through the publisher (batching, SigV4, keep-
// alive HTTPS, result parsing) into the AWS emulator — in this process by default, or a separate
// `genesys-relay aws-sim` given with --endpoint (fairer on a small machine, and the same target
// the Node SDK bench uses). Prints events/s, requests, per-event latency (publish → EventId)
// percentiles and peak RSS; --json prints one JSON object.
#include <CLI/CLI.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <fmt/format.h>

#include <chrono>
#include <iostream>

#include "aws/credentials.hpp"
#include "bench/workload.hpp"
#include "net/http.hpp"
#include "net/retry.hpp"
#include "sim/aws_emulator.hpp"
#include "sinks/eventbridge/sink.hpp"

namespace asio = boost::asio;
namespace eb = grm::sinks::eventbridge;
using namespace std::chrono;


int main(int argc, char** argv) {
  CLI::App app{"EventBridge sink load: events/s into the AWS emulator"};
  std::size_t events = 200'000, concurrency = 512, in_flight = 8;
  std::string endpoint, ca_file;
  bool plain_http = false, json = false;
  double linger_ms = 2;
  app.add_option("--events", events, "events to publish")->capture_default_str();
  app.add_option("--concurrency", concurrency, "publish() calls in flight")->capture_default_str();
  app.add_option("--in-flight", in_flight, "PutEvents requests in flight (the sink's max_in_flight)")->capture_default_str();
  app.add_option("--linger-ms", linger_ms, "batch linger")->capture_default_str();
  app.add_option("--endpoint", endpoint, "an external emulator (genesys-relay aws-sim); default: one in this process");
  app.add_option("--ca-file", ca_file, "the external emulator's certificate (aws-sim --cert-out)");
  app.add_flag("--http", plain_http, "plain HTTP to the in-process emulator");
  app.add_flag("--json", json, "one JSON object");
  CLI11_PARSE(app, argc, argv);

  std::unique_ptr<grm::sim::aws_emulator> emulator;
  grm::net::http_client_options ho;
  ho.max_idle_per_host = in_flight + 2;
  if (endpoint.empty()) {
    grm::sim::aws_emulator_options eo;
    eo.keep_events = false;
    emulator = std::make_unique<grm::sim::aws_emulator>(eo);
    endpoint = plain_http ? emulator->http_url() : emulator->https_url();
    ho.tls.ca_pem = emulator->certificate_pem();
  } else {
    ho.tls.ca_file = ca_file;
  }
  asio::io_context ioc(1);
  grm::net::http_client http(ioc.get_executor(), ho);
  grm::aws::credentials_cache creds(grm::aws::static_provider(
      {"AKIDEXAMPLE", grm::secret("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"), {}, std::nullopt, "the emulator's example keys"}));
  eb::eventbridge_settings s;
  s.region = "us-east-1";
  s.endpoint = endpoint;
  s.delivery.max_in_flight = in_flight;
  s.delivery.linger = milliseconds{static_cast<std::int64_t>(linger_ms)};
  s.delivery.max_queued = concurrency * 2;
  eb::publisher pub(http, creds, s);

  std::vector<std::string> details;
  for (std::uint64_t i = 0; i < 1000; ++i) details.push_back(grm::bench::sentiment_detail(i));
  std::vector<double> latency_ms;
  latency_ms.reserve(events);
  std::size_t next = 0, failures = 0;
  std::string first_failure;
  auto start = steady_clock::now();
  auto run = asio::co_spawn(ioc, [&]() -> asio::awaitable<void> {
    std::size_t running = 0;
    for (std::size_t w = 0; w < concurrency; ++w) {
      ++running;
      asio::co_spawn(ioc, [&]() -> asio::awaitable<void> {
        while (next < events) {
          auto i = next++;
          eb::put_entry e{"genesys.sentiment.forwarder", "ChatSentimentAnalysis", details[i % details.size()], {}, std::nullopt, "", ""};
          auto t0 = steady_clock::now();
          auto o = co_await pub.publish(std::move(e));
          latency_ms.push_back(duration<double, std::milli>(steady_clock::now() - t0).count());
          if (!o.delivered && failures++ == 0) first_failure = o.code + ": " + o.message;
        }
        --running;
      }, asio::detached);
    }
    while (running > 0) co_await grm::net::sleep_for(milliseconds{1});
    co_await pub.close();
  }, asio::use_future);
  while (run.wait_for(seconds{0}) != std::future_status::ready) ioc.run_one();
  run.get();
  double secs = duration<double>(steady_clock::now() - start).count();
  auto st = pub.stats();
  double p50 = grm::bench::percentile(latency_ms, 0.50), p99 = grm::bench::percentile(latency_ms, 0.99),
         p999 = grm::bench::percentile(latency_ms, 0.999);
  double rss = static_cast<double>(grm::bench::peak_rss_bytes()) / 1e6;
  double eps = static_cast<double>(events) / secs;
  if (json) {
    std::cout << fmt::format(
        R"({{"events":{},"seconds":{:.3f},"events_per_s":{:.0f},"requests":{},"entries_per_request":{:.2f},"p50_ms":{:.3f},"p99_ms":{:.3f},"p999_ms":{:.3f},"failures":{},"connections":{},"peak_rss_mb":{:.1f},"emulator":"{}"}})",
        events, secs, eps, st.requests, static_cast<double>(events) / static_cast<double>(std::max<std::uint64_t>(st.requests, 1)),
        p50, p99, p999, failures, http.stats().connections_opened, rss, emulator ? "in-process" : "external")
              << "\n";
  } else {
    std::cout << fmt::format("eventbridge load: {} events in {:.2f} s = {:.0f} events/s ({} PutEvents requests, {:.2f} entries each, {} connections)\n",
                             events, secs, eps, st.requests,
                             static_cast<double>(events) / static_cast<double>(std::max<std::uint64_t>(st.requests, 1)),
                             http.stats().connections_opened)
              << fmt::format("  latency publish→EventId: p50 {:.2f} ms, p99 {:.2f} ms, p99.9 {:.2f} ms; peak RSS {:.1f} MB; emulator {}\n",
                             p50, p99, p999, rss, emulator ? "in this process" : endpoint);
    if (failures) std::cout << "  FAILURES: " << failures << " (first: " << first_failure << ")\n";
  }
  return failures ? 1 : 0;
}
