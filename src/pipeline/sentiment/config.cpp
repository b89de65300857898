#include "pipeline/sentiment/config.hpp"

#include "pipeline/decode.hpp"

namespace grm::sentiment {

sentiment_settings parse_sentiment(const config::section& s) {
  s.reject_unknown({"type", "inputs", "source", "min_confidence", "escalation_threshold", "neutral_band", "not_analysed_horizon_s",
                    "not_analysed_backoff_ms", "media_types", "periodic_s", "periodic_max_age_s", "backfill_lookback_h",
                    "max_in_flight", "max_pending", "attempts", "retry_after_s", "alert_log"});
  sentiment_settings out;
  auto& f = out.forwarder;
  auto& t = out.triggers;
  auto src = s.choice("source", {"speech-analytics", "analytics"}).value_or("speech-analytics");
  f.source = src == "analytics" ? source_kind::analytics : source_kind::speech_analytics;
  f.min_confidence = s.number("min_confidence", 0, 1).value_or(0.75);
  f.escalation_threshold = s.number("escalation_threshold", 0, 1).value_or(0.8);
  f.neutral_band = s.number("neutral_band", 0, 1).value_or(0.25);
  f.not_analysed_horizon = std::chrono::seconds{s.integer("not_analysed_horizon_s", 0, 7 * 86'400).value_or(600)};
  f.not_analysed_backoff = std::chrono::milliseconds{s.integer("not_analysed_backoff_ms", 1, 3'600'000).value_or(5'000)};
  f.alert_log = s.boolean("alert_log").value_or(true);
  if (s.has("media_types")) {
    t.media_types.clear();
    for (auto& m : s.strings("media_types")) t.media_types.insert(pipeline::normalise_media_type(m));
  }
  t.periodic = std::chrono::seconds{s.integer("periodic_s", 0, 86'400).value_or(0)};
  t.periodic_max_age = std::chrono::seconds{s.integer("periodic_max_age_s", 0, 31 * 86'400).value_or(24 * 3600)};
  t.backfill_lookback = std::chrono::hours{s.integer("backfill_lookback_h", 0, 31 * 24).value_or(24)};
  t.max_in_flight = static_cast<std::size_t>(s.integer("max_in_flight", 1, 10'000).value_or(16));
  t.max_pending = static_cast<std::size_t>(s.integer("max_pending", 1, 100'000'000).value_or(10'000));
  t.attempts = static_cast<int>(s.integer("attempts", 1, 1000).value_or(3));
  t.retry_after = std::chrono::seconds{s.integer("retry_after_s", 1, 86'400).value_or(30)};
  return out;
}

}  // namespace grm::sentiment
