#include "pipeline/sentiment/sentiment.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>
#include <valijson/adapters/boost_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validator.hpp>

#include <cmath>
#include <fstream>
#include <limits>
#include <random>
#include <set>
#include <sstream>

#include "core/error.hpp"
#include "core/ids.hpp"

namespace grm::sentiment {
namespace {

using namespace std::chrono;
constexpr auto kConversation = "3f2504e0-4f89-41d3-9a0c-0305e82c3301";

sys_time<milliseconds> at_noon() { return sys_time<milliseconds>{milliseconds{1'795'003'200'000}}; }

TEST(FromAnalytics, TheSeedsMetricsGiveANegativeSnapshot) {
  auto s = from_analytics(kConversation, 0.82, 0.08213, 0.04447, 0.8734);
  EXPECT_EQ(s.direction, polarity::negative);
  EXPECT_DOUBLE_EQ(s.confidence, 0.82);
  EXPECT_EQ(s.source, "analytics");
}

TEST(FromAnalytics, NeutralIsAPolarityAndWinsTies) {
  EXPECT_EQ(largest_share(0.2, 0.6, 0.2), polarity::neutral);
  EXPECT_EQ(largest_share(0.4, 0.2, 0.4), polarity::neutral);
  EXPECT_EQ(largest_share(0.5, 0.2, 0.3), polarity::positive);
}

TEST(FromSpeechAnalytics, SharesComeFromCustomerPhrasesAndConfidenceIsAgreement) {
  std::vector<double> phrases{-1, -1, 0, 1, -1};
  auto s = from_speech_analytics(kConversation, -0.6, phrases);
  EXPECT_EQ(s.direction, polarity::negative);
  EXPECT_DOUBLE_EQ(s.negative, 0.6);
  EXPECT_DOUBLE_EQ(s.neutral, 0.2);
  EXPECT_DOUBLE_EQ(s.positive, 0.2);
  EXPECT_DOUBLE_EQ(s.confidence, 0.6);  // three of five customer phrases are negative too
  ASSERT_TRUE(s.score);
  EXPECT_DOUBLE_EQ(*s.score, -0.6);
  auto mild = from_speech_analytics(kConversation, 0.1, phrases);
  EXPECT_EQ(mild.direction, polarity::neutral);
  EXPECT_DOUBLE_EQ(mild.confidence, 0.2);
  EXPECT_DOUBLE_EQ(from_speech_analytics(kConversation, 0.9, {}).confidence, 0.0);
}

TEST(Decide, LowConfidenceIsAReasonNotAnError) {
  auto d = decide(from_analytics(kConversation, 0.61234, 0.1, 0.1, 0.8), 0.75);
  EXPECT_EQ(d.what, decision::outcome::below_threshold);
  EXPECT_EQ(d.reason, "confidence 0.6123 is below the threshold 0.75 (analytics sentiment, polarity negative)");
  EXPECT_EQ(decide(from_analytics(kConversation, 0.75, 0.1, 0.1, 0.8), 0.75).what, decision::outcome::forward);
}

TEST(Decide, NonNumbersAreInvalidWithTheFieldNamed) {
  auto d = decide(from_analytics(kConversation, 0.9, std::nan(""), 0.1, 0.8), 0.75);
  EXPECT_EQ(d.what, decision::outcome::invalid);
  EXPECT_EQ(d.reason, std::string("analytics sentiment for conversation ") + kConversation + ": positive is not a number");
}

TEST(ScoreText, ClampsAndRoundsToFourDecimals) {
  EXPECT_EQ(score_text(0.873449), "0.8734");
  EXPECT_EQ(score_text(0.123456), "0.1235");
  EXPECT_EQ(score_text(0.1), "0.1");
  EXPECT_EQ(score_text(1.5), "1");
  EXPECT_EQ(score_text(-0.2), "0");
  EXPECT_EQ(score_text(std::nan("")), "0");
  EXPECT_EQ(score_text(0.99996), "1");
}

TEST(Payload, IsExactlyTheSchemasShapeAndValid) {
  auto s = from_analytics(kConversation, 0.82, 0.08213, 0.04447, 0.8734);
  auto p = build_payload(s, {0.85, "1b4e28ba-2fa1-41d2-883f-0016d3cca427", at_noon()});
  EXPECT_EQ(p, std::string(R"({"conversationId":")") + kConversation +
                   R"(","sentimentMatrix":{"polarity":"negative","confidence":0.82,"positive":0.0821,"neutral":0.0445,"negative":0.8734},"escalationThreshold":0.85,"forwardingId":"1b4e28ba-2fa1-41d2-883f-0016d3cca427","timestamp":"2026-11-18T12:00:00.000Z"})");
  payload_validator v;
  EXPECT_EQ(v.validate(p), std::nullopt);
  EXPECT_TRUE(escalates(s, 0.85));
  EXPECT_FALSE(escalates(s, 0.8734));  // "passes the threshold" means strictly above it
}

TEST(Schema, TheEmbeddedCopyIsThePublishedFile) {
  std::ifstream in(GRM_SCHEMA_FILE);
  std::stringstream ss;
  ss << in.rdbuf();
  EXPECT_EQ(embedded_schema(), ss.str());
}

TEST(Schema, RejectsWhatTheSchemaForbidsWithTheValidatorsMessage) {
  payload_validator v;
  auto good = build_payload(from_analytics(kConversation, 0.9, 0.1, 0.1, 0.8), {0.85, uuid_v4(), at_noon()});
  ASSERT_EQ(v.validate(good), std::nullopt);
  auto with = [&](std::string from, std::string to) {
    auto p = good;
    auto at = p.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    return p.replace(at, from.size(), to);
  };
  auto expect_rejected = [&](const std::string& payload, const std::string& fragment) {
    auto r = v.validate(payload);
    ASSERT_TRUE(r) << payload;
    EXPECT_NE(r->find(fragment), std::string::npos) << *r;
  };
  expect_rejected(with(R"("polarity":"negative")", R"("polarity":"mixed")"), "$.sentimentMatrix.polarity: Failed to match against any enum values.");
  expect_rejected(with(R"("neutral":0.1,)", ""), "neutral");
  expect_rejected(with(R"("escalationThreshold":0.85)", R"("escalationThreshold":1.2)"), "escalationThreshold");
  expect_rejected(with(R"({"conversationId")", R"({"extra":1,"conversationId")"), "extra");
  expect_rejected(with("2026-11-18T12:00:00.000Z", "yesterday"), "timestamp");
  expect_rejected(with(kConversation, "NOT-A-UUID"), "conversationId");
  expect_rejected("{", "the payload is not JSON");
}

TEST(Ids, UuidV4IsWellFormedAndDoesNotRepeat) {
  auto well_formed = [](const std::string& id) {
    if (id.size() != 36 || id[14] != '4' || std::string_view("89ab").find(id[19]) == std::string_view::npos) return false;
    for (std::size_t i = 0; i < id.size(); ++i) {
      bool dash = i == 8 || i == 13 || i == 18 || i == 23;
      if (dash != (id[i] == '-')) return false;
      if (!dash && std::string_view("0123456789abcdef").find(id[i]) == std::string_view::npos) return false;
    }
    return true;
  };
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    auto id = uuid_v4();
    EXPECT_TRUE(well_formed(id)) << id;
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 1000u);
}

// Property: whatever sentiment arrives, the outcome is a schema-valid payload or a dead-letter
// with a reason — never an exception, never an invalid payload that leaves.
TEST(Property, RandomSentimentGivesAValidPayloadOrAReason) {
  std::mt19937_64 rng(20261122);
  const double specials[] = {std::nan(""), std::numeric_limits<double>::infinity(), -std::numeric_limits<double>::infinity(),
                             -1e300, 1e300, -0.0, 0.0, 1.0, 0.99995, 0.00005, 0.75, 0.749999};
  auto value = [&]() -> double {
    switch (rng() % 4) {
      case 0: return specials[rng() % std::size(specials)];
      case 1: return std::uniform_real_distribution<double>(-2, 2)(rng);
      default: return std::uniform_real_distribution<double>(0, 1)(rng);
    }
  };
  payload_validator v;
  int forwarded = 0, reasons = 0;
  for (int i = 0; i < 3000; ++i) {
    std::string id = rng() % 10 == 0 ? "Conversation-" + std::to_string(i) : uuid_v4();
    snapshot s;
    if (rng() % 2) {
      s = from_analytics(id, value(), value(), value(), value());
    } else {
      std::vector<double> phrases(rng() % 8);
      for (auto& p : phrases) p = value();
      s = from_speech_analytics(id, value(), phrases);
    }
    auto d = decide(s, 0.75);
    if (d.what != decision::outcome::forward) {
      EXPECT_FALSE(d.reason.empty());
      ++reasons;
      continue;
    }
    auto p = build_payload(s, {0.85, uuid_v4(), at_noon()});
    auto r = v.validate(p);
    if (id.starts_with("Conversation-")) {
      ASSERT_TRUE(r) << p;  // the schema is what stops a malformed id
      EXPECT_NE(r->find("conversationId"), std::string::npos);
      ++reasons;
    } else {
      ASSERT_EQ(r, std::nullopt) << p;
      ++forwarded;
    }
  }
  EXPECT_GT(forwarded, 100);
  EXPECT_GT(reasons, 100);
}

// The compiled format checks against valijson's own (a std::regex built per call), on the same
// strings: the relay's schema means what it meant before, only faster.
TEST(SchemaFormats, AgreeWithValijsonsOwnChecks) {
  const std::vector<std::string> samples = {
      "2026-11-18T12:00:00.000Z", "2026-11-18T12:00:00Z", "2026-11-18t12:00:00z", "2026-11-18T12:00:00+02:00",
      "2026-11-18T12:00:00-11:30", "2026-11-18T23:59:60.5Z", "2026-02-29T00:00:00Z", "2026-02-30T00:00:00Z",
      "2026-04-31T00:00:00Z", "2026-12-31T00:00:00Z", "2026-13-01T00:00:00Z", "2026-00-10T00:00:00Z",
      "2026-11-18T24:00:00Z", "2026-11-18T12:60:00Z", "2026-11-18T12:00:61Z", "2026-11-18T12:00:00",
      "2026-11-18T12:00:00.Z", "2026-11-18 12:00:00Z", "2026-11-18T12:00:00+2:00", "2026-11-18T12:00:00+24:00",
      "99999-01-01T00:00:00Z", "-2026-11-18T12:00:00Z", "2026-1-18T12:00:00Z", "2026-11-18T12:00:00Zx",
      "yesterday", "", "2026-11-18", "12:00:00Z", "2026-11-18T12:00:00.123456789Z", "2026-11-31T00:00:00Z"};
  const std::vector<std::string> dates = {"2026-11-18", "2026-02-29", "2026-02-30", "2026-06-31", "2026-1-1", "x", "2026-11-18Z"};
  const std::vector<std::string> times = {"12:00:00Z", "23:59:60+01:00", "24:00:00Z", "12:00:00", "12:00:00.5z", "1:00:00Z"};
  auto reference = [](const std::string& format, const std::string& s) {
    auto schema_doc = boost::json::parse(R"({"type":"string","format":")" + format + R"("})");
    valijson::Schema schema;
    valijson::SchemaParser parser;
    valijson::adapters::BoostJsonAdapter schema_adapter(schema_doc);
    parser.populateSchema(schema_adapter, schema);
    boost::json::value target = boost::json::string(s);
    valijson::adapters::BoostJsonAdapter adapter(target);
    valijson::Validator validator;
    return validator.validate(schema, adapter, nullptr);
  };
  auto ours = [](const std::string& format, const std::string& s) {
    payload_validator v(R"({"type":"string","format":")" + format + R"("})");
    return !v.validate(boost::json::serialize(boost::json::string(s))).has_value();
  };
  std::size_t accepted = 0;
  for (auto [format, list] : {std::pair{"date-time", &samples}, {"date", &dates}, {"time", &times}}) {
    for (auto& s : *list) {
      EXPECT_EQ(ours(format, s), reference(format, s)) << format << " " << s;
      accepted += ours(format, s);
    }
  }
  EXPECT_EQ(accepted, 15u);  // both kinds of answer were exercised
}

TEST(SchemaFormats, TheMessageNamesTheFormatAndOnlyKeywordsAreRewritten) {
  payload_validator v(R"({"type":"object","properties":{
      "at":{"type":"string","format":"date-time"},
      "format":{"type":"string","enum":[{"format":"date"}, "date"]},
      "day":{"format":"date"}, "n":{"format":"date-time"}}})");
  EXPECT_EQ(v.validate(R"({"at":"2026-11-18T12:00:00Z","format":"date","day":"2026-11-18","n":5})"), std::nullopt);
  EXPECT_EQ(v.validate(R"({"at":"2026-02-30T12:00:00Z"})"), "$.at: String should be a valid date-time");
  EXPECT_EQ(v.validate(R"({"day":"2026-11-18T12:00:00Z"})"), "$.day: String should be a valid date");
  EXPECT_TRUE(v.validate(R"({"format":"time"})").has_value());  // a property named format is still a property
  try {
    payload_validator bad(R"({"x-genesys-relay-format":"uuid"})");
    ADD_FAILURE() << "a format this relay does not check was accepted";
  } catch (const grm::relay_error& e) {
    EXPECT_NE(std::string(e.what()).find("x-genesys-relay-format names no format this relay checks"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace grm::sentiment
