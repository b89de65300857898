// The CPU cost of the EventBridge sink's own work per event: serialise a 10-entry PutEvents body
// and sign it (SigV4 with a cached signing key), and read a 10-entry result. Network excluded.
#include <benchmark/benchmark.h>

#include "aws/sigv4.hpp"
#include "bench/workload.hpp"
#include "sinks/eventbridge/request_builder.hpp"

namespace {

namespace eb = grm::sinks::eventbridge;

std::vector<eb::put_entry> batch_of_ten() {
  std::vector<eb::put_entry> v;
  for (std::uint64_t i = 0; i < 10; ++i)
    v.push_back({"genesys.sentiment.forwarder", "ChatSentimentAnalysis", grm::bench::sentiment_detail(i), {}, std::nullopt, "", ""});
  return v;
}

void BM_SerialiseAndSignBatchOfTen(benchmark::State& state) {
  auto entries = batch_of_ten();
  std::vector<const eb::put_entry*> batch;
  for (auto& e : entries) batch.push_back(&e);
  grm::aws::signer signer;
  grm::aws::credentials creds{"AKIDEXAMPLE", grm::secret("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"), {}, std::nullopt, "bench"};
  grm::aws::signing_options opt{.region = "us-east-1", .service = "events"};
  auto now = std::chrono::system_clock::now();
  std::size_t bytes = 0;
  for (auto _ : state) {
    auto body = eb::encode_put_events(batch);
    grm::aws::signable_request req{"POST", "/",
                                   {{"Host", "events.us-east-1.amazonaws.com"},
                                    {"Content-Type", "application/x-amz-json-1.1"},
                                    {"X-Amz-Target", "AWSEvents.PutEvents"}},
                                   body};
    auto parts = signer.sign(req, creds, opt, now);
    benchmark::DoNotOptimize(parts.signature);
    bytes += body.size();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * 10);
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
  state.counters["ns_per_event"] = benchmark::Counter(static_cast<double>(state.iterations()) * 10,
                                                      benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_SerialiseAndSignBatchOfTen)->Unit(benchmark::kMicrosecond);

void BM_ParseResultOfTen(benchmark::State& state) {
  std::string body = R"({"FailedEntryCount":0,"Entries":[)";
  for (int i = 0; i < 10; ++i) body += std::string(i ? "," : "") + R"({"EventId":"11710aed-b79e-4468-a20b-bb3c0c3b4860"})";
  body += "]}";
  for (auto _ : state) benchmark::DoNotOptimize(eb::parse_put_events_result(body, 10));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * 10);
}
BENCHMARK(BM_ParseResultOfTen)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
