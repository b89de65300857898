#include "pipeline/decode.hpp"

#include <gtest/gtest.h>

namespace grm::pipeline {
namespace {

template <typename T>
const T& as(const decoded& d) {
  EXPECT_TRUE(std::holds_alternative<T>(d));
  return std::get<T>(d);
}

TEST(DecodeSse, MapsTutorialEventTypesToLifecycleKinds) {
  event_decoder dec;
  auto d = dec.decode_sse_payload(
      R"({"eventType":"conversation:end","conversationId":"c1","timestamp":"2024-05-01T08:00:00.000Z","mediaType":"VOICE","durationMs":5})",
      "sse");
  const auto& ev = as<lifecycle_event>(d);
  EXPECT_EQ(kind_of(ev), lifecycle::end);
  EXPECT_TRUE(std::holds_alternative<conversation_end>(ev));
  EXPECT_EQ(fields_of(ev).conversation_id, "c1");
  EXPECT_EQ(fields_of(ev).media_type, "voice");
  EXPECT_EQ(fields_of(ev).timestamp, "2024-05-01T08:00:00.000Z");
  EXPECT_NE(fields_of(ev).raw.find("durationMs"), std::string::npos);
}

TEST(DecodeSse, UnlistedEventTypeBecomesUnknownEvent) {
  event_decoder dec;
  auto d = dec.decode_sse_payload(R"({"eventType":"conversation:transfer","conversationId":"c"})", "s");
  EXPECT_TRUE(std::holds_alternative<unknown_event>(as<lifecycle_event>(d)));
}

TEST(DecodeSse, WrongFieldTypeIsAnErrorNamingTheField) {
  event_decoder dec;
  auto d = dec.decode_sse_payload(R"({"eventType":"conversation:start","conversationId":42})", "s");
  EXPECT_EQ(as<decode_error>(d).message, "field 'conversationId' must be a string, got number");
  EXPECT_EQ(as<decode_error>(d).raw, R"({"eventType":"conversation:start","conversationId":42})");
}

TEST(DecodeSse, MalformedJsonAndNonObjectsAreErrors) {
  event_decoder dec;
  EXPECT_NE(as<decode_error>(dec.decode_sse_payload("{\"eventType\":", "s")).message.find("invalid JSON"),
            std::string::npos);
  EXPECT_EQ(as<decode_error>(dec.decode_sse_payload("[1,2]", "s")).message,
            "event must be a JSON object, got array");
  EXPECT_TRUE(as<decode_error>(dec.decode_sse_payload("{} x", "s")).message.starts_with("invalid JSON: "));
}

TEST(DecodeSse, OversizedPayloadIsRejectedWithItsSize) {
  event_decoder dec(64);
  std::string big = R"({"eventType":"conversation:start","pad":")" + std::string(100, 'x') + "\"}";
  EXPECT_EQ(as<decode_error>(dec.decode_sse_payload(big, "s")).message,
            "payload of " + std::to_string(big.size()) + " bytes exceeds the limit of 64 bytes");
}

TEST(DecodeNotification, HeartbeatPongAndSocketClosingAreSystemMessages) {
  event_decoder dec;
  EXPECT_EQ(as<system_message>(dec.decode_notification(
                R"({"topicName":"channel.metadata","eventBody":{"message":"WebSocket Heartbeat"}})"))
                .kind,
            system_kind::heartbeat);
  EXPECT_EQ(as<system_message>(dec.decode_notification(
                R"({"topicName":"channel.metadata","eventBody":{"message":"pong"}})"))
                .kind,
            system_kind::pong);
  EXPECT_EQ(as<system_message>(dec.decode_notification(
                R"({"topicName":"v2.system.socket_closing","eventBody":{"message":"closing"}})"))
                .kind,
            system_kind::socket_closing);
}

TEST(DecodeNotification, DetailEventTopicsMapOntoTheLifecycle) {
  event_decoder dec;
  struct expectation {
    const char* suffix;
    lifecycle kind;
  };
  for (auto [suffix, kind] : {expectation{"customer.start", lifecycle::start},
                              expectation{"customer.end", lifecycle::end},
                              expectation{"acw", lifecycle::wrapup},
                              expectation{"acd.start", lifecycle::update}}) {
    std::string frame = std::string(R"({"topicName":"v2.detail.events.conversation.conv-9.)") +
                        suffix +
                        R"(","version":"2","eventBody":{"eventTime":1714550400123,"conversationId":"conv-9","mediaType":"CHAT"},"metadata":{"CorrelationId":"x"}})";
    auto d = dec.decode_notification(frame);
    const auto& ev = as<lifecycle_event>(d);
    EXPECT_EQ(kind_of(ev), kind) << suffix;
    EXPECT_EQ(fields_of(ev).conversation_id, "conv-9");
    EXPECT_EQ(fields_of(ev).timestamp, "2024-05-01T08:00:00.123Z");
    EXPECT_EQ(fields_of(ev).media_type, "chat");
  }
}

TEST(DecodeNotification, DetailEventWithNonNumericEventTimeIsAnError) {
  event_decoder dec;
  auto d = dec.decode_notification(
      R"({"topicName":"v2.detail.events.conversation.c.customer.start","eventBody":{"eventTime":"soon"}})");
  EXPECT_EQ(as<decode_error>(d).message, "field 'eventTime' must be epoch milliseconds (integer)");
}

constexpr const char* kQueueFrame = R"({"topicName":"v2.routing.queues.q1.conversations","version":"2",
 "eventBody":{"id":"conv-1","participants":[
  {"id":"p1","purpose":"customer","messages":[{"id":"m1","state":"connected"}]},
  {"id":"p2","purpose":"agent","wrapupRequired":true,"messages":[{"id":"m2","state":"disconnected"}],
   "wrapup":{"code":"Resolved"}}]},
 "metadata":{"CorrelationId":"c"}})";

TEST(DecodeNotification, QueueConversationTopicIsASnapshot) {
  event_decoder dec;
  auto d = dec.decode_notification(kQueueFrame);
  const auto& s = as<conversation_snapshot>(d);
  EXPECT_EQ(s.conversation_id, "conv-1");
  EXPECT_EQ(s.media_type, "message");
  ASSERT_EQ(s.participants.size(), 2u);
  EXPECT_FALSE(s.participants[0].disconnected);
  EXPECT_TRUE(s.participants[1].disconnected);
  EXPECT_EQ(s.participants[1].wrapup_code, "Resolved");
  EXPECT_FALSE(s.all_disconnected());
  EXPECT_TRUE(s.wrapup_recorded());
  EXPECT_EQ(s.origin, "v2.routing.queues.q1.conversations");
}

// The SDK models put wrapup (and afterCallWork) on each communication: a wrap-up recorded only
// there is a wrap-up; one of the wrong type is an error naming the field.
TEST(DecodeNotification, AWrapupOnACommunicationIsTheParticipantsWrapup) {
  event_decoder dec;
  auto d = dec.decode_notification(R"({"topicName":"v2.routing.queues.q1.conversations","eventBody":{"id":"conv-2",
    "participants":[{"id":"p1","purpose":"customer","chats":[{"id":"c1","state":"disconnected"}]},
     {"id":"p2","purpose":"agent","wrapupRequired":true,"chats":[{"id":"c2","state":"disconnected",
      "afterCallWork":{"state":"complete"},"wrapup":{"code":"Sale","notes":""}}]}]}})");
  const auto& s = as<conversation_snapshot>(d);
  EXPECT_EQ(s.participants[1].wrapup_code, "Sale");
  EXPECT_TRUE(s.wrapup_recorded());
  auto bad = dec.decode_notification(R"({"topicName":"v2.routing.queues.q1.conversations","eventBody":{"id":"conv-3",
    "participants":[{"id":"p2","purpose":"agent","chats":[{"id":"c2","state":"disconnected","wrapup":{"code":7}}]}]}})");
  EXPECT_EQ(as<decode_error>(bad).message.rfind("field 'participants[].chats[].wrapup.code' must be a string", 0), 0u)
      << as<decode_error>(bad).message;
  auto none = dec.decode_notification(R"({"topicName":"v2.routing.queues.q1.conversations","eventBody":{"id":"conv-4",
    "participants":[{"id":"p2","purpose":"agent","chats":[{"id":"c2","state":"connected","wrapup":null}]}]}})");
  EXPECT_FALSE(as<conversation_snapshot>(none).wrapup_recorded());
}

TEST(DecodeNotification, UserConversationMediaTopicIsASnapshotToo) {
  event_decoder dec;
  auto d = dec.decode_notification(
      R"({"topicName":"v2.users.u1.conversations.calls","eventBody":{"id":"c2","participants":[{"id":"p","purpose":"customer","calls":[{"state":"terminated"}]}]}})");
  const auto& s = as<conversation_snapshot>(d);
  EXPECT_EQ(s.media_type, "voice");
  EXPECT_TRUE(s.all_disconnected());
}

TEST(DecodeNotification, SignatureChangesWhenAMediaStateChanges) {
  event_decoder dec;
  auto a = as<conversation_snapshot>(dec.decode_notification(
                                         R"({"topicName":"v2.users.u.conversations","eventBody":{"id":"c","participants":[{"id":"p","calls":[{"state":"alerting"}]}]}})"))
               .signature;
  auto b = as<conversation_snapshot>(dec.decode_notification(
                                         R"({"topicName":"v2.users.u.conversations","eventBody":{"id":"c","participants":[{"id":"p","calls":[{"state":"connected"}]}]}})"))
               .signature;
  EXPECT_NE(a, b);
}

TEST(DecodeNotification, BadShapesAreErrorsNamingTheField) {
  event_decoder dec;
  EXPECT_EQ(as<decode_error>(dec.decode_notification(R"({"eventBody":{}})")).message,
            "frame has no 'topicName'");
  EXPECT_EQ(as<decode_error>(dec.decode_notification(R"({"topicName":5})")).message,
            "field 'topicName' must be a string, got number");
  EXPECT_EQ(as<decode_error>(dec.decode_notification(
                R"({"topicName":"v2.users.u.conversations","eventBody":{"id":"c","participants":{}}})"))
                .message,
            "field 'participants' must be an array");
  EXPECT_EQ(as<decode_error>(dec.decode_notification(
                R"({"topicName":"v2.users.u.conversations","eventBody":{"participants":[]}})"))
                .message,
            "conversation has no 'id'");
  EXPECT_EQ(as<decode_error>(dec.decode_notification(R"({"topicName":"x","eventBody":[1]})")).message,
            "field 'eventBody' must be an object");
}

TEST(DecodeNotification, UnrecognisedTopicIsAnUnknownEvent) {
  event_decoder dec;
  auto d = dec.decode_notification(R"({"topicName":"v2.users.u1.presence","eventBody":{}})");
  const auto& ev = as<lifecycle_event>(d);
  EXPECT_TRUE(std::holds_alternative<unknown_event>(ev));
  EXPECT_EQ(fields_of(ev).origin, "v2.users.u1.presence");
}

}  // namespace
}  // namespace grm::pipeline
