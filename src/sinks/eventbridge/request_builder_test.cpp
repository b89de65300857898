#include "sinks/eventbridge/request_builder.hpp"

#include <gtest/gtest.h>

#include "core/error.hpp"
#include "sinks/eventbridge/config.hpp"

namespace grm::sinks::eventbridge {
namespace {

using delivery::verdict;

TEST(EntrySize, FollowsAwsFormulaWithUtf8Bytes) {
  put_entry e{"src", "Type", R"({"k":"é"})", {"arn:1", "arn:22"}, std::nullopt, "bus", "trace"};
  // 3 + 4 + 10 (é is two bytes) + 5 + 6; bus and trace header are not counted.
  EXPECT_EQ(entry_size(e), 3u + 4 + 10 + 5 + 6);
  e.time = std::chrono::sys_seconds{std::chrono::seconds{1440938160}};
  EXPECT_EQ(entry_size(e), 14u + 3 + 4 + 10 + 5 + 6);
}

TEST(EncodePutEvents, WritesTheSdkShape) {
  put_entry a{"com.example.orders", "OrderPlaced", R"({"orderId":"42","total":12.5})",
              {"arn:aws:example:us-east-1:123456789012:order/42"}, std::nullopt, "default", ""};
  put_entry b{"s", "t", "{}", {}, std::chrono::sys_seconds{std::chrono::seconds{1440938160}}, "", "Root=1-abc"};
  EXPECT_EQ(encode_put_events({&a}),
            R"({"Entries":[{"Source":"com.example.orders","DetailType":"OrderPlaced","Detail":"{\"orderId\":\"42\",\"total\":12.5}","Resources":["arn:aws:example:us-east-1:123456789012:order/42"],"EventBusName":"default"}]})");
  EXPECT_EQ(encode_put_events({&b}),
            R"({"Entries":[{"Source":"s","DetailType":"t","Detail":"{}","Time":1440938160,"TraceHeader":"Root=1-abc"}]})");
}

TEST(ParsePutEventsResult, MapsEachEntryInOrder) {
  auto r = parse_put_events_result(
      R"({"FailedEntryCount":2,"Entries":[{"EventId":"11710aed-b79e-4468-a20b-bb3c0c3b4860"},
         {"ErrorCode":"MalformedDetail","ErrorMessage":"Detail is malformed."},
         {"ErrorCode":"ThrottlingException","ErrorMessage":"Rate exceeded"}]})",
      3);
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[0].what, verdict::delivered);
  EXPECT_EQ(r[0].id, "11710aed-b79e-4468-a20b-bb3c0c3b4860");
  EXPECT_EQ(r[1].what, verdict::rejected);
  EXPECT_EQ(r[1].code, "MalformedDetail");
  EXPECT_EQ(r[1].message, "Detail is malformed.");
  EXPECT_EQ(r[2].what, verdict::retry);
}

TEST(ParsePutEventsResult, AWrongCountIsAnInvalidPayload) {
  try {
    parse_put_events_result(R"({"FailedEntryCount":0,"Entries":[]})", 2);
    FAIL() << "no throw";
  } catch (const relay_error& e) {
    EXPECT_EQ(e.kind(), error_kind::invalid_payload);
    EXPECT_NE(std::string(e.what()).find("without an Entries array of 2 results"), std::string::npos);
  }
}

TEST(ParseAwsError, ReadsHeaderThenBodyAndTrimsNamespaces) {
  net::http_response r{400, {{"X-Amzn-ErrorType", "ThrottlingException:http://internal.amazon.com/"}},
                       R"({"message":"Rate exceeded"})"};
  auto e = parse_aws_error(r);
  EXPECT_EQ(e.code, "ThrottlingException");
  EXPECT_EQ(e.message, "Rate exceeded");
  net::http_response b{400, {}, R"({"__type":"com.amazonaws.events#ValidationException","Message":"too big"})"};
  e = parse_aws_error(b);
  EXPECT_EQ(e.code, "ValidationException");
  EXPECT_EQ(e.message, "too big");
  net::http_response empty{413, {}, ""};
  EXPECT_EQ(parse_aws_error(empty).code, "HTTP413");
}

TEST(ClassifyFailure, FollowsStandardRetryMode) {
  auto f = classify_failure({400, {}, R"({"__type":"ThrottlingException","message":"Rate exceeded"})"});
  EXPECT_TRUE(f.retryable);
  EXPECT_EQ(f.message, "EventBridge PutEvents: HTTP 400 ThrottlingException: Rate exceeded");
  EXPECT_TRUE(classify_failure({503, {}, ""}).retryable);
  EXPECT_TRUE(classify_failure({500, {}, R"({"__type":"InternalException"})"}).retryable);
  EXPECT_FALSE(classify_failure({501, {}, ""}).retryable);
  auto v = classify_failure({400, {}, R"({"__type":"ValidationException","message":"Total size of the entries in the request is over the limit."})"});
  EXPECT_FALSE(v.retryable);
  EXPECT_EQ(v.code, "ValidationException");
  EXPECT_FALSE(classify_failure({400, {}, R"({"__type":"InvalidSignatureException"})"}).retryable);
  auto later = classify_failure({400, {{"x-amz-retry-after", "1500"}}, R"({"__type":"ThrottlingException"})"});
  ASSERT_TRUE(later.retry_after);
  EXPECT_EQ(later.retry_after->count(), 1500);
}

TEST(EntryCodes, OnlyInternalFailureAndThrottlingAreRetryable) {
  EXPECT_TRUE(is_retryable_entry_code("InternalFailure"));
  EXPECT_TRUE(is_retryable_entry_code("ThrottlingException"));
  for (auto c : {"AccessDeniedException", "InvalidAccountIdException", "InvalidArgument", "MalformedDetail",
                 "RedactionFailure", "NotAuthorizedForSourceException", "NotAuthorizedForDetailTypeException"})
    EXPECT_FALSE(is_retryable_entry_code(c)) << c;
}

TEST(Settings, RegionAndEndpointResolveTheSdkWay) {
  std::map<std::string, std::string> vars{{"AWS_REGION", "eu-west-1"}};
  aws::env_lookup env = [&](std::string_view k) -> std::optional<std::string> {
    auto it = vars.find(std::string(k));
    return it == vars.end() ? std::nullopt : std::optional<std::string>(it->second);
  };
  aws::shared_files files;
  eventbridge_settings s;
  resolve_with_aws_config(s, env, files, "default");
  EXPECT_EQ(s.region, "eu-west-1");
  EXPECT_EQ(s.endpoint, "https://events.eu-west-1.amazonaws.com");
  EXPECT_EQ(default_endpoint("cn-north-1"), "https://events.cn-north-1.amazonaws.com.cn");

  vars["AWS_ENDPOINT_URL_EVENTBRIDGE"] = "http://127.0.0.1:4010";
  vars["AWS_MAX_ATTEMPTS"] = "5";
  eventbridge_settings o;
  resolve_with_aws_config(o, env, files, "default");
  EXPECT_EQ(o.endpoint, "http://127.0.0.1:4010");
  EXPECT_EQ(o.max_attempts, 5);

  vars.clear();
  eventbridge_settings none;
  try {
    resolve_with_aws_config(none, env, files, "default");
    FAIL();
  } catch (const relay_error& e) {
    EXPECT_EQ(e.kind(), error_kind::config);
    EXPECT_NE(std::string(e.what()).find("no AWS region for EventBridge: set AWS_REGION"), std::string::npos);
  }
}

}  // namespace
}  // namespace grm::sinks::eventbridge
