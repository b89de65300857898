#include "sinks/webhook/sink.hpp"

#include <gtest/gtest.h>

namespace grm::sinks::webhook {
namespace {

net::http_response answer(unsigned status, std::string body) { return net::http_response{status, {}, std::move(body)}; }

TEST(WebhookResponse, TwoHundredsAreDeliveredWithTheStatus) {
  auto r = classify_webhook_response(answer(202, ""), "https://crm.example.com/in");
  ASSERT_FALSE(r.failure);
  ASSERT_EQ(r.entries.size(), 1u);
  EXPECT_EQ(r.entries[0].what, delivery::verdict::delivered);
  EXPECT_EQ(r.entries[0].id, "HTTP 202");
}

TEST(WebhookResponse, RetryableStatusesAreThoseOfTheSharedPolicy) {
  for (unsigned s : {408u, 429u, 500u, 502u, 503u, 504u})
    EXPECT_TRUE(classify_webhook_response(answer(s, ""), "https://h/").failure->retryable) << s;
  for (unsigned s : {400u, 401u, 403u, 404u, 409u, 413u, 501u})
    EXPECT_FALSE(classify_webhook_response(answer(s, ""), "https://h/").failure->retryable) << s;
}

TEST(WebhookResponse, TheMessageShowsNoQueryStringAndABoundedMaskedExcerpt) {
  std::string body = "Unauthorized: token=abc123 is not valid\r\n" + std::string(1000, 'x');
  auto r = classify_webhook_response(answer(401, body), "https://crm.example.com/hooks/in?token=abc123");
  ASSERT_TRUE(r.failure);
  EXPECT_EQ(r.failure->code, "HTTP401");
  const auto& m = r.failure->message;
  EXPECT_EQ(m.rfind("webhook https://crm.example.com/hooks/in answered HTTP 401: Unauthorized: token=<redacted> is not valid xxx", 0),
            0u)
      << m;
  EXPECT_EQ(m.find("abc123"), std::string::npos) << m;
  EXPECT_LT(m.size(), 260u) << m;
  EXPECT_EQ(m.find('\r'), std::string::npos);
}

}  // namespace
}  // namespace grm::sinks::webhook
