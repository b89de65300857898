#pragma once
// The chat sentiment forwarder (seed 000), one conversation at a time:
//   fetch sentiment → decide (polarity, confidence) → payload + schema, built once with its
//   forwardingId → accepted into the outbox with one delivery per target sink (EventBridge, the
//   CRM webhook, the Genesys marker, ...) in one transaction → an alert message likewise when
//   negative passes the escalation threshold (once per conversation).
// From then on the outbox's drivers deliver each target independently; when every delivery is
// final the message is final and conclude() writes the audit record (what each sink did) and
// finishes the idempotency key. Nothing accepted is held only in memory.
//
// Every outcome is a report, never an exception that stops the caller: accepted (in the
// outbox), forwarded / dead-lettered (final: every target delivered / at least one dead-lettered),
// duplicate, below-threshold, not-analysed, not-found, failed (before it was accepted, with the
// reason), or deferred: the sentiment is not analysed yet and the horizon has not passed, so the
// caller tries again at retry_at (a worker never sleeps on it). A failed audit write does not
// change the outcome: the record is kept for a retry and the report carries the error.
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/log.hpp"
#include "delivery/outbox.hpp"

namespace grm::genesys {
class api_client;
}
namespace grm::sinks::file {
class audit_trail;
}
namespace grm::delivery {
class idempotency_store;
}
namespace grm::metrics {
class registry;
}

namespace grm::sentiment {

enum class source_kind { analytics, speech_analytics };

struct forwarder_settings {
  source_kind source = source_kind::speech_analytics;
  double min_confidence = 0.75;
  double escalation_threshold = 0.8;  // the seed's default
  double neutral_band = 0.25;         // speech-analytics polarity band
  // "Not analysed yet": deferred until this horizon, then recorded as not-analysed.
  std::chrono::milliseconds not_analysed_horizon{0};
  std::chrono::milliseconds not_analysed_backoff{2'000};
  bool alert_log = true;  // a log line per escalation, besides the alert sinks
  // The speech-analytics source reads the customer participant; the marker sink needs it too,
  // reading it itself.
};

enum class forward_outcome : std::uint8_t {
  forwarded, dead_lettered, duplicate, below_threshold, not_analysed, not_found, failed,
  no_transcript,  // scored, but no customer communication has a transcript to take the shares from
  deferred,  // not final: not analysed yet, try again at retry_at
  accepted,  // not final: in the outbox, deliveries under way
};
// "forwarded", "dead-lettered", "duplicate", "below-threshold", "not-analysed", "not-found",
// "failed", "no-transcript", "deferred", "accepted": the names in reports, the audit log and the
// outcome label.
std::string_view to_string(forward_outcome o) noexcept;
// The final outcomes, counted in relay_forwards_total{outcome}.
inline constexpr forward_outcome final_forward_outcomes[] = {
    forward_outcome::forwarded,       forward_outcome::dead_lettered, forward_outcome::duplicate,
    forward_outcome::below_threshold, forward_outcome::not_analysed,  forward_outcome::not_found,
    forward_outcome::failed,          forward_outcome::no_transcript};

// Where a forward's messages go: a sink id and its type ("eventbridge", "webhook",
// "genesys_attributes", "file"), so the report can name the EventBridge EventId.
struct target {
  std::string sink;
  std::string type;
};

struct stage_latency {
  double fetch = 0, validate = 0, accept = 0, deliver = 0, total = 0;  // ms
};

struct sink_delivery {
  std::string sink, type;
  delivery::delivery_state state = delivery::delivery_state::pending;
  std::string detail;  // EventId, "HTTP 200", "written on the participant", or the dead-letter reason
  int attempts = 0;
};

struct forward_report {
  std::string conversation_id;
  std::string trigger;
  forward_outcome outcome = forward_outcome::failed;
  std::string reason;
  std::string forwarding_id;
  std::string event_id;  // from the first EventBridge target that delivered
  std::string polarity;
  double confidence = 0;
  bool alert = false;
  std::vector<sink_delivery> deliveries;  // final reports of accepted forwards
  stage_latency latency;
  std::string audit_error;  // empty: the audit record was written (or there is no audit log)
  std::optional<std::chrono::system_clock::time_point> retry_at;  // deferred: when to try again
};

struct forwarder_parts {
  genesys::api_client& api;
  delivery::outbox* box = nullptr;
  delivery::idempotency_store* state = nullptr;
  sinks::file::audit_trail* audit = nullptr;
  std::vector<target> payload_targets;  // sentiment payloads
  std::vector<target> alert_targets;    // escalation alerts
  log_fn log;
  metrics::registry* metrics = nullptr;  // relay_forwards_total, relay_forward_stage_seconds, relay_alerts_total
};

class forwarder final {
 public:
  forwarder(forwarder_parts parts, forwarder_settings settings);
  // One attempt. `first_attempt` is when this trigger was first tried: "not analysed yet" is
  // deferred until first_attempt + not_analysed_horizon, then final. Never throws, except
  // cancellation (shutdown: the trigger stays pending).
  boost::asio::awaitable<forward_report> forward(
      std::string conversation_id, std::string trigger = "manual",
      std::chrono::system_clock::time_point first_attempt = std::chrono::system_clock::now());
  // A message of this forwarder became final (its outbox finaliser, after a restart too): the
  // final report, the audit record, the idempotency key. Returns nullopt for an alert message.
  std::optional<forward_report> conclude(const delivery::final_message& m);
  const forwarder_settings& settings() const noexcept { return settings_; }

 private:
  boost::asio::awaitable<void> run_stages(forward_report& r, std::chrono::system_clock::time_point first_attempt);
  boost::asio::awaitable<void> raise_alert(forward_report& r, const std::string& payload, double negative);
  void settle(forward_report& r);  // a final outcome reached before the outbox: audit, state, metrics, log
  void record(const forward_report& r);
  void audit(forward_report& r);

  forwarder_parts parts_;
  forwarder_settings settings_;
  std::map<std::string, stage_latency> accepted_latency_;  // by key, until final (zeros after a restart)
  struct instruments;
  std::shared_ptr<instruments> instruments_;  // null without a registry
};

// The audit record of a report (one JSON object, no newline).
std::string audit_line(const forward_report& r);

}  // namespace grm::sentiment
