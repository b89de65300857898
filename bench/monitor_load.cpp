// End-to-end load tool for the monitor. Three workloads:
//   --file PATH   SSE bytes from a file, read in 64 KiB chunks (the peer's monitor_bench --file)
//   --url URL     SSE over HTTP through our HTTP client (the peer's monitor_bench --url)
//   --sim         the in-process simulator over verified TLS, both transports (WebSocket and
//                 SSE), at --rate conversations/s for --duration s: publish-to-handler latency
//   --track N     memory per tracked conversation: N conversations started and kept active in
//                 the tracker (its bound set to N), resident memory before and after
//   --write-sse PATH --events N   writes a generated workload (the peer generator's shape) and
//                 PATH.json with its counts, for --file and bench/limit without the Node peer
// Prints events/s, MB/s, latency percentiles and peak RSS; --json prints one JSON object.
// With --file, PATH.json (the peer generator's summary) is checked when present.
#include <CLI/CLI.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>

#include "bench/workload.hpp"
#include "core/allocator.hpp"
#include "core/ids.hpp"
#include "core/secret.hpp"
#include "core/time.hpp"
#include "genesys/api.hpp"
#include "net/http.hpp"
#include "net/sse_parser.hpp"
#include "pipeline/monitor_pipeline.hpp"
#include "pipeline/track.hpp"
#include "sim/forwarding_targets.hpp"
#include "sim/genesys_sim.hpp"
#include "sources/monitor_service.hpp"

namespace {

using namespace grm;
using namespace std::chrono;
namespace asio = boost::asio;
namespace json = boost::json;

struct result {
  std::string workload;
  std::uint64_t bytes = 0, events = 0, duplicates = 0, errors = 0;
  double seconds = 0;
  std::vector<double> latency_ms;  // per chunk (file/url) or per event (sim)
  std::string latency_of;
  std::string check;
};

// Parser + pipeline fed chunk by chunk, timing each chunk.
struct sse_pipeline {
  pipeline::event_router router;
  std::string line;
  std::uint64_t errors = 0;
  pipeline::monitor_pipeline p{router, {}, {}, [this](const pipeline::stream_error&) { ++errors; }};
  net::sse_parser parser{{[this](const net::sse_event& e) { p.sse_data(e.data, "load"); }, {}, {}}};
  std::vector<double> chunk_ms;

  sse_pipeline() { bench::attach_tutorial_listeners(router, line); }
  void feed(std::string_view chunk) {
    auto t0 = steady_clock::now();
    parser.feed(chunk);
    chunk_ms.push_back(duration<double, std::milli>(steady_clock::now() - t0).count());
  }
  void fill(result& r) {
    r.events = p.counters().total_routed() + p.counters().duplicates;
    r.duplicates = p.counters().duplicates;
    r.errors = errors;
    r.latency_ms = std::move(chunk_ms);
    r.latency_of = "per 64 KiB chunk (parse+decode+route)";
  }
};

std::string check_against_summary(const std::string& path, const result& r) {
  std::ifstream in(path + ".json");
  if (!in) return "";
  std::string text((std::istreambuf_iterator<char>(in)), {});
  auto summary = json::parse(text).as_object();
  bool ok = summary.at("events").to_number<std::uint64_t>() == r.events &&
            summary.at("bytes").to_number<std::uint64_t>() == r.bytes && r.errors == 0;
  return ok ? "ok" : "MISMATCH";
}

result run_file(const std::string& path, std::size_t chunk) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) throw std::runtime_error("cannot open " + path);
  result r;
  r.workload = "file";
  sse_pipeline sp;
  std::string buf(chunk, '\0');
  auto t0 = steady_clock::now();
  while (auto n = std::fread(buf.data(), 1, buf.size(), f)) {
    r.bytes += n;
    sp.feed(std::string_view(buf.data(), n));
  }
  r.seconds = duration<double>(steady_clock::now() - t0).count();
  std::fclose(f);
  sp.fill(r);
  r.check = check_against_summary(path, r);
  return r;
}

result run_url(const std::string& url, const std::string& post_body) {
  asio::io_context ioc(1);
  net::http_client client(ioc.get_executor(), {});
  result r;
  r.workload = "http";
  sse_pipeline sp;
  auto t0 = steady_clock::now();
  asio::co_spawn(ioc, [&]() -> asio::awaitable<void> {
    net::http_request req{post_body.empty() ? "GET" : "POST", url, {{"Accept", "text/event-stream"}}, post_body, std::nullopt};
    if (!post_body.empty()) req.headers.push_back({"Content-Type", "application/json"});
    auto stream = co_await client.open_stream(std::move(req), seconds{30});
    if (stream->status() != 200) throw std::runtime_error(url + " answered " + std::to_string(stream->status()));
    t0 = steady_clock::now();
    std::string chunk;
    for (;;) {
      chunk.clear();
      auto n = co_await stream->read_some(chunk);
      if (n == 0) break;
      r.bytes += n;
      sp.feed(chunk);
    }
  }, [](std::exception_ptr e) { if (e) std::rethrow_exception(e); });
  ioc.run();
  r.seconds = duration<double>(steady_clock::now() - t0).count();
  sp.fill(r);
  return r;
}

result run_sim(double rate, double duration_s) {
  sim::sim_options o;
  o.start_interval = microseconds{static_cast<std::int64_t>(1e6 / rate)};
  o.stage_interval = milliseconds{200};
  o.heartbeat_interval = milliseconds{1000};
  sim::genesys_simulator simulator(o);
  asio::io_context ioc(1);
  pipeline::event_router router;
  result r;
  r.workload = "sim";
  std::string line;
  bench::attach_tutorial_listeners(router, line);
  router.on_any([&](const lifecycle_event& e) {
    auto& f = fields_of(e);
    if (f.origin.starts_with("sse:"))
      if (auto ts = parse_rfc3339(f.timestamp))
        r.latency_ms.push_back(duration<double, std::milli>(system_clock::now() - *ts).count());
  });
  auto c = sim::connect_to(simulator, o);
  genesys::api_session session(ioc.get_executor(), c.http, c.login_base, c.api_base, c.credentials, c.api_retry);
  sources::monitor_settings m;
  m.use_notifications = m.use_sse = true;
  for (auto& q : o.queue_ids) m.notifications.topics.push_back("v2.routing.queues." + q + ".conversations");
  for (auto& u : o.user_ids) m.notifications.topics.push_back("v2.users." + u + ".conversations");
  m.sse.query_json = sources::default_sse_query({}, {});
  sources::monitor_service service(ioc.get_executor(), session, m, router, [](auto, auto) {}, [&](auto&) { ++r.errors; });
  asio::co_spawn(ioc, service.run(), [](std::exception_ptr e) { if (e) std::rethrow_exception(e); });
  auto t0 = steady_clock::now();
  asio::co_spawn(ioc, [&]() -> asio::awaitable<void> {
    asio::steady_timer t(ioc, duration_cast<steady_clock::duration>(duration<double>(duration_s)));
    co_await t.async_wait(asio::use_awaitable);
    service.stop();
  }, asio::detached);
  ioc.run();
  r.seconds = duration<double>(steady_clock::now() - t0).count();
  r.events = service.counters().total_routed();
  r.duplicates = service.counters().duplicates;
  r.latency_of = "SSE event timestamp to handler (ms clock resolution)";
  return r;
}

void print(result& r, bool as_json) {
  double p50 = bench::percentile(r.latency_ms, 0.50), p99 = bench::percentile(r.latency_ms, 0.99),
         max = r.latency_ms.empty() ? 0 : *std::max_element(r.latency_ms.begin(), r.latency_ms.end());
  double eps = static_cast<double>(r.events) / r.seconds, mbps = static_cast<double>(r.bytes) / 1e6 / r.seconds;
  double rss = static_cast<double>(bench::peak_rss_bytes()) / 1e6;
  if (as_json) {
    json::object o{{"bench", "monitor_load"}, {"workload", r.workload}, {"bytes", r.bytes}, {"events", r.events},
                   {"duplicates_suppressed", r.duplicates}, {"stream_errors", r.errors}, {"seconds", r.seconds},
                   {"events_per_s", eps}, {"mb_per_s", mbps}, {"latency_of", r.latency_of},
                   {"p50_ms", p50}, {"p99_ms", p99}, {"max_ms", max}, {"peak_rss_mb", rss}};
    if (!r.check.empty()) o["check"] = r.check;
    std::cout << json::serialize(o) << '\n';
    return;
  }
  std::cout << fmt::format("monitor_load ({}): {} events in {:.3f} s, {:.0f} events/s, {}, stream errors {}, "
                           "duplicates suppressed {}{}\n  latency {}: p50 {:.3f} ms, p99 {:.3f} ms, max {:.3f} ms\n  peak RSS {:.1f} MB\n",
                           r.workload, r.events, r.seconds, eps,
                           r.bytes ? fmt::format("{:.1f} MB/s", mbps) : std::string("bytes not counted"), r.errors, r.duplicates,
                           r.check.empty() ? "" : ", check " + r.check, r.latency_of, p50, p99, max, rss);
}

// Conversations as the SSE stream names them (UUIDs), each started once and left active.
int tracker_memory(std::size_t n, bool as_json) {
  std::vector<lifecycle_event> starts;
  starts.reserve(n);
  for (std::size_t i = 0; i < n; ++i)
    starts.push_back(make_event(lifecycle::start, {"conversation:start", uuid_v4(), "2026-12-03T12:00:00.000Z", "chat", "bench", ""}));
  auto before = bench::current_rss_bytes();
  pipeline::conversation_tracker tracker({.max_active = n, .max_recently_ended = n});
  for (auto& e : starts) tracker.observe(e);
  auto after = bench::current_rss_bytes();
  if (tracker.active_count() != n) throw std::runtime_error("the tracker lost conversations");
  double per = static_cast<double>(after - before) / static_cast<double>(n);
  if (as_json)
    std::cout << json::serialize(json::object{{"bench", "tracker_memory"}, {"conversations", n}, {"bytes_per_conversation", per},
                                              {"rss_mb", static_cast<double>(after) / 1e6}})
              << '\n';
  else
    std::cout << fmt::format("tracker: {} active conversations, {:.0f} bytes of resident memory each\n", n, per);
  return 0;
}

int write_sse_file(const std::string& path, std::size_t events) {
  auto w = bench::make_sse_workload(events);
  std::ofstream out(path, std::ios::binary);
  out << w.bytes;
  std::ofstream summary(path + ".json");
  summary << json::serialize(json::object{{"events", w.events}, {"keepalives", w.keepalives}, {"bytes", w.bytes.size()}}) << '\n';
  if (!out || !summary) throw std::runtime_error("cannot write " + path);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  grm::tune_allocator();  // as the relay runs
  CLI::App app{"genesys-relay monitor load tool"};
  std::string file, url, post;
  bool use_sim = false, as_json = false;
  std::size_t chunk = 64 * 1024;
  double rate = 500, duration_s = 10;
  auto* modes = app.add_option_group("workload");
  modes->add_option("--file", file, "SSE file (e.g. the Node peer's data/events.sse)");
  modes->add_option("--url", url, "SSE over HTTP(S), read with our HTTP client");
  modes->add_flag("--sim", use_sim, "the in-process simulator, both transports, over TLS");
  std::string write_sse;
  std::size_t track = 0;
  modes->add_option("--track", track, "RSS per tracked conversation with this many active");
  std::size_t events = 1'000'000;
  modes->add_option("--write-sse", write_sse, "write a generated SSE file (and PATH.json) and exit");
  app.add_option("--events", events, "with --write-sse: real events")->check(CLI::PositiveNumber)->capture_default_str();
  modes->require_option(1);
  app.add_option("--post", post, "with --url: POST this JSON body (the tutorial's query) instead of GET");
  app.add_option("--chunk-bytes", chunk, "with --file: read size")->check(CLI::PositiveNumber);
  app.add_option("--rate", rate, "with --sim: new conversations per second")->check(CLI::PositiveNumber);
  app.add_option("--duration", duration_s, "with --sim: seconds")->check(CLI::PositiveNumber);
  app.add_flag("--json", as_json, "one JSON object");
  CLI11_PARSE(app, argc, argv);
  try {
    if (!write_sse.empty()) return write_sse_file(write_sse, events);
    if (track) return tracker_memory(track, as_json);
    auto r = !file.empty() ? run_file(file, chunk) : !url.empty() ? run_url(url, post) : run_sim(rate, duration_s);
    print(r, as_json);
    return r.check == "MISMATCH" ? 1 : 0;
  } catch (const std::exception& e) {
    std::cerr << "monitor_load: " << e.what() << '\n';
    return 2;
  }
}
