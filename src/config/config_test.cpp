#include "config/config.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <map>

#include "core/error.hpp"

namespace grm::config {
namespace {

std::map<std::string, std::string> g_env;
std::optional<std::string> fake_env(const char* name) {
  auto it = g_env.find(name);
  if (it == g_env.end()) return std::nullopt;
  return it->second;
}

std::string error_of(std::string_view text) {
  try {
    parse(text, "relay.toml", fake_env);
  } catch (const relay_error& e) {
    EXPECT_EQ(e.kind(), error_kind::config);
    return e.what();
  }
  return "no error";
}

class Config : public ::testing::Test {
 protected:
  void SetUp() override {
    g_env = {{"GENESYSCLOUD_OAUTHCLIENT_ID", "id-1"}, {"GENESYSCLOUD_OAUTHCLIENT_SECRET", "s3cr3t-value"},
             {"GENESYSCLOUD_REGION", "mypurecloud.ie"}};
  }
};

TEST_F(Config, RegionFromEnvironmentGivesLoginAndApiHosts) {
  auto c = parse("[monitor]\nqueues = [\"q1\"]\n", "relay.toml", fake_env);
  EXPECT_EQ(c.monitor.api_base, "https://api.mypurecloud.ie");
  EXPECT_EQ(c.monitor.login_base, "https://login.mypurecloud.ie");
  EXPECT_EQ(c.monitor.notifications.topics,
            std::vector<std::string>{"v2.routing.queues.q1.conversations"});
  EXPECT_EQ(c.monitor.credentials.client_secret.reveal(), "s3cr3t-value");
}

TEST_F(Config, MissingSecretNamesTheVariable) {
  g_env.erase("GENESYSCLOUD_OAUTHCLIENT_SECRET");
  EXPECT_EQ(error_of("[monitor]\nqueues=[\"q\"]\n"), "missing OAuth client secret: set GENESYSCLOUD_OAUTHCLIENT_SECRET");
}

TEST_F(Config, MissingClientIdNamesTheVariable) {
  g_env.erase("GENESYSCLOUD_OAUTHCLIENT_ID");
  EXPECT_EQ(error_of("[monitor]\nqueues=[\"q\"]\n"),
            "missing OAuth client id: set GENESYSCLOUD_OAUTHCLIENT_ID (or genesys.client_id in the config file)");
}

TEST_F(Config, UnknownRegionIsNamed) {
  g_env["GENESYSCLOUD_REGION"] = "mars-north-1";
  EXPECT_NE(error_of("[monitor]\nqueues=[\"q\"]\n").find("'mars-north-1' is not a Genesys Cloud region"), std::string::npos);
}

TEST_F(Config, UnknownKeysAndWrongTypesNameTheKeyAndLine) {
  EXPECT_EQ(error_of("[monitor]\nqueues=[\"q\"]\nheartbeat_timeot_ms = 5\n"),
            "relay.toml:3: unknown key 'monitor.heartbeat_timeot_ms'");
  EXPECT_EQ(error_of("[monitor]\nqueues=[\"q\"]\nmax_retries = \"five\"\n"),
            "relay.toml:3: 'monitor.max_retries' must be a number");
  EXPECT_EQ(error_of("[monitor]\nqueues=[1]\n"), "relay.toml:2: 'monitor.queues' must contain only strings");
  EXPECT_EQ(error_of("[monitor]\nqueues=[\"q\"]\ntransports=[\"carrier-pigeon\"]\n"),
            "relay.toml:3: monitor.transports: 'carrier-pigeon' is not one of notifications, sse");
}

TEST_F(Config, DisablingTlsVerificationIsOnlyAllowedForLoopback) {
  EXPECT_EQ(error_of("[genesys]\ntls_verify=false\n[monitor]\nqueues=[\"q\"]\n"),
            "genesys.tls_verify = false is only allowed against a local simulator (loopback api_url and login_url)");
  auto c = parse("[genesys]\napi_url=\"https://127.0.0.1:9443\"\nlogin_url=\"https://127.0.0.1:9443\"\ntls_verify=false\n[monitor]\nqueues=[\"q\"]\n",
                 "relay.toml", fake_env);
  EXPECT_FALSE(c.monitor.http.tls.verify_peer);
  EXPECT_EQ(c.monitor.login_base, "https://127.0.0.1:9443");
}

TEST_F(Config, TopicsPerChannelCannotExceedTheApiLimit) {
  EXPECT_EQ(error_of("[monitor]\nqueues=[\"q\"]\ntopics_per_channel=1001\n"),
            "relay.toml:3: monitor.topics_per_channel may be at most 1000 (the API's per-channel limit)");
}

TEST_F(Config, SecretNeverAppearsInAnyErrorMessage) {
  for (auto text : {"[genesys]\nbogus=1\n", "[monitor]\nmax_retries=-1\nqueues=[\"q\"]\n", "[[[", ""}) {
    EXPECT_EQ(error_of(text).find("s3cr3t-value"), std::string::npos) << text;
  }
}

TEST_F(Config, EveryExampleConfigParses) {
  int parsed = 0;
  for (auto& entry : std::filesystem::directory_iterator(GRM_EXAMPLES_DIR)) {
    if (entry.path().extension() != ".toml") continue;
    EXPECT_NO_THROW(load(entry.path().string(), fake_env)) << entry.path();
    ++parsed;
  }
  EXPECT_GE(parsed, 2);
}

}  // namespace
}  // namespace grm::config
