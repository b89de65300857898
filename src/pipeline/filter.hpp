#pragma once
// Which lifecycle events pass: by kind, media type and queue (the tutorial's query filter, a
// source's event_types/media_types, a filter transform). Empty sets let everything through. A
// queue is known from the notification topic an event came on (v2.routing.queues.{id}...):
// events from user topics or the SSE stream do not pass a queue filter.
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "core/events.hpp"

namespace grm::pipeline {

// "start" or "conversation:start" (the tutorial's eventType), ... → the kind.
inline std::optional<lifecycle> lifecycle_from_name(std::string_view name) {
  if (name.starts_with("conversation:")) name.remove_prefix(13);
  for (auto k : {lifecycle::start, lifecycle::update, lifecycle::end, lifecycle::wrapup, lifecycle::unknown})
    if (name == to_string(k)) return k;
  return std::nullopt;
}

struct event_filter {
  std::set<lifecycle> kinds;
  std::set<std::string> media_types;  // lower case
  std::set<std::string> queues;       // queue ids

  bool accepts(const lifecycle_event& e) const {
    if (!kinds.empty() && !kinds.contains(kind_of(e))) return false;
    const auto& f = fields_of(e);
    if (!media_types.empty() && !media_types.contains(f.media_type)) return false;
    if (!queues.empty() && !queues.contains(queue_of(f.origin))) return false;
    return true;
  }

  // The queue id in a topic "v2.routing.queues.{id}.conversations...", else "".
  static std::string queue_of(std::string_view origin) {
    constexpr std::string_view prefix = "v2.routing.queues.";
    if (!origin.starts_with(prefix)) return {};
    origin.remove_prefix(prefix.size());
    return std::string(origin.substr(0, origin.find('.')));
  }
};

}  // namespace grm::pipeline
