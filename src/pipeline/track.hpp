#pragma once
// Keeps the state of the conversations the relay is watching and turns what the sources see into
// lifecycle transitions: a snapshot of a conversation seen for the first time is a start, a
// changed snapshot an update, all participants disconnected an end, a recorded wrap-up a wrapup.
// Each transition is emitted once, whichever channel or reconciliation read reported it.
//
// Memory is bounded: at most max_active conversations are tracked (the least recently seen is
// evicted past that) and ended conversations move to a bounded "recently ended" set so a late or
// duplicated snapshot does not restart them. Not thread-safe: owned by one pipeline strand.
//
// One hash lookup per event (open addressing), slots reused in place and LRU lists linked by
// slot index: a stream where every event names a new conversation costs no allocation per event
// once the tables are warm (bench/: steps_bench, monitor_load).
#include <boost/unordered/unordered_flat_map.hpp>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/events.hpp"
#include "pipeline/decode.hpp"

namespace grm::pipeline {

struct tracker_limits {
  std::size_t max_active = 100'000;
  std::size_t max_recently_ended = 100'000;
};

class conversation_tracker final {
 public:
  explicit conversation_tracker(tracker_limits limits = {});

  // Diff a snapshot against tracked state; appends the transitions (possibly none) to `out`.
  void apply(const conversation_snapshot& snap, std::vector<lifecycle_event>& out);
  // A lifecycle event that arrived already typed (SSE, detail topics). Returns false when it
  // repeats a transition already emitted (a start, end or wrapup seen twice, e.g. once per
  // transport), which the caller drops. Updates are observations and always pass.
  bool observe(const lifecycle_event& event);

  std::vector<std::string> active_ids() const;
  std::size_t active_count() const noexcept { return active_.size; }
  std::size_t seen_count() const noexcept { return seen_; }
  std::size_t evicted_count() const noexcept { return evicted_; }

 private:
  static constexpr std::uint32_t none = UINT32_MAX;
  struct state {
    std::string id;
    std::string media_type;
    std::uint64_t signature = 0;
    bool has_snapshot = false;  // false while known only from typed events
    bool ended = false;
    bool wrapped = false;
    bool active = false;  // in the active list, else in the recently-ended list
    std::uint32_t self = none;  // own slot index
    std::uint32_t prev = none, next = none;
  };
  struct lru {  // front = most recent
    std::uint32_t head = none, tail = none;
    std::size_t size = 0;
  };
  struct id_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };

  state* find(std::string_view id);
  state& track(std::string_view id);
  void touch(state& s);
  void retire(state& s);  // ended (and wrapped or no wrap-up due): active → recently ended
  void link_front(lru& list, std::uint32_t i);
  void unlink(lru& list, std::uint32_t i);
  void release(lru& list, std::uint32_t i);  // forget entirely

  tracker_limits limits_;
  std::deque<state> slots_;  // stable addresses: the index keys are views of slots_[i].id
  std::vector<std::uint32_t> free_;
  boost::unordered_flat_map<std::string_view, std::uint32_t, id_hash, std::equal_to<>> index_;
  lru active_, recent_;
  std::size_t seen_ = 0;
  std::size_t evicted_ = 0;
};

}  // namespace grm::pipeline
