#pragma once
// The Genesys calls the sentiment forwarder makes: the seed's analytics sentiment query (every
// page), Speech & Text Analytics (conversation score + the customer's phrase sentiment from the
// transcript), the conversation's participants, and the attribute writes (the real PATCH on a
// participant, the seed's PUT on the conversation). The documents they read: sentiment_documents.hpp.
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "genesys/api.hpp"
#include "genesys/sentiment_documents.hpp"

namespace grm::genesys {

// --- calls ------------------------------------------------------------------------------------

struct analytics_result {
  std::optional<analytics_metrics> metrics;  // none: no entity had sentiment
  int pages = 0;
};
boost::asio::awaitable<analytics_result> query_analytics_sentiment(api_client& api, std::string conversation_id);

struct sta_result {
  bool analysed = false;  // false: 404 resource.not.found, or no sentimentScore yet (not analysed yet)
  double score = 0;
  std::vector<double> customer_phrases;  // of every customer communication's transcript, in order
  int transcripts = 0;                   // communications that had one
};
// The score, then the transcript of every customer communication (a 404 for one is that
// communication without a transcript).
boost::asio::awaitable<sta_result> read_speech_analytics(api_client& api, std::string conversation_id,
                                                         customer_participant customer);

// The conversation's customer: from what the notifications already said of it (the API
// client's customer directory) unless `fresh`, else GET /api/v2/conversations/{id}, remembered.
// nullopt when not found; throws when it has no customer.
boost::asio::awaitable<std::optional<customer_participant>> read_customer(api_client& api, std::string conversation_id,
                                                                          bool fresh = false);

enum class write_result { written, conflict };
struct write_answer {
  write_result result = write_result::written;
  std::string conflict;  // on a 409: Genesys's "code: message"
};
boost::asio::awaitable<write_answer> patch_participant_attributes(api_client& api, std::string conversation_id,
                                                                  std::string participant_id,
                                                                  std::map<std::string, std::string> attributes);
boost::asio::awaitable<write_answer> put_conversation_attributes(api_client& api, std::string conversation_id,
                                                                 std::map<std::string, std::string> attributes);

}  // namespace grm::genesys
