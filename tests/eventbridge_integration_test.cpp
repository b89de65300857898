// The EventBridge sink and the AWS credential chain against the AWS emulator on loopback: real
// TLS, real keep-alive connections, every request SigV4-verified by the emulator. No test asserts
// a timing; short credential lifetimes only make refreshes happen within the test.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "aws/credentials.hpp"
#include "core/digest.hpp"
#include "core/error.hpp"
#include "core/ids.hpp"
#include "net/http.hpp"
#include "net/retry.hpp"
#include "sim/aws_emulator.hpp"
#include "delivery/one_shot.hpp"
#include "sinks/eventbridge/sink.hpp"

namespace grm {
namespace {

namespace asio = boost::asio;
namespace eb = sinks::eventbridge;
using namespace std::chrono;

// What became of one event, as the tests read it.
struct outcome {
  bool delivered = false;
  std::string id;       // the EventId
  std::string code;     // the dead letter's code
  std::string message;  // and its message
  int attempts = 0;
};

constexpr auto kAkid = "AKIDEXAMPLE";
constexpr auto kSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

struct env_map {
  std::map<std::string, std::string> vars;
  aws::env_lookup lookup() const {
    return [this](std::string_view k) -> std::optional<std::string> {
      auto it = vars.find(std::string(k));
      return it == vars.end() ? std::nullopt : std::optional<std::string>(it->second);
    };
  }
};

std::string temp_file(const std::string& name, const std::string& content) {
  auto dir = std::filesystem::temp_directory_path() / ("grm-eb-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto p = dir / name;
  std::ofstream(p) << content;
  return p.string();
}

aws::credentials example_keys(std::string secret_key = kSecret) {
  return {kAkid, secret(std::move(secret_key)), {}, std::nullopt, "test"};
}

// One event: the sink makes Source and DetailType from its settings and the message's kind.
eb::put_entry entry(std::string detail = R"({"n":1})") {
  return {"genesys.sentiment.forwarder", "ChatSentimentAnalysis", std::move(detail), {}, std::nullopt, "", ""};
}

delivery::message message_of(const eb::put_entry& e) { return {"test", uuid_v4(), "", "sentiment", e.detail}; }

// A Detail whose entry size (Source 27 + DetailType 21 + Detail) is exactly `bytes`.
eb::put_entry entry_of_size(std::size_t bytes) {
  auto e = entry();
  std::size_t fixed = e.source.size() + e.detail_type.size() + std::string(R"({"p":""})").size();
  e.detail = R"({"p":")" + std::string(bytes - fixed, 'x') + R"("})";
  EXPECT_EQ(eb::entry_size(e), bytes);
  return e;
}

class EventBridgeSink : public ::testing::Test {
 protected:
  void SetUp() override {
    sim::aws_emulator_options o;
    events_file = temp_file("events-" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) + ".jsonl", "");
    o.events_file = events_file;
    emulator = std::make_unique<sim::aws_emulator>(o);
    net::http_client_options ho;
    ho.tls.ca_pem = emulator->certificate_pem();
    http = std::make_unique<net::http_client>(ioc.get_executor(), ho);
  }

  eb::eventbridge_settings settings() {
    eb::eventbridge_settings s;
    s.region = "us-east-1";
    s.endpoint = emulator->https_url();
    return s;
  }

  // The daemon's driver with the SDKs' attempt budget and a fast backoff.
  delivery::driver_options delivery_options() {
    delivery::driver_options o;
    o.max_attempts = 3;
    o.backoff_base = milliseconds{1};
    o.backoff_cap = milliseconds{5};
    o.breaker.failures_to_open = 100;
    return o;
  }

  std::unique_ptr<aws::credentials_cache> cache_with(aws::credentials c) {
    return std::make_unique<aws::credentials_cache>(aws::static_provider(std::move(c)));
  }

  // Runs `op` on the test's io_context until it completes (idle pooled connections may remain).
  template <typename T>
  T run(asio::awaitable<T> op) {
    auto f = asio::co_spawn(ioc, std::move(op), asio::use_future);
    ioc.restart();
    while (f.wait_for(seconds{0}) != std::future_status::ready) ioc.run_one();
    return f.get();
  }

  // Accepts every entry at once (so they can share requests) and delivers them through an
  // in-memory outbox and the driver.
  std::vector<outcome> publish_with(aws::credentials c, std::vector<eb::put_entry> entries,
                                    std::optional<eb::eventbridge_settings> s = std::nullopt,
                                    std::optional<delivery::driver_options> o = std::nullopt) {
    auto cache = cache_with(std::move(c));
    eb::sink sink(*http, *cache, s ? *s : settings());
    std::vector<delivery::message> messages;
    for (auto& e : entries) messages.push_back(message_of(e));
    auto finals = run(delivery::deliver_now(sink, std::move(messages), o ? *o : delivery_options()));
    std::vector<outcome> out;
    for (auto& f : finals) {
      outcome x;
      x.delivered = f.state == delivery::delivery_state::delivered;
      x.attempts = f.attempts;
      if (x.delivered) {
        x.id = f.detail;
      } else {
        auto colon = f.detail.find(": ");
        x.code = f.detail.substr(0, colon);
        x.message = colon == std::string::npos ? "" : f.detail.substr(colon + 2);
      }
      out.push_back(std::move(x));
    }
    return out;
  }

  asio::io_context ioc;
  std::string events_file;
  std::unique_ptr<sim::aws_emulator> emulator;
  std::unique_ptr<net::http_client> http;
};

TEST_F(EventBridgeSink, DeliversOverVerifiedTlsAndReportsEachEventId) {
  auto a = entry(R"({"conversationId":"c-1","note":"café ☕"})");
  auto s = settings();
  s.resources = {"arn:aws:example:us-east-1:123456789012:conversation/c-1"};
  s.event_bus = "genesys-relay";
  auto out = publish_with(example_keys(), {a, entry(R"({"n":2})")}, s);
  ASSERT_TRUE(out[0].delivered) << out[0].code << ": " << out[0].message;
  ASSERT_TRUE(out[1].delivered);
  auto events = emulator->events();
  ASSERT_EQ(events.size(), 2u);
  std::map<std::string, sim::accepted_event> by_id;
  for (auto& e : events) by_id[e.event_id] = e;
  auto& got = by_id.at(out[0].id);
  EXPECT_EQ(got.detail, a.detail);  // multibyte UTF-8 round-trips byte for byte
  EXPECT_EQ(got.source, "genesys.sentiment.forwarder");
  EXPECT_EQ(got.detail_type, "ChatSentimentAnalysis");
  EXPECT_EQ(got.event_bus, "genesys-relay");
  EXPECT_EQ(got.resources, s.resources);
  EXPECT_EQ(got.access_key_id, kAkid);
  EXPECT_EQ(by_id.count(out[1].id), 1u);
  EXPECT_EQ(emulator->stats().signature_failures, 0u);
  EXPECT_EQ(http->stats().connections_opened, 1u);  // one keep-alive connection for both
}

TEST_F(EventBridgeSink, ExactlyTenEntriesShareOneRequestAndAnEleventhStartsAnother) {
  std::vector<eb::put_entry> ten(10, entry());
  auto out = publish_with(example_keys(), ten);
  for (auto& o : out) EXPECT_TRUE(o.delivered);
  auto log = emulator->put_events_log();
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0].entries, 10u);

  std::vector<eb::put_entry> eleven(11, entry());
  out = publish_with(example_keys(), eleven);
  for (auto& o : out) EXPECT_TRUE(o.delivered);
  log = emulator->put_events_log();
  ASSERT_EQ(log.size(), 3u);
  EXPECT_EQ(log[1].entries + log[2].entries, 11u);
  EXPECT_EQ(std::max(log[1].entries, log[2].entries), 10u);
}

TEST_F(EventBridgeSink, EntriesSummingToExactlyTheLimitGoTogetherAndOneByteMoreSplits) {
  auto out = publish_with(example_keys(), {entry_of_size(200'000), entry_of_size(62'143)});
  ASSERT_TRUE(out[0].delivered) << out[0].message;
  ASSERT_TRUE(out[1].delivered) << out[1].message;
  auto log = emulator->put_events_log();
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0].entry_bytes, eb::limit_256kb);  // the emulator accepted the full limit

  out = publish_with(example_keys(), {entry_of_size(200'000), entry_of_size(62'144)});
  EXPECT_TRUE(out[0].delivered && out[1].delivered);
  log = emulator->put_events_log();
  ASSERT_EQ(log.size(), 3u);
  EXPECT_EQ(log[1].entries, 1u);
  EXPECT_EQ(log[2].entries, 1u);
}

TEST_F(EventBridgeSink, AnEntryOverTheLimitIsDeadLetteredLocallyAndNeverSent) {
  auto out = publish_with(example_keys(), {entry_of_size(262'144), entry()});
  EXPECT_FALSE(out[0].delivered);
  EXPECT_EQ(out[0].code, "OversizedEntry");
  EXPECT_EQ(out[0].message, "the entry is 262144 bytes by the sink's size rule; a request may carry at most 262143");
  EXPECT_TRUE(out[1].delivered);
  auto log = emulator->put_events_log();
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0].entries, 1u);
}

TEST_F(EventBridgeSink, MultibyteDetailIsMeasuredInUtf8Bytes) {
  // 100,000 "é" are 100,000 characters but 200,000 bytes: with the other entry they exceed the
  // limit together, so they must travel in two requests (a character count would say one).
  std::string detail = R"({"t":")";
  for (int i = 0; i < 100'000; ++i) detail += "é";
  detail += R"("})";
  auto out = publish_with(example_keys(), {entry(detail), entry_of_size(62'143)});
  ASSERT_TRUE(out[0].delivered) << out[0].message;
  ASSERT_TRUE(out[1].delivered);
  EXPECT_EQ(emulator->put_events_log().size(), 2u);
  bool found = false;
  for (auto& e : emulator->events()) found = found || e.detail == detail;
  EXPECT_TRUE(found);
}

TEST_F(EventBridgeSink, OnlyTheEntriesThatFailedRetryablyAreResent) {
  emulator->fail_entries({"", "ThrottlingException", "", "AccessDeniedException", "InternalFailure"});
  auto out = publish_with(example_keys(), {entry(), entry(), entry(R"([1,2])"), entry(), entry()});
  auto log = emulator->put_events_log();
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[0].entries, 5u);
  EXPECT_EQ(log[1].entries, 2u);  // the throttled one and the internal failure, nothing else
  EXPECT_TRUE(out[0].delivered);
  EXPECT_EQ(out[0].attempts, 1);
  EXPECT_TRUE(out[1].delivered);
  EXPECT_EQ(out[1].attempts, 2);
  EXPECT_FALSE(out[2].delivered);
  EXPECT_EQ(out[2].code, "MalformedDetail");
  EXPECT_EQ(out[2].message, "Detail is malformed.");
  EXPECT_FALSE(out[3].delivered);
  EXPECT_EQ(out[3].code, "AccessDeniedException");
  EXPECT_EQ(out[3].attempts, 1);
  EXPECT_TRUE(out[4].delivered);
  EXPECT_EQ(emulator->events().size(), 3u);
}

TEST_F(EventBridgeSink, ThrottlingIsRetriedWithBackoffUntilAttemptsRunOut) {
  emulator->throttle_next(2);
  auto out = publish_with(example_keys(), {entry()});
  EXPECT_TRUE(out[0].delivered);
  EXPECT_EQ(out[0].attempts, 3);

  emulator->throttle_next(3);
  out = publish_with(example_keys(), {entry()});
  EXPECT_FALSE(out[0].delivered);
  EXPECT_EQ(out[0].code, "ThrottlingException");
  EXPECT_EQ(out[0].message, "EventBridge PutEvents: HTTP 400 ThrottlingException: Rate exceeded (after 3 attempts)");
}

TEST_F(EventBridgeSink, ServerErrorsAndTimeoutsAreRetried) {
  emulator->fail_next(1, 503);
  auto out = publish_with(example_keys(), {entry()});
  EXPECT_TRUE(out[0].delivered);
  EXPECT_EQ(out[0].attempts, 2);

  emulator->slow_next(1, milliseconds{2000});
  auto s = settings();
  s.request_timeout = milliseconds{200};
  out = publish_with(example_keys(), {entry()}, s);
  EXPECT_TRUE(out[0].delivered) << out[0].message;
  EXPECT_EQ(out[0].attempts, 2);
}

TEST_F(EventBridgeSink, AWrongSecretIsRefusedWithAwsSignatureErrorAndNeverRetried) {
  auto out = publish_with(example_keys("not-the-secret"), {entry()});
  EXPECT_FALSE(out[0].delivered);
  EXPECT_EQ(out[0].code, "InvalidSignatureException");
  EXPECT_NE(out[0].message.find("The request signature we calculated does not match"), std::string::npos);
  EXPECT_EQ(out[0].message.find("not-the-secret"), std::string::npos);
  EXPECT_EQ(out[0].attempts, 1);
  EXPECT_EQ(emulator->stats().signature_failures, 1u);
}

TEST_F(EventBridgeSink, AnUnknownKeyAndAStaleDateGetTheirAwsErrors) {
  aws::credentials stranger{"AKIDUNKNOWN", secret(kSecret), {}, std::nullopt, "test"};
  auto out = publish_with(stranger, {entry()});
  EXPECT_EQ(out[0].code, "UnrecognizedClientException");
  EXPECT_NE(out[0].message.find("The security token included in the request is invalid."), std::string::npos);

  emulator->skew_clock(minutes{10});
  out = publish_with(example_keys(), {entry()});
  EXPECT_EQ(out[0].code, "InvalidSignatureException");
  EXPECT_NE(out[0].message.find("Signature expired: "), std::string::npos);
  EXPECT_NE(out[0].message.find(" - 5 min.)"), std::string::npos);
}

TEST_F(EventBridgeSink, AcceptedEventsAreAppendedToTheJsonLinesFile) {
  auto out = publish_with(example_keys(), {entry(R"({"n":1})"), entry(R"({"n":2})")});
  ASSERT_TRUE(out[0].delivered && out[1].delivered);
  std::ifstream in(events_file);
  std::string line;
  std::set<std::string> ids;
  int lines = 0;
  while (std::getline(in, line)) {
    ++lines;
    for (auto& o : out)
      if (line.find("\"EventId\":\"" + o.id + "\"") != std::string::npos) ids.insert(o.id);
    EXPECT_NE(line.find("\"Account\":\"123456789012\""), std::string::npos) << line;
  }
  EXPECT_EQ(lines, 2);
  EXPECT_EQ(ids.size(), 2u);
}

// --- the credential chain against the emulator's STS, container and IMDS endpoints -------------

class CredentialChain : public EventBridgeSink {
 protected:
  env_map env;
  aws::chain_context context() {
    aws::chain_context c;
    c.env = env.lookup();
    c.profile = "default";
    c.region = "us-east-1";
    c.http = http.get();
    c.files.config_path = "/nonexistent/config";
    c.files.credentials_path = "/nonexistent/credentials";
    return c;
  }
  aws::credentials fetch(aws::credential_provider& p) {
    auto c = run(p.fetch());
    if (!c) throw std::runtime_error("provider answered nothing");
    return *c;
  }
  std::string error_of(aws::credential_provider& p) {
    try {
      run(p.fetch());
    } catch (const relay_error& e) {
      return e.what();
    }
    return "(no error)";
  }
  void use_web_identity(const std::string& token) {
    env.vars["AWS_WEB_IDENTITY_TOKEN_FILE"] = temp_file("token", token + "\n");
    env.vars["AWS_ROLE_ARN"] = "arn:aws:iam::123456789012:role/genesys-relay";
    env.vars["AWS_ENDPOINT_URL_STS"] = emulator->https_url();
  }
};

TEST_F(CredentialChain, WebIdentityGetsTemporaryKeysFromStsThatEventBridgeAccepts) {
  use_web_identity("sim-web-identity-token");
  auto chain = aws::default_chain(context());
  auto c = fetch(*chain);
  EXPECT_TRUE(c.access_key_id.starts_with("ASIA"));
  EXPECT_FALSE(c.session_token.empty());
  ASSERT_TRUE(c.expiration);
  EXPECT_EQ(c.source, "web identity role arn:aws:iam::123456789012:role/genesys-relay");
  auto out = publish_with(c, {entry()});
  EXPECT_TRUE(out[0].delivered) << out[0].message;
  EXPECT_EQ(emulator->stats().sts_calls, 1u);
}

TEST_F(CredentialChain, AStsRefusalNamesTheRoleAndTheStsError) {
  use_web_identity("a-token-sts-does-not-accept");
  auto chain = aws::default_chain(context());
  auto message = error_of(*chain);
  EXPECT_NE(message.find("STS AssumeRoleWithWebIdentity for arn:aws:iam::123456789012:role/genesys-relay"), std::string::npos) << message;
  EXPECT_NE(message.find("HTTP 400 InvalidIdentityToken: The web identity token that was passed could not be validated"), std::string::npos) << message;
  EXPECT_EQ(message.find("a-token-sts-does-not-accept"), std::string::npos);
}

TEST_F(CredentialChain, ContainerCredentialsSendTheAuthorizationTokenFromItsFile) {
  env.vars["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = emulator->http_url() + "/container/credentials";
  env.vars["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"] = temp_file("container-token", "sim-container-token\n");
  auto chain = aws::default_chain(context());
  auto c = fetch(*chain);
  EXPECT_TRUE(c.access_key_id.starts_with("ASIA"));
  EXPECT_NE(c.source.find("container credentials endpoint"), std::string::npos);

  env.vars["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"] = temp_file("container-token", "wrong\n");
  auto again = aws::default_chain(context());
  EXPECT_NE(error_of(*again).find("/container/credentials answered HTTP 401"), std::string::npos);
}

TEST_F(CredentialChain, ContainerRelativeUriUsesTheContainerHost) {
  env.vars["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"] = "/container/v2/credentials/abc";
  env.vars["AWS_CONTAINER_AUTHORIZATION_TOKEN"] = "sim-container-token";
  auto ctx = context();
  ctx.endpoints.container_host = emulator->http_url();
  auto c = fetch(*aws::default_chain(ctx));
  EXPECT_TRUE(c.access_key_id.starts_with("ASIA"));
}

TEST_F(CredentialChain, AFullUriOnAForeignPlainHttpHostIsRefused) {
  env.vars["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = "http://metadata.example.com/creds";
  auto chain = aws::default_chain(context());
  EXPECT_NE(error_of(*chain).find("host 'metadata.example.com' is not allowed"), std::string::npos);
}

TEST_F(CredentialChain, InstanceMetadataV2TokenThenRoleThenKeys) {
  env.vars["AWS_EC2_METADATA_SERVICE_ENDPOINT"] = emulator->http_url() + "/";
  auto c = fetch(*aws::default_chain(context()));
  EXPECT_TRUE(c.access_key_id.starts_with("ASIA"));
  EXPECT_EQ(c.source, "EC2 instance metadata role genesys-relay-instance");
  EXPECT_EQ(emulator->stats().imds_calls, 3u);  // PUT token, GET role, GET credentials
  auto out = publish_with(c, {entry()});
  EXPECT_TRUE(out[0].delivered);
}

TEST_F(CredentialChain, EnvironmentWinsOverEveryOtherProvider) {
  use_web_identity("sim-web-identity-token");
  env.vars["AWS_EC2_METADATA_SERVICE_ENDPOINT"] = emulator->http_url();
  env.vars["AWS_ACCESS_KEY_ID"] = "AKIDENV";
  env.vars["AWS_SECRET_ACCESS_KEY"] = "env-secret";
  auto c = fetch(*aws::default_chain(context()));
  EXPECT_EQ(c.access_key_id, "AKIDENV");
  EXPECT_EQ(emulator->stats().sts_calls, 0u);
}

TEST_F(CredentialChain, ContainerComesBeforeInstanceMetadata) {
  env.vars["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = emulator->http_url() + "/container/credentials";
  env.vars["AWS_CONTAINER_AUTHORIZATION_TOKEN"] = "sim-container-token";
  env.vars["AWS_EC2_METADATA_SERVICE_ENDPOINT"] = emulator->http_url();
  auto c = fetch(*aws::default_chain(context()));
  EXPECT_NE(c.source.find("container credentials endpoint"), std::string::npos);
  EXPECT_EQ(emulator->stats().imds_calls, 0u);
  EXPECT_EQ(emulator->stats().container_calls, 1u);
}

TEST_F(CredentialChain, ProfileWinsOverWebIdentityAndProcessAfterIt) {
  use_web_identity("sim-web-identity-token");
  auto ctx = context();
  aws::parse_shared_file("[default]\naws_access_key_id = AKIDPROFILE\naws_secret_access_key = profile-secret\n",
                         "creds", false, ctx.files);
  EXPECT_EQ(fetch(*aws::default_chain(ctx)).access_key_id, "AKIDPROFILE");

  // No static keys: web identity comes before credential_process.
  auto ctx2 = context();
  aws::parse_shared_file("[default]\ncredential_process = echo never-run\n", "config", true, ctx2.files);
  EXPECT_TRUE(fetch(*aws::default_chain(ctx2)).access_key_id.starts_with("ASIA"));
}

TEST_F(CredentialChain, CredentialProcessOutputIsUsedAndItsFailureNeverShowsTheOutput) {
  auto script = temp_file("creds.sh",
                          "#!/bin/sh\necho '{\"Version\": 1, \"AccessKeyId\": \"AKIDPROC\", \"SecretAccessKey\": "
                          "\"proc-secret\", \"SessionToken\": \"tok\", \"Expiration\": \"2099-01-01T00:00:00Z\"}'\n");
  auto ctx = context();
  aws::parse_shared_file("[default]\ncredential_process = sh " + script + "\n", "config", true, ctx.files);
  auto c = fetch(*aws::default_chain(ctx));
  EXPECT_EQ(c.access_key_id, "AKIDPROC");
  EXPECT_EQ(c.secret_access_key.reveal(), "proc-secret");
  ASSERT_TRUE(c.expiration);

  auto failing = temp_file("fail.sh", "#!/bin/sh\necho '{\"SecretAccessKey\": \"leaked\"}'\nexit 3\n");
  auto ctx2 = context();
  aws::parse_shared_file("[default]\ncredential_process = sh " + failing + "\n", "config", true, ctx2.files);
  auto message = error_of(*aws::default_chain(ctx2));
  EXPECT_EQ(message, "credential_process exited with status 3");
}

TEST_F(CredentialChain, CredentialProcessGetsTheEnvironmentWithoutTheRelaysSecrets) {
  ::setenv("GENESYSCLOUD_OAUTHCLIENT_SECRET", "genesys-canary", 1);
  ::setenv("CRM_WEBHOOK_TOKEN", "crm-canary", 1);
  ::setenv("CRM_WEBHOOK_SECRET", "signing-canary", 1);
  ::setenv("GRM_TEST_HOOK_SECRET", "configured-canary", 1);  // a sink's secret_env names it
  register_secret_variable("GRM_TEST_HOOK_SECRET");
  ::setenv("GRM_TEST_PASSED_THROUGH", "yes", 1);
  auto script = temp_file("env.sh",
                          "#!/bin/sh\n"
                          "[ -z \"$GENESYSCLOUD_OAUTHCLIENT_SECRET$CRM_WEBHOOK_TOKEN$ALERT_WEBHOOK_TOKEN\" ] || exit 7\n"
                          "[ -z \"$CRM_WEBHOOK_SECRET$GRM_TEST_HOOK_SECRET\" ] || exit 7\n"
                          "[ \"$GRM_TEST_PASSED_THROUGH\" = yes ] || exit 8\n"
                          "echo '{\"Version\": 1, \"AccessKeyId\": \"AKIDPROC\", \"SecretAccessKey\": \"s\"}'\n");
  auto ctx = context();
  aws::parse_shared_file("[default]\ncredential_process = sh " + script + "\n", "config", true, ctx.files);
  std::string outcome;
  try {
    outcome = fetch(*aws::default_chain(ctx)).access_key_id;
  } catch (const relay_error& e) {
    outcome = e.what();
  }
  ::unsetenv("GENESYSCLOUD_OAUTHCLIENT_SECRET");
  ::unsetenv("CRM_WEBHOOK_TOKEN");
  ::unsetenv("CRM_WEBHOOK_SECRET");
  ::unsetenv("GRM_TEST_HOOK_SECRET");
  ::unsetenv("GRM_TEST_PASSED_THROUGH");
  EXPECT_EQ(outcome, "AKIDPROC") << "status 7: a secret reached the child; status 8: the environment was not passed";
}

// --- profiles as the AWS CLI resolves them: assumed roles and IAM Identity Center ------------

class ProfileChain : public CredentialChain {
 protected:
  static constexpr auto kRole = "arn:aws:iam::123456789012:role/genesys-relay-events";
  aws::chain_context profile_context(const std::string& profile, const std::string& config,
                                     const std::string& credentials = "") {
    auto ctx = context();
    ctx.profile = profile;
    ctx.files.config_path = "test/config";
    ctx.files.credentials_path = "test/credentials";
    aws::parse_shared_file(config, ctx.files.config_path, true, ctx.files);
    aws::parse_shared_file(credentials, ctx.files.credentials_path, false, ctx.files);
    env.vars["AWS_ENDPOINT_URL_STS"] = emulator->https_url();
    env.vars["AWS_ENDPOINT_URL_SSO"] = emulator->https_url();
    return ctx;
  }
  std::string error_in(const aws::chain_context& ctx) {
    auto chain = aws::default_chain(ctx);
    return error_of(*chain);
  }
  // What `aws sso login` leaves in ~/.aws/sso/cache: the file named by the SHA-1 of the session.
  void cache_sso_token(const std::string& session, const std::string& token, const std::string& expires_at,
                       const std::string& refresh = "") {
    auto home = std::filesystem::path(temp_file("home-marker", "")).parent_path() /
                ("home-" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    if (!env.vars.contains("HOME")) std::filesystem::remove_all(home);  // this test's first token
    std::filesystem::create_directories(home / ".aws/sso/cache");
    env.vars["HOME"] = home.string();
    std::ofstream(home / ".aws/sso/cache" / (sha1_hex(session) + ".json"))
        << R"({"startUrl": "https://d-abc123.awsapps.com/start", "region": "us-east-1", "accessToken": ")" << token
        << R"(", "expiresAt": ")" << expires_at << R"(")"
        << (refresh.empty() ? "" : R"(, "clientId": "sim-sso-client", "clientSecret": "sim-sso-client-secret", "refreshToken": ")" + refresh + "\"")
        << "}";
  }
  std::string cached_sso(const std::string& session) {
    return *aws::read_file_if_present(env.vars["HOME"] + "/.aws/sso/cache/" + sha1_hex(session) + ".json");
  }
};

TEST_F(ProfileChain, ARoleWithASourceProfileIsAssumedWithTheSourcesKeysAndEventBridgeAcceptsIt) {
  auto ctx = profile_context("relay",
                             "[profile relay]\nrole_arn = " + std::string(kRole) + "\nsource_profile = base\n"
                             "role_session_name = relay-test\nduration_seconds = 900\n",
                             "[base]\naws_access_key_id = AKIDEXAMPLE\naws_secret_access_key = " + std::string(kSecret) + "\n");
  auto c = fetch(*aws::default_chain(ctx));
  EXPECT_TRUE(c.access_key_id.starts_with("ASIA"));
  ASSERT_TRUE(c.expiration);
  EXPECT_EQ(c.source, "role " + std::string(kRole) + " assumed for profile 'relay'");
  auto stats = emulator->stats();
  EXPECT_EQ(stats.assume_role_calls, 1u);
  EXPECT_EQ(stats.assume_role_callers, std::vector<std::string>{"AKIDEXAMPLE"});
  auto out = publish_with(c, {entry()});
  EXPECT_TRUE(out[0].delivered) << out[0].message;
}

TEST_F(ProfileChain, RolesChainAndCredentialSourceEnvironmentStartsTheChain) {
  env.vars["AWS_ACCESS_KEY_ID"] = "AKIDEXAMPLE";  // the chain's environment step is skipped below
  env.vars["AWS_SECRET_ACCESS_KEY"] = kSecret;
  auto ctx = profile_context("second",
                             "[profile second]\nrole_arn = " + std::string(kRole) + "\nsource_profile = first\n"
                             "[profile first]\nrole_arn = " + std::string(kRole) + "\ncredential_source = Environment\n");
  auto provider = aws::profile_provider(ctx);
  auto c = fetch(*provider);
  auto callers = emulator->stats().assume_role_callers;
  ASSERT_EQ(callers.size(), 2u);
  EXPECT_EQ(callers[0], "AKIDEXAMPLE");     // first: the environment's keys
  EXPECT_TRUE(callers[1].starts_with("ASIA"));  // second: signed by the first role's keys
  EXPECT_NE(callers[1], c.access_key_id);
  EXPECT_TRUE(publish_with(c, {entry()})[0].delivered);
}

TEST_F(ProfileChain, ARoleTheCallerMayNotAssumeNamesTheRoleTheProfileAndStssAnswer) {
  auto ctx = profile_context("relay", "[profile relay]\nrole_arn = arn:aws:iam::123456789012:role/other\nsource_profile = relay\n"
                                      "aws_access_key_id = AKIDEXAMPLE\naws_secret_access_key = " + std::string(kSecret) + "\n");
  auto message = error_in(ctx);
  EXPECT_NE(message.find("STS AssumeRole of arn:aws:iam::123456789012:role/other for profile 'relay' (signed with profile 'relay' in test/config, access key AKIDEXAMPLE)"), std::string::npos) << message;
  EXPECT_NE(message.find("HTTP 403 AccessDenied: User: arn:aws:iam::123456789012:user/AKIDEXAMPLE is not authorized to perform: sts:AssumeRole"), std::string::npos) << message;
  EXPECT_EQ(message.find(kSecret), std::string::npos);
}

TEST_F(ProfileChain, AWrongSourceSecretIsStssSignatureRefusal) {
  auto ctx = profile_context("relay", "[profile relay]\nrole_arn = " + std::string(kRole) + "\nsource_profile = base\n",
                             "[base]\naws_access_key_id = AKIDEXAMPLE\naws_secret_access_key = not-the-secret\n");
  auto message = error_in(ctx);
  EXPECT_NE(message.find("HTTP 403 SignatureDoesNotMatch: The request signature we calculated does not match"), std::string::npos) << message;
  EXPECT_EQ(message.find("not-the-secret"), std::string::npos);
  EXPECT_EQ(emulator->stats().credentials_issued, 0u);
}

TEST_F(ProfileChain, AnUnreachableStsNamesTheCallItWasFor) {
  auto ctx = profile_context("relay", "[profile relay]\nrole_arn = " + std::string(kRole) + "\nsource_profile = base\n",
                             "[base]\naws_access_key_id = AKIDEXAMPLE\naws_secret_access_key = " + std::string(kSecret) + "\n");
  env.vars["AWS_ENDPOINT_URL_STS"] = "https://127.0.0.1:9";  // nothing listens on the discard port
  auto message = error_in(ctx);
  EXPECT_TRUE(message.starts_with("STS AssumeRole of " + std::string(kRole) + " for profile 'relay' at https://127.0.0.1:9: "))
      << message;
}

TEST_F(ProfileChain, ProfileMistakesAreNamedBeforeAnyCallIsMade) {
  auto role = "role_arn = " + std::string(kRole) + "\n";
  EXPECT_EQ(error_in(profile_context("a", "[profile a]\n" + role + "source_profile = missing\n")),
            "profile 'a' names source_profile 'missing', which is in neither test/config nor test/credentials");
  EXPECT_EQ(error_in(profile_context("a", "[profile a]\n" + role + "source_profile = b\n[profile b]\n" + role + "source_profile = a\n")),
            "source_profile loop: a → b → a");
  EXPECT_EQ(error_in(profile_context("a", "[profile a]\n" + role)),
            "profile 'a' has role_arn but neither source_profile nor credential_source to assume it with");
  EXPECT_EQ(error_in(profile_context("a", "[profile a]\n" + role + "source_profile = b\ncredential_source = Environment\n[profile b]\n")),
            "profile 'a' has both source_profile and credential_source: keep one");
  EXPECT_EQ(error_in(profile_context("a", "[profile a]\n" + role + "credential_source = Laptop\n")),
            "profile 'a': credential_source = Laptop (use Environment, EcsContainer or Ec2InstanceMetadata)");
  EXPECT_EQ(error_in(profile_context("a", "[profile a]\n" + role + "source_profile = b\n[profile b]\nregion = us-east-1\n")),
            "profile 'a' names source_profile 'b', which has no credentials (keys, role_arn, sso_session or credential_process)");
  EXPECT_NE(error_in(profile_context("a", "[profile a]\n" + role + "source_profile = b\nmfa_serial = arn:aws:iam::1:mfa/x\n[profile b]\n"))
                .find("needs an MFA code (mfa_serial)"),
            std::string::npos);
  EXPECT_EQ(emulator->stats().sts_calls, 0u);
}

constexpr auto kSsoConfig =
    "[profile dev]\nsso_session = my-sso\nsso_account_id = 123456789012\nsso_role_name = GenesysRelayEvents\n"
    "[sso-session my-sso]\nsso_start_url = https://d-abc123.awsapps.com/start\nsso_region = us-east-1\n";

TEST_F(ProfileChain, AnSsoProfileUsesTheCachedTokenAndEventBridgeAcceptsTheRoleCredentials) {
  cache_sso_token("my-sso", "sim-sso-access-token", "2099-01-01T00:00:00Z");
  auto ctx = profile_context("dev", kSsoConfig);
  auto c = fetch(*aws::default_chain(ctx));
  EXPECT_TRUE(c.access_key_id.starts_with("ASIA"));
  ASSERT_TRUE(c.expiration);
  EXPECT_EQ(c.source, "IAM Identity Center role GenesysRelayEvents in account 123456789012");
  EXPECT_EQ(emulator->stats().sso_calls, 1u);
  EXPECT_TRUE(publish_with(c, {entry()})[0].delivered);
}

TEST_F(ProfileChain, AnSsoTokenThatIsMissingExpiredOrRefusedSaysToLogInAgain) {
  auto ctx = profile_context("dev", kSsoConfig);
  cache_sso_token("another-session", "x", "2099-01-01T00:00:00Z");
  auto missing = error_in(ctx);
  EXPECT_NE(missing.find("no IAM Identity Center token is cached for sso-session 'my-sso' of profile 'dev' (looked for " +
                         env.vars["HOME"] + "/.aws/sso/cache/" + sha1_hex("my-sso") + ".json): run `aws sso login --profile dev`"),
            std::string::npos) << missing;

  cache_sso_token("my-sso", "sim-sso-access-token", "2020-01-01T00:00:00Z");
  EXPECT_EQ(error_in(ctx), "the IAM Identity Center token for sso-session 'my-sso' expired at 2020-01-01T00:00:00Z: run `aws sso login --profile dev`");

  cache_sso_token("my-sso", "a-token-the-portal-does-not-know", "2099-01-01T00:00:00Z");
  auto refused = error_in(ctx);
  EXPECT_NE(refused.find("refused role GenesysRelayEvents in account 123456789012 for profile 'dev': HTTP 401 Session token not found or invalid; run `aws sso login --profile dev`"),
            std::string::npos) << refused;
  EXPECT_EQ(refused.find("a-token-the-portal-does-not-know"), std::string::npos);

  EXPECT_EQ(error_in(profile_context("x", "[profile x]\nsso_session = nope\nsso_account_id = 1\nsso_role_name = r\n")),
            "profile 'x' names sso_session 'nope' but test/config has no [sso-session nope] section");
}

// The SDKs renew an sso-session's access token with the refresh token `aws sso login` cached,
// within 15 minutes of its expiry, and write it back; the relay does the same.
TEST_F(ProfileChain, AnExpiredSsoSessionTokenIsRenewedWithItsRefreshTokenAndWrittenBack) {
  cache_sso_token("my-sso", "an-old-token", "2020-01-01T00:00:00Z", "sim-sso-refresh-token");
  auto ctx = profile_context("dev", kSsoConfig);
  env.vars["AWS_ENDPOINT_URL_SSO_OIDC"] = emulator->https_url();
  auto c = fetch(*aws::default_chain(ctx));
  EXPECT_TRUE(c.access_key_id.starts_with("ASIA"));
  EXPECT_EQ(emulator->stats().sso_token_refreshes, 1u);
  auto cache = cached_sso("my-sso");
  EXPECT_NE(cache.find(R"("accessToken":"sim-sso-access-token")"), std::string::npos) << cache;
  EXPECT_EQ(cache.find("2020-01-01"), std::string::npos) << cache;
  EXPECT_NE(cache.find(R"("startUrl":"https://d-abc123.awsapps.com/start")"), std::string::npos) << "the rest is kept";
  auto path = env.vars["HOME"] + "/.aws/sso/cache/" + sha1_hex("my-sso") + ".json";
  EXPECT_EQ(std::filesystem::status(path).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);

  cache_sso_token("my-sso", "an-old-token", "2020-01-01T00:00:00Z", "a-revoked-refresh-token");
  auto message = error_in(ctx);
  EXPECT_EQ(message, "the IAM Identity Center token for sso-session 'my-sso' expired at 2020-01-01T00:00:00Z and could not be renewed at " +
                         emulator->https_url() + "/token (HTTP 400 invalid_grant: Invalid refresh token provided): run `aws sso login --profile dev`");
  EXPECT_EQ(message.find("a-revoked-refresh-token"), std::string::npos);
  EXPECT_EQ(message.find("sim-sso-client-secret"), std::string::npos);
}

TEST_F(CredentialChain, NothingConfiguredNamesEveryPlaceItLooked) {
  env.vars["AWS_EC2_METADATA_DISABLED"] = "true";
  auto message = error_of(*aws::default_chain(context()));
  EXPECT_EQ(message,
            "no AWS credentials found; looked in: environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY); "
            "profile 'default' in /nonexistent/credentials and /nonexistent/config; "
            "web identity (AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN, or web_identity_token_file + role_arn in profile 'default'); "
            "credential_process of profile 'default' in /nonexistent/config; "
            "container (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI / AWS_CONTAINER_CREDENTIALS_FULL_URI); "
            "EC2 instance metadata (http://169.254.169.254): disabled by AWS_EC2_METADATA_DISABLED");
}

TEST_F(CredentialChain, TemporaryKeysAreRefreshedMidStreamWithoutLosingAnEvent) {
  sim::aws_emulator_options o;
  o.issued_lifetime = seconds{3};
  emulator = std::make_unique<sim::aws_emulator>(o);
  net::http_client_options ho;
  ho.tls.ca_pem = emulator->certificate_pem();
  http = std::make_unique<net::http_client>(ioc.get_executor(), ho);
  use_web_identity("sim-web-identity-token");
  // Refresh in the background within 2 s of expiry; wait for fresh keys only within 0.5 s.
  aws::credentials_cache cache(aws::default_chain(context()),
                               {.advisory = milliseconds{2000}, .mandatory = milliseconds{500}, .retry_after_failure = milliseconds{100}});
  eb::sink sink(*http, cache, settings());
  // Keep sending until events have arrived signed with three different keys: two refreshes.
  auto distinct_keys = [&] {
    std::set<std::string> keys;
    for (auto& e : emulator->events()) keys.insert(e.access_key_id);
    return keys.size();
  };
  auto out = run([&]() -> asio::awaitable<std::vector<delivery::delivery_outcome>> {
    std::vector<delivery::delivery_outcome> results;
    while (distinct_keys() < 3 && results.size() < 2000) {
      std::vector<delivery::message> one{message_of(entry())};
      auto r = co_await delivery::deliver_now(sink, std::move(one), delivery_options());
      results.push_back(r.front());
      co_await net::sleep_for(milliseconds{20});
    }
    co_return results;
  }());
  for (auto& r : out) ASSERT_EQ(r.state, delivery::delivery_state::delivered) << r.detail;
  EXPECT_GE(distinct_keys(), 3u);
  EXPECT_GE(cache.stats().background_refreshes, 2u);
  EXPECT_EQ(emulator->stats().signature_failures, 0u);  // no request went out with expired keys
}

}  // namespace
}  // namespace grm
