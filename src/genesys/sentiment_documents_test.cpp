#include "genesys/sentiment_documents.hpp"

#include <gtest/gtest.h>

namespace grm::genesys {
namespace {

constexpr auto kEnded = R"({"id": "c1", "startTime": "2026-12-03T10:00:00.000Z", "endTime": "2026-12-03T10:05:00.000Z",
  "participants": [
    {"id": "p-acd", "purpose": "acd", "chats": [{"id": "comm-acd"}]},
    {"id": "p-cust", "purpose": "customer", "chats": [{"id": "comm-1"}, {"id": "comm-2"}]},
    {"id": "p-cust-2", "purpose": "customer", "messages": [{"id": "comm-3"}]}]})";

TEST(ParseCustomer, EveryCommunicationOfEveryCustomerAndTheEndTime) {
  auto c = parse_customer(kEnded);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->participant_id, "p-cust");
  EXPECT_EQ(c->communication_ids, (std::vector<std::string>{"comm-1", "comm-2", "comm-3"}));
  EXPECT_EQ(c->media, "chat");
  EXPECT_EQ(c->ended_at, "2026-12-03T10:05:00.000Z");
}

TEST(ParseCustomer, ANotificationFrameIsReadThroughItsEventBodyAndALiveOneHasNoEnd) {
  auto c = parse_customer(R"({"topicName": "v2.routing.queues.q.conversations", "eventBody":
    {"id": "c2", "participants": [{"id": "p", "purpose": "customer", "calls": [{"id": "call-1"}]}]}})");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->media, "voice");
  EXPECT_EQ(c->ended_at, "");
  EXPECT_FALSE(parse_customer(R"({"id": "c3", "participants": [{"id": "a", "purpose": "agent"}]})"));
}

}  // namespace
}  // namespace grm::genesys
