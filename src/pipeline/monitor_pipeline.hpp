#pragma once
// What every source feeds: decode → (skip keep-alives) → de-duplicate → track → filter → route.
// Sources hand over raw payloads; handlers receive typed lifecycle events. A bad payload becomes
// a stream error (message + raw input) and the pipeline carries on.
// Not thread-safe: one strand owns it (the monitor's io_context thread).
#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pipeline/decode.hpp"
#include "pipeline/dedupe.hpp"
#include "pipeline/filter.hpp"
#include "pipeline/route.hpp"
#include "pipeline/track.hpp"

namespace grm::pipeline {

struct pipeline_counters {
  std::array<std::uint64_t, 5> routed{};  // by lifecycle kind
  std::uint64_t filtered = 0;
  std::uint64_t keepalives = 0;
  std::uint64_t heartbeats = 0;
  std::uint64_t duplicates = 0;
  std::uint64_t stream_errors = 0;
  std::uint64_t frames = 0;

  std::uint64_t total_routed() const {
    std::uint64_t n = 0;
    for (auto v : routed) n += v;
    return n;
  }
};

struct stream_error {
  std::string message;
  std::string raw;
  std::string origin;
};

class monitor_pipeline final {
 public:
  // `filter` for what the Notifications API delivers, `sse_filter` for the tutorial's stream.
  monitor_pipeline(event_router& router, event_filter filter, event_filter sse_filter,
                   std::function<void(const stream_error&)> on_error,
                   std::size_t max_payload_bytes = event_decoder::default_max_payload_bytes,
                   tracker_limits limits = {});

  // One dispatched SSE event's data (tutorial shape). Empty and "{}" are keep-alives.
  void sse_data(std::string_view data, std::string_view origin);
  // One Notifications WebSocket text frame; channel system messages are returned to the source.
  std::optional<system_message> notification(std::string_view frame, std::string_view origin);
  // A conversation re-read from the API (reconciliation after a drop).
  void conversation(std::string_view json, std::string_view origin);
  void report_error(std::string message, std::string raw, std::string_view origin);

  std::vector<std::string> tracked_conversations() const { return tracker_.active_ids(); }
  const pipeline_counters& counters() const noexcept { return counters_; }
  const conversation_tracker& tracker() const noexcept { return tracker_; }

 private:
  void emit(const lifecycle_event& e);
  void handle(decoded d, std::string_view origin);

  event_router& router_;
  event_filter filter_, sse_filter_;
  std::function<void(const stream_error&)> on_error_;
  event_decoder decoder_;
  conversation_tracker tracker_;
  dedupe_window dedupe_;
  pipeline_counters counters_;
  std::vector<lifecycle_event> scratch_;
};

}  // namespace grm::pipeline
