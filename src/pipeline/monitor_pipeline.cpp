#include "pipeline/monitor_pipeline.hpp"

namespace grm::pipeline {

monitor_pipeline::monitor_pipeline(event_router& router, event_filter filter, event_filter sse_filter,
                                   std::function<void(const stream_error&)> on_error,
                                   std::size_t max_payload_bytes, tracker_limits limits)
    : router_(router), filter_(std::move(filter)), sse_filter_(std::move(sse_filter)), on_error_(std::move(on_error)),
      decoder_(max_payload_bytes), tracker_(limits) {}

void monitor_pipeline::report_error(std::string message, std::string raw, std::string_view origin) {
  ++counters_.stream_errors;
  if (on_error_) on_error_(stream_error{std::move(message), std::move(raw), std::string(origin)});
}

void monitor_pipeline::emit(const lifecycle_event& e) {
  auto& filter = fields_of(e).origin.starts_with("sse:") ? sse_filter_ : filter_;
  if (!filter.accepts(e)) {
    ++counters_.filtered;
    return;
  }
  ++counters_.routed[e.index()];
  router_.route(e);
}

void monitor_pipeline::handle(decoded d, std::string_view origin) {
  if (auto* err = std::get_if<decode_error>(&d)) {
    report_error(std::move(err->message), std::move(err->raw), origin);
  } else if (auto* snap = std::get_if<conversation_snapshot>(&d)) {
    scratch_.clear();
    tracker_.apply(*snap, scratch_);
    if (scratch_.empty()) ++counters_.duplicates;
    for (auto& e : scratch_) emit(e);
  } else if (auto* ev = std::get_if<lifecycle_event>(&d)) {
    if (tracker_.observe(*ev)) emit(*ev);
    else ++counters_.duplicates;
  }
}

void monitor_pipeline::sse_data(std::string_view data, std::string_view origin) {
  ++counters_.frames;
  if (data.empty() || data == "{}") {  // the tutorial's keep-alives
    ++counters_.keepalives;
    return;
  }
  handle(decoder_.decode_sse_payload(data, origin), origin);
}

std::optional<system_message> monitor_pipeline::notification(std::string_view frame,
                                                             std::string_view origin) {
  ++counters_.frames;
  auto d = decoder_.decode_notification(frame);
  if (auto* sys = std::get_if<system_message>(&d)) {
    if (sys->kind == system_kind::heartbeat) ++counters_.heartbeats;
    return std::move(*sys);
  }
  // The same frame seen on two channels (a rotation's overlap) is one observation. Detail
  // events carry no state to diff; snapshots do, but a lagging old socket can hand over an older
  // state after the new socket's newer one, which the tracker would take for a change.
  if (auto* ev = std::get_if<lifecycle_event>(&d)) {
    if (!dedupe_.first_sight(fields_of(*ev).raw.substr(0, fields_of(*ev).raw.find("\"metadata\"")))) {
      ++counters_.duplicates;
      return std::nullopt;
    }
  } else if (std::holds_alternative<conversation_snapshot>(d)) {
    if (!dedupe_.first_sight(frame.substr(0, frame.find("\"metadata\"")))) {
      ++counters_.duplicates;
      return std::nullopt;
    }
  }
  handle(std::move(d), origin);
  return std::nullopt;
}

void monitor_pipeline::conversation(std::string_view json, std::string_view origin) {
  handle(decoder_.decode_conversation(json, origin), origin);
}

}  // namespace grm::pipeline
