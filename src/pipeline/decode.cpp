#include "pipeline/decode.hpp"

#include <simdjson.h>

#include <array>
#include <chrono>

#include "core/time.hpp"

namespace grm::pipeline {
namespace {

namespace dom = simdjson::dom;

constexpr std::string_view kDetailPrefix = "v2.detail.events.conversation.";

std::string type_name(dom::element_type t) {
  switch (t) {
    case dom::element_type::ARRAY: return "array";
    case dom::element_type::OBJECT: return "object";
    case dom::element_type::INT64:
    case dom::element_type::UINT64:
    case dom::element_type::DOUBLE: return "number";
    case dom::element_type::STRING: return "string";
    case dom::element_type::BOOL: return "boolean";
    case dom::element_type::NULL_VALUE: return "null";
  }
  return "unknown";
}

// Reads an optional string field (null counts as absent); a present non-string is an error
// naming the field and the type found.
bool read_string(dom::element v, std::string_view field, std::string& out, std::string& error) {
  if (v.is_null()) return true;
  std::string_view s;
  if (v.get_string().get(s)) {
    error = "field '" + std::string(field) + "' must be a string, got " + type_name(v.type());
    return false;
  }
  out.assign(s);
  return true;
}

std::string now_rfc3339() {
  return format_rfc3339(std::chrono::time_point_cast<std::chrono::milliseconds>(
      std::chrono::system_clock::now()));
}

std::uint64_t mix(std::uint64_t h, std::string_view s) {
  // FNV-1a: the signature only has to change when the state changes, not resist attackers.
  for (char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ull;
  }
  h ^= 0xff;
  h *= 1099511628211ull;
  return h;
}

bool is_ended_state(std::string_view s) { return s == "disconnected" || s == "terminated"; }

// Media arrays of a participant (JS-SDK models): the first non-empty one names the media type.
constexpr std::array<std::pair<std::string_view, std::string_view>, 11> kMediaArrays = {{
    {"calls", "voice"}, {"callbacks", "callback"}, {"chats", "chat"},
    {"cobrowsesessions", "cobrowse"}, {"emails", "email"}, {"messages", "message"},
    {"screenshares", "screenshare"}, {"socialExpressions", "socialexpression"},
    {"videos", "video"}, {"internalMessages", "internalmessage"},
    {"screenMonitorings", "screenmonitoring"},
}};

std::string_view media_of_array(std::string_view key) {
  for (auto& [k, m] : kMediaArrays)
    if (k == key) return m;
  return {};
}

bool is_conversation_topic(std::string_view topic) {
  // v2.routing.queues.{id}.conversations[.media] and v2.users.{id}.conversations[.media]
  for (std::string_view prefix : {std::string_view("v2.routing.queues."),
                                  std::string_view("v2.users.")}) {
    if (!topic.starts_with(prefix)) continue;
    auto rest = topic.substr(prefix.size());
    auto dot = rest.find('.');
    if (dot == std::string_view::npos || dot == 0) return false;
    auto tail = rest.substr(dot + 1);
    return tail == "conversations" || tail.starts_with("conversations.");
  }
  return false;
}

}  // namespace

bool conversation_snapshot::all_disconnected() const noexcept {
  if (participants.empty()) return false;
  for (auto& p : participants)
    if (!p.disconnected) return false;
  return true;
}

bool conversation_snapshot::wrapup_recorded() const noexcept {
  for (auto& p : participants)
    if (!p.wrapup_code.empty()) return true;
  return false;
}

lifecycle lifecycle_from_tutorial_type(std::string_view t) noexcept {
  if (t == "conversation:start") return lifecycle::start;
  if (t == "conversation:update") return lifecycle::update;
  if (t == "conversation:end") return lifecycle::end;
  if (t == "conversation:wrapup") return lifecycle::wrapup;
  return lifecycle::unknown;
}

lifecycle lifecycle_from_detail_suffix(std::string_view s) noexcept {
  if (s == "customer.start") return lifecycle::start;
  if (s == "customer.end") return lifecycle::end;
  if (s == "acw" || s == "wrapup") return lifecycle::wrapup;
  if (s.empty()) return lifecycle::unknown;
  return lifecycle::update;  // acd.*, user.*, flow.*, attributes, ...: the conversation moved on
}

std::string normalise_media_type(std::string_view media) {
  std::string out(media);
  for (auto& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  if (out == "call") out = "voice";
  return out;
}

struct event_decoder::impl {
  explicit impl(std::size_t max_bytes) : max_payload(max_bytes) {}

  std::size_t max_payload;
  dom::parser parser;
  std::string buffer;

  // Parses into `root`; a failure returns the error message. The DOM parser validates the
  // whole document, trailing content included.
  std::string load(std::string_view json, dom::element& root) {
    if (json.size() > max_payload)
      return "payload of " + std::to_string(json.size()) + " bytes exceeds the limit of " +
             std::to_string(max_payload) + " bytes";
    buffer.reserve(json.size() + simdjson::SIMDJSON_PADDING);
    buffer.assign(json);
    auto err = parser.parse(buffer.data(), buffer.size(), false).get(root);
    if (err) return std::string("invalid JSON: ") + simdjson::error_message(err);
    return {};
  }

  decoded tutorial_event(std::string_view json, std::string_view origin) {
    dom::element root;
    if (auto e = load(json, root); !e.empty()) return decode_error{std::move(e), std::string(json)};
    dom::object obj;
    if (root.get_object().get(obj))
      return decode_error{"event must be a JSON object, got " + type_name(root.type()),
                          std::string(json)};
    event_fields f;
    std::string error;
    for (auto [key, v] : obj) {
      bool ok = true;
      if (key == "eventType") ok = read_string(v, key, f.event_type, error);
      else if (key == "conversationId") ok = read_string(v, key, f.conversation_id, error);
      else if (key == "timestamp") ok = read_string(v, key, f.timestamp, error);
      else if (key == "mediaType") ok = read_string(v, key, f.media_type, error);
      if (!ok) return decode_error{std::move(error), std::string(json)};
    }
    f.media_type = normalise_media_type(f.media_type);
    f.origin.assign(origin);
    f.raw.assign(json);
    auto kind = lifecycle_from_tutorial_type(f.event_type);
    return make_event(kind, std::move(f));
  }

  decoded notification(std::string_view json) {
    dom::element root;
    if (auto e = load(json, root); !e.empty()) return decode_error{std::move(e), std::string(json)};
    dom::object obj;
    if (root.get_object().get(obj))
      return decode_error{"notification frame must be a JSON object", std::string(json)};
    std::string topic, error;
    dom::object body;
    bool has_body = false;
    for (auto [key, v] : obj) {
      if (key == "topicName") {
        if (!read_string(v, key, topic, error)) return decode_error{std::move(error), std::string(json)};
      } else if (key == "eventBody") {
        if (v.get_object().get(body))
          return decode_error{"field 'eventBody' must be an object", std::string(json)};
        has_body = true;
      } else if (key == "result") {
        // A reply to a WebSocket-side subscribe request ({"result":"200",...}).
        return system_message{system_kind::subscription_reply, std::string(json)};
      }
    }
    if (topic.empty()) return decode_error{"frame has no 'topicName'", std::string(json)};
    return route_topic(topic, has_body ? &body : nullptr, json);
  }

  decoded route_topic(const std::string& topic, dom::object* body, std::string_view json) {
    if (topic == "channel.metadata") {
      std::string_view message;
      bool pong = body && !(*body)["message"].get_string().get(message) && message == "pong";
      return system_message{pong ? system_kind::pong : system_kind::heartbeat, {}};
    }
    if (topic == "v2.system.socket_closing")
      return system_message{system_kind::socket_closing, std::string(json)};
    if (topic.starts_with(kDetailPrefix)) {
      if (!body) return decode_error{"detail event has no 'eventBody'", std::string(json)};
      return detail_event(topic, *body, json);
    }
    if (is_conversation_topic(topic)) {
      if (!body) return decode_error{"conversation event has no 'eventBody'", std::string(json)};
      return snapshot(*body, topic, json);
    }
    event_fields f;
    f.event_type = topic;
    f.origin = topic;
    f.raw.assign(json);
    f.timestamp = now_rfc3339();
    return unknown_event{std::move(f)};
  }

  decoded detail_event(const std::string& topic, dom::object body, std::string_view json) {
    // v2.detail.events.conversation.{conversationId}.{suffix}
    std::string_view rest = std::string_view(topic).substr(kDetailPrefix.size());
    auto dot = rest.find('.');
    std::string_view suffix =
        dot == std::string_view::npos ? std::string_view{} : rest.substr(dot + 1);
    event_fields f;
    f.conversation_id.assign(rest.substr(0, dot));
    f.event_type.assign(suffix);
    f.origin = topic;
    f.raw.assign(json);
    std::string error;
    for (auto [key, v] : body) {
      if (key == "eventTime") {
        std::int64_t ms;
        if (v.get_int64().get(ms))
          return decode_error{"field 'eventTime' must be epoch milliseconds (integer)",
                              std::string(json)};
        f.timestamp = format_rfc3339_epoch_ms(ms);
      } else if (key == "mediaType") {
        if (!read_string(v, key, f.media_type, error))
          return decode_error{std::move(error), std::string(json)};
      } else if (key == "conversationId") {
        std::string id;
        if (!read_string(v, key, id, error)) return decode_error{std::move(error), std::string(json)};
        if (!id.empty()) f.conversation_id = std::move(id);
      }
    }
    if (f.timestamp.empty()) f.timestamp = now_rfc3339();
    f.media_type = normalise_media_type(f.media_type);
    return make_event(lifecycle_from_detail_suffix(suffix), std::move(f));
  }

  decoded snapshot(dom::object body, std::string_view origin, std::string_view raw) {
    conversation_snapshot s;
    s.origin.assign(origin);
    s.raw.assign(raw);
    std::uint64_t sig = 1469598103934665603ull;
    std::string error;
    for (auto [key, v] : body) {
      if (key == "id") {
        if (!read_string(v, key, s.conversation_id, error))
          return decode_error{std::move(error), std::string(raw)};
      } else if (key == "participants") {
        dom::array arr;
        if (v.get_array().get(arr))
          return decode_error{"field 'participants' must be an array", std::string(raw)};
        for (auto elem : arr) {
          dom::object p;
          if (elem.get_object().get(p))
            return decode_error{"each participant must be an object", std::string(raw)};
          participant_state ps;
          if (auto e = participant(p, ps, s.media_type, sig); !e.empty())
            return decode_error{std::move(e), std::string(raw)};
          s.participants.push_back(std::move(ps));
        }
      }
    }
    if (s.conversation_id.empty()) return decode_error{"conversation has no 'id'", std::string(raw)};
    s.signature = sig;
    s.timestamp = now_rfc3339();
    return s;
  }

  static std::string participant(dom::object p, participant_state& ps, std::string& media,
                                 std::uint64_t& sig) {
    std::string error, own_state;
    int sessions = 0, ended = 0;
    for (auto [key, v] : p) {
      if (key == "id") {
        if (!read_string(v, "participants[].id", ps.id, error)) return error;
      } else if (key == "purpose") {
        if (!read_string(v, "participants[].purpose", ps.purpose, error)) return error;
      } else if (key == "state") {
        if (!read_string(v, "participants[].state", own_state, error)) return error;
      } else if (key == "wrapupRequired") {
        bool b = false;
        if (v.get_bool().get(b)) return "field 'participants[].wrapupRequired' must be a boolean";
        ps.wrapup_required = b;
      } else if (key == "wrapup") {
        if (v.is_null()) continue;  // no wrap-up yet
        dom::element code;
        if (v["code"].get(code)) continue;
        if (!read_string(code, "participants[].wrapup.code", ps.wrapup_code, error)) return error;
      } else if (auto m = media_of_array(key); !m.empty()) {
        dom::array arr;
        if (v.get_array().get(arr))
          return "field 'participants[]." + std::string(key) + "' must be an array";
        for (auto session : arr) {
          std::string state;
          dom::element st;
          if (!session["state"].get(st) &&
              !read_string(st, "participants[]." + std::string(key) + "[].state", state, error))
            return error;
          // The SDK models carry the wrap-up on each communication as well as on the participant.
          if (dom::element code; ps.wrapup_code.empty() && !session["wrapup"]["code"].get(code) && !code.is_null() &&
                                 !read_string(code, "participants[]." + std::string(key) + "[].wrapup.code", ps.wrapup_code, error))
            return error;
          ++sessions;
          if (is_ended_state(state)) ++ended;
          sig = mix(sig, state);
        }
        if (media.empty() && arr.size() > 0) media.assign(m);
      }
    }
    ps.disconnected = sessions > 0 ? sessions == ended : is_ended_state(own_state);
    sig = mix(mix(mix(mix(sig, ps.id), ps.purpose), own_state), ps.wrapup_code);
    return {};
  }
};

event_decoder::event_decoder(std::size_t max_payload_bytes)
    : impl_(std::make_unique<impl>(max_payload_bytes)) {}
event_decoder::~event_decoder() = default;

decoded event_decoder::decode_sse_payload(std::string_view json, std::string_view origin) {
  return impl_->tutorial_event(json, origin);
}

decoded event_decoder::decode_notification(std::string_view json) {
  return impl_->notification(json);
}

decoded event_decoder::decode_conversation(std::string_view json, std::string_view origin) {
  dom::element root;
  if (auto e = impl_->load(json, root); !e.empty()) return decode_error{std::move(e), std::string(json)};
  dom::object obj;
  if (root.get_object().get(obj))
    return decode_error{"conversation must be a JSON object", std::string(json)};
  return impl_->snapshot(obj, origin, json);
}

}  // namespace grm::pipeline
