// Google Benchmark: every hot step of the relay on its own, in process, no sockets. Each
// benchmark iteration handles one batch (a 64 KiB SSE chunk, 1,000 events, one 10-entry
// PutEvents, 256 outbox messages); per batch it records wall time, so each row reports:
//   events/s (items per second of CPU), p50/p99 ns per event (from the batches' times),
//   cpu_s_per_M (CPU seconds per million events) and peak_rss_MB.
// The SSE workload is generated (the peer generator's shape) or read from --sse-file PATH.
//   steps_bench [--sse-file PATH] [Google Benchmark flags, e.g. --benchmark_min_time=0.01]
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <optional>

#include "aws/sigv4.hpp"
#include "bench/workload.hpp"
#include "core/allocator.hpp"
#include "core/ids.hpp"
#include "delivery/database.hpp"
#include "delivery/outbox.hpp"
#include "net/sse_parser.hpp"
#include "pipeline/decode.hpp"
#include "pipeline/monitor_pipeline.hpp"
#include "pipeline/route.hpp"
#include "pipeline/sentiment/sentiment.hpp"
#include "pipeline/track.hpp"
#include "sinks/eventbridge/request_builder.hpp"

namespace {

using namespace grm;
using namespace std::chrono;
namespace asio = boost::asio;
namespace eb = grm::sinks::eventbridge;
constexpr std::size_t kChunk = 64 * 1024;
constexpr std::size_t kBatch = 1000;

std::optional<bench::sse_workload> g_sse;
const bench::sse_workload& sse() {
  if (!g_sse) g_sse = bench::make_sse_workload(200'000);
  return *g_sse;
}

double thread_cpu_s() {
  timespec ts{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// Times each batch of the loop and reports the counters every row has.
class batches {
 public:
  explicit batches(benchmark::State& state) : state_(state), cpu0_(thread_cpu_s()) {}
  ~batches() {
    double cpu = thread_cpu_s() - cpu0_;
    auto items = static_cast<double>(items_);
    state_.SetItemsProcessed(static_cast<std::int64_t>(items_));
    state_.counters["events/s"] = benchmark::Counter(items, benchmark::Counter::kIsRate);
    state_.counters["p50_ns"] = bench::percentile(per_item_ns_, 0.50);
    state_.counters["p99_ns"] = bench::percentile(per_item_ns_, 0.99);
    state_.counters["cpu_s_per_M"] = items ? cpu / items * 1e6 : 0;
    state_.counters["peak_rss_MB"] = static_cast<double>(bench::peak_rss_bytes()) / 1e6;
  }
  // Runs `batch()` once per iteration; it returns how many events it handled.
  template <typename F>
  void run(F&& batch) {
    for (auto _ : state_) {
      auto t0 = steady_clock::now();
      std::size_t n = batch();
      auto ns = static_cast<double>(duration_cast<nanoseconds>(steady_clock::now() - t0).count());
      items_ += n;
      if (n) per_item_ns_.push_back(ns / static_cast<double>(n));
    }
  }

 private:
  benchmark::State& state_;
  double cpu0_;
  std::size_t items_ = 0;
  std::vector<double> per_item_ns_;
};

// --- the monitor ---------------------------------------------------------------------------------

std::vector<std::string_view> chunks_of(std::string_view bytes) {
  std::vector<std::string_view> v;
  for (std::size_t i = 0; i < bytes.size(); i += kChunk) v.push_back(bytes.substr(i, kChunk));
  return v;
}

// The data of every real event of the workload, as the SSE parser hands it on.
const std::vector<std::string>& sse_payloads() {
  static const auto v = [] {
    std::vector<std::string> out;
    net::sse_parser parser({[&](const net::sse_event& e) {
                              if (e.data.size() > 2) out.emplace_back(e.data);
                            },
                            {},
                            {}});
    parser.feed(sse().bytes);
    return out;
  }();
  return v;
}

const std::vector<lifecycle_event>& decoded_events() {
  static const auto v = [] {
    std::vector<lifecycle_event> out;
    pipeline::event_decoder d;
    for (auto& p : sse_payloads()) {
      auto r = d.decode_sse_payload(p, "bench");
      if (auto* e = std::get_if<lifecycle_event>(&r)) out.push_back(std::move(*e));
    }
    return out;
  }();
  return v;
}

void BM_SseParse(benchmark::State& state) {
  auto chunks = chunks_of(sse().bytes);
  std::size_t dispatched = 0, i = 0;
  net::sse_parser parser({[&](const net::sse_event& e) { benchmark::DoNotOptimize(e.data.data()); ++dispatched; }, {}, {}});
  batches b(state);
  b.run([&] {
    auto before = dispatched;
    parser.feed(chunks[i++ % chunks.size()]);
    return dispatched - before;
  });
}
BENCHMARK(BM_SseParse);

void BM_EventDecode(benchmark::State& state) {
  const auto& payloads = sse_payloads();
  pipeline::event_decoder d;
  std::size_t i = 0, errors = 0;
  batches b(state);
  b.run([&] {
    for (std::size_t k = 0; k < kBatch; ++k) {
      auto r = d.decode_sse_payload(payloads[i++ % payloads.size()], "bench");
      errors += !std::holds_alternative<lifecycle_event>(r);
      benchmark::DoNotOptimize(r);
    }
    return kBatch;
  });
  if (errors) state.SkipWithError("events rejected");
}
BENCHMARK(BM_EventDecode);

void BM_WebSocketFrameDecode(benchmark::State& state) {
  static const auto frames = bench::make_notification_frames(100'000);
  pipeline::event_decoder d;
  std::size_t i = 0, errors = 0;
  batches b(state);
  b.run([&] {
    for (std::size_t k = 0; k < kBatch; ++k) {
      auto r = d.decode_notification(frames[i++ % frames.size()]);
      errors += std::holds_alternative<pipeline::decode_error>(r);
      benchmark::DoNotOptimize(r);
    }
    return kBatch;
  });
  if (errors) state.SkipWithError("frames rejected");
}
BENCHMARK(BM_WebSocketFrameDecode);

void BM_TrackerUpdate(benchmark::State& state) {
  const auto& events = decoded_events();
  pipeline::conversation_tracker tracker;
  std::size_t i = 0;
  batches b(state);
  b.run([&] {
    for (std::size_t k = 0; k < kBatch; ++k) benchmark::DoNotOptimize(tracker.observe(events[i++ % events.size()]));
    return kBatch;
  });
}
BENCHMARK(BM_TrackerUpdate);

void BM_Route(benchmark::State& state) {
  const auto& events = decoded_events();
  pipeline::event_router router;
  std::string line;
  bench::attach_tutorial_listeners(router, line);  // each handler formats the tutorial's log line
  std::size_t i = 0;
  batches b(state);
  b.run([&] {
    for (std::size_t k = 0; k < kBatch; ++k) router.route(events[i++ % events.size()]);
    benchmark::DoNotOptimize(line);
    return kBatch;
  });
}
BENCHMARK(BM_Route);

// Parse + decode + track + route: the whole monitor pipeline on the SSE stream.
void BM_SsePipeline(benchmark::State& state) {
  auto chunks = chunks_of(sse().bytes);
  pipeline::event_router router;
  std::string line;
  bench::attach_tutorial_listeners(router, line);
  std::uint64_t errors = 0;
  pipeline::monitor_pipeline p(router, {}, {}, [&](const pipeline::stream_error&) { ++errors; });
  net::sse_parser parser({[&](const net::sse_event& e) { p.sse_data(e.data, "bench"); }, {}, {}});
  std::size_t i = 0;
  auto handled = [&] { return p.counters().total_routed() + p.counters().duplicates; };
  batches b(state);
  b.run([&] {
    auto before = handled();
    parser.feed(chunks[i++ % chunks.size()]);
    return static_cast<std::size_t>(handled() - before);
  });
  if (errors) state.SkipWithError("events rejected");
}
BENCHMARK(BM_SsePipeline);

// Notifications frames: decode + dedupe + track (snapshots diffed) + route.
void BM_WebSocketPipeline(benchmark::State& state) {
  static const auto frames = bench::make_notification_frames(100'000);
  pipeline::event_router router;
  std::string line;
  bench::attach_tutorial_listeners(router, line);
  std::uint64_t errors = 0;
  pipeline::monitor_pipeline p(router, {}, {}, [&](const pipeline::stream_error&) { ++errors; });
  std::size_t i = 0;
  batches b(state);
  b.run([&] {
    for (std::size_t k = 0; k < kBatch; ++k) benchmark::DoNotOptimize(p.notification(frames[i++ % frames.size()], "bench"));
    return kBatch;
  });
  if (errors) state.SkipWithError("frames rejected");
}
BENCHMARK(BM_WebSocketPipeline);

// --- the forwarder -------------------------------------------------------------------------------

sentiment::snapshot seed_snapshot(std::size_t i) {
  static const std::string id = "3f2504e0-4f89-41d3-9a0c-0305e82c3301";
  auto s = sentiment::from_analytics(id, 0.82, 0.08213, 0.04447, 0.8734 - static_cast<double>(i % 7) * 1e-4);
  return s;
}

void BM_PayloadBuild(benchmark::State& state) {
  auto snap = seed_snapshot(0);
  auto now = time_point_cast<milliseconds>(system_clock::now());
  sentiment::payload_fields f{0.85, uuid_v4(), now};
  batches b(state);
  b.run([&] {
    for (std::size_t k = 0; k < kBatch; ++k) benchmark::DoNotOptimize(sentiment::build_payload(snap, f));
    return kBatch;
  });
}
BENCHMARK(BM_PayloadBuild);

void BM_SchemaCheck(benchmark::State& state) {
  sentiment::payload_validator v;
  auto now = time_point_cast<milliseconds>(system_clock::now());
  std::vector<std::string> payloads;
  for (std::size_t i = 0; i < 64; ++i) payloads.push_back(sentiment::build_payload(seed_snapshot(i), {0.85, uuid_v4(), now}));
  std::size_t i = 0, invalid = 0;
  batches b(state);
  b.run([&] {
    for (std::size_t k = 0; k < 100; ++k) invalid += v.validate(payloads[i++ % payloads.size()]).has_value();
    return std::size_t{100};
  });
  if (invalid) state.SkipWithError("payloads refused");
}
BENCHMARK(BM_SchemaCheck);

// --- EventBridge -------------------------------------------------------------------------------

std::vector<eb::put_entry> batch_of_ten() {
  std::vector<eb::put_entry> v;
  for (std::uint64_t i = 0; i < 10; ++i)
    v.push_back({"genesys.sentiment.forwarder", "ChatSentimentAnalysis", bench::sentiment_detail(i), {}, std::nullopt, "", ""});
  return v;
}

void BM_PutEventsEncode(benchmark::State& state) {
  auto entries = batch_of_ten();
  std::vector<const eb::put_entry*> batch;
  for (auto& e : entries) batch.push_back(&e);
  batches b(state);
  b.run([&] {
    benchmark::DoNotOptimize(eb::encode_put_events(batch));
    return batch.size();
  });
}
BENCHMARK(BM_PutEventsEncode);

void BM_SigV4Sign(benchmark::State& state) {
  auto entries = batch_of_ten();
  std::vector<const eb::put_entry*> batch;
  for (auto& e : entries) batch.push_back(&e);
  auto body = eb::encode_put_events(batch);
  aws::signer signer;
  aws::credentials creds{"AKIDEXAMPLE", secret("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"), {}, std::nullopt, "bench"};
  aws::signing_options opt{.region = "us-east-1", .service = "events"};
  auto now = system_clock::now();
  batches b(state);
  b.run([&] {
    aws::signable_request req{"POST", "/",
                              {{"Host", "events.us-east-1.amazonaws.com"},
                               {"Content-Type", "application/x-amz-json-1.1"},
                               {"X-Amz-Target", "AWSEvents.PutEvents"}},
                              body};
    benchmark::DoNotOptimize(signer.sign(req, creds, opt, now).signature);
    return batch.size();  // one request signs ten events
  });
}
BENCHMARK(BM_SigV4Sign);

void BM_PutEventsResultParse(benchmark::State& state) {
  std::string result = R"({"FailedEntryCount":0,"Entries":[)";
  for (int i = 0; i < 10; ++i) result += std::string(i ? "," : "") + R"({"EventId":"11710aed-b79e-4468-a20b-bb3c0c3b486)" + std::to_string(i) + R"("})";
  result += "]}";
  batches b(state);
  b.run([&] {
    benchmark::DoNotOptimize(eb::parse_put_events_result(result, 10));
    return std::size_t{10};
  });
}
BENCHMARK(BM_PutEventsResultParse);

// --- the outbox ----------------------------------------------------------------------------------

// 256 messages accepted at once (one group commit), claimed and acknowledged as delivered: the
// durable path every forward and lifecycle event takes, on a WAL file (synchronous = normal).
void BM_OutboxAppendAck(benchmark::State& state) {
  constexpr std::size_t kMessages = 256;
  auto path = (std::filesystem::temp_directory_path() / ("grm-steps-bench-" + std::to_string(::getpid()) + ".db")).string();
  {
    asio::io_context ioc;
    delivery::database db(path);
    delivery::outbox box(ioc.get_executor(), db, {});
    std::size_t n = 0;
    batches b(state);
    b.run([&] {
      std::size_t accepted = 0;
      for (std::size_t k = 0; k < kMessages; ++k, ++n) {
        auto key = "conv-" + std::to_string(n);
        delivery::message m{key + ":lifecycle", key, key, "lifecycle", bench::sentiment_detail(n)};
        std::vector<std::string> sinks{"bus"};
        asio::co_spawn(ioc, box.accept(std::move(m), std::move(sinks)), [&](std::exception_ptr, std::int64_t) { ++accepted; });
      }
      ioc.restart();
      while (accepted < kMessages) ioc.run_one();
      std::vector<delivery::outbox_result> results;
      for (auto& e : box.due("bus", delivery::now_ms(), kMessages, {}))
        results.push_back(delivery::outbox_result::delivered(e.delivery_id, "id"));
      bool recorded = false;
      asio::co_spawn(ioc, box.record(std::move(results)), [&](std::exception_ptr) { recorded = true; });
      ioc.restart();  // run_one() stops the context when it runs out of work
      while (!recorded) ioc.run_one();
      ioc.restart();
      ioc.poll();  // the finalised messages' forget write
      return kMessages;
    });
    if (box.stats().pending != 0) state.SkipWithError("deliveries left pending");
  }
  for (auto suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
}
BENCHMARK(BM_OutboxAppendAck);

}  // namespace

int main(int argc, char** argv) {
  grm::tune_allocator();  // as the relay runs
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
