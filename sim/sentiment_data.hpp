#pragma once
// The simulated org's sentiment and attribute endpoints, as plain request → reply logic (the
// simulator's HTTP layer routes to it):
//   POST  /api/v2/analytics/conversations/details/query      the seed's sentiment query (paged)
//   GET   /api/v2/speechandtextanalytics/conversations/{id}  sentimentScore, trend
//   GET   /api/v2/speechandtextanalytics/conversations/{id}/communications/{cid}/transcripturl
//   GET   /sim-s3/transcripts/{id}/{cid}.json                the "pre-signed" transcript of one communication
//   GET   /api/v2/conversations/{id}                          participants (customer + agent)
//   PATCH /api/v2/conversations/{id}/participants/{pid}/attributes   202
//   PUT   /api/v2/conversations/{id}/attributes               the seed's endpoint, 204
// Faults per conversation: not analysed yet (404 resource.not.found), attribute conflicts (409),
// unknown conversation (404).
#include <boost/json/object.hpp>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace grm::sim {

struct sentiment_record {
  std::string id;
  std::string media = "chat";
  // The seed's analytics metrics (defaults: the Node peer's mock, negative and escalating).
  double overall = 0.82, positive = 0.08213, neutral = 0.04447, negative = 0.8734;
  // Speech & Text Analytics: the conversation score and the customer's phrases (−1, 0, +1).
  // (Defaults: nine negative customer phrases of ten → negative 0.9, confidence 0.9, escalating.)
  double sta_score = -0.7;
  std::vector<int> customer_phrases = {-1, -1, -1, -1, -1, -1, -1, -1, -1, 0};
  // The customer's communications (a transfer gives several): each has its own transcript,
  // keyed by its communication id, holding every n-th of customer_phrases.
  int customer_sessions = 1;
  bool no_transcript = false;  // analysed, but no communication has a transcript (404)
  bool missing_score = false;  // the analysis answers without sentimentScore (not scored yet)
  int analytics_pages = 1;  // the entity arrives on the last of this many pages
  int not_analysed = 0;     // the next N sentiment reads answer "not analysed yet"
  int conflicts = 0;        // the next N attribute writes answer 409
  // Every attribute write answers this status (403 missing.permissions, 404 not.found): a real org
  // may refuse writes on an ended conversation or to a client without the permission.
  unsigned refuse_writes = 0;
  // What was written back.
  std::map<std::string, std::string> participant_attributes, conversation_attributes;
  int attribute_writes = 0;
  bool generated = false;  // made for a generator conversation: its state is the generator's
  bool live = false;       // still going: its document has no endTime (records are ended chats otherwise)
  std::chrono::system_clock::time_point ended_at{};  // when it was added, unless set
};

// The record's conversation as GET /api/v2/conversations/{id} (and its end notification) carries it.
boost::json::object document_of(const sentiment_record& r);

struct sim_reply {
  unsigned status = 200;
  std::string body;
  std::string content_type = "application/json";
};

// Fixed conversations for trying `genesys-relay forward` against `genesys-relay sim`, one per
// outcome: negative and escalating, positive, below the confidence threshold, a marker write that
// conflicts twice (409) before it succeeds, and one that is never analysed.
struct sample_conversation {
  const char* what;
  sentiment_record record;
};
std::vector<sample_conversation> sample_conversations();

class sentiment_data {
 public:
  // nullopt: not one of these endpoints (or an id this store does not know and `known` is false).
  std::optional<sim_reply> handle(const std::string& method, const std::string& path, const std::string& body,
                                  const std::string& base_url);
  sentiment_record& put(sentiment_record r);
  sentiment_record* find(const std::string& id);
  // A generated conversation gets a record made from its id (repeatable, varied sentiment).
  sentiment_record& ensure_generated(const std::string& id, const std::string& media);

  std::size_t analytics_queries = 0, sta_reads = 0, transcript_reads = 0, attribute_writes = 0;

 private:
  std::map<std::string, sentiment_record> records_;
};

}  // namespace grm::sim
