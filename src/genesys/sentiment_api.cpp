#include "genesys/sentiment_api.hpp"

#include <boost/json.hpp>

#include <chrono>

#include "core/error.hpp"
#include "core/time.hpp"

namespace grm::genesys {

namespace asio = boost::asio;
namespace json = boost::json;
using namespace std::chrono;

namespace {

constexpr int kMaxPages = 1000;  // a runaway nextPageToken loop is a server bug, not a reason to hang

std::string iso(system_clock::time_point t) { return format_rfc3339(time_point_cast<milliseconds>(t)); }

json::object attributes_body(const std::map<std::string, std::string>& attributes) {
  json::object a;
  for (auto& [k, v] : attributes) a[k] = v;
  return json::object{{"attributes", a}};
}

write_answer read_write(const net::http_response& r, std::string_view what) {
  if (r.status == 200 || r.status == 202 || r.status == 204) return {};
  if (r.status == 409) {
    auto e = parse_api_error(r.body);
    return {write_result::conflict, e.code + (e.message.empty() ? "" : ": " + e.message)};
  }
  // Anything else (404 on an ended conversation, 403 missing.permissions, an outage) is an error
  // with Genesys's own code and message; its kind says whether it is retried.
  throw status_error(r, what);
}

}  // namespace

asio::awaitable<analytics_result> query_analytics_sentiment(api_client& api, std::string id) {
  // The seed's body (view: sentiment and the four metrics are the tutorial's; the real API has
  // neither — see docs/sentiment.md), over the last hour, chats only.
  auto now = system_clock::now();
  json::object query{
      {"dateFrom", iso(now - hours{1})}, {"dateTo", iso(now)}, {"view", "sentiment"},
      {"metrics", json::array{"sentimentOverallScore", "sentimentPositive", "sentimentNeutral", "sentimentNegative"}},
      {"groupBy", json::array{}},
      {"filter", json::object{{"type", "and"},
                              {"clauses", json::array{json::object{{"type", "conversationId"}, {"in", json::array{json::string(id)}}},
                                                      json::object{{"type", "medium"}, {"in", json::array{"chat"}}}}}}},
      {"pageSize", 100}};
  analytics_result result;
  std::string token;
  do {
    auto body = query;
    if (!token.empty()) body["nextPageToken"] = token;
    auto r = co_await api.call(api_priority::forwarding, "POST", "/api/v2/analytics/conversations/details/query", json::serialize(body));
    if (r.status != 200) throw status_error(r, "the analytics sentiment query for conversation " + id);
    auto page = parse_analytics_page(r.body);
    ++result.pages;
    if (page.metrics && !result.metrics) result.metrics = page.metrics;
    token = page.next_page_token;
  } while (!token.empty() && result.pages < kMaxPages);
  co_return result;
}

asio::awaitable<std::optional<customer_participant>> read_customer(api_client& api, std::string id, bool fresh) {
  if (!fresh)
    if (auto known = api.customers().find(id)) co_return known;
  auto r = co_await api.call(api_priority::forwarding, "GET", "/api/v2/conversations/" + id);
  if (r.status == 404) co_return std::nullopt;
  if (r.status != 200) throw status_error(r, "reading conversation " + id);
  auto c = parse_customer(r.body);
  if (!c) throw relay_error(error_kind::invalid_payload, "conversation " + id + " has no customer participant");
  api.customers().remember(id, *c);
  co_return c;
}

asio::awaitable<sta_result> read_speech_analytics(api_client& api, std::string id, customer_participant customer) {
  sta_result out;
  auto r = co_await api.call(api_priority::forwarding, "GET", "/api/v2/speechandtextanalytics/conversations/" + id);
  if (r.status == 404) co_return out;  // resource.not.found: not analysed (yet)
  if (r.status != 200) throw status_error(r, "reading speech and text analytics of conversation " + id);
  auto score = parse_sta_score(r.body);
  if (!score) co_return out;  // analysed, not scored yet: the same as not analysed yet
  out.score = *score;
  out.analysed = true;
  for (auto& cid : customer.communication_ids) {
    auto u = co_await api.call(api_priority::forwarding, "GET",
                               "/api/v2/speechandtextanalytics/conversations/" + id + "/communications/" + cid + "/transcripturl");
    if (u.status == 404) continue;  // this communication has no transcript
    if (u.status != 200) throw status_error(u, "reading the transcript URL of communication " + cid + " of conversation " + id);
    boost::system::error_code ec;
    auto v = json::parse(u.body, ec);
    if (ec || !v.is_object() || !v.as_object().contains("url") || !v.as_object().at("url").is_string())
      throw relay_error(error_kind::invalid_payload, "the transcript URL answer of conversation " + id + " has no url");
    // A pre-signed URL: fetched without the bearer token, outside the API's rate limit.
    net::http_request get{.method = "GET", .url = std::string(v.as_object().at("url").as_string()), .headers = {}, .body = {}, .timeout = {}};
    auto t = co_await net::send_with_retry(api.http(), std::move(get), net::retry_policy{});
    if (t.status != 200)
      throw relay_error(t.status >= 500 ? error_kind::server : error_kind::client,
                        "downloading the transcript of communication " + cid + " of conversation " + id + " failed with HTTP " +
                            std::to_string(t.status));
    auto phrases = parse_customer_phrase_sentiment(t.body);
    out.customer_phrases.insert(out.customer_phrases.end(), phrases.begin(), phrases.end());
    ++out.transcripts;
  }
  co_return out;
}

asio::awaitable<write_answer> patch_participant_attributes(api_client& api, std::string id, std::string participant,
                                                           std::map<std::string, std::string> attributes) {
  auto r = co_await api.call(api_priority::forwarding, "PATCH", "/api/v2/conversations/" + id + "/participants/" + participant + "/attributes",
                             json::serialize(attributes_body(attributes)));
  co_return read_write(r, "writing the attributes of participant " + participant + " of conversation " + id);
}

asio::awaitable<write_answer> put_conversation_attributes(api_client& api, std::string id,
                                                          std::map<std::string, std::string> attributes) {
  auto r = co_await api.call(api_priority::forwarding, "PUT", "/api/v2/conversations/" + id + "/attributes", json::serialize(attributes_body(attributes)));
  co_return read_write(r, "writing the attributes of conversation " + id);
}

}  // namespace grm::genesys
