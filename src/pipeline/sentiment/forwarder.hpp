#pragma once
// The chat sentiment forwarder (seed 000), one conversation at a time:
//   fetch sentiment → decide (polarity, confidence) → payload + schema → write the forwarding
//   marker on the conversation → alert when negative passes the escalation threshold →
//   EventBridge and the CRM webhook, independently → one audit record.
// Every outcome is a report, never an exception that stops the caller: forwarded, duplicate,
// below-threshold, not-analysed, not-found, failed (with the reason), or deferred: the sentiment
// is not analysed yet and the horizon has not passed, so the caller tries again at retry_at (a
// worker never sleeps on it). A failed audit write does not change the outcome: the record is
// kept for a retry and the report carries the error.
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/log.hpp"

namespace grm::genesys {
class api_client;
}
namespace grm::sinks::eventbridge {
class publisher;
}
namespace grm::sinks::webhook {
class publisher;
}
namespace grm::sinks::file {
class audit_trail;
}
namespace grm::delivery {
class idempotency_store;
}
namespace grm::metrics {
class registry;
class counter;
class histogram;
}

namespace grm::sentiment {

enum class source_kind { analytics, speech_analytics };

struct forwarder_settings {
  source_kind source = source_kind::speech_analytics;
  double min_confidence = 0.75;
  double escalation_threshold = 0.8;  // the seed's default
  double neutral_band = 0.25;         // speech-analytics polarity band
  bool participant_attributes = true;   // the real PATCH on the customer participant
  bool conversation_attributes = false; // the seed's PUT /conversations/{id}/attributes
  int conflict_retries = 3;
  // "Not analysed yet": retry with backoff until this horizon, then record not-analysed.
  std::chrono::milliseconds not_analysed_horizon{0};
  std::chrono::milliseconds not_analysed_backoff{2'000};
  std::string event_source = "genesys.sentiment.forwarder";
  std::string detail_type = "ChatSentimentAnalysis";
  std::string alert_detail_type = "ChatSentimentEscalation";
  std::string event_bus;  // empty: default
  bool alert_log = true, alert_eventbridge = true;  // plus the alert webhook when one is given
};

struct stage_latency {
  double fetch = 0, validate = 0, propagate = 0, publish = 0, webhook = 0, total = 0;  // ms
};

enum class forward_outcome : std::uint8_t {
  forwarded, duplicate, below_threshold, not_analysed, not_found, failed,
  deferred,  // not a final outcome: not analysed yet, try again at retry_at
};
// "forwarded", "duplicate", "below-threshold", "not-analysed", "not-found", "failed": the names in
// reports, the audit log and the relay_forwards_total{outcome} label.
std::string_view to_string(forward_outcome o) noexcept;
inline constexpr forward_outcome all_forward_outcomes[] = {
    forward_outcome::forwarded, forward_outcome::duplicate, forward_outcome::below_threshold,
    forward_outcome::not_analysed, forward_outcome::not_found, forward_outcome::failed};

struct forward_report {
  std::string conversation_id;
  std::string trigger;
  forward_outcome outcome = forward_outcome::failed;
  std::string reason;
  std::string forwarding_id, event_id;
  std::string marker;   // written | conflict... | skipped
  std::string webhook;  // "HTTP 200" or the failure
  std::string polarity;
  double confidence = 0;
  bool alert = false;
  stage_latency latency;
  std::string audit_error;  // empty: the audit record was written (or there is no audit log)
  std::optional<std::chrono::system_clock::time_point> retry_at;  // deferred: when to try again
};

struct forwarder_parts {
  genesys::api_client& api;
  sinks::eventbridge::publisher* eventbridge = nullptr;
  sinks::webhook::publisher* crm = nullptr;
  sinks::webhook::publisher* alert_webhook = nullptr;
  sinks::file::audit_trail* audit = nullptr;
  delivery::idempotency_store* state = nullptr;
  log_fn log;
  metrics::registry* metrics = nullptr;  // relay_forwards_total, relay_forward_stage_seconds, relay_alerts_total
};

class forwarder final {
 public:
  forwarder(forwarder_parts parts, forwarder_settings settings);
  // One attempt. `first_attempt` is when this trigger was first tried: "not analysed yet" is
  // deferred until first_attempt + not_analysed_horizon, then final. Never throws.
  boost::asio::awaitable<forward_report> forward(
      std::string conversation_id, std::string trigger = "manual",
      std::chrono::system_clock::time_point first_attempt = std::chrono::system_clock::now());
  const forwarder_settings& settings() const noexcept { return settings_; }

 private:
  boost::asio::awaitable<void> run_stages(forward_report& r, std::chrono::system_clock::time_point first_attempt);
  void conclude(forward_report& r);  // audit, state, metrics, log; never throws
  void record(const forward_report& r);

  forwarder_parts parts_;
  forwarder_settings settings_;
  struct instruments;
  std::shared_ptr<instruments> instruments_;  // null without a registry
};

// The audit record of a report (one JSON object, no newline).
std::string audit_line(const forward_report& r);

}  // namespace grm::sentiment
