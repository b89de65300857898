#pragma once
// The sources' settings (docs/configuration.md):
//   [sources.<id>] type = "notifications": queues, users, topics, heartbeat_timeout_ms,
//                  rotate_before_expiry_s, topics_per_channel, event_types, media_types
//   [sources.<id>] type = "sse" (the tutorial's stream): event_types, media_types
//   [monitor] (every stream): max_retries, reconnect_max_delay_ms, max_payload_bytes, json
// One monitor runs both transports into one pipeline (events seen on both arrive once), so
// there is at most one source of each type.
#include <string>
#include <vector>

#include "config/document.hpp"
#include "pipeline/filter.hpp"
#include "sources/monitor_service.hpp"

namespace grm::sources {

enum class transport : std::uint8_t { notifications, sse };
std::string_view to_string(transport t) noexcept;

struct source_spec {
  std::string id;
  transport type = transport::notifications;
  pipeline::event_filter filter;  // event_types and media_types: what this source passes on
  std::vector<std::string> queues;  // the queues it watches (backfill looks at the same)
};

// [monitor]. `api_retry` is [retry]'s: the reconnect backoff starts at twice its base.
void parse_monitor(const config::section& monitor, const net::retry_policy& api_retry, bool shorthand, monitor_settings& m,
                   bool& json_output);
// One source into the monitor's settings. Throws relay_error(config) naming the key; `streams`:
// it will run (a notifications source then needs topics).
source_spec parse_source(const config::component& c, monitor_settings& m, bool streams);

// Which source an event came from, by its origin ("sse:<path>" or a notification topic).
transport transport_of(std::string_view origin) noexcept;

}  // namespace grm::sources
