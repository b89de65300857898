#pragma once
// What a source needs to run: the Genesys clients, the pipeline it feeds, shutdown, the
// reconnect policy, and a place to report what happened (log lines and counters).
#include <chrono>
#include <cstdint>
#include <functional>
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

struct source_stats {
  std::uint64_t connects = 0;
  std::uint64_t reconnects = 0;       // unplanned: drops, silent sockets, errors
  std::uint64_t rotations = 0;        // planned: socket_closing, channel expiry
  std::uint64_t reconciled = 0;       // conversations re-read after a drop
  std::uint64_t rejected_topics = 0;
};

struct reconnect_policy {
  int max_retries = 5;  // consecutive failed attempts before giving up; 0 = forever
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

}  // namespace grm::sources
