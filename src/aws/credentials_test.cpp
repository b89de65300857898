#include "aws/credentials.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <deque>
#include <map>

#include "core/error.hpp"
#include "core/time.hpp"
#include "net/retry.hpp"

namespace grm::aws {
namespace {

namespace asio = boost::asio;
using namespace std::chrono;

// Hands out scripted answers, each after `delay`; counts the fetches.
class scripted final : public credential_provider {
 public:
  std::deque<std::optional<credentials>> answers;  // nullopt entries mean "throw"
  milliseconds delay{0};
  int fetches = 0;
  std::string describe() const override { return "scripted"; }
  asio::awaitable<std::optional<credentials>> fetch() override {
    ++fetches;
    if (delay.count()) co_await net::sleep_for(delay);
    if (answers.empty()) throw relay_error(error_kind::auth, "scripted provider has nothing left");
    auto a = answers.front();
    answers.pop_front();
    if (!a) throw relay_error(error_kind::network, "STS unreachable");
    co_return a;
  }
};

struct cache_fixture {
  asio::io_context ioc;  // first: the cache's timer must be destroyed before its io_context
  system_clock::time_point now = system_clock::time_point{} + hours{24 * 365 * 50};
  scripted* provider = nullptr;
  std::unique_ptr<credentials_cache> cache;

  credentials key(std::string id, std::optional<minutes> lifetime) {
    credentials c{std::move(id), secret("s"), secret("t"), std::nullopt, "scripted"};
    if (lifetime) c.expiration = now + *lifetime;
    return c;
  }
  explicit cache_fixture(std::deque<std::optional<credentials>> answers = {}) {
    auto p = std::make_unique<scripted>();
    provider = p.get();
    cache = std::make_unique<credentials_cache>(std::move(p), refresh_options{}, [this] { return now; });
    provider->answers = std::move(answers);
  }
  std::string get() {
    std::string id;
    std::exception_ptr failure;
    asio::co_spawn(ioc, [&]() -> asio::awaitable<void> { id = (co_await cache->get()).access_key_id; },
                   [&](std::exception_ptr e) { failure = e; });
    ioc.restart();
    ioc.run();
    if (failure) std::rethrow_exception(failure);
    return id;
  }
  std::string error() {
    try {
      get();
    } catch (const relay_error& e) {
      return e.what();
    }
    return "(no error)";
  }
};

TEST(CredentialsCache, LongTermKeysAreFetchedOnce) {
  cache_fixture f;
  f.provider->answers = {f.key("A", std::nullopt)};
  EXPECT_EQ(f.get(), "A");
  f.now += hours{1000};
  EXPECT_EQ(f.get(), "A");
  EXPECT_EQ(f.provider->fetches, 1);
}

TEST(CredentialsCache, InsideTheAdvisoryWindowCallersKeepTheCurrentKeysWhileARefreshRuns) {
  cache_fixture f;
  f.provider->answers = {f.key("A", minutes{60}), f.key("B", minutes{120})};
  EXPECT_EQ(f.get(), "A");
  f.now += minutes{47};  // 13 min left: advisory (15) but not mandatory (10)
  f.provider->delay = milliseconds{5};
  std::string first;
  bool refreshed_before_answer = false;
  asio::co_spawn(f.ioc, [&]() -> asio::awaitable<void> {
    first = (co_await f.cache->get()).access_key_id;
    refreshed_before_answer = f.provider->answers.empty();
  }, asio::detached);
  f.ioc.restart();
  f.ioc.run();  // runs the background refresh to completion too
  EXPECT_EQ(first, "A");
  EXPECT_FALSE(refreshed_before_answer);  // the caller did not wait for the refresh
  EXPECT_EQ(f.get(), "B");
  EXPECT_EQ(f.cache->stats().background_refreshes, 1u);
}

TEST(CredentialsCache, InsideTheMandatoryWindowConcurrentCallersShareOneFetch) {
  cache_fixture f;
  f.provider->answers = {f.key("A", minutes{60}), f.key("B", minutes{120})};
  EXPECT_EQ(f.get(), "A");
  f.now += minutes{55};
  f.provider->delay = milliseconds{5};
  std::vector<std::string> got;
  for (int i = 0; i < 5; ++i)
    asio::co_spawn(f.ioc, [&]() -> asio::awaitable<void> { got.push_back((co_await f.cache->get()).access_key_id); },
                   asio::detached);
  f.ioc.restart();
  f.ioc.run();
  EXPECT_EQ(got, std::vector<std::string>(5, "B"));
  EXPECT_EQ(f.provider->fetches, 2);
}

TEST(CredentialsCache, AFailedRefreshKeepsKeysThatHaveNotExpired) {
  cache_fixture f;
  f.provider->answers = {f.key("A", minutes{60}), std::nullopt};
  EXPECT_EQ(f.get(), "A");
  f.now += minutes{55};
  EXPECT_EQ(f.get(), "A");
  EXPECT_EQ(f.cache->stats().failures, 1u);
}

TEST(CredentialsCache, ExpiredKeysAndAFailedRefreshGiveTheProvidersError) {
  cache_fixture f;
  f.provider->answers = {f.key("A", minutes{60}), std::nullopt};
  EXPECT_EQ(f.get(), "A");
  f.now += minutes{61};
  EXPECT_EQ(f.error(), "STS unreachable");
  // Within retry_after_failure the error is repeated without hammering the provider.
  EXPECT_EQ(f.error(), "STS unreachable");
  EXPECT_EQ(f.provider->fetches, 2);
}

TEST(CredentialsCache, KeysThatArriveExpiredAreAnErrorNamingTheirSourceAndExpiry) {
  cache_fixture f;
  auto stale = f.key("ASIASTALE", std::nullopt);
  stale.expiration = f.now - hours{1};
  stale.source = "environment variables";
  f.provider->answers = {stale, stale, f.key("ASIAFRESH", minutes{60})};
  auto expected = "the AWS credentials from environment variables (access key ASIASTALE) expired at " +
                  format_rfc3339(time_point_cast<milliseconds>(*stale.expiration)) +
                  "; renew them at their source (they are asked for again at most every 10 s)";
  EXPECT_EQ(f.error(), expected);
  EXPECT_EQ(f.error(), expected) << "within retry_after_failure: the same error, no new fetch";
  EXPECT_EQ(f.provider->fetches, 1);
  f.now += seconds{11};
  EXPECT_EQ(f.error(), expected);
  f.now += seconds{11};
  EXPECT_EQ(f.get(), "ASIAFRESH") << "renewed at the source: used once the provider has them";
}

TEST(CredentialChain, ExpiredEnvironmentKeysFailWithTheExpiryTheEnvironmentGave) {
  asio::io_context ioc;
  std::map<std::string, std::string> vars{{"AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"}, {"AWS_SECRET_ACCESS_KEY", "shh"},
                                          {"AWS_SESSION_TOKEN", "x"}, {"AWS_CREDENTIAL_EXPIRATION", "2000-01-01T00:00:00Z"}};
  credentials_cache cache(environment_provider([vars](std::string_view k) -> std::optional<std::string> {
    auto it = vars.find(std::string(k));
    return it == vars.end() ? std::nullopt : std::optional<std::string>(it->second);
  }));
  std::string message;
  asio::co_spawn(ioc, [&]() -> asio::awaitable<void> {
    try {
      co_await cache.get();
    } catch (const relay_error& e) {
      EXPECT_EQ(e.kind(), error_kind::auth);
      message = e.what();
    }
  }, asio::detached);
  ioc.run();
  EXPECT_EQ(message, "the AWS credentials from environment variables (access key AKIDEXAMPLE) expired at "
                     "2000-01-01T00:00:00.000Z; renew them at their source (they are asked for again at most every 10 s)");
  EXPECT_EQ(message.find("shh"), std::string::npos);
}

TEST(SsoTokenCache, ARenewalKeepsEveryOtherFieldAndRefusesAnAnswerWithoutALifetime) {
  constexpr auto cache = R"({"startUrl":"https://d-1.awsapps.com/start","accessToken":"old","expiresAt":"2020-01-01T00:00:00Z",)"
                         R"("clientId":"c","clientSecret":"s","refreshToken":"r1"})";
  auto parsed = parse_sso_token_cache(cache);
  ASSERT_TRUE(parsed);
  EXPECT_TRUE(parsed->refreshable);
  EXPECT_EQ(sso_refresh_request(cache), R"({"grantType":"refresh_token","clientId":"c","clientSecret":"s","refreshToken":"r1"})");
  auto now = std::chrono::system_clock::time_point{std::chrono::seconds{1'800'000'000}};
  auto renewed = apply_sso_renewal(cache, R"({"accessToken":"new","expiresIn":3600,"refreshToken":"r2"})", now);
  ASSERT_TRUE(renewed);
  EXPECT_EQ(renewed->access_token, "new");
  EXPECT_EQ(renewed->cache_text,
            R"({"startUrl":"https://d-1.awsapps.com/start","accessToken":"new","expiresAt":"2027-01-15T09:00:00.000Z",)"
            R"("clientId":"c","clientSecret":"s","refreshToken":"r2"})");
  EXPECT_FALSE(apply_sso_renewal(cache, R"({"accessToken":"new"})", now));
  EXPECT_FALSE(apply_sso_renewal(cache, R"({"accessToken":"new","expiresIn":-5})", now));
  EXPECT_FALSE(parse_sso_token_cache(R"({"accessToken":"x"})"));
  EXPECT_EQ(sso_oidc_error(R"({"error":"invalid_grant","error_description":"Invalid refresh token provided"})"),
            " invalid_grant: Invalid refresh token provided");
  EXPECT_EQ(sso_oidc_error("not json"), "");
}

TEST(StsParsing, ReadsCredentialsAndDecodesEntities) {
  auto c = parse_sts_credentials(
      "<AssumeRoleWithWebIdentityResponse><AssumeRoleWithWebIdentityResult><Credentials>"
      "<AccessKeyId>ASIAEXAMPLE</AccessKeyId><SecretAccessKey>a&amp;b&lt;c</SecretAccessKey>"
      "<SessionToken>tok</SessionToken><Expiration>2026-11-22T12:00:00Z</Expiration></Credentials>"
      "</AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>",
      "sts");
  EXPECT_EQ(c.access_key_id, "ASIAEXAMPLE");
  EXPECT_EQ(c.secret_access_key.reveal(), "a&b<c");
  ASSERT_TRUE(c.expiration);
  EXPECT_EQ(sts_error_message("<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code>"
                              "<Message>Not authorized</Message></Error></ErrorResponse>"),
            "AccessDenied: Not authorized");
  EXPECT_THROW(parse_sts_credentials("<x/>", "sts"), relay_error);
}

TEST(MetadataParsing, ACodeOtherThanSuccessIsAnError) {
  try {
    parse_metadata_credentials(R"({"Code":"AssumeRoleUnauthorizedAccess","AccessKeyId":"x"})", "IMDS");
    FAIL();
  } catch (const relay_error& e) {
    EXPECT_EQ(std::string(e.what()), "IMDS reported Code AssumeRoleUnauthorizedAccess");
  }
  auto c = parse_metadata_credentials(
      R"({"AccessKeyId":"ASIA1","SecretAccessKey":"s","Token":"t","Expiration":"2026-11-22T12:00:00Z"})", "ECS");
  EXPECT_EQ(c.session_token.reveal(), "t");
}

}  // namespace
}  // namespace grm::aws
