#pragma once
// Conversations that ended while nobody listened: the real API's analytics conversation details
// query (POST /api/v2/analytics/conversations/details/query), every page. The query matches
// conversations by their start, so the interval reaches back `max_duration` before `from` and
// the answer is filtered on conversationEnd ∈ [from, to); pages may shift and repeat while data
// arrives, so conversations are de-duplicated by id (spec §3).
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "genesys/sentiment_documents.hpp"

namespace grm::genesys {

class api_client;

struct ended_query {
  std::int64_t from_ms = 0, to_ms = 0;  // conversationEnd in [from, to)
  std::set<std::string> media_types;   // empty: all
  std::vector<std::string> queues;     // empty: all
  std::chrono::hours max_duration{4};  // how long before `from` a conversation may have started
  std::size_t page_size = 100;
  std::size_t max_pages = 100;
};

struct ended_result {
  std::vector<conversation_detail> conversations;  // ordered by end
  bool truncated = false;                          // max_pages was reached
  std::size_t pages = 0;
};

boost::asio::awaitable<ended_result> ended_conversations(api_client& api, ended_query q);

// The request body (exposed for tests).
std::string ended_query_body(const ended_query& q, std::size_t page_number);

}  // namespace grm::genesys
