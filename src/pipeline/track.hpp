#pragma once
// Keeps the state of the conversations the relay is watching and turns what the sources see into
// lifecycle transitions: a snapshot of a conversation seen for the first time is a start, a
// changed snapshot an update, all participants disconnected an end, a recorded wrap-up a wrapup.
// Each transition is emitted once, whichever channel or reconciliation read reported it.
//
// Memory is bounded: at most max_active conversations are tracked (the least recently seen is
// evicted past that) and ended conversations move to a bounded "recently ended" set so a late or
// duplicated snapshot does not restart them. Not thread-safe: owned by one pipeline strand.
#include <cstddef>
#include <cstdint>
#include <list>
#include <string>
#include <unordered_map>
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
  std::size_t active_count() const noexcept { return active_.size(); }
  std::size_t seen_count() const noexcept { return seen_; }
  std::size_t evicted_count() const noexcept { return evicted_; }

 private:
  struct state {
    std::uint64_t signature = 0;
    bool has_snapshot = false;  // false while known only from typed events
    bool ended = false;
    bool wrapped = false;
    std::string media_type;
    std::list<std::string>::iterator lru;
  };

  state* find(const std::string& id);
  state& track(const std::string& id);
  void touch(state& s);
  void retire(const std::string& id);  // ended (and wrapped or no wrap-up due): active → recent
  void remember_ended(const std::string& id, const state& s);

  tracker_limits limits_;
  std::unordered_map<std::string, state> active_;
  std::list<std::string> lru_;  // front = most recently seen
  std::unordered_map<std::string, state> recent_;
  std::list<std::string> recent_order_;
  std::size_t seen_ = 0;
  std::size_t evicted_ = 0;
};

}  // namespace grm::pipeline
