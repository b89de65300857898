#include "pipeline/track.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace grm::pipeline {
namespace {

conversation_snapshot snap(const std::string& id, std::vector<std::pair<std::string, bool>> parts,
                           std::string wrapup = {}, bool wrapup_required = false) {
  conversation_snapshot s;
  s.conversation_id = id;
  std::uint64_t sig = 7;
  for (auto& [pid, disc] : parts) {
    participant_state p;
    p.id = pid;
    p.disconnected = disc;
    p.wrapup_required = wrapup_required;
    sig = sig * 31 + std::hash<std::string>{}(pid) + (disc ? 1 : 0);
    s.participants.push_back(p);
  }
  if (!wrapup.empty()) {
    s.participants.back().wrapup_code = wrapup;
    sig += std::hash<std::string>{}(wrapup);
  }
  s.signature = sig;
  return s;
}

std::vector<lifecycle> kinds(const std::vector<lifecycle_event>& v) {
  std::vector<lifecycle> out;
  for (auto& e : v) out.push_back(kind_of(e));
  return out;
}

TEST(Tracker, FirstSightIsStartChangeIsUpdateDisconnectIsEndWrapupIsWrapup) {
  conversation_tracker t;
  std::vector<lifecycle_event> out;
  t.apply(snap("c", {{"a", false}}, {}, true), out);
  t.apply(snap("c", {{"a", false}, {"b", false}}, {}, true), out);
  t.apply(snap("c", {{"a", true}, {"b", true}}, {}, true), out);
  t.apply(snap("c", {{"a", true}, {"b", true}}, "Resolved", true), out);
  EXPECT_EQ(kinds(out), (std::vector<lifecycle>{lifecycle::start, lifecycle::update,
                                                lifecycle::end, lifecycle::wrapup}));
  EXPECT_EQ(t.active_count(), 0u);
}

TEST(Tracker, IdenticalSnapshotsEmitNothing) {
  conversation_tracker t;
  std::vector<lifecycle_event> out;
  auto s = snap("c", {{"a", false}});
  t.apply(s, out);
  t.apply(s, out);
  t.apply(s, out);
  EXPECT_EQ(kinds(out), std::vector<lifecycle>{lifecycle::start});
}

TEST(Tracker, LateSnapshotOfAnEndedConversationDoesNotRestartIt) {
  conversation_tracker t;
  std::vector<lifecycle_event> out;
  t.apply(snap("c", {{"a", false}}), out);
  t.apply(snap("c", {{"a", true}}), out);
  out.clear();
  t.apply(snap("c", {{"a", true}}), out);
  EXPECT_TRUE(out.empty());
}

TEST(Tracker, EndedConversationWaitingForWrapupStaysActiveForReconciliation) {
  conversation_tracker t;
  std::vector<lifecycle_event> out;
  t.apply(snap("c", {{"a", false}}, {}, true), out);
  t.apply(snap("c", {{"a", true}}, {}, true), out);
  EXPECT_EQ(t.active_ids(), std::vector<std::string>{"c"});
}

TEST(Tracker, MemoryIsBoundedByEvictingTheLeastRecentlySeen) {
  conversation_tracker t({.max_active = 3, .max_recently_ended = 3});
  std::vector<lifecycle_event> out;
  for (int i = 0; i < 10; ++i) t.apply(snap("c" + std::to_string(i), {{"a", false}}), out);
  EXPECT_EQ(t.active_count(), 3u);
  EXPECT_EQ(t.evicted_count(), 7u);
}

TEST(Tracker, ObserveDropsARepeatedEndOrWrapup) {
  conversation_tracker t;
  conversation_end end;
  end.conversation_id = "c";
  conversation_wrapup wrap;
  wrap.conversation_id = "c";
  EXPECT_TRUE(t.observe(end));
  EXPECT_FALSE(t.observe(end));
  EXPECT_TRUE(t.observe(wrap));
  EXPECT_FALSE(t.observe(wrap));
}

TEST(Tracker, AStartSeenOnTwoTransportsIsEmittedOnce) {
  conversation_tracker t;
  conversation_start start;
  start.conversation_id = "c";
  std::vector<lifecycle_event> out;
  t.apply(snap("c", {{"a", false}}), out);  // the WebSocket saw it first
  EXPECT_EQ(kinds(out), std::vector<lifecycle>{lifecycle::start});
  EXPECT_FALSE(t.observe(start));           // the SSE stream's start is the same transition
  conversation_update update;
  update.conversation_id = "c";
  EXPECT_TRUE(t.observe(update));  // updates are observations, never dropped
}

TEST(Tracker, TheFirstSnapshotOfATypedConversationIsItsStateNotAnUpdate) {
  conversation_tracker t;
  conversation_start start;
  start.conversation_id = "c";
  EXPECT_TRUE(t.observe(start));
  std::vector<lifecycle_event> out;
  t.apply(snap("c", {{"a", false}}), out);
  EXPECT_TRUE(out.empty());
  t.apply(snap("c", {{"a", true}}), out);  // a real change after that is still seen
  EXPECT_EQ(kinds(out), std::vector<lifecycle>{lifecycle::end});
}

TEST(Tracker, RecentlyEndedIsBoundedAndSlotsAreReusedForNewConversations) {
  conversation_tracker t({.max_active = 4, .max_recently_ended = 3});
  auto typed = [](auto event, const std::string& id) {
    event.conversation_id = id;
    return lifecycle_event{event};
  };
  for (int i = 0; i < 10; ++i) {
    auto id = "done" + std::to_string(i);
    ASSERT_TRUE(t.observe(typed(conversation_start{}, id)));
    ASSERT_TRUE(t.observe(typed(conversation_end{}, id)));
    ASSERT_TRUE(t.observe(typed(conversation_wrapup{}, id)));
  }
  EXPECT_EQ(t.active_count(), 0u);
  EXPECT_FALSE(t.observe(typed(conversation_end{}, "done9")));  // still remembered: no repeat
  EXPECT_TRUE(t.observe(typed(conversation_end{}, "done0")));   // forgotten long ago
  std::vector<lifecycle_event> out;
  t.apply(snap("live-a", {{"a", false}}), out);
  t.apply(snap("live-b", {{"b", false}}), out);
  auto ids = t.active_ids();
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(ids, (std::vector<std::string>{"done0", "live-a", "live-b"}));
  EXPECT_EQ(t.seen_count(), 13u);
}

}  // namespace
}  // namespace grm::pipeline
