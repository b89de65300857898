#include "pipeline/sentiment/forwarder.hpp"

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/json.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <functional>
#include <random>

#include "core/error.hpp"
#include "core/ids.hpp"
#include "core/time.hpp"
#include "delivery/idempotency_store.hpp"
#include "genesys/sentiment_api.hpp"
#include "observability/metrics.hpp"
#include "net/retry.hpp"
#include "pipeline/sentiment/sentiment.hpp"
#include "sinks/eventbridge/sink.hpp"
#include "sinks/file/audit_trail.hpp"
#include "sinks/webhook/sink.hpp"

namespace grm::sentiment {

namespace asio = boost::asio;
namespace json = boost::json;
using namespace std::chrono;
using namespace asio::experimental::awaitable_operators;

namespace {

double ms_since(steady_clock::time_point t0) { return duration<double, std::milli>(steady_clock::now() - t0).count(); }

std::string now_text() { return format_rfc3339(time_point_cast<milliseconds>(system_clock::now())); }

std::string quoted(std::string_view s) { return json::serialize(json::string(s)); }

struct timed_outcome {
  bool attempted = false;
  delivery::outcome result;
  double ms = 0;
};

// One delivery to a sink that may not be configured (an empty op), timed.
using delivery_op = std::function<asio::awaitable<delivery::outcome>()>;

asio::awaitable<timed_outcome> timed(delivery_op op) {
  timed_outcome t;
  if (!op) co_return t;
  auto t0 = steady_clock::now();
  t.attempted = true;
  t.result = co_await op();
  t.ms = ms_since(t0);
  co_return t;
}

delivery_op to_eventbridge(sinks::eventbridge::publisher* eb, sinks::eventbridge::put_entry entry) {
  if (!eb) return {};
  return [eb, entry = std::move(entry)] { return eb->publish(entry); };
}

delivery_op to_webhook(sinks::webhook::publisher* hook, std::string body) {
  if (!hook) return {};
  return [hook, body = std::move(body)] { return hook->post(body); };
}

std::string describe(const delivery::outcome& o) {
  return o.delivered ? o.id : o.code + ": " + o.message;
}

// The wait before the next "not analysed yet" read: jittered backoff from not_analysed_backoff,
// growing with the time already waited (a restart does not reset it), capped at 8 times the base.
milliseconds not_analysed_delay(const forwarder_settings& s, system_clock::time_point first, system_clock::time_point now) {
  thread_local std::mt19937_64 rng{std::random_device{}()};  // seeded once: random_device is a syscall
  net::retry_policy p{.max_attempts = 0, .base = s.not_analysed_backoff, .cap = s.not_analysed_backoff * 8};
  auto waited = std::max<std::int64_t>(0, duration_cast<milliseconds>(now - first).count());
  int attempt = 1 + static_cast<int>(waited / std::max<std::int64_t>(1, s.not_analysed_backoff.count()));
  return std::max(milliseconds{1}, net::backoff_delay(p, std::min(attempt, 30), rng));
}

const payload_validator& validator() {
  static const payload_validator v;  // compiled once; validate() is const and re-entrant
  return v;
}

}  // namespace

std::string_view to_string(forward_outcome o) noexcept {
  switch (o) {
    case forward_outcome::forwarded: return "forwarded";
    case forward_outcome::duplicate: return "duplicate";
    case forward_outcome::below_threshold: return "below-threshold";
    case forward_outcome::not_analysed: return "not-analysed";
    case forward_outcome::not_found: return "not-found";
    case forward_outcome::failed: return "failed";
    case forward_outcome::deferred: return "deferred";
  }
  return "failed";
}

std::string audit_line(const forward_report& r) {
  auto& l = r.latency;
  return fmt::format(
      R"({{"auditId":{},"conversationId":{},"trigger":{},"forwardingId":{},"eventId":{},"outcome":{},"reason":{},"polarity":{},"confidence":{},"alertTriggered":{},"marker":{},"webhook":{},"latencyMs":{{"fetch":{:.3f},"validate":{:.3f},"propagate":{:.3f},"publish":{:.3f},"webhook":{:.3f},"total":{:.3f}}},"timestamp":"{}"}})",
      quoted(uuid_v4()), quoted(r.conversation_id), quoted(r.trigger), quoted(r.forwarding_id), quoted(r.event_id),
      quoted(to_string(r.outcome)), quoted(r.reason), quoted(r.polarity), score_text(r.confidence), r.alert ? "true" : "false",
      quoted(r.marker), quoted(r.webhook), l.fetch, l.validate, l.propagate, l.publish, l.webhook, l.total, now_text());
}

// Registered once, so recording a report is a handful of relaxed atomic adds.
struct forwarder::instruments {
  explicit instruments(metrics::registry& m) {
    for (auto o : all_forward_outcomes)
      outcomes.push_back(&m.counter("relay_forwards_total", "conversations through the sentiment forwarder, by outcome",
                                    {{"outcome", std::string(to_string(o))}}));
    alerts = &m.counter("relay_alerts_total", "sentiment escalation alerts raised (one per conversation)");
    deferrals = &m.counter("relay_forward_deferrals_total", "forwards put off because the sentiment was not analysed yet");
    const char* help = "sentiment forwarder latency per stage, seconds";
    for (auto* st : {"fetch", "validate", "propagate", "publish", "webhook", "total"})
      stages.push_back(&m.histogram("relay_forward_stage_seconds", help, {{"stage", st}}));
  }
  std::vector<metrics::counter*> outcomes;  // by forward_outcome
  metrics::counter* alerts = nullptr;
  metrics::counter* deferrals = nullptr;
  std::vector<metrics::histogram*> stages;  // the order of stage_latency's fields
};

forwarder::forwarder(forwarder_parts parts, forwarder_settings settings)
    : parts_(std::move(parts)), settings_(std::move(settings)) {
  if (parts_.metrics) instruments_ = std::make_shared<instruments>(*parts_.metrics);
}

void forwarder::record(const forward_report& r) {
  if (!instruments_) return;
  instruments_->outcomes[static_cast<std::size_t>(r.outcome)]->inc();
  if (r.outcome == forward_outcome::duplicate) return;  // no stage ran
  auto& l = r.latency;
  const double ms[] = {l.fetch, l.validate, l.propagate, l.publish, l.webhook, l.total};
  for (std::size_t i = 0; i < instruments_->stages.size(); ++i)
    if (ms[i] > 0) instruments_->stages[i]->observe(ms[i] / 1000.0);
}

asio::awaitable<forward_report> forwarder::forward(std::string id, std::string trigger,
                                                  system_clock::time_point first_attempt) {
  auto started = steady_clock::now();
  forward_report r;
  r.conversation_id = id;
  r.trigger = trigger;
  r.marker = "skipped";
  r.forwarding_id = uuid_v4();
  try {
    if (parts_.state) {
      auto e = parts_.state->begin(id + ":" + trigger, r.forwarding_id);
      if (e.done) {
        r.outcome = forward_outcome::duplicate;
        r.forwarding_id = e.forwarding_id;
        r.reason = "already " + e.outcome + " for trigger " + trigger;
        record(r);
        co_return r;
      }
      r.forwarding_id = e.forwarding_id;  // resuming after a crash keeps the id downstream saw
    }
    co_await run_stages(r, first_attempt);
  } catch (const relay_error& e) {
    if (e.kind() == error_kind::cancelled) throw;  // shutdown: the trigger stays pending
    r.outcome = forward_outcome::failed;
    r.reason = e.what();
  } catch (const boost::system::system_error& e) {
    if (e.code() == asio::error::operation_aborted) throw;  // shutdown: the trigger stays pending
    r.outcome = forward_outcome::failed;
    r.reason = std::string("internal error: ") + e.what();
  } catch (const std::exception& e) {
    r.outcome = forward_outcome::failed;
    r.reason = std::string("internal error: ") + e.what();
  }
  r.latency.total = ms_since(started);
  conclude(r);
  co_return r;
}

void forwarder::conclude(forward_report& r) {
  auto key = r.conversation_id + ":" + r.trigger;
  if (r.outcome == forward_outcome::deferred) {
    if (instruments_) instruments_->deferrals->inc();
    if (parts_.log)
      parts_.log(severity::debug, fmt::format("[FORWARD] conversation {}: not analysed yet; trying again later",
                                              r.conversation_id));
    return;  // the trigger stays pending in the state database
  }
  if (parts_.audit) {
    auto st = parts_.audit->record(audit_line(r));
    if (!st.written) r.audit_error = st.error;
  }
  record(r);
  if (parts_.state) {
    try {
      // Not analysed yet or a transient failure: a later trigger may succeed, so forget the key.
      if (r.outcome == forward_outcome::not_analysed || r.outcome == forward_outcome::failed) parts_.state->forget(key);
      else parts_.state->finish(key, std::string(to_string(r.outcome)));
    } catch (const relay_error& e) {
      // The trigger stays pending and runs again after a restart (same forwardingId downstream).
      if (parts_.log) parts_.log(severity::error, fmt::format("[FORWARD] conversation {}: {}", r.conversation_id, e.what()));
    }
  }
  if (parts_.log)
    parts_.log(r.outcome == forward_outcome::failed || !r.audit_error.empty() ? severity::warn : severity::info,
               fmt::format("[FORWARD] conversation {}: {}{}{}", r.conversation_id, to_string(r.outcome),
                           r.reason.empty() ? "" : " (" + r.reason + ")",
                           r.audit_error.empty() ? "" : "; audit record kept for a retry: " + r.audit_error));
}

asio::awaitable<void> forwarder::run_stages(forward_report& r, system_clock::time_point first_attempt) {
  const auto& id = r.conversation_id;
  const auto& s = settings_;
  auto settle = [&r](forward_outcome outcome, std::string reason) {
    r.outcome = outcome;
    r.reason = std::move(reason);
  };
  // --- fetch --------------------------------------------------------------------------------
  auto t = steady_clock::now();
  // The customer participant: for the transcript and for the PATCH. The seed's flow (analytics
  // + PUT on the conversation) needs neither and makes no extra call.
  std::optional<genesys::customer_participant> customer;
  if (s.source == source_kind::speech_analytics || s.participant_attributes) {
    customer = co_await genesys::read_customer(parts_.api, id);
    if (!customer) co_return settle(forward_outcome::not_found, "conversation " + id + " not found");
  }
  std::optional<snapshot> snap;
  if (s.source == source_kind::analytics) {
    auto a = co_await genesys::query_analytics_sentiment(parts_.api, id);
    if (a.metrics) snap = from_analytics(id, a.metrics->overall, a.metrics->positive, a.metrics->neutral, a.metrics->negative);
  } else {
    auto st = co_await genesys::read_speech_analytics(parts_.api, id, *customer);
    if (st.analysed) snap = from_speech_analytics(id, st.score, st.customer_phrases, s.neutral_band);
  }
  r.latency.fetch = ms_since(t);
  if (!snap) {
    // Not analysed yet: before the horizon the caller tries again later (a worker never waits
    // here); after it, that is the final outcome.
    auto give_up_at = first_attempt + s.not_analysed_horizon;
    if (auto now = system_clock::now(); now < give_up_at) {
      r.retry_at = std::min(give_up_at, now + not_analysed_delay(s, first_attempt, now));
      co_return settle(forward_outcome::deferred, "not analysed yet");
    }
    auto source_name = s.source == source_kind::analytics ? "analytics" : "speech-analytics";
    co_return settle(forward_outcome::not_analysed,
                     fmt::format("no {} sentiment for conversation {} yet{}", source_name, id,
                                 s.not_analysed_horizon.count()
                                     ? fmt::format(" after waiting {} ms", s.not_analysed_horizon.count())
                                     : ""));
  }

  // --- validate -----------------------------------------------------------------------------
  t = steady_clock::now();
  r.confidence = snap->confidence;
  r.polarity = std::string(to_string(snap->direction));
  auto d = decide(*snap, s.min_confidence);
  if (d.what == decision::outcome::below_threshold) co_return settle(forward_outcome::below_threshold, d.reason);
  if (d.what == decision::outcome::invalid) co_return settle(forward_outcome::failed, d.reason);
  auto now = time_point_cast<milliseconds>(system_clock::now());
  auto payload = build_payload(*snap, {s.escalation_threshold, r.forwarding_id, now});
  if (auto err = validator().validate(payload)) co_return settle(forward_outcome::failed, "the payload fails chat-sentiment.v1.json: " + *err);
  r.latency.validate = ms_since(t);

  // --- propagate: the forwarding marker ------------------------------------------------------
  t = steady_clock::now();
  std::map<std::string, std::string> marker{
      {"sentimentForwardingId", r.forwarding_id}, {"forwardingStatus", "forwarded"}, {"updatedAt", format_rfc3339(now)}};
  if (s.participant_attributes) {
    for (int tries = 1;; ++tries) {
      auto w = co_await genesys::patch_participant_attributes(parts_.api, id, customer->participant_id, marker);
      if (w == genesys::write_result::written) {
        r.marker = "written";
        break;
      }
      if (w == genesys::write_result::not_found)
        co_return settle(forward_outcome::not_found, "conversation " + id + " not found when writing the forwarding marker");
      if (tries > s.conflict_retries) {
        r.marker = fmt::format("conflict: still 409 after {} attempts", tries);
        break;
      }
      auto again = co_await genesys::read_customer(parts_.api, id);  // re-read the current state, then retry
      if (!again) co_return settle(forward_outcome::not_found, "conversation " + id + " disappeared after a 409");
      customer = again;
    }
  }
  if (s.conversation_attributes) {
    auto w = co_await genesys::put_conversation_attributes(parts_.api, id, marker);
    if (w == genesys::write_result::not_found) co_return settle(forward_outcome::not_found, "conversation " + id + " not found (PUT attributes)");
    if (w == genesys::write_result::conflict && r.marker == "skipped") r.marker = "conflict (PUT attributes)";
    else if (w == genesys::write_result::written && r.marker == "skipped") r.marker = "written";
  }
  r.latency.propagate = ms_since(t);

  // --- alert, once per conversation ------------------------------------------------------------
  r.alert = escalates(*snap, s.escalation_threshold);
  bool first_alert = r.alert;
  if (r.alert && parts_.state) {
    auto a = parts_.state->begin(id + ":alert", r.forwarding_id);
    first_alert = !a.done;
    if (first_alert) parts_.state->finish(id + ":alert", "raised");
  }
  if (first_alert) {
    if (instruments_) instruments_->alerts->inc();
    auto alert_body = fmt::format(
        R"({{"alert":"sentiment.escalation","conversationId":{},"forwardingId":{},"negative":{},"escalationThreshold":{},"confidence":{},"timestamp":"{}"}})",
        quoted(id), quoted(r.forwarding_id), score_text(snap->negative), score_text(s.escalation_threshold),
        score_text(snap->confidence), format_rfc3339(now));
    if (s.alert_log && parts_.log)
      parts_.log(severity::warn, fmt::format("[ALERT ROUTING] Escalation triggered for {}: negative {} exceeds {}", id,
                                             score_text(snap->negative), score_text(s.escalation_threshold)));
    sinks::eventbridge::put_entry alert_entry{s.event_source, s.alert_detail_type, alert_body, {}, std::nullopt, s.event_bus, {}};
    auto* alert_bus = s.alert_eventbridge ? parts_.eventbridge : nullptr;
    auto alerts = co_await (timed(to_eventbridge(alert_bus, std::move(alert_entry))) &&
                            timed(to_webhook(parts_.alert_webhook, alert_body)));
    for (auto* a : {&std::get<0>(alerts), &std::get<1>(alerts)})
      if (a->attempted && !a->result.delivered && parts_.log)
        parts_.log(severity::warn, "alert for conversation " + id + " not delivered: " + describe(a->result));
  }

  // --- publish: EventBridge and the CRM webhook, independently --------------------------------
  sinks::eventbridge::put_entry entry{s.event_source, s.detail_type, payload, {}, std::nullopt, s.event_bus, {}};
  auto crm_body = R"({"event":"sentiment.forwarded","data":)" + payload + R"(,"syncTimestamp":")" + now_text() + "\"}";
  auto sent = co_await (timed(to_eventbridge(parts_.eventbridge, std::move(entry))) &&
                        timed(to_webhook(parts_.crm, std::move(crm_body))));
  auto& eb = std::get<0>(sent);
  auto& crm = std::get<1>(sent);
  r.latency.publish = eb.ms;
  r.latency.webhook = crm.ms;
  r.webhook = crm.attempted ? describe(crm.result) : "skipped";
  if (eb.attempted && eb.result.delivered) r.event_id = eb.result.id;
  if (eb.attempted && !eb.result.delivered)
    co_return settle(forward_outcome::failed, "EventBridge: " + describe(eb.result) + (crm.attempted ? "; webhook: " + r.webhook : ""));
  if (!eb.attempted && crm.attempted && !crm.result.delivered) co_return settle(forward_outcome::failed, "webhook: " + r.webhook);
  co_return settle(forward_outcome::forwarded, crm.attempted && !crm.result.delivered ? "webhook failed: " + r.webhook : "");
}

}  // namespace grm::sentiment
