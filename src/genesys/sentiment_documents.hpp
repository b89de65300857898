#pragma once
// What the sentiment calls read, as pure functions of the response body (no Asio): the analytics
// query page, the conversation's customer participant, the Speech & Text Analytics score and the
// transcript's per-phrase sentiment. Fuzzed (fuzz/sentiment_fuzz.cpp).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace grm::genesys {

// --- documents --------------------------------------------------------------------------------

struct analytics_metrics {
  double overall = 0, positive = 0, neutral = 0, negative = 0;
};
struct analytics_page {
  std::optional<analytics_metrics> metrics;  // of the first entity with sentiment metrics
  std::string next_page_token;
};
analytics_page parse_analytics_page(std::string_view body);  // throws relay_error(invalid_payload)

struct customer_participant {
  std::string participant_id;  // the first customer participant (where the marker is written)
  // Every communication of every customer participant, in order: a transfer gives several,
  // each with its own transcript.
  std::vector<std::string> communication_ids;
  std::string media;  // chat | message | voice | email
  std::string ended_at;  // the conversation's endTime, when the document has one
};
// The customer of a conversation as GET /api/v2/conversations/{id} or a queue/user conversation
// notification (the frame or its eventBody) carries it, if any.
std::optional<customer_participant> parse_customer(std::string_view conversation_body);

// sentimentScore of GET /api/v2/speechandtextanalytics/conversations/{id}; nullopt when the
// answer has none yet (not scored yet). Throws when it is there but not a number.
std::optional<double> parse_sta_score(std::string_view body);
// Per-phrase sentiment of the customer's (participantPurpose "external") phrases, in order.
std::vector<double> parse_customer_phrase_sentiment(std::string_view transcript_body);

// One page of the real analytics conversation details query (AnalyticsConversationQueryResponse):
// the conversations, each with its end (0 when it has none yet) and the customer's media type.
struct conversation_detail {
  std::string id;
  std::string media;         // the first session's mediaType (chat, message, voice, ...)
  std::int64_t end_ms = 0;   // conversationEnd, ms since the epoch; 0: not ended
};
struct details_page {
  std::vector<conversation_detail> conversations;
  std::int64_t total_hits = 0;
};
details_page parse_details_page(std::string_view body);  // throws relay_error(invalid_payload)

}  // namespace grm::genesys
