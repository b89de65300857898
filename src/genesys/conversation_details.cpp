#include "genesys/conversation_details.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <map>

#include "core/error.hpp"
#include "core/time.hpp"
#include "genesys/api.hpp"

namespace grm::genesys {

namespace asio = boost::asio;
namespace json = boost::json;
using namespace std::chrono;

std::string ended_query_body(const ended_query& q, std::size_t page_number) {
  auto start = q.from_ms - duration_cast<milliseconds>(q.max_duration).count();
  json::object body{
      {"interval", format_rfc3339_epoch_ms(start) + "/" + format_rfc3339_epoch_ms(q.to_ms)},
      {"order", "asc"},
      {"orderBy", "conversationStart"},
      {"paging", json::object{{"pageSize", q.page_size}, {"pageNumber", page_number}}},
      {"conversationFilters",
       json::array{json::object{{"type", "and"},
                                {"predicates", json::array{json::object{
                                                   {"type", "dimension"}, {"dimension", "conversationEnd"}, {"operator", "exists"}}}}}}}};
  json::array segment_filters;
  auto any_of = [](std::string_view dimension, auto& values) {
    json::array preds;
    for (auto& v : values) preds.push_back(json::object{{"type", "dimension"}, {"dimension", dimension}, {"value", v}});
    return json::object{{"type", "or"}, {"predicates", std::move(preds)}};
  };
  if (!q.media_types.empty()) segment_filters.push_back(any_of("mediaType", q.media_types));
  if (!q.queues.empty()) segment_filters.push_back(any_of("queueId", q.queues));
  if (!segment_filters.empty()) body["segmentFilters"] = std::move(segment_filters);
  return json::serialize(body);
}

asio::awaitable<ended_result> ended_conversations(api_client& api, ended_query q) {
  ended_result out;
  std::map<std::string, conversation_detail> by_id;
  for (std::size_t page = 1; page <= q.max_pages; ++page) {
    auto r = co_await api.call(api_priority::recovery, "POST", "/api/v2/analytics/conversations/details/query", ended_query_body(q, page));
    if (r.status != 200) throw status_error(r, "the conversation details query");
    auto p = parse_details_page(r.body);
    ++out.pages;
    for (auto& c : p.conversations)
      if (c.end_ms >= q.from_ms && c.end_ms < q.to_ms) by_id.emplace(c.id, c);
    if (p.conversations.size() < q.page_size) break;
    out.truncated = page == q.max_pages;
  }
  for (auto& [id, c] : by_id) out.conversations.push_back(c);
  std::sort(out.conversations.begin(), out.conversations.end(), [](auto& a, auto& b) { return a.end_ms < b.end_ms; });
  co_return out;
}

}  // namespace grm::genesys
