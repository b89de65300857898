#pragma once
// The tutorial's transport: POST {api}/api/v2/analytics/events with the query body, read the
// text/event-stream response, parse it with the WHATWG SSE parser and feed the pipeline.
// Reconnects with the shared backoff (Retry-After on 429/503, the stream's `retry` field as the
// floor); 401 refreshes the token once, then 401/403 are fatal.
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <string>

#include "sources/source_context.hpp"

namespace grm::sources {

struct sse_source_options {
  std::string path = "/api/v2/analytics/events";
  std::string query_json;  // the tutorial's buildRealTimeQuery() body
  std::chrono::milliseconds idle_timeout{120'000};
  std::size_t max_event_bytes = 1u << 20;
};

// Runs until shutdown; throws relay_error when continuing is wrong (auth) or retries ran out.
boost::asio::awaitable<void> run_sse_source(source_context ctx, sse_source_options options);

std::string default_sse_query(const std::vector<std::string>& event_types,
                              const std::vector<std::string>& media_types);

}  // namespace grm::sources
