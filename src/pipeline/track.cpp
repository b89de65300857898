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

void conversation_tracker::link_front(lru& list, std::uint32_t i) {
  auto& s = slots_[i];
  s.prev = none;
  s.next = list.head;
  if (list.head != none) slots_[list.head].prev = i;
  list.head = i;
  if (list.tail == none) list.tail = i;
  ++list.size;
}

void conversation_tracker::unlink(lru& list, std::uint32_t i) {
  auto& s = slots_[i];
  (s.prev != none ? slots_[s.prev].next : list.head) = s.next;
  (s.next != none ? slots_[s.next].prev : list.tail) = s.prev;
  s.prev = s.next = none;
  --list.size;
}

void conversation_tracker::release(lru& list, std::uint32_t i) {
  unlink(list, i);
  index_.erase(std::string_view(slots_[i].id));
  free_.push_back(i);
}

conversation_tracker::state* conversation_tracker::find(std::string_view id) {
  auto it = index_.find(id);
  return it == index_.end() ? nullptr : &slots_[it->second];
}

conversation_tracker::state& conversation_tracker::track(std::string_view id) {
  if (active_.size >= limits_.max_active && active_.tail != none) {
    // Bounded memory wins over completeness; the eviction is counted and reported.
    release(active_, active_.tail);
    ++evicted_;
  }
  ++seen_;
  std::uint32_t i;
  if (!free_.empty()) {
    i = free_.back();
    free_.pop_back();
  } else {
    i = static_cast<std::uint32_t>(slots_.size());
    slots_.emplace_back().self = i;
  }
  auto& s = slots_[i];
  s.id.assign(id);  // reuses the slot's buffer
  s.media_type.clear();
  s.signature = 0;
  s.has_snapshot = s.ended = s.wrapped = false;
  s.active = true;
  link_front(active_, i);
  index_.emplace(std::string_view(s.id), i);
  return s;
}

void conversation_tracker::touch(state& s) {
  if (!s.active) return;
  auto i = s.self;
  unlink(active_, i);
  link_front(active_, i);
}

void conversation_tracker::retire(state& s) {
  if (!s.active) return;
  auto i = s.self;
  s.active = false;
  if (limits_.max_recently_ended == 0) {
    release(active_, i);
    return;
  }
  unlink(active_, i);
  if (recent_.size >= limits_.max_recently_ended) release(recent_, recent_.tail);
  link_front(recent_, i);
}

void conversation_tracker::apply(const conversation_snapshot& snap,
                                 std::vector<lifecycle_event>& out) {
  const auto& id = snap.conversation_id;
  state* s = find(id);
  bool is_active = s && s->active;
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
  if (is_active && s->ended && (s->wrapped || !wrapup_due)) retire(*s);
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
    touch(*s);
  }
  switch (kind) {
    case lifecycle::end:
      if (s->ended) return false;
      s->ended = true;
      break;
    case lifecycle::wrapup:
      if (s->wrapped) return false;
      s->wrapped = true;
      retire(*s);
      break;
    default:
      break;
  }
  return true;
}

std::vector<std::string> conversation_tracker::active_ids() const {
  std::vector<std::string> ids;
  ids.reserve(active_.size);
  for (auto i = active_.head; i != none; i = slots_[i].next)
    if (!slots_[i].ended || !slots_[i].wrapped) ids.push_back(slots_[i].id);
  return ids;
}

}  // namespace grm::pipeline
