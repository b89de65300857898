// Deliveries/s through the durable path: N events accepted into the outbox (SQLite, group commit)
// and delivered by the driver to EventBridge (batching, SigV4, keep-alive HTTPS, result parsing)
// in the AWS emulator — in this process by default, or an external `genesys-relay aws-sim`
// (--endpoint). Run it with --state FILE (durable, the default: a temporary file) and with
// --state :memory: to see what durability costs; --synchronous full puts every commit on disk.
// --pending N accepts N deliveries for a sink nobody drains and reports the accept rate and the
// RSS with them pending. Prints events/s, latency percentiles from each event's acceptance (its due
// time with --rate) to the sink's answer for it, commits and peak RSS; --json prints one JSON
// object. --kind lifecycle (the default) is what the monitor publishes: nobody observes such a
// message once it is final, so it goes in the commit of its result; --kind sentiment is kept
// until its finaliser ran (the forwarder's audit record). With the in-process emulator it also measures each
// event's way to the sink: from its due time (its receipt, in open loop with --rate) to the moment
// the emulator had read the request carrying it — an upper bound on "receipt → request written"
// (it adds the loopback transfer and the emulator's read).
#include <CLI/CLI.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <iostream>
#include <charconv>
#include <map>
#include <mutex>

#include "aws/credentials.hpp"
#include "bench/open_loop.hpp"
#include "bench/workload.hpp"
#include "core/allocator.hpp"
#include "core/ids.hpp"
#include "delivery/database.hpp"
#include "delivery/driver.hpp"
#include "delivery/outbox.hpp"
#include "net/http.hpp"
#include "net/retry.hpp"
#include "sim/aws_emulator.hpp"
#include "sinks/eventbridge/sink.hpp"

namespace asio = boost::asio;
namespace eb = grm::sinks::eventbridge;
namespace delivery = grm::delivery;
using namespace std::chrono;

namespace {

struct options {
  std::size_t events = 100'000, concurrency = 256, in_flight = 8, pending = 0;
  double rate = 0;  // events/s offered (open loop); 0: as fast as accepted
  std::string endpoint, ca_file, state, synchronous = "normal", kind = "lifecycle";
  bool plain_http = false, json = false;
};

// Accepts `n` messages with `concurrency` accepts in flight, each for `sinks`. With a `rate`,
// event i is due at start + i/rate and its latency counts from then (queueing included).
// The event's number, first in its Detail, tells the emulator's callback whose request it read.
std::string numbered(std::size_t i, const std::string& detail) { return fmt::format(R"({{"bench_seq":{},{})", i, detail.substr(1)); }

std::optional<std::size_t> number_of(const std::string& detail) {
  constexpr std::string_view head = R"({"bench_seq":)";
  if (!detail.starts_with(head)) return std::nullopt;
  std::size_t n = 0;
  auto [end, ec] = std::from_chars(detail.data() + head.size(), detail.data() + detail.size(), n);
  return ec == std::errc{} ? std::optional(n) : std::nullopt;
}

// The EventBridge sink, timed: when its answer for each entry came (the entry's number is in its
// payload), whatever the outbox then keeps of the message.
class timed_sink final : public delivery::sink {
 public:
  timed_sink(delivery::sink& inner, std::vector<steady_clock::time_point>& answered) : inner_(inner), answered_(answered) {}
  delivery::batch_limits limits() const override { return inner_.limits(); }
  std::size_t entry_size(const delivery::entry& e) const override { return inner_.entry_size(e); }
  asio::awaitable<delivery::send_result> send(const std::vector<const delivery::entry*>& batch) override {
    auto r = co_await inner_.send(batch);
    auto now = steady_clock::now();
    for (auto* e : batch)
      if (auto n = number_of(e->msg.payload); n && *n < answered_.size()) answered_[*n] = now;
    co_return r;
  }

 private:
  delivery::sink& inner_;
  std::vector<steady_clock::time_point>& answered_;
};

asio::awaitable<void> accept_all(delivery::outbox& box, std::size_t n, std::size_t concurrency, std::vector<std::string> sinks,
                                 std::vector<std::string>& details, const std::string& kind, double rate = 0,
                                 std::vector<steady_clock::time_point>* due_at = nullptr) {
  std::size_t next = 0, running = 0;
  auto ex = co_await asio::this_coro::executor;
  auto start = steady_clock::now();
  for (std::size_t w = 0; w < concurrency; ++w) {
    ++running;
    asio::co_spawn(ex, [&]() -> asio::awaitable<void> {
      while (next < n) {
        auto i = next++;
        auto t0 = co_await grm::bench::due(start, i, rate);
        if (due_at) (*due_at)[i] = t0;
        delivery::message m{"bench:" + std::to_string(i), grm::uuid_v4(), "", kind, numbered(i, details[i % details.size()])};
        auto targets = sinks;  // named: GCC 12 destroys braced temporaries in an awaited call twice
        co_await box.accept(std::move(m), std::move(targets));
      }
      --running;
    }, asio::detached);
  }
  while (running > 0) co_await grm::net::sleep_for(milliseconds{1});
}

}  // namespace

int main(int argc, char** argv) {
  grm::tune_allocator();  // as the relay runs
  CLI::App app{"Deliveries/s through the outbox and the driver into EventBridge (the AWS emulator)"};
  options o;
  app.add_option("--events", o.events, "events to deliver")->capture_default_str();
  app.add_option("--concurrency", o.concurrency, "accepts in flight")->capture_default_str();
  app.add_option("--in-flight", o.in_flight, "PutEvents requests in flight (the driver's max_in_flight)")->capture_default_str();
  app.add_option("--state", o.state, "the outbox's database: a file (default: a temporary one) or :memory:");
  app.add_option("--synchronous", o.synchronous, "normal (WAL, survives a process crash) or full (every commit on disk)")
      ->capture_default_str();
  app.add_option("--pending", o.pending, "only accept this many deliveries for an undrained sink; report the RSS");
  app.add_option("--endpoint", o.endpoint, "an external emulator (genesys-relay aws-sim); default: one in this process");
  app.add_option("--ca-file", o.ca_file, "the external emulator's certificate (aws-sim --cert-out)");
  app.add_flag("--http", o.plain_http, "plain HTTP to the in-process emulator");
  app.add_option("--kind", o.kind, "lifecycle (dropped with its last result) or sentiment (kept for its finaliser)")
      ->check(CLI::IsMember({"lifecycle", "sentiment"}))
      ->capture_default_str();
  app.add_option("--rate", o.rate, "offer this many events/s (open loop; latency counts from each event's due time)");
  app.add_flag("--json", o.json, "one JSON object");
  CLI11_PARSE(app, argc, argv);

  auto temp = std::filesystem::temp_directory_path() / ("grm-eventbridge-load-" + std::to_string(::getpid()) + ".db");
  if (o.state.empty()) o.state = temp.string();
  std::unique_ptr<grm::sim::aws_emulator> emulator;
  std::mutex arrivals_mutex;  // the emulator's thread adds, main reads once it is done
  std::vector<std::pair<std::size_t, steady_clock::time_point>> arrivals;
  std::vector<steady_clock::time_point> due_at(o.events);
  grm::net::http_client_options ho;
  ho.max_idle_per_host = o.in_flight + 2;
  if (o.endpoint.empty()) {
    grm::sim::aws_emulator_options eo;
    eo.keep_events = false;
    eo.on_event = [&](const grm::sim::accepted_event& e, steady_clock::time_point arrived) {
      if (auto n = number_of(e.detail)) {
        std::lock_guard lock(arrivals_mutex);
        arrivals.emplace_back(*n, arrived);
      }
    };
    emulator = std::make_unique<grm::sim::aws_emulator>(eo);
    o.endpoint = o.plain_http ? emulator->http_url() : emulator->https_url();
    ho.tls.ca_pem = emulator->certificate_pem();
  } else {
    ho.tls.ca_file = o.ca_file;
  }
  asio::io_context ioc(1);
  grm::net::http_client http(ioc.get_executor(), ho);
  grm::aws::credentials_cache creds(grm::aws::static_provider(
      {"AKIDEXAMPLE", grm::secret("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"), {}, std::nullopt, "the emulator's example keys"}));
  eb::eventbridge_settings s;
  s.region = "us-east-1";
  s.endpoint = o.endpoint;
  eb::sink sink(http, creds, s);
  auto durability = o.synchronous == "full" ? delivery::durability::full : delivery::durability::normal;
  delivery::database db(o.state, durability);
  delivery::outbox box(ioc.get_executor(), db, {.max_pending = std::max<std::size_t>(o.events, o.pending) + 1});
  std::vector<std::string> details;
  for (std::uint64_t i = 0; i < 1000; ++i) details.push_back(grm::bench::sentiment_detail(i));

  if (o.pending > 0) {  // accept only: nobody drains "parked"
    auto start = steady_clock::now();
    auto f = asio::co_spawn(ioc, accept_all(box, o.pending, o.concurrency, {"parked"}, details, o.kind), asio::use_future);
    while (f.wait_for(seconds{0}) != std::future_status::ready) ioc.run_one();
    double secs = duration<double>(steady_clock::now() - start).count();
    double rss = static_cast<double>(grm::bench::peak_rss_bytes()) / 1e6;
    std::cout << fmt::format("outbox: {} deliveries accepted in {:.2f} s = {:.0f}/s ({} commits, synchronous={}, {}); "
                             "pending {}; peak RSS {:.1f} MB\n",
                             o.pending, secs, static_cast<double>(o.pending) / secs, box.stats().commits, o.synchronous,
                             o.state == ":memory:" ? "in memory" : "file", box.stats().pending, rss);
    std::filesystem::remove(temp);
    return 0;
  }

  std::vector<steady_clock::time_point> answered(o.events);
  timed_sink timed(sink, answered);
  std::size_t finalised = 0;
  box.on_final([&](const delivery::final_message&) { ++finalised; });  // what the forwarder's audit does
  box.observes([](const std::string& kind, std::int64_t) { return kind != "lifecycle"; });
  delivery::driver_options dopt;
  dopt.max_in_flight = o.in_flight;
  delivery::driver d(ioc.get_executor(), "eventbridge", timed, box, dopt);
  box.on_accepted([&](const std::string&) { d.wake(); });
  auto driver_done = asio::co_spawn(ioc, d.run(), asio::use_future);
  auto start = steady_clock::now();
  auto f = asio::co_spawn(ioc, accept_all(box, o.events, o.concurrency, {"eventbridge"}, details, o.kind, o.rate, &due_at),
                          asio::use_future);
  auto done = [&] {
    auto now = box.stats();
    return now.delivered + now.dead_lettered >= o.events && (o.kind == "lifecycle" || finalised >= o.events);
  };
  for (std::size_t turn = 1;; ++turn) {  // stats() reads the database: not on every turn
    bool idle = ioc.run_one_for(milliseconds{10}) == 0;
    if ((idle || turn % 256 == 0) && done()) break;
  }
  double secs = duration<double>(steady_clock::now() - start).count();
  d.stop();
  while (driver_done.wait_for(seconds{0}) != std::future_status::ready || f.wait_for(seconds{0}) != std::future_status::ready)
    ioc.run_one_for(milliseconds{10});
  auto st = d.stats();
  auto bs = box.stats();
  std::size_t failures = bs.dead_lettered;
  std::vector<double> latency_ms;
  latency_ms.reserve(o.events);
  for (std::size_t i = 0; i < o.events; ++i)
    if (answered[i] != steady_clock::time_point{}) latency_ms.push_back(duration<double, std::milli>(answered[i] - due_at[i]).count());
  std::vector<double> to_request_ms;
  {
    std::lock_guard lock(arrivals_mutex);
    for (auto& [n, at] : arrivals)
      if (n < due_at.size()) to_request_ms.push_back(duration<double, std::milli>(at - due_at[n]).count());
  }
  double rp50 = grm::bench::percentile(to_request_ms, 0.50), rp99 = grm::bench::percentile(to_request_ms, 0.99);
  double p50 = grm::bench::percentile(latency_ms, 0.50), p99 = grm::bench::percentile(latency_ms, 0.99),
         p999 = grm::bench::percentile(latency_ms, 0.999);
  double rss = static_cast<double>(grm::bench::peak_rss_bytes()) / 1e6;
  double eps = static_cast<double>(o.events) / secs;
  auto per_request = static_cast<double>(o.events) / static_cast<double>(std::max<std::uint64_t>(st.requests, 1));
  if (o.json) {
    std::cout << fmt::format(
        R"({{"events":{},"seconds":{:.3f},"events_per_s":{:.0f},"offered_per_s":{:.0f},"achieved_per_s":{:.0f},"requests":{},"entries_per_request":{:.2f},"commits":{},"p50_ms":{:.3f},"p99_ms":{:.3f},"p999_ms":{:.3f},"failures":{},"connections":{},"peak_rss_mb":{:.1f},"state":"{}","synchronous":"{}","emulator":"{}","kind":"{}"{}}})",
        o.events, secs, eps, o.rate, eps, st.requests, per_request, bs.commits, p50, p99, p999, failures, http.stats().connections_opened, rss,
        o.state == ":memory:" ? "memory" : "file", o.synchronous, emulator ? "in-process" : "external", o.kind,
        to_request_ms.empty() ? std::string{}
                              : fmt::format(R"(,"to_request_samples":{},"to_request_p50_ms":{:.3f},"to_request_p99_ms":{:.3f})",
                                            to_request_ms.size(), rp50, rp99))
              << "\n";
  } else {
    std::cout << fmt::format("eventbridge via the outbox ({}, synchronous={}): {} events in {:.2f} s = {:.0f} events/s "
                             "({} PutEvents requests, {:.2f} entries each, {} commits, {} connections)\n",
                             o.state == ":memory:" ? "in memory" : "file", o.synchronous, o.events, secs, eps, st.requests,
                             per_request, bs.commits, http.stats().connections_opened)
              << fmt::format("  latency accept→the sink's answer: p50 {:.2f} ms, p99 {:.2f} ms, p99.9 {:.2f} ms; peak RSS {:.1f} MB; emulator {}\n",
                             p50, p99, p999, rss, emulator ? "in this process" : o.endpoint);
    if (!to_request_ms.empty())
      std::cout << fmt::format("  receipt→request read by the emulator: p50 {:.3f} ms, p99 {:.3f} ms ({} events)\n", rp50, rp99,
                               to_request_ms.size());
    if (failures) std::cout << "  FAILURES: " << failures << " dead-lettered (genesys-relay dlq list on --state shows why)\n";
  }
  std::filesystem::remove(temp);
  return failures ? 1 : 0;
}
