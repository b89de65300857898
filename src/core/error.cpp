#include "core/error.hpp"

#include "core/events.hpp"

namespace grm {

std::string_view to_string(error_kind kind) noexcept {
  switch (kind) {
    case error_kind::network: return "network";
    case error_kind::timeout: return "timeout";
    case error_kind::cancelled: return "cancelled";
    case error_kind::auth: return "auth";
    case error_kind::client: return "client";
    case error_kind::rate_limited: return "rate_limited";
    case error_kind::server: return "server";
    case error_kind::invalid_payload: return "invalid_payload";
    case error_kind::config: return "config";
    case error_kind::storage: return "storage";
  }
  return "unknown";
}

std::string_view to_string(lifecycle kind) noexcept {
  switch (kind) {
    case lifecycle::start: return "start";
    case lifecycle::update: return "update";
    case lifecycle::end: return "end";
    case lifecycle::wrapup: return "wrapup";
    case lifecycle::unknown: return "unknown";
  }
  return "unknown";
}

lifecycle kind_of(const lifecycle_event& event) noexcept {
  return static_cast<lifecycle>(event.index());
}

const event_fields& fields_of(const lifecycle_event& event) noexcept {
  return std::visit([](const auto& e) -> const event_fields& { return e; }, event);
}

lifecycle_event make_event(lifecycle kind, event_fields fields) {
  switch (kind) {
    case lifecycle::start: return conversation_start{std::move(fields)};
    case lifecycle::update: return conversation_update{std::move(fields)};
    case lifecycle::end: return conversation_end{std::move(fields)};
    case lifecycle::wrapup: return conversation_wrapup{std::move(fields)};
    case lifecycle::unknown: break;
  }
  return unknown_event{std::move(fields)};
}

}  // namespace grm
