#pragma once
// The typed conversation lifecycle events every source produces and every handler consumes.
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

namespace grm {

enum class lifecycle : std::uint8_t { start, update, end, wrapup, unknown };

std::string_view to_string(lifecycle kind) noexcept;

// Fields shared by all lifecycle events. `raw` is the payload exactly as received, so a handler
// can forward it without re-serialising; `origin` says which topic or stream produced it.
struct event_fields {
  std::string event_type;       // e.g. "conversation:start" or the notification topic kind
  std::string conversation_id;
  std::string timestamp;        // RFC 3339 UTC
  std::string media_type;       // lower case: voice, chat, message, email, callback, ...
  std::string origin;
  std::string raw;
};

struct conversation_start : event_fields {};
struct conversation_update : event_fields {};
struct conversation_end : event_fields {};
struct conversation_wrapup : event_fields {};
struct unknown_event : event_fields {};

using lifecycle_event = std::variant<conversation_start, conversation_update, conversation_end,
                                     conversation_wrapup, unknown_event>;

lifecycle kind_of(const lifecycle_event& event) noexcept;
const event_fields& fields_of(const lifecycle_event& event) noexcept;
lifecycle_event make_event(lifecycle kind, event_fields fields);

}  // namespace grm
