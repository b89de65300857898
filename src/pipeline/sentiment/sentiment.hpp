#pragma once
// Sentiment, from either source, normalised to one snapshot; the decision whether it may be
// forwarded; and the payload of schemas/chat-sentiment.v1.json. Pure functions: fetching lives in
// genesys/, sending in sinks/. How each number is derived is documented in docs/sentiment.md.
#include <chrono>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace grm::sentiment {

enum class polarity { positive, neutral, negative };
std::string_view to_string(polarity p) noexcept;

struct snapshot {
  std::string conversation_id;
  std::string source;  // "analytics" or "speech-analytics"
  polarity direction = polarity::neutral;
  double confidence = 0;  // 0..1
  double positive = 0, neutral = 0, negative = 0;  // shares, 0..1
  std::optional<double> score;  // Speech & Text Analytics sentimentScore, −1..+1
};

// The seed's analytics metrics: sentimentOverallScore is the confidence; the three shares as
// given. Polarity is the largest share (a tie goes to neutral) — the seed only ever said
// positive or negative.
snapshot from_analytics(std::string conversation_id, double overall, double positive, double neutral, double negative);
polarity largest_share(double positive, double neutral, double negative) noexcept;

// Speech & Text Analytics: the conversation's sentimentScore (−1..+1) decides the polarity
// (above +band positive, below −band negative, else neutral); the customer's phrases (each
// phrase's sentiment, −1..+1) give the shares by sign; confidence is the share of customer
// phrases whose own polarity agrees with the conversation's.
inline constexpr double kNeutralBand = 0.25;
snapshot from_speech_analytics(std::string conversation_id, double score, std::span<const double> customer_phrases,
                               double neutral_band = kNeutralBand);

// Whether a snapshot may be forwarded: a precise reason when not.
struct decision {
  enum class outcome { forward, below_threshold, invalid } what = outcome::forward;
  std::string reason;
};
decision decide(const snapshot& s, double min_confidence);

// The payload, exactly as the schema says: scores clamped to [0, 1] and written with at most 4
// decimal places; timestamp RFC 3339 UTC with milliseconds.
struct payload_fields {
  double escalation_threshold = 0.8;
  std::string forwarding_id;  // uuid_v4()
  std::chrono::sys_time<std::chrono::milliseconds> now;
};
std::string build_payload(const snapshot& s, const payload_fields& f);

// 4 decimal places, clamped to [0, 1], NaN → 0, trailing zeros dropped ("0.87", "1", "0.8734").
std::string score_text(double v);

// Negative share above the escalation threshold (the seed's alert rule).
bool escalates(const snapshot& s, double escalation_threshold) noexcept;

// The published schema (schemas/chat-sentiment.v1.json, embedded at build time), compiled once.
class payload_validator {
 public:
  payload_validator();  // the embedded schema
  explicit payload_validator(std::string_view schema_json);
  ~payload_validator();
  payload_validator(const payload_validator&) = delete;
  payload_validator& operator=(const payload_validator&) = delete;
  // nullopt when valid; else the validator's messages, "<path>: <message>; ...".
  std::optional<std::string> validate(std::string_view payload_json) const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

std::string_view embedded_schema() noexcept;

}  // namespace grm::sentiment
