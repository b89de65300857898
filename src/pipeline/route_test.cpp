#include "pipeline/route.hpp"

#include <gtest/gtest.h>

#include "pipeline/dedupe.hpp"
#include "pipeline/filter.hpp"

namespace grm::pipeline {
namespace {

TEST(Router, DeliversEachEventOnlyToHandlersOfItsType) {
  event_router r;
  int starts = 0, ends = 0, any = 0;
  r.on<conversation_start>([&](const conversation_start& e) {
    EXPECT_EQ(e.conversation_id, "c1");
    ++starts;
  });
  r.on<conversation_end>([&](const conversation_end&) { ++ends; });
  r.on_any([&](const lifecycle_event&) { ++any; });
  conversation_start s;
  s.conversation_id = "c1";
  r.route(s);
  r.route(unknown_event{});
  EXPECT_EQ(starts, 1);
  EXPECT_EQ(ends, 0);
  EXPECT_EQ(any, 2);
}

TEST(Filter, PassesOnlyListedKindsAndMedia) {
  event_filter f{{lifecycle::start}, {"voice"}, {}};
  conversation_start voice;
  voice.media_type = "voice";
  conversation_start chat;
  chat.media_type = "chat";
  conversation_end end;
  end.media_type = "voice";
  EXPECT_TRUE(f.accepts(voice));
  EXPECT_FALSE(f.accepts(chat));
  EXPECT_FALSE(f.accepts(end));
  EXPECT_TRUE(event_filter{}.accepts(chat));
}

TEST(Filter, AQueueIsKnownFromTheTopicTheEventCameOn) {
  event_filter f{{}, {}, {"q1"}};
  conversation_end on_queue, on_other, on_user, on_sse;
  on_queue.origin = "v2.routing.queues.q1.conversations";
  on_other.origin = "v2.routing.queues.q2.conversations";
  on_user.origin = "v2.users.u1.conversations";
  on_sse.origin = "sse:/api/v2/analytics/events";
  EXPECT_TRUE(f.accepts(on_queue));
  EXPECT_FALSE(f.accepts(on_other));
  EXPECT_FALSE(f.accepts(on_user)) << "a user topic does not say which queue";
  EXPECT_FALSE(f.accepts(on_sse));
  EXPECT_EQ(event_filter::queue_of("v2.routing.queues.q1.conversations"), "q1");
  EXPECT_EQ(event_filter::queue_of("v2.routing.queues."), "");
}

TEST(Filter, KindsAreNamedPlainOrAsTheTutorialsEventType) {
  EXPECT_EQ(lifecycle_from_name("end"), lifecycle::end);
  EXPECT_EQ(lifecycle_from_name("conversation:wrapup"), lifecycle::wrapup);
  EXPECT_EQ(lifecycle_from_name("conversation:"), std::nullopt);
  EXPECT_EQ(lifecycle_from_name("ended"), std::nullopt);
}

TEST(Dedupe, SecondSightWithinTheWindowIsRejectedAndForgottenAfter) {
  dedupe_window w(2);
  EXPECT_TRUE(w.first_sight("a"));
  EXPECT_FALSE(w.first_sight("a"));
  EXPECT_TRUE(w.first_sight("b"));
  EXPECT_TRUE(w.first_sight("c"));
  EXPECT_TRUE(w.first_sight("a"));  // pushed out of the window by b and c
}

}  // namespace
}  // namespace grm::pipeline
