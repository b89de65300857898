#include "sim/sentiment_data.hpp"
#include "sim/conversation_document.hpp"

#include <boost/json.hpp>

#include <functional>

namespace grm::sim {

namespace json = boost::json;

namespace {

sim_reply error(unsigned status, const std::string& code, const std::string& message, const std::string& id = {}) {
  json::object o{{"message", message}, {"code", code}, {"status", status}};
  if (!id.empty()) o["messageParams"] = json::object{{"id", id}};
  return {status, json::serialize(o)};
}

sim_reply ok(const json::value& v, unsigned status = 200) { return {status, json::serialize(v)}; }

std::vector<std::string> split(const std::string& path) {
  std::vector<std::string> parts;
  std::size_t start = 1;
  while (start <= path.size()) {
    auto slash = path.find('/', start);
    parts.push_back(path.substr(start, slash == std::string::npos ? std::string::npos : slash - start));
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return parts;
}

// The customer communication `cid` of record `r`: its index, or -1.
int customer_session(const sentiment_record& r, const std::string& cid) {
  for (int i = 0; i < std::max(1, r.customer_sessions); ++i)
    if (communication_id(r.id, "customer", i) == cid) return i;
  return -1;
}

}  // namespace

sentiment_record& sentiment_data::put(sentiment_record r) {
  auto id = r.id;
  if (r.ended_at == std::chrono::system_clock::time_point{}) r.ended_at = std::chrono::system_clock::now();
  return records_[id] = std::move(r);
}

json::object document_of(const sentiment_record& r) {
  conversation_shape shape;
  shape.id = r.id;
  shape.media = r.media;
  shape.end = r.ended_at;
  shape.start = r.ended_at - std::chrono::minutes{5};
  if (r.live) {
    shape.end.reset();
    shape.stage = 2;  // customer and agent connected
  }
  shape.queue_id = "6a0f0e9c-0d3e-4c7b-9a57-0a4a6f3a1b22";
  shape.user_id = "u-agent-1";
  shape.customer_sessions = r.customer_sessions;
  shape.customer_attributes = r.participant_attributes;
  return conversation_document(shape);
}

sentiment_record* sentiment_data::find(const std::string& id) {
  auto it = records_.find(id);
  return it == records_.end() ? nullptr : &it->second;
}

std::vector<sample_conversation> sample_conversations() {
  auto rec = [](const char* id) {
    sentiment_record r;
    r.id = id;
    return r;
  };
  std::vector<sample_conversation> out;
  out.push_back({"negative, escalates (alert)", rec("5a3f2c1e-0000-4000-8000-000000000001")});
  auto pos = rec("5a3f2c1e-0000-4000-8000-000000000002");
  pos.positive = 0.7712, pos.neutral = 0.1544, pos.negative = 0.0744, pos.overall = 0.91;
  pos.sta_score = 0.7, pos.customer_phrases = {1, 1, 1, 1, 0};
  out.push_back({"positive", pos});
  auto low = rec("5a3f2c1e-0000-4000-8000-000000000003");
  low.positive = 0.3, low.neutral = 0.4, low.negative = 0.3, low.overall = 0.42;
  low.sta_score = 0.1, low.customer_phrases = {1, -1, 0, 0, -1};
  out.push_back({"below the confidence threshold", low});
  auto conflict = rec("5a3f2c1e-0000-4000-8000-000000000004");
  conflict.conflicts = 2;
  out.push_back({"marker write answers 409 twice, then succeeds", conflict});
  auto never = rec("5a3f2c1e-0000-4000-8000-000000000005");
  never.not_analysed = 1'000'000;
  out.push_back({"never analysed (not-analysed)", never});
  return out;
}

sentiment_record& sentiment_data::ensure_generated(const std::string& id, const std::string& media) {
  if (auto* r = find(id)) return *r;
  // Varied but repeatable: about a third negative and escalating, a third positive, a third
  // with too little confidence to forward.
  auto h = std::hash<std::string>{}(id);
  sentiment_record r;
  r.id = id;
  r.media = media;
  r.generated = true;
  switch (h % 3) {
    case 0: break;  // the defaults: negative 0.8734, confidence 0.82
    case 1:
      r.positive = 0.7712, r.neutral = 0.1544, r.negative = 0.0744, r.overall = 0.91;
      r.sta_score = 0.7, r.customer_phrases = {1, 1, 1, 0};
      break;
    default:
      r.positive = 0.3, r.neutral = 0.4, r.negative = 0.3, r.overall = 0.42;
      r.sta_score = 0.1, r.customer_phrases = {1, -1, 0, 0, -1};
  }
  return put(std::move(r));
}

std::optional<sim_reply> sentiment_data::handle(const std::string& method, const std::string& path,
                                                const std::string& body, const std::string& base_url) {
  auto parts = split(path);
  // --- the seed's analytics query ---------------------------------------------------------
  if (method == "POST" && path == "/api/v2/analytics/conversations/details/query") {
    ++analytics_queries;
    boost::system::error_code ec;
    auto v = json::parse(body, ec);
    if (ec || !v.is_object()) return error(400, "bad.request", "The request body is not JSON");
    std::string id;
    if (auto* f = v.as_object().if_contains("filter"); f && f->is_object())
      if (auto* cl = f->as_object().if_contains("clauses"); cl && cl->is_array())
        for (auto& c : cl->as_array())
          if (c.is_object() && c.as_object().contains("in") && c.as_object().at("in").is_array() &&
              !c.as_object().at("in").as_array().empty() && c.as_object().at("in").as_array()[0].is_string() &&
              c.as_object().if_contains("type") && c.as_object().at("type") == "conversationId")
            id = std::string(c.as_object().at("in").as_array()[0].as_string());
    int page = 1;
    if (auto* t = v.as_object().if_contains("nextPageToken"); t && t->is_string()) page = std::atoi(t->as_string().c_str() + 4);
    auto* r = find(id);
    json::object out{{"entities", json::array{}}};
    if (r && r->not_analysed > 0) {
      --r->not_analysed;
      return ok(out);  // no sentiment yet: no entities
    }
    if (r && page < r->analytics_pages) {
      out["nextPageToken"] = "page" + std::to_string(page + 1);
      return ok(out);
    }
    if (r) {
      json::array metrics{json::object{{"name", "sentimentOverallScore"}, {"value", r->overall}},
                          json::object{{"name", "sentimentPositive"}, {"value", r->positive}},
                          json::object{{"name", "sentimentNeutral"}, {"value", r->neutral}},
                          json::object{{"name", "sentimentNegative"}, {"value", r->negative}}};
      out["entities"] = json::array{json::object{{"conversationId", id}, {"mediaType", r->media}, {"metrics", metrics}}};
    }
    return ok(out);
  }
  // --- Speech & Text Analytics ---------------------------------------------------------------
  if (method == "GET" && parts.size() >= 5 && parts[0] == "api" && parts[2] == "speechandtextanalytics" &&
      parts[3] == "conversations") {
    auto& id = parts[4];
    auto* r = find(id);
    if (!r) return error(404, "resource.not.found", "Unable to find conversation " + id, id);
    if (parts.size() == 5) {
      ++sta_reads;
      if (r->not_analysed > 0) {
        --r->not_analysed;
        return error(404, "resource.not.found", "Unable to find conversation " + id, id);
      }
      auto trend = r->sta_score < 0 ? "Declining" : "Improving";
      json::object out{{"conversation", json::object{{"id", id}, {"selfUri", "/api/v2/conversations/" + id}}},
                       {"sentimentTrendClass", trend}, {"participantMetrics", json::object{}}};
      if (!r->missing_score) {
        out["sentimentScore"] = r->sta_score;
        out["sentimentTrend"] = r->sta_score / 2;
      }
      return ok(out);
    }
    if (parts.size() == 8 && parts[5] == "communications" && parts[7] == "transcripturl") {
      // Keyed by the communication id, as the API is: only the customer's communications have one here.
      if (r->no_transcript || customer_session(*r, parts[6]) < 0)
        return error(404, "resource.not.found", "No transcript for communication " + parts[6] + " of conversation " + id, id);
      return ok(json::object{{"url", base_url + "/sim-s3/transcripts/" + id + "/" + parts[6] + ".json?X-Amz-Signature=sim"}});
    }
    return std::nullopt;
  }
  if (method == "GET" && path.starts_with("/sim-s3/transcripts/")) {
    ++transcript_reads;
    auto rest = path.substr(20, path.size() - 20 - 5);  // {id}/{cid}
    auto slash = rest.find('/');
    auto id = rest.substr(0, slash);
    auto cid = slash == std::string::npos ? std::string{} : rest.substr(slash + 1);
    auto* r = find(id);
    int session = r ? customer_session(*r, cid) : -1;
    if (session < 0) return sim_reply{403, "<Error><Code>AccessDenied</Code></Error>", "application/xml"};
    auto sessions = std::max(1, r->customer_sessions);
    json::array phrases, sentiments;
    int index = 0, nth = 0;
    for (int s : r->customer_phrases) {
      if (nth++ % sessions != session) continue;
      // An agent phrase between customer phrases, always positive: it must not count.
      phrases.push_back(json::object{{"phraseIndex", index}, {"text", "agent says"}, {"participantPurpose", "internal"}});
      sentiments.push_back(json::object{{"phraseIndex", index++}, {"sentiment", 1}});
      phrases.push_back(json::object{{"phraseIndex", index}, {"text", "customer says"}, {"participantPurpose", "external"}});
      sentiments.push_back(json::object{{"phraseIndex", index++}, {"sentiment", s}});
    }
    return ok(json::object{{"conversationId", id}, {"communicationId", cid},
                           {"transcripts", json::array{json::object{{"phrases", phrases},
                                                                    {"analytics", json::object{{"sentiment", sentiments}}}}}}});
  }
  // --- conversation and attributes -----------------------------------------------------------
  if (parts.size() >= 4 && parts[0] == "api" && parts[2] == "conversations") {
    auto& id = parts[3];
    auto* r = find(id);
    if (!r) return std::nullopt;  // the simulator's own conversations, or its 404
    if (method == "GET" && parts.size() == 4 && !r->generated) return ok(document_of(*r));
    bool participant_write = method == "PATCH" && parts.size() == 7 && parts[4] == "participants" && parts[6] == "attributes";
    bool seed_write = method == "PUT" && parts.size() == 5 && parts[4] == "attributes";
    if (!participant_write && !seed_write) return std::nullopt;
    ++attribute_writes;
    if (participant_write && parts[5] != id + "-cust" && parts[5] != id + "-agent")
      return error(404, "not.found", "Participant " + parts[5] + " not found in conversation " + id);
    if (r->refuse_writes == 403)
      return error(403, "missing.permissions", "Missing permission conversation:participant:wrapup");
    if (r->refuse_writes)
      return error(r->refuse_writes, "not.found", "Conversation " + id + " is not active; its attributes cannot change");
    if (r->conflicts > 0) {
      --r->conflicts;
      return error(409, "conflict", "The conversation was modified by another request; re-read it and retry");
    }
    boost::system::error_code ec;
    auto v = json::parse(body, ec);
    const json::object* attrs = nullptr;
    if (!ec && v.is_object())
      if (auto* a = v.as_object().if_contains("attributes"); a && a->is_object()) attrs = &a->as_object();
    if (!attrs) return error(400, "bad.request", "The body must be {\"attributes\": {...}}");
    auto& target = participant_write ? r->participant_attributes : r->conversation_attributes;
    for (auto& [k, val] : *attrs) {
      if (!val.is_string()) return error(400, "bad.request", "Attribute " + std::string(k) + " must be a string");
      target[std::string(k)] = std::string(val.as_string());
    }
    ++r->attribute_writes;
    return sim_reply{participant_write ? 202u : 204u, "", "application/json"};
  }
  return std::nullopt;
}

}  // namespace grm::sim
