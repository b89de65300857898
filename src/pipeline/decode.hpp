#pragma once
// Decodes what the sources receive into typed values:
//  - the tutorial's SSE event JSON ({"eventType":"conversation:start",...}) into lifecycle events;
//  - Notifications API frames ({"topicName":...,"eventBody":...}) into lifecycle events (detail
//    event topics), conversation snapshots (queue/user conversation topics, to be diffed by the
//    tracker), or channel system messages (heartbeat, pong, socket_closing).
// A decoder owns a simdjson parser and a padded scratch buffer: one per thread, reused.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/events.hpp"

namespace grm::pipeline {

struct participant_state {
  std::string id;
  std::string purpose;
  bool disconnected = false;  // every media session of this participant has ended
  bool wrapup_required = false;
  std::string wrapup_code;    // non-empty once the agent recorded a wrap-up
};

// The state of one conversation as a queue/user conversation topic or GET
// /api/v2/conversations/{id} shows it.
struct conversation_snapshot {
  std::string conversation_id;
  std::string media_type;
  std::string timestamp;
  std::string origin;
  std::string raw;
  std::vector<participant_state> participants;
  std::uint64_t signature = 0;  // changes whenever a participant or media state changes

  bool all_disconnected() const noexcept;
  bool wrapup_recorded() const noexcept;
};

enum class system_kind : std::uint8_t { heartbeat, pong, socket_closing, subscription_reply };

struct system_message {
  system_kind kind;
  std::string detail;
};

struct decode_error {
  std::string message;  // names the field and what was wrong
  std::string raw;      // the offending input, for the stream-error report
};

using decoded = std::variant<lifecycle_event, conversation_snapshot, system_message, decode_error>;

class event_decoder final {
 public:
  static constexpr std::size_t default_max_payload_bytes = 256u * 1024u;

  explicit event_decoder(std::size_t max_payload_bytes = default_max_payload_bytes);
  ~event_decoder();
  event_decoder(const event_decoder&) = delete;
  event_decoder& operator=(const event_decoder&) = delete;

  // The tutorial's SSE payload; `origin` names the stream for diagnostics.
  decoded decode_sse_payload(std::string_view json, std::string_view origin);
  // One Notifications API WebSocket text frame.
  decoded decode_notification(std::string_view json);
  // A conversation as returned by GET /api/v2/conversations/{id}.
  decoded decode_conversation(std::string_view json, std::string_view origin);

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

// "conversation:start" → lifecycle::start, ...; anything else → unknown.
lifecycle lifecycle_from_tutorial_type(std::string_view event_type) noexcept;
// Detail-event topic suffix ("customer.start", "acw", ...) → lifecycle.
lifecycle lifecycle_from_detail_suffix(std::string_view suffix) noexcept;
std::string normalise_media_type(std::string_view media);

}  // namespace grm::pipeline
