#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "sources/event_stream_sse/sse_source.hpp"
#include "sources/notifications_ws/ws_source.hpp"

namespace grm::sources {
namespace {

std::vector<std::string> numbered(std::size_t n) {
  std::vector<std::string> v;
  for (std::size_t i = 0; i < n; ++i) v.push_back("t" + std::to_string(i));
  return v;
}

TEST(SplitTopics, ExactlyOneChannelFullStaysOneChannel) {
  auto groups = split_topics(numbered(1000), 1000);
  ASSERT_EQ(groups.size(), 1u);
  EXPECT_EQ(groups[0].size(), 1000u);
}

TEST(SplitTopics, OneMoreOpensASecondChannelAndKeepsOrder) {
  auto groups = split_topics(numbered(1001), 1000);
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_EQ(groups[0].front(), "t0");
  EXPECT_EQ(groups[0].back(), "t999");
  EXPECT_EQ(groups[1], std::vector<std::string>{"t1000"});
}

TEST(SplitTopics, NoTopicsNoChannels) { EXPECT_TRUE(split_topics({}, 1000).empty()); }

TEST(DefaultSseQuery, IsTheTutorialsQueryWithAllFourTypesByDefault) {
  auto q = boost::json::parse(default_sse_query({}, {})).as_object();
  EXPECT_EQ(q.at("interval"), "PT1S");
  EXPECT_EQ(q.at("eventTypes"), boost::json::parse(R"(["conversation:start","conversation:update","conversation:end","conversation:wrapup"])"));
  EXPECT_FALSE(q.contains("filter"));
}

TEST(DefaultSseQuery, FiltersByMediaTypeWithOneClausePerType) {
  auto q = boost::json::parse(default_sse_query({"end"}, {"chat", "message"})).as_object();
  EXPECT_EQ(q.at("eventTypes"), boost::json::parse(R"(["conversation:end"])"));
  EXPECT_EQ(q.at("filter"), boost::json::parse(R"({"type":"OR","clauses":[
      {"type":"EQ","field":"mediaType","value":"chat"},{"type":"EQ","field":"mediaType","value":"message"}]})"));
}

}  // namespace
}  // namespace grm::sources
