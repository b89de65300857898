#pragma once
// What the simulated org remembers of its generated conversations, for the real analytics
// conversation details query (POST /api/v2/analytics/conversations/details/query in the real
// API's shape: `interval` required, conversationFilters/segmentFilters, paging by
// pageSize/pageNumber; answers {conversations, totalHits}) and for the ledger: one JSON line per
// conversation the simulator ends, the ground truth of loss tests. Runs on the simulator's thread.
#include <cstdint>
#include <deque>
#include <fstream>
#include <optional>
#include <string>

#include "sim/sentiment_data.hpp"

namespace grm::sim {

struct history_entry {
  std::string id, media, queue_id;
  std::int64_t start_ms = 0, end_ms = 0;  // end 0: still going
};

class conversation_history final {
 public:
  explicit conversation_history(const std::string& ledger_path, std::size_t max_pages = 100);
  void started(const std::string& id, const std::string& media, const std::string& queue_id, std::int64_t now_ms);
  void ended(const std::string& id, std::int64_t now_ms);  // appends the ledger line
  // The real query: nullopt when the body is the tutorial's shape (it has "view"), else the
  // answer (400 with the API's error body for a missing interval or a page size over 100).
  std::optional<sim_reply> query(const std::string& body);
  std::size_t queries() const noexcept { return queries_; }

 private:
  std::deque<history_entry> entries_;  // the last 100,000, oldest first
  std::ofstream ledger_;
  std::size_t max_page_size_;
  std::size_t queries_ = 0;
};

}  // namespace grm::sim
