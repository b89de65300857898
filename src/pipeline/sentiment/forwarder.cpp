#include "pipeline/sentiment/forwarder.hpp"

#include <boost/json.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <random>

#include "core/error.hpp"
#include "core/ids.hpp"
#include "core/time.hpp"
#include "delivery/idempotency_store.hpp"
#include "genesys/sentiment_api.hpp"
#include "net/retry.hpp"
#include "observability/metrics.hpp"
#include "pipeline/sentiment/sentiment.hpp"
#include "sinks/file/audit_trail.hpp"

namespace grm::sentiment {

namespace asio = boost::asio;
namespace json = boost::json;
using namespace std::chrono;

namespace {

double ms_since(steady_clock::time_point t0) { return duration<double, std::milli>(steady_clock::now() - t0).count(); }

std::string now_text() { return format_rfc3339(time_point_cast<milliseconds>(system_clock::now())); }

std::string quoted(std::string_view s) { return json::serialize(json::string(s)); }

const payload_validator& validator() {
  static const payload_validator v;  // compiled once; validate() is const and re-entrant
  return v;
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

std::vector<std::string> sink_ids(const std::vector<target>& targets) {
  std::vector<std::string> out;
  for (auto& t : targets) out.push_back(t.sink);
  return out;
}

// The fields of a payload the final report needs (the payload is what survives a restart).
struct payload_facts {
  std::string polarity;
  double confidence = 0, negative = 0, threshold = 1;
};

payload_facts facts_of(const std::string& payload) {
  payload_facts f;
  boost::system::error_code ec;
  auto v = json::parse(payload, ec);
  if (ec || !v.is_object()) return f;
  auto num = [](const json::value* x) { return x && x->is_number() ? x->to_number<double>() : 0.0; };
  if (auto* m = v.as_object().if_contains("sentimentMatrix"); m && m->is_object()) {
    auto& o = m->as_object();
    if (auto* p = o.if_contains("polarity"); p && p->is_string()) f.polarity = std::string(p->as_string());
    f.confidence = num(o.if_contains("confidence"));
    f.negative = num(o.if_contains("negative"));
  }
  f.threshold = num(v.as_object().if_contains("escalationThreshold"));
  return f;
}

}  // namespace

std::string_view to_string(forward_outcome o) noexcept {
  switch (o) {
    case forward_outcome::forwarded: return "forwarded";
    case forward_outcome::dead_lettered: return "dead-lettered";
    case forward_outcome::duplicate: return "duplicate";
    case forward_outcome::below_threshold: return "below-threshold";
    case forward_outcome::not_analysed: return "not-analysed";
    case forward_outcome::no_transcript: return "no-transcript";
    case forward_outcome::not_found: return "not-found";
    case forward_outcome::failed: return "failed";
    case forward_outcome::deferred: return "deferred";
    case forward_outcome::accepted: return "accepted";
  }
  return "failed";
}

std::string audit_line(const forward_report& r) {
  auto& l = r.latency;
  std::string deliveries;
  for (auto& d : r.deliveries) {
    if (!deliveries.empty()) deliveries += ',';
    deliveries += fmt::format(R"({{"sink":{},"type":{},"state":{},"detail":{},"attempts":{}}})", quoted(d.sink), quoted(d.type),
                              quoted(to_string(d.state)), quoted(d.detail), d.attempts);
  }
  return fmt::format(
      R"({{"auditId":{},"conversationId":{},"trigger":{},"forwardingId":{},"eventId":{},"outcome":{},"reason":{},"polarity":{},"confidence":{},"alertTriggered":{},"deliveries":[{}],"latencyMs":{{"fetch":{:.3f},"validate":{:.3f},"accept":{:.3f},"deliver":{:.3f},"total":{:.3f}}},"timestamp":"{}"}})",
      quoted(uuid_v4()), quoted(r.conversation_id), quoted(r.trigger), quoted(r.forwarding_id), quoted(r.event_id),
      quoted(to_string(r.outcome)), quoted(r.reason), quoted(r.polarity), score_text(r.confidence), r.alert ? "true" : "false",
      deliveries, l.fetch, l.validate, l.accept, l.deliver, l.total, now_text());
}

// Registered once, so recording a report is a handful of relaxed atomic adds.
struct forwarder::instruments {
  explicit instruments(metrics::registry& m) {
    for (auto o : final_forward_outcomes)
      outcomes.emplace_back(o, &m.counter("relay_forwards_total", "conversations through the sentiment forwarder, by outcome",
                                          {{"outcome", std::string(to_string(o))}}));
    alerts = &m.counter("relay_alerts_total", "escalation alerts delivered (one per conversation)");
    deferrals = &m.counter("relay_forward_deferrals_total", "forwards put off because the sentiment was not analysed yet");
    const char* help = "sentiment forwarder latency per stage, seconds";
    for (auto* st : {"fetch", "validate", "accept", "deliver", "total"})
      stages.push_back(&m.histogram("relay_forward_stage_seconds", help, {{"stage", st}}));
  }
  std::vector<std::pair<forward_outcome, metrics::counter*>> outcomes;
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
  for (auto& [o, c] : instruments_->outcomes)
    if (o == r.outcome) c->inc();
  if (r.outcome == forward_outcome::duplicate) return;  // no stage ran
  auto& l = r.latency;
  const double ms[] = {l.fetch, l.validate, l.accept, l.deliver, l.total};
  for (std::size_t i = 0; i < instruments_->stages.size(); ++i)
    if (ms[i] > 0) instruments_->stages[i]->observe(ms[i] / 1000.0);
}

void forwarder::audit(forward_report& r) {
  if (!parts_.audit) return;
  auto st = parts_.audit->record(audit_line(r));
  if (!st.written) r.audit_error = st.error;
}

asio::awaitable<forward_report> forwarder::forward(std::string id, std::string trigger, system_clock::time_point first_attempt) {
  auto started = steady_clock::now();
  forward_report r;
  r.conversation_id = id;
  r.trigger = trigger;
  r.forwarding_id = uuid_v4();
  try {
    if (parts_.state) {
      auto e = parts_.state->begin(id + ":" + trigger, r.forwarding_id);
      if (e.done || e.accepted) {
        r.outcome = forward_outcome::duplicate;
        r.forwarding_id = e.forwarding_id;
        r.reason = e.done ? "already " + e.outcome + " for trigger " + trigger
                          : "already accepted for trigger " + trigger + ": its deliveries are under way";
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
    if (e.code() == asio::error::operation_aborted) throw;
    r.outcome = forward_outcome::failed;
    r.reason = std::string("internal error: ") + e.what();
  } catch (const std::exception& e) {
    r.outcome = forward_outcome::failed;
    r.reason = std::string("internal error: ") + e.what();
  }
  r.latency.total = ms_since(started);
  if (r.outcome == forward_outcome::accepted) accepted_latency_[id + ":" + trigger] = r.latency;
  else settle(r);
  co_return r;
}

void forwarder::settle(forward_report& r) {
  auto key = r.conversation_id + ":" + r.trigger;
  if (r.outcome == forward_outcome::deferred) {
    if (instruments_) instruments_->deferrals->inc();
    if (parts_.log)
      parts_.log(severity::debug, fmt::format("[FORWARD] conversation {}: not analysed yet; trying again later",
                                              r.conversation_id));
    return;  // the trigger stays pending in the state database
  }
  audit(r);
  record(r);
  if (parts_.state) {
    try {
      // Not analysed yet or a transient failure: a later trigger may succeed, so forget the key.
      // Outcomes a later trigger may change (analysed, transcribed, fixed by then) leave no key.
      if (r.outcome == forward_outcome::not_analysed || r.outcome == forward_outcome::failed ||
          r.outcome == forward_outcome::no_transcript)
        parts_.state->forget(key);
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

std::optional<forward_report> forwarder::conclude(const delivery::final_message& m) {
  auto all = parts_.payload_targets;
  all.insert(all.end(), parts_.alert_targets.begin(), parts_.alert_targets.end());
  auto type_of = [&](const std::string& sink) {
    for (auto& t : all)
      if (t.sink == sink) return t.type;
    return std::string{};
  };
  bool any_delivered = false, all_delivered = true;
  for (auto& o : m.outcomes) {
    any_delivered = any_delivered || o.state == delivery::delivery_state::delivered;
    all_delivered = all_delivered && o.state == delivery::delivery_state::delivered;
  }
  if (m.msg.kind == "alert") {
    if (parts_.state) {
      try {
        // Recorded only when it reached someone: a dead-lettered alert may be raised again.
        if (any_delivered) parts_.state->finish(m.msg.key, "raised");
        else parts_.state->forget(m.msg.key);
      } catch (const relay_error&) {
      }
    }
    if (any_delivered && instruments_) instruments_->alerts->inc();
    if (!any_delivered && parts_.log)
      parts_.log(severity::error, "alert for conversation " + m.msg.conversation_id + " reached no sink (dead letters)");
    return std::nullopt;
  }
  forward_report r;
  r.conversation_id = m.msg.conversation_id;
  r.trigger = m.msg.key.substr(m.msg.key.find(':') == std::string::npos ? 0 : m.msg.key.find(':') + 1);
  r.forwarding_id = m.msg.idempotency_key;
  auto facts = facts_of(m.msg.payload);
  r.polarity = facts.polarity;
  r.confidence = facts.confidence;
  r.alert = facts.negative > facts.threshold;
  for (auto& o : m.outcomes) {
    r.deliveries.push_back({o.sink, type_of(o.sink), o.state, o.detail, o.attempts});
    if (r.event_id.empty() && o.state == delivery::delivery_state::delivered && type_of(o.sink) == "eventbridge") r.event_id = o.detail;
    if (o.state != delivery::delivery_state::delivered)
      r.reason += (r.reason.empty() ? "" : "; ") + o.sink + ": " + o.detail;
  }
  r.outcome = all_delivered ? forward_outcome::forwarded : forward_outcome::dead_lettered;
  if (auto it = accepted_latency_.find(m.msg.key); it != accepted_latency_.end()) {
    r.latency = it->second;
    accepted_latency_.erase(it);
  }
  r.latency.deliver = static_cast<double>(delivery::now_ms() - m.accepted_ms);
  r.latency.total += r.latency.deliver;
  settle(r);
  return r;
}

asio::awaitable<void> forwarder::run_stages(forward_report& r, system_clock::time_point first_attempt) {
  const auto& id = r.conversation_id;
  const auto& s = settings_;
  auto set = [&r](forward_outcome outcome, std::string reason) {
    r.outcome = outcome;
    r.reason = std::move(reason);
  };
  // --- fetch --------------------------------------------------------------------------------
  auto t = steady_clock::now();
  std::optional<snapshot> snap;
  if (s.source == source_kind::analytics) {
    auto a = co_await genesys::query_analytics_sentiment(parts_.api, id);
    if (a.metrics) snap = from_analytics(id, a.metrics->overall, a.metrics->positive, a.metrics->neutral, a.metrics->negative);
  } else {
    auto customer = co_await genesys::read_customer(parts_.api, id);  // for the transcript
    if (!customer) co_return set(forward_outcome::not_found, "conversation " + id + " not found");
    auto st = co_await genesys::read_speech_analytics(parts_.api, id, *customer);
    if (st.analysed && st.transcripts == 0) {
      r.latency.fetch = ms_since(t);
      co_return set(forward_outcome::no_transcript,
                    fmt::format("conversation {} is scored ({}) but none of the customer's {} communication(s) has a transcript "
                                "to take the sentiment shares from",
                                id, st.score, customer->communication_ids.size()));
    }
    if (st.analysed) snap = from_speech_analytics(id, st.score, st.customer_phrases, s.neutral_band);
  }
  r.latency.fetch = ms_since(t);
  if (!snap) {
    // Not analysed yet: before the horizon the caller tries again later (a worker never waits
    // here); after it, that is the final outcome.
    auto give_up_at = first_attempt + s.not_analysed_horizon;
    if (auto now = system_clock::now(); now < give_up_at) {
      r.retry_at = std::min(give_up_at, now + not_analysed_delay(s, first_attempt, now));
      co_return set(forward_outcome::deferred, "not analysed yet");
    }
    auto source_name = s.source == source_kind::analytics ? "analytics" : "speech-analytics";
    co_return set(forward_outcome::not_analysed,
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
  if (d.what == decision::outcome::below_threshold) co_return set(forward_outcome::below_threshold, d.reason);
  if (d.what == decision::outcome::invalid) co_return set(forward_outcome::failed, d.reason);
  auto now = time_point_cast<milliseconds>(system_clock::now());
  auto payload = build_payload(*snap, {s.escalation_threshold, r.forwarding_id, now});
  if (auto err = validator().validate(payload)) co_return set(forward_outcome::failed, "the payload fails chat-sentiment.v1.json: " + *err);
  r.latency.validate = ms_since(t);

  // --- accept: the payload once, a delivery per target, the key accepted, in one commit -------
  t = steady_clock::now();
  r.alert = escalates(*snap, s.escalation_threshold);
  if (r.alert) co_await raise_alert(r, payload, snap->negative);
  auto key = id + ":" + r.trigger;
  auto* state = parts_.state;
  // Named locals, not braced temporaries: GCC 12 destroys those twice in an awaited call.
  delivery::message m{key, r.forwarding_id, id, "sentiment", payload};
  auto sinks = sink_ids(parts_.payload_targets);
  std::function<void()> also = [state, key] {
    if (state) state->mark_accepted(key);
  };
  co_await parts_.box->accept(std::move(m), std::move(sinks), std::move(also));
  r.latency.accept = ms_since(t);
  set(forward_outcome::accepted, "");
}

// One alert per conversation: the key "<id>:alert" is accepted with the alert message and
// finished only when a sink delivered it (conclude()).
asio::awaitable<void> forwarder::raise_alert(forward_report& r, const std::string& /*payload*/, double negative) {
  const auto& id = r.conversation_id;
  const auto& s = settings_;
  auto key = id + ":alert";
  auto* state = parts_.state;
  if (state) {
    auto a = state->begin(key, r.forwarding_id);
    if (a.done || a.accepted) co_return;  // raised before, or on its way
  }
  if (s.alert_log && parts_.log)
    parts_.log(severity::warn, fmt::format("[ALERT ROUTING] Escalation triggered for {}: negative {} exceeds {}", id,
                                           score_text(negative), score_text(s.escalation_threshold)));
  if (parts_.alert_targets.empty()) {
    if (state) state->finish(key, "logged");
    co_return;
  }
  auto body = fmt::format(
      R"({{"alert":"sentiment.escalation","conversationId":{},"forwardingId":{},"negative":{},"escalationThreshold":{},"confidence":{},"timestamp":"{}"}})",
      quoted(id), quoted(r.forwarding_id), score_text(negative), score_text(s.escalation_threshold), score_text(r.confidence),
      now_text());
  delivery::message m{key, r.forwarding_id, id, "alert", body};
  auto sinks = sink_ids(parts_.alert_targets);
  std::function<void()> also = [state, key] {
    if (state) state->mark_accepted(key);
  };
  co_await parts_.box->accept(std::move(m), std::move(sinks), std::move(also));
}

}  // namespace grm::sentiment
