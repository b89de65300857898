#include "genesys/customer_directory.hpp"

#include "core/error.hpp"

namespace grm::genesys {

void customer_directory::remember(const std::string& conversation_id, customer_participant c) {
  if (capacity_ == 0) return;
  if (auto it = entries_.find(conversation_id); it != entries_.end()) {
    order_.splice(order_.end(), order_, it->second.position);  // the latest document wins
    it->second.customer = std::move(c);
    return;
  }
  if (entries_.size() >= capacity_) {
    entries_.erase(order_.front());
    order_.pop_front();
  }
  order_.push_back(conversation_id);
  entries_.emplace(conversation_id, entry{std::move(c), std::prev(order_.end())});
}

bool customer_directory::remember_document(const std::string& conversation_id, std::string_view conversation_json) {
  try {
    auto c = parse_customer(conversation_json);
    if (!c || c->communication_ids.empty()) return false;
    remember(conversation_id, std::move(*c));
    return true;
  } catch (const relay_error&) {
    return false;  // not a conversation document (a tutorial event): the forward reads it instead
  }
}

std::optional<customer_participant> customer_directory::find(const std::string& conversation_id) const {
  auto it = entries_.find(conversation_id);
  if (it == entries_.end()) return std::nullopt;
  ++hits_;
  return it->second.customer;
}

}  // namespace grm::genesys
