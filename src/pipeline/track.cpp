#include "pipeline/track.hpp"

namespace grm::pipeline {
namespace {

event_fields fields_from(const conversation_snapshot& s) {
  event_fields f;
  f.conversation_id = s.conversation_id;
  f.timestamp = s.timestamp;
  f.media_type = s.media_type;
  f.origin = s.origin;
  f.raw = s.raw;
  return f;
}

lifecycle_event snapshot_event(lifecycle kind, const conversation_snapshot& s) {
  auto f = fields_from(s);
  f.event_type = "conversation:" + std::string(to_string(kind));
  return make_event(kind, std::move(f));
}

}  // namespace

conversation_tracker::conversation_tracker(tracker_limits limits) : limits_(limits) {}

conversation_tracker::state* conversation_tracker::find(const std::string& id) {
  if (auto it = active_.find(id); it != active_.end()) return &it->second;
  if (auto it = recent_.find(id); it != recent_.end()) return &it->second;
  return nullptr;
}

conversation_tracker::state& conversation_tracker::track(const std::string& id) {
  if (active_.size() >= limits_.max_active && !lru_.empty()) {
    // Bounded memory wins over completeness; the eviction is counted and reported.
    active_.erase(lru_.back());
    lru_.pop_back();
    ++evicted_;
  }
  ++seen_;
  lru_.push_front(id);
  auto& s = active_[id];
  s.lru = lru_.begin();
  return s;
}

void conversation_tracker::touch(state& s) { lru_.splice(lru_.begin(), lru_, s.lru); }

void conversation_tracker::remember_ended(const std::string& id, const state& s) {
  if (recent_.size() >= limits_.max_recently_ended && !recent_order_.empty()) {
    recent_.erase(recent_order_.back());
    recent_order_.pop_back();
  }
  recent_order_.push_front(id);
  auto& r = recent_[id];
  r = s;
  r.lru = recent_order_.begin();
}

void conversation_tracker::retire(const std::string& id) {
  auto it = active_.find(id);
  if (it == active_.end()) return;
  lru_.erase(it->second.lru);
  remember_ended(id, it->second);
  active_.erase(it);
}

void conversation_tracker::apply(const conversation_snapshot& snap,
                                 std::vector<lifecycle_event>& out) {
  const auto& id = snap.conversation_id;
  state* s = find(id);
  bool is_active = active_.contains(id);
  if (!s) {
    s = &track(id);
    s->signature = snap.signature;
    s->has_snapshot = true;
    s->media_type = snap.media_type;
    out.push_back(snapshot_event(lifecycle::start, snap));
    is_active = true;
  } else if (!s->has_snapshot) {
    // Known only from typed events so far: this snapshot is its state, not a change to it.
    s->signature = snap.signature;
    s->has_snapshot = true;
    if (is_active) touch(*s);
  } else if (s->signature == snap.signature) {
    if (is_active) touch(*s);
    return;  // the same state again: a duplicate from an overlapping channel or a re-read
  } else {
    s->signature = snap.signature;
    if (is_active) touch(*s);
    bool ends_now = !s->ended && snap.all_disconnected();
    bool wraps_now = !s->wrapped && snap.wrapup_recorded();
    if (!ends_now && !wraps_now && !s->ended) out.push_back(snapshot_event(lifecycle::update, snap));
  }
  if (!s->ended && snap.all_disconnected()) {
    s->ended = true;
    out.push_back(snapshot_event(lifecycle::end, snap));
  }
  if (!s->wrapped && snap.wrapup_recorded()) {
    s->wrapped = true;
    out.push_back(snapshot_event(lifecycle::wrapup, snap));
  }
  bool wrapup_due = false;
  for (auto& p : snap.participants)
    if (p.wrapup_required && p.wrapup_code.empty()) wrapup_due = true;
  if (is_active && s->ended && (s->wrapped || !wrapup_due)) retire(id);
}

bool conversation_tracker::observe(const lifecycle_event& event) {
  const auto& f = fields_of(event);
  if (f.conversation_id.empty()) return true;
  state* s = find(f.conversation_id);
  auto kind = kind_of(event);
  if (!s) {
    s = &track(f.conversation_id);
    s->media_type = f.media_type;
  } else {
    // Already known (from another transport or channel): its start has been emitted.
    if (kind == lifecycle::start) return false;
    if (active_.contains(f.conversation_id)) touch(*s);
  }
  switch (kind) {
    case lifecycle::end:
      if (s->ended) return false;
      s->ended = true;
      break;
    case lifecycle::wrapup:
      if (s->wrapped) return false;
      s->wrapped = true;
      if (active_.contains(f.conversation_id)) retire(f.conversation_id);
      break;
    default:
      break;
  }
  return true;
}

std::vector<std::string> conversation_tracker::active_ids() const {
  std::vector<std::string> ids;
  ids.reserve(active_.size());
  for (auto& [id, s] : active_)
    if (!s.ended || !s.wrapped) ids.push_back(id);
  return ids;
}

}  // namespace grm::pipeline
