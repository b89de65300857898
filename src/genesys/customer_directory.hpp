#pragma once
// What the relay already knows of each recent conversation's customer (participant id and
// communications), so a forward does not re-read the conversation for it: the queue/user
// conversation notifications carry the participants, and a read is remembered too. A cache of
// what Genesys says, never of accepted data: a miss (a restart, an eviction) costs one read.
// Bounded; the least recently remembered goes first. One per API client, on its executor.
#include <cstddef>
#include <list>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "genesys/sentiment_documents.hpp"

namespace grm::genesys {

class customer_directory final {
 public:
  explicit customer_directory(std::size_t capacity = 20'000) : capacity_(capacity) {}

  void remember(const std::string& conversation_id, customer_participant c);
  // A conversation document (notification body or API answer): remembered when it has a
  // customer with at least one communication. Returns whether it did; never throws.
  bool remember_document(const std::string& conversation_id, std::string_view conversation_json);
  std::optional<customer_participant> find(const std::string& conversation_id) const;

  std::size_t size() const noexcept { return entries_.size(); }
  std::size_t hits() const noexcept { return hits_; }

 private:
  using order = std::list<std::string>;
  struct entry {
    customer_participant customer;
    order::iterator position;
  };
  std::size_t capacity_;
  order order_;  // oldest first
  std::unordered_map<std::string, entry> entries_;
  mutable std::size_t hits_ = 0;
};

}  // namespace grm::genesys
