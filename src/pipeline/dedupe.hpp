#pragma once
// Remembers the last N frames by content so that a frame delivered on both the old and the new
// channel during a rotation is passed on once. Bounded: the oldest key is forgotten first.
#include <cstddef>
#include <cstdint>
#include <deque>
#include <string_view>
#include <unordered_set>

namespace grm::pipeline {

class dedupe_window final {
 public:
  explicit dedupe_window(std::size_t capacity = 65'536) : capacity_(capacity) {}

  // True the first time this content is seen within the window.
  bool first_sight(std::string_view content) {
    auto key = hash(content);
    if (seen_.contains(key)) return false;
    seen_.insert(key);
    order_.push_back(key);
    if (order_.size() > capacity_) {
      seen_.erase(order_.front());
      order_.pop_front();
    }
    return true;
  }

 private:
  static std::uint64_t hash(std::string_view s) {
    std::uint64_t h = 1469598103934665603ull;
    for (char c : s) {
      h ^= static_cast<unsigned char>(c);
      h *= 1099511628211ull;
    }
    return h ^ (s.size() * 0x9E3779B97F4A7C15ull);
  }

  std::size_t capacity_;
  std::unordered_set<std::uint64_t> seen_;
  std::deque<std::uint64_t> order_;
};

}  // namespace grm::pipeline
