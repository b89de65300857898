// The pure half of the sentiment calls (no Asio): built by the fuzz preset too.
#include <boost/json.hpp>

#include <map>

#include "core/error.hpp"
#include "core/time.hpp"
#include "genesys/sentiment_documents.hpp"

namespace grm::genesys {

namespace json = boost::json;

namespace {

json::object parse_object(std::string_view body, std::string_view what) {
  boost::system::error_code ec;
  auto v = json::parse(body, ec);
  if (ec || !v.is_object()) throw relay_error(error_kind::invalid_payload, std::string(what) + " is not a JSON object");
  return std::move(v.as_object());
}

const json::array* array_of(const json::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  return v && v->is_array() ? &v->as_array() : nullptr;
}

std::string string_of(const json::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : std::string{};
}

std::optional<double> number_of(const json::value& v) {
  if (v.is_double()) return v.as_double();
  if (v.is_int64()) return static_cast<double>(v.as_int64());
  if (v.is_uint64()) return static_cast<double>(v.as_uint64());
  return std::nullopt;
}

}  // namespace

analytics_page parse_analytics_page(std::string_view body) {
  auto o = parse_object(body, "the analytics query answer");
  analytics_page page;
  page.next_page_token = string_of(o, "nextPageToken");
  auto* entities = array_of(o, "entities");
  if (!entities) entities = array_of(o, "conversations");
  if (!entities) return page;
  for (auto& e : *entities) {
    if (!e.is_object()) continue;
    auto* metrics = array_of(e.as_object(), "metrics");
    if (!metrics) continue;
    analytics_metrics m;
    int found = 0;
    for (auto& metric : *metrics) {
      if (!metric.is_object()) continue;
      auto name = string_of(metric.as_object(), "name");
      auto* value = metric.as_object().if_contains("value");
      auto number = value ? number_of(*value) : std::nullopt;
      if (!number) continue;
      if (name == "sentimentOverallScore") m.overall = *number, ++found;
      else if (name == "sentimentPositive") m.positive = *number, ++found;
      else if (name == "sentimentNeutral") m.neutral = *number, ++found;
      else if (name == "sentimentNegative") m.negative = *number, ++found;
    }
    if (found > 0) {
      page.metrics = m;
      break;
    }
  }
  return page;
}

std::optional<customer_participant> parse_customer(std::string_view body) {
  auto o = parse_object(body, "the conversation");
  auto* participants = array_of(o, "participants");
  const json::object* conversation = &o;
  if (auto* event = o.if_contains("eventBody"); !participants && event && event->is_object()) {
    conversation = &event->as_object();  // a whole notification frame
    participants = array_of(*conversation, "participants");
  }
  if (!participants) return std::nullopt;
  std::optional<customer_participant> c;
  for (auto& p : *participants) {
    if (!p.is_object() || string_of(p.as_object(), "purpose") != "customer") continue;
    auto id = string_of(p.as_object(), "id");
    if (id.empty()) continue;
    if (!c) c = customer_participant{id, {}, {}, string_of(*conversation, "endTime")};
    for (auto [key, media] : {std::pair{"chats", "chat"}, std::pair{"messages", "message"}, std::pair{"calls", "voice"},
                              std::pair{"emails", "email"}}) {
      auto* sessions = array_of(p.as_object(), key);
      if (!sessions) continue;
      for (auto& m : *sessions) {
        auto cid = m.is_object() ? string_of(m.as_object(), "id") : std::string{};
        if (cid.empty()) continue;
        c->communication_ids.push_back(cid);
        if (c->media.empty()) c->media = media;
      }
    }
  }
  return c;
}

std::optional<double> parse_sta_score(std::string_view body) {
  auto o = parse_object(body, "the speech and text analytics answer");
  auto* v = o.if_contains("sentimentScore");
  if (!v || v->is_null()) return std::nullopt;
  auto n = number_of(*v);
  if (!n) throw relay_error(error_kind::invalid_payload, "the speech and text analytics answer has a sentimentScore that is not a number");
  return n;
}

std::vector<double> parse_customer_phrase_sentiment(std::string_view body) {
  auto o = parse_object(body, "the transcript");
  std::vector<double> out;
  auto* transcripts = array_of(o, "transcripts");
  if (!transcripts) return out;
  for (auto& t : *transcripts) {
    if (!t.is_object()) continue;
    std::map<std::int64_t, bool> customer;  // phraseIndex → spoken by the customer
    if (auto* phrases = array_of(t.as_object(), "phrases"))
      for (auto& p : *phrases)
        if (p.is_object())
          if (auto* idx = p.as_object().if_contains("phraseIndex"); idx && idx->is_int64())
            customer[idx->as_int64()] = string_of(p.as_object(), "participantPurpose") == "external";
    auto* analytics = t.as_object().if_contains("analytics");
    if (!analytics || !analytics->is_object()) continue;
    auto* sentiment = array_of(analytics->as_object(), "sentiment");
    if (!sentiment) continue;
    for (auto& s : *sentiment) {
      if (!s.is_object()) continue;
      auto* idx = s.as_object().if_contains("phraseIndex");
      auto* val = s.as_object().if_contains("sentiment");
      auto n = val ? number_of(*val) : std::nullopt;
      if (!idx || !idx->is_int64() || !n) continue;
      auto it = customer.find(idx->as_int64());
      if (it != customer.end() && it->second) out.push_back(*n);
    }
  }
  return out;
}

details_page parse_details_page(std::string_view body) {
  auto o = parse_object(body, "the conversation details query answer");
  details_page page;
  if (auto* t = o.if_contains("totalHits"); t && t->is_int64()) page.total_hits = t->as_int64();
  auto* conversations = array_of(o, "conversations");
  if (!conversations) return page;  // the API omits an empty list
  for (auto& c : *conversations) {
    if (!c.is_object()) continue;
    auto& co = c.as_object();
    conversation_detail d{string_of(co, "conversationId"), {}, 0};
    if (d.id.empty()) continue;
    if (auto end = string_of(co, "conversationEnd"); !end.empty())
      if (auto t = parse_rfc3339(end)) d.end_ms = t->time_since_epoch().count();
    if (auto* participants = array_of(co, "participants"))
      for (auto& p : *participants) {
        if (!d.media.empty() || !p.is_object()) break;
        if (auto* sessions = array_of(p.as_object(), "sessions"))
          for (auto& s : *sessions)
            if (s.is_object() && d.media.empty()) d.media = string_of(s.as_object(), "mediaType");
      }
    page.conversations.push_back(std::move(d));
  }
  return page;
}

}  // namespace grm::genesys
