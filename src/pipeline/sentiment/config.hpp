#pragma once
// [transforms.<id>] type = "sentiment" (docs/configuration.md): which conversations trigger a
// forward and how the sentiment is judged.
//   source = "speech-analytics" | "analytics", min_confidence, escalation_threshold, neutral_band,
//   not_analysed_horizon_s, not_analysed_backoff_ms, media_types, periodic_s, periodic_max_age_s,
//   backfill_lookback_h, max_in_flight, max_pending, attempts, retry_after_s, alert_log
// Its outputs: "<id>" (the sentiment payloads) and "<id>.alerts" (escalations).
#include "config/section.hpp"
#include "pipeline/sentiment/forwarding_service.hpp"

namespace grm::sentiment {

sentiment_settings parse_sentiment(const config::section& s);

}  // namespace grm::sentiment
