#pragma once
// What a source needs to run: the Genesys clients, the pipeline it feeds, shutdown, the
// reconnect policy, and a place to report what happened (log lines and counters).
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "core/log.hpp"
#include "genesys/api.hpp"
#include "genesys/oauth.hpp"
#include "net/http.hpp"
#include "net/retry.hpp"
#include "pipeline/monitor_pipeline.hpp"
#include "sources/shutdown.hpp"

namespace grm::sources {

using grm::severity;

// Where one stream (a channel lane, the SSE stream, the first authentication) stands, for
// readiness and metrics.
struct stream_status {
  bool connected = false;
  int consecutive_failures = 0;
  std::string last_error;
  std::chrono::system_clock::time_point failing_since{};
};

struct source_stats {
  std::uint64_t connects = 0;
  std::uint64_t reconnects = 0;       // unplanned: drops, silent sockets, errors
  std::uint64_t rotations = 0;        // planned: socket_closing, channel expiry
  std::uint64_t reconciled = 0;       // conversations re-read after a drop
  std::uint64_t rejected_topics = 0;
  std::map<std::string, stream_status> streams;  // by stream name ("channel lane 0", "SSE stream")
};

struct reconnect_policy {
  int max_retries = 0;  // consecutive failed attempts before giving up; 0 (the default) = forever
  net::retry_policy backoff{.max_attempts = 0, .base = std::chrono::milliseconds{1000},
                            .cap = std::chrono::milliseconds{60'000}};
};


struct source_context {
  net::http_client& http;
  genesys::token_provider& tokens;
  genesys::api_client& api;
  pipeline::monitor_pipeline& pipeline;
  shutdown_signal& shutdown;
  reconnect_policy reconnect;
  source_stats& stats;
  log_fn log;
};

// The only failures a stream does not outlive: refused credentials or permissions (after a
// token refresh) and invalid configuration. Everything else is an outage, retried forever
// unless reconnect.max_retries says otherwise.
bool is_fatal_for_streams(error_kind kind) noexcept;

// Consecutive failures of one stream: the status it reports, when a failure is worth a log line
// (each of the first 5, then every 10th up to 100, then every 100th: an outage of hours does not
// flood the log, and each is still counted), and the jittered, capped delay before the next try.
class stream_failures final {
 public:
  stream_failures(source_context& ctx, std::string name);
  // A failure: updates the status; throws relay_error(network) naming the stream and the last
  // error when reconnect.max_retries is set and exceeded. Returns the delay before the next try.
  std::chrono::milliseconds failed(const std::string& reason, const net::http_response* response = nullptr);
  void connected();                  // a working connection: the count starts again
  bool worth_logging() const noexcept;
  int count() const noexcept { return count_; }
  const std::string& name() const noexcept { return name_; }

 private:
  source_context& ctx_;
  std::string name_;
  int count_ = 0;
};

}  // namespace grm::sources
