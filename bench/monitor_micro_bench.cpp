// Google Benchmark: the monitor's hot paths in-process, no sockets.
//   BM_SseParse                  WHATWG SSE parsing alone (MB/s, events/s)
//   BM_SseParseDecodeRoute       parse + simdjson decode + tracker + typed routing: what the
//                                Node peer's monitor_bench.js measures (processChunk+routeEvent)
//   BM_NotificationDecodeRoute   Notifications WebSocket frames: decode + dedupe + track + route
// The SSE workload is generated (same shape as the peer's gen_sse_file.js) or read from
// --sse-file PATH (e.g. the peer's data/events.sse, for a byte-identical comparison).
// Chunks are 64 KiB, as the peer's file stream reads them.
#include <benchmark/benchmark.h>

#include <cstring>
#include <optional>

#include "bench/workload.hpp"
#include "net/sse_parser.hpp"
#include "pipeline/monitor_pipeline.hpp"

namespace {

using namespace grm;
constexpr std::size_t kChunk = 64 * 1024;
std::optional<bench::sse_workload> g_sse;

const bench::sse_workload& sse() {
  if (!g_sse) g_sse = bench::make_sse_workload(200'000);
  return *g_sse;
}

template <typename F>
void feed_in_chunks(std::string_view bytes, F&& feed) {
  for (std::size_t i = 0; i < bytes.size(); i += kChunk) feed(bytes.substr(i, kChunk));
}

void report(benchmark::State& state, std::size_t bytes, std::size_t events) {
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes) * state.iterations());
  state.counters["events/s"] = benchmark::Counter(static_cast<double>(events) * static_cast<double>(state.iterations()),
                                                  benchmark::Counter::kIsRate);
  state.counters["peak_rss_MB"] = static_cast<double>(bench::peak_rss_bytes()) / 1e6;
}

void BM_SseParse(benchmark::State& state) {
  const auto& w = sse();
  std::size_t dispatched = 0;
  for (auto _ : state) {
    net::sse_parser parser({[&](const net::sse_event& e) { benchmark::DoNotOptimize(e.data.data()); ++dispatched; }, {}, {}});
    feed_in_chunks(w.bytes, [&](std::string_view c) { parser.feed(c); });
  }
  if (dispatched != (w.events + w.keepalives) * static_cast<std::size_t>(state.iterations())) state.SkipWithError("lost events");
  report(state, w.bytes.size(), w.events);
}
BENCHMARK(BM_SseParse)->Unit(benchmark::kMillisecond);

void BM_SseParseDecodeRoute(benchmark::State& state) {
  const auto& w = sse();
  std::uint64_t handled = 0, errors = 0;
  for (auto _ : state) {
    pipeline::event_router router;
    std::string line;
    bench::attach_tutorial_listeners(router, line);
    pipeline::monitor_pipeline p(router, {}, {}, [&](const pipeline::stream_error&) { ++errors; });
    net::sse_parser parser({[&](const net::sse_event& e) { p.sse_data(e.data, "bench"); }, {}, {}});
    feed_in_chunks(w.bytes, [&](std::string_view c) { parser.feed(c); });
    handled += p.counters().total_routed() + p.counters().duplicates;
    benchmark::DoNotOptimize(line);
  }
  if (errors != 0 || handled != w.events * static_cast<std::size_t>(state.iterations())) state.SkipWithError("events lost or rejected");
  report(state, w.bytes.size(), w.events);
}
BENCHMARK(BM_SseParseDecodeRoute)->Unit(benchmark::kMillisecond);

void BM_NotificationDecodeRoute(benchmark::State& state) {
  static const auto frames = bench::make_notification_frames(100'000);
  std::size_t bytes = 0;
  for (auto& f : frames) bytes += f.size();
  std::uint64_t errors = 0;
  for (auto _ : state) {
    pipeline::event_router router;
    std::string line;
    bench::attach_tutorial_listeners(router, line);
    pipeline::monitor_pipeline p(router, {}, {}, [&](const pipeline::stream_error&) { ++errors; });
    for (auto& f : frames) benchmark::DoNotOptimize(p.notification(f, "bench"));
    benchmark::DoNotOptimize(line);
  }
  if (errors != 0) state.SkipWithError("frames rejected");
  report(state, bytes, frames.size());
}
BENCHMARK(BM_NotificationDecodeRoute)->Unit(benchmark::kMillisecond);

}  // namespace

int main(int argc, char** argv) {
  // Our one flag, taken out before Google Benchmark sees the rest.
  std::vector<char*> rest;
  for (int i = 0; i < argc; ++i) {
    if (std::strcmp(argv[i], "--sse-file") == 0 && i + 1 < argc) g_sse = bench::load_sse_file(argv[++i]);
    else rest.push_back(argv[i]);
  }
  int n = static_cast<int>(rest.size());
  benchmark::Initialize(&n, rest.data());
  if (benchmark::ReportUnrecognizedArguments(n, rest.data())) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
}
