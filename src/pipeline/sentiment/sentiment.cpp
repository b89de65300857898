#include "pipeline/sentiment/sentiment.hpp"

#include <boost/json.hpp>
#include <fmt/format.h>
#include <valijson/adapters/boost_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validator.hpp>

#include <cmath>

#include "core/error.hpp"
#include "core/time.hpp"
#include "pipeline/sentiment/schema_formats.hpp"

namespace grm::sentiment {

namespace {

#include "chat_sentiment_schema.inc"  // kChatSentimentSchema: schemas/chat-sentiment.v1.json

double clamp01(double v) noexcept { return std::isnan(v) ? 0 : std::clamp(v, 0.0, 1.0); }

polarity of_value(double v, double band) noexcept {
  if (v > band) return polarity::positive;
  if (v < -band) return polarity::negative;
  return polarity::neutral;
}

}  // namespace

std::string_view to_string(polarity p) noexcept {
  switch (p) {
    case polarity::positive: return "positive";
    case polarity::negative: return "negative";
    default: return "neutral";
  }
}

std::string_view embedded_schema() noexcept { return kChatSentimentSchema; }

polarity largest_share(double positive, double neutral, double negative) noexcept {
  if (positive > neutral && positive > negative) return polarity::positive;
  if (negative > neutral && negative > positive) return polarity::negative;
  return polarity::neutral;
}

snapshot from_analytics(std::string id, double overall, double positive, double neutral, double negative) {
  snapshot s{std::move(id), "analytics", largest_share(positive, neutral, negative), overall, positive, neutral, negative, std::nullopt};
  return s;
}

snapshot from_speech_analytics(std::string id, double score, std::span<const double> phrases, double band) {
  snapshot s{std::move(id), "speech-analytics", of_value(score, band), 0, 0, 0, 0, score};
  if (phrases.empty()) return s;  // confidence 0: nothing the customer said supports a polarity
  double pos = 0, neu = 0, neg = 0, agree = 0;
  for (double p : phrases) {
    // A phrase's own polarity is its sign: STA marks phrases −1, 0 or +1 (fractions are
    // accepted and read the same way).
    auto own = of_value(p, 0.0);
    (own == polarity::positive ? pos : own == polarity::negative ? neg : neu) += 1;
    if (own == s.direction) agree += 1;
  }
  auto n = static_cast<double>(phrases.size());
  s.positive = pos / n;
  s.neutral = neu / n;
  s.negative = neg / n;
  s.confidence = agree / n;
  return s;
}

decision decide(const snapshot& s, double min_confidence) {
  using o = decision::outcome;
  for (auto [name, v] : {std::pair{"confidence", s.confidence}, std::pair{"positive", s.positive},
                         std::pair{"neutral", s.neutral}, std::pair{"negative", s.negative}})
    if (!std::isfinite(v))
      return {o::invalid, fmt::format("{} sentiment for conversation {}: {} is not a number", s.source, s.conversation_id, name)};
  if (s.score && (!std::isfinite(*s.score) || *s.score < -1 || *s.score > 1))
    return {o::invalid, fmt::format("speech-analytics sentimentScore {} for conversation {} is outside -1..1", *s.score, s.conversation_id)};
  if (s.confidence < min_confidence)
    return {o::below_threshold, fmt::format("confidence {} is below the threshold {} ({} sentiment, polarity {})",
                                            score_text(s.confidence), min_confidence, s.source, to_string(s.direction))};
  return {};
}

std::string score_text(double v) {
  auto s = fmt::format("{:.4f}", std::round(clamp01(v) * 10000.0) / 10000.0);
  while (s.back() == '0') s.pop_back();
  if (s.back() == '.') s.pop_back();
  return s;
}

bool escalates(const snapshot& s, double threshold) noexcept {
  return std::round(clamp01(s.negative) * 10000.0) / 10000.0 > threshold;
}

std::string build_payload(const snapshot& s, const payload_fields& f) {
  // Written by hand so numbers keep their 4-decimal form (a JSON library would print 8.734E-1).
  return fmt::format(
      R"({{"conversationId":{},"sentimentMatrix":{{"polarity":"{}","confidence":{},"positive":{},"neutral":{},"negative":{}}},"escalationThreshold":{},"forwardingId":{},"timestamp":"{}"}})",
      boost::json::serialize(boost::json::string(s.conversation_id)), to_string(s.direction), score_text(s.confidence),
      score_text(s.positive), score_text(s.neutral), score_text(s.negative), score_text(f.escalation_threshold),
      boost::json::serialize(boost::json::string(f.forwarding_id)), format_rfc3339(f.now));
}

// --- schema validation (valijson over Boost.JSON) ------------------------------------------------

struct payload_validator::impl {
  valijson::Schema schema;
};

payload_validator::payload_validator() : payload_validator(kChatSentimentSchema) {}

payload_validator::payload_validator(std::string_view schema_json) : impl_(std::make_unique<impl>()) {
  boost::system::error_code ec;
  auto doc = boost::json::parse(schema_json, ec);
  if (ec) throw relay_error(error_kind::config, "the payload schema is not JSON: " + ec.message());
  valijson::SchemaParser parser;
  use_compiled_formats(doc, parser);
  valijson::adapters::BoostJsonAdapter adapter(doc);
  try {
    parser.populateSchema(adapter, impl_->schema);
  } catch (const std::exception& e) {
    throw relay_error(error_kind::config, std::string("the payload schema is not a valid JSON Schema: ") + e.what());
  }
}

payload_validator::~payload_validator() = default;

std::optional<std::string> payload_validator::validate(std::string_view payload_json) const {
  boost::system::error_code ec;
  auto doc = boost::json::parse(payload_json, ec);
  if (ec) return "the payload is not JSON: " + ec.message();
  // One validator per thread: it caches the schema's compiled `pattern` regexes (compiling them
  // per payload was most of the forwarder's CPU time). The cache is keyed by the pattern text.
  thread_local valijson::Validator validator;
  valijson::ValidationResults results;
  valijson::adapters::BoostJsonAdapter adapter(doc);
  if (validator.validate(impl_->schema, adapter, &results)) return std::nullopt;
  std::string out;
  valijson::ValidationResults::Error e;
  while (results.popError(e)) {
    // valijson also reports every enclosing object ("Failed to validate against schema associated
    // with property name ..."): the leaf messages already say it all.
    if (e.description.starts_with("Failed to validate against schema associated with property")) continue;
    std::string path = "$";
    for (auto& part : e.context)
      if (part.size() > 2 && part.front() == '[' && part.back() == ']') path += "." + part.substr(1, part.size() - 2);
    if (!out.empty()) out += "; ";
    out += path + ": " + e.description;
  }
  return out;
}

}  // namespace grm::sentiment
