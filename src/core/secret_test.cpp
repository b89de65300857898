#include "core/secret.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

namespace grm {
namespace {

TEST(Secret, FormatsAsRedactedAndNeverAsItsValue) {
  secret s{"hunter2-client-secret"};
  auto text = fmt::format("client secret is {}", s);
  EXPECT_EQ(text, "client secret is <redacted>");
  EXPECT_EQ(text.find("hunter2"), std::string::npos);
}

TEST(Secret, RevealsOnlyOnExplicitRequest) {
  secret s{"abc"};
  EXPECT_EQ(s.reveal(), "abc");
  EXPECT_FALSE(s.empty());
  EXPECT_TRUE(secret{}.empty());
}

}  // namespace
}  // namespace grm
