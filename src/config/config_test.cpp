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
            "relay.toml:2: genesys.tls_verify = false is only allowed when genesys.api_url and genesys.login_url are a "
            "loopback host (127.0.0.0/8, ::1 or localhost), not https://api.mypurecloud.ie/");
  // The host is parsed, not searched for: look-alikes and a loopback address in the query are refused.
  EXPECT_EQ(error_of("[genesys]\napi_url=\"https://localhost.example.com\"\nlogin_url=\"https://127.0.0.1\"\n"
                     "tls_verify=false\n[monitor]\nqueues=[\"q\"]\n"),
            "relay.toml:4: genesys.tls_verify = false is only allowed when genesys.api_url and genesys.login_url are a "
            "loopback host (127.0.0.0/8, ::1 or localhost), not https://localhost.example.com/");
  EXPECT_EQ(error_of("[genesys]\napi_url=\"https://127.0.0.1:9443\"\nlogin_url=\"https://example.com/?x=://127.0.0.1\"\n"
                     "tls_verify=false\n[monitor]\nqueues=[\"q\"]\n"),
            "relay.toml:4: genesys.tls_verify = false is only allowed when genesys.api_url and genesys.login_url are a "
            "loopback host (127.0.0.0/8, ::1 or localhost), not https://example.com/");
  EXPECT_EQ(error_of("[genesys]\napi_url=\"http://api.example.com\"\n[monitor]\nqueues=[\"q\"]\n"),
            "relay.toml:2: genesys.api_url http://api.example.com/ must be https:// (plain http only to a loopback host "
            "(127.0.0.0/8, ::1 or localhost))");
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

constexpr const char* kSim = "[genesys]\napi_url=\"https://127.0.0.1:9443\"\n";

TEST_F(Config, ForwarderDefaultsAreTheSeedsAndTheRealApis) {
  auto c = parse(kSim, "relay.toml", fake_env, purpose::forward);
  auto& f = c.forwarding.forwarder;
  EXPECT_FALSE(c.forward_continuously);
  EXPECT_EQ(f.source, sentiment::source_kind::speech_analytics);
  EXPECT_DOUBLE_EQ(f.min_confidence, 0.75);
  EXPECT_DOUBLE_EQ(f.escalation_threshold, 0.8);
  ASSERT_TRUE(c.forwarding.marker.has_value()) << "the marker on the customer participant, the real API";
  EXPECT_TRUE(c.forwarding.marker->settings.participant);
  EXPECT_FALSE(c.forwarding.marker->settings.conversation);
  ASSERT_TRUE(c.forwarding.eventbridge.has_value()) << "EventBridge is on unless eventbridge.enabled = false";
  EXPECT_EQ(c.forwarding.eventbridge->settings.source, "genesys.sentiment.forwarder");
  EXPECT_EQ(c.forwarding.eventbridge->settings.detail_types.at("sentiment"), "ChatSentimentAnalysis");
  EXPECT_EQ(c.forwarding.eventbridge->delivery.max_attempts, 0) << "retried until the outbox's max age";
  EXPECT_EQ(c.forwarding.outbox.max_age, std::chrono::hours{96});
  EXPECT_EQ(c.forwarding.durability, delivery::durability::normal);
  EXPECT_FALSE(c.forwarding.crm.has_value());
  EXPECT_EQ(c.forwarding.triggers.media_types, (std::set<std::string>{"chat", "message"}));
  EXPECT_EQ(c.forwarding.audit.path, "genesys-relay-audit.jsonl");
  EXPECT_EQ(c.forwarding.state_path, "genesys-relay-state.db");
  EXPECT_TRUE(c.metrics_listen.empty());
}

TEST_F(Config, ForwarderSectionsAreRead) {
  g_env["CRM_WEBHOOK_TOKEN"] = "crm-t0ken";
  auto c = parse(std::string(kSim) +
                     "[forwarder]\nenabled=true\nsource=\"analytics\"\nmin_confidence=0.6\nescalation_threshold=0.85\n"
                     "marker=[\"participant\",\"conversation\"]\nperiodic_s=60\nmedia_types=[\"Chat\"]\nstate_path=\"s.db\"\n"
                     "[eventbridge]\nregion=\"eu-west-1\"\nevent_bus=\"sentiment\"\ndetail_type=\"X\"\nrequest_limit=\"1MiB\"\nbatch_size=1\n"
                     "[crm]\nurl=\"https://crm.example.com/hook\"\ntimeout_ms=2500\n"
                     "[alerts]\nsinks=[\"webhook\"]\nwebhook_url=\"https://alerts.example.com/a\"\n"
                     "[audit]\npath=\"a.jsonl\"\nkeep=2\n[metrics]\nlisten=\"127.0.0.1:0\"\n",
                 "relay.toml", fake_env, purpose::forward);
  auto& f = c.forwarding.forwarder;
  EXPECT_TRUE(c.forward_continuously);
  EXPECT_EQ(f.source, sentiment::source_kind::analytics);
  EXPECT_DOUBLE_EQ(f.min_confidence, 0.6);
  EXPECT_DOUBLE_EQ(f.escalation_threshold, 0.85);
  EXPECT_TRUE(c.forwarding.marker->settings.participant && c.forwarding.marker->settings.conversation);
  EXPECT_EQ(c.forwarding.triggers.periodic, std::chrono::seconds{60});
  EXPECT_EQ(c.forwarding.triggers.media_types, (std::set<std::string>{"chat"}));
  EXPECT_EQ(c.forwarding.state_path, "s.db");
  ASSERT_TRUE(c.forwarding.eventbridge);
  EXPECT_EQ(c.forwarding.eventbridge->settings.region, "eu-west-1");
  EXPECT_EQ(c.forwarding.eventbridge->settings.max_request_bytes, sinks::eventbridge::limit_1mb);
  EXPECT_EQ(c.forwarding.eventbridge->settings.max_entries, 1u);
  EXPECT_EQ(c.forwarding.eventbridge->settings.event_bus, "sentiment");
  EXPECT_EQ(c.forwarding.eventbridge->settings.detail_types.at("sentiment"), "X");
  ASSERT_TRUE(c.forwarding.crm);
  EXPECT_EQ(c.forwarding.crm->settings.url, "https://crm.example.com/hook");
  EXPECT_EQ(c.forwarding.crm->settings.bearer_token.reveal(), "crm-t0ken");
  EXPECT_EQ(c.forwarding.crm->settings.request_timeout, std::chrono::milliseconds{2500});
  EXPECT_EQ(c.forwarding.crm->settings.body, sinks::webhook::body_shape::envelope);
  EXPECT_EQ(c.forwarding.alert_webhook->settings.body, sinks::webhook::body_shape::raw);
  ASSERT_TRUE(c.forwarding.alert_webhook);
  EXPECT_FALSE(f.alert_log);
  EXPECT_FALSE(c.forwarding.eventbridge->alerts);
  EXPECT_EQ(c.forwarding.audit.path, "a.jsonl");
  EXPECT_EQ(c.forwarding.audit.keep, 2);
  EXPECT_EQ(c.metrics_listen, "127.0.0.1:0");
}

TEST_F(Config, CrmWebhookUrlFromTheEnvironmentWins) {
  g_env["CRM_WEBHOOK_URL"] = "http://127.0.0.1:18080/crm";
  auto c = parse(std::string(kSim) + "[crm]\nurl=\"https://crm.example.com/hook\"\n", "relay.toml", fake_env, purpose::forward);
  ASSERT_TRUE(c.forwarding.crm);
  EXPECT_EQ(c.forwarding.crm->settings.url, "http://127.0.0.1:18080/crm");
}

TEST_F(Config, AForwardNeedsNoTopicsButTheMonitorDoes) {
  EXPECT_NO_THROW(parse(kSim, "relay.toml", fake_env, purpose::forward));
  EXPECT_NE(error_of(kSim).find("monitor: no topics"), std::string::npos);
}

TEST_F(Config, ForwarderMistakesNameTheKeyAndLine) {
  auto err = [](std::string body) { return error_of(std::string(kSim) + "[monitor]\nqueues=[\"q\"]\n" + body); };
  EXPECT_EQ(err("[forwarder]\nsource=\"vibes\"\n"),
            "relay.toml:6: forwarder.source: 'vibes' is not one of speech-analytics, analytics");
  EXPECT_EQ(err("[forwarder]\nmin_confidence=1.5\n"), "relay.toml:6: 'forwarder.min_confidence' must be between 0 and 1");
  EXPECT_EQ(err("[forwarder]\nescalation_threshold=\"high\"\n"), "relay.toml:6: 'forwarder.escalation_threshold' must be a number");
  EXPECT_EQ(err("[forwarder]\nmarker=[\"sticky\"]\n"), "relay.toml:6: forwarder.marker: 'sticky' is not one of participant, conversation");
  EXPECT_EQ(err("[forwarder]\nmax_in_flight=0\n"), "relay.toml:6: 'max_in_flight' must be at least 1");
  EXPECT_EQ(err("[forwarder]\nbogus=1\n"), "relay.toml:6: unknown key 'forwarder.bogus'");
  EXPECT_EQ(err("[eventbridge]\nrequest_limit=\"2MB\"\n"), "relay.toml:6: eventbridge.request_limit: '2MB' is not one of 256KB, 1MiB");
  EXPECT_EQ(err("[eventbridge]\nbatch_size=11\n"), "relay.toml:6: eventbridge.batch_size may be at most 10 (PutEvents takes 1 to 10 entries)");
  EXPECT_EQ(err("[eventbridge]\nendpoint=\"https://events.us-east-1.amazonaws.com\"\ntls_verify=false\n"),
            "relay.toml:7: eventbridge.tls_verify = false is only allowed for a loopback host (127.0.0.0/8, ::1 or localhost), "
            "not https://events.us-east-1.amazonaws.com/");
  EXPECT_EQ(err("[eventbridge]\nendpoint=\"http://events.example.com\"\n"),
            "relay.toml:6: eventbridge.endpoint http://events.example.com/ must be https:// (plain http only to a loopback host "
            "(127.0.0.0/8, ::1 or localhost))");
  EXPECT_EQ(err("[crm]\nurl=\"http://crm.example.com/hook?token=abc\"\n"),
            "relay.toml:6: crm: webhook URL http://crm.example.com/hook must be https:// (plain http only to a loopback host "
            "(127.0.0.0/8, ::1 or localhost))");
  EXPECT_EQ(err("[crm]\nurl=\"http://localhost.example.com/hook\"\n"),
            "relay.toml:6: crm: webhook URL http://localhost.example.com/hook must be https:// (plain http only to a loopback "
            "host (127.0.0.0/8, ::1 or localhost))");
  EXPECT_EQ(err("[crm]\nurl=\"https://crm.example.com/hook\"\ntls_verify=false\n"),
            "relay.toml:7: crm.tls_verify = false is only allowed for a loopback host (127.0.0.0/8, ::1 or localhost), not "
            "https://crm.example.com/hook");
  EXPECT_EQ(err("[alerts]\nsinks=[\"webhook\"]\n"), "relay.toml:6: alerts.sinks includes webhook but alerts.webhook_url is not set");
  EXPECT_EQ(err("[alerts]\nsinks=[\"pager\"]\n"), "relay.toml:6: alerts.sinks: 'pager' is not one of log, eventbridge, webhook");
  EXPECT_EQ(err("[metrics]\nlisten=\"everywhere\"\n"),
            "relay.toml:6: metrics.listen: 'everywhere' is not host:port (e.g. 127.0.0.1:9464 or [::1]:9464)");
}

TEST_F(Config, ReconnectsAreForeverByDefaultAndShutdownHasADeadline) {
  auto d = parse("[monitor]\nqueues=[\"q\"]\n", "relay.toml", fake_env);
  EXPECT_EQ(d.monitor.reconnect.max_retries, 0) << "a daemon outlives its upstream's outages";
  EXPECT_EQ(d.monitor.reconnect.backoff.cap, std::chrono::milliseconds{60'000});
  EXPECT_EQ(d.shutdown_timeout, std::chrono::seconds{10});
  EXPECT_EQ(d.forwarding.triggers.periodic_max_age, std::chrono::seconds{86400});
  auto c = parse("[monitor]\nqueues=[\"q\"]\nmax_retries=7\nreconnect_max_delay_ms=2000\n[service]\nshutdown_timeout_s=3\n"
                 "[forwarder]\nperiodic_max_age_s=600\n",
                 "relay.toml", fake_env);
  EXPECT_EQ(c.monitor.reconnect.max_retries, 7);
  EXPECT_EQ(c.monitor.reconnect.backoff.cap, std::chrono::milliseconds{2000});
  EXPECT_EQ(c.shutdown_timeout, std::chrono::seconds{3});
  EXPECT_EQ(c.forwarding.triggers.periodic_max_age, std::chrono::seconds{600});
  EXPECT_EQ(error_of("[monitor]\nqueues=[\"q\"]\n[service]\ngrace=1\n"), "relay.toml:4: unknown key 'service.grace'");
}

TEST_F(Config, EachSinkHasItsOwnTlsSettings) {
  g_env["AWS_CA_BUNDLE"] = "/etc/aws-bundle.pem";
  auto c = parse(std::string(kSim) +
                     "[eventbridge]\nregion=\"us-east-1\"\n"
                     "[crm]\nurl=\"https://127.0.0.1:9445/crm\"\ntls_verify=false\n"
                     "[alerts]\nwebhook_url=\"https://alerts.example.com/a\"\nca_file=\"/etc/alerts-ca.pem\"\n",
                 "relay.toml", fake_env, purpose::forward);
  ASSERT_TRUE(c.forwarding.crm && c.forwarding.alert_webhook && c.forwarding.eventbridge);
  EXPECT_FALSE(c.forwarding.crm->settings.http.tls.verify_peer);
  auto& eb = *c.forwarding.eventbridge;
  EXPECT_TRUE(eb.http.tls.verify_peer) << "crm.tls_verify must not reach EventBridge";
  EXPECT_TRUE(eb.credentials.tls.verify_peer) << "nor STS, the container endpoint or IMDS";
  EXPECT_EQ(eb.http.tls.ca_file, "/etc/aws-bundle.pem");
  EXPECT_EQ(eb.http.tls.ca_file_setting, "AWS_CA_BUNDLE");
  EXPECT_EQ(eb.credentials.tls.ca_file, "/etc/aws-bundle.pem");
  EXPECT_TRUE(c.forwarding.alert_webhook->settings.http.tls.verify_peer);
  EXPECT_EQ(c.forwarding.alert_webhook->settings.http.tls.ca_file, "/etc/alerts-ca.pem");
  EXPECT_EQ(c.forwarding.alert_webhook->settings.http.tls.ca_file_setting, "alerts.ca_file");
  EXPECT_TRUE(c.forwarding.crm->settings.http.tls.ca_file.empty()) << "the alert webhook's CA is not the CRM's";

  // eventbridge.tls_verify = false (loopback endpoint) leaves the credential endpoints verified.
  auto local = parse(std::string(kSim) + "[eventbridge]\nregion=\"us-east-1\"\nendpoint=\"https://127.0.0.1:9444\"\n"
                                         "tls_verify=false\n",
                     "relay.toml", fake_env, purpose::forward);
  EXPECT_FALSE(local.forwarding.eventbridge->http.tls.verify_peer);
  EXPECT_TRUE(local.forwarding.eventbridge->credentials.tls.verify_peer);
}

TEST_F(Config, WebhookTokensNeverAppearInErrors) {
  g_env["CRM_WEBHOOK_TOKEN"] = "crm-t0ken-value";
  auto e = error_of(std::string(kSim) + "[monitor]\nqueues=[\"q\"]\n[crm]\nurl=\"http://crm.example.com/x\"\n");
  EXPECT_NE(e, "no error");
  EXPECT_EQ(e.find("crm-t0ken-value"), std::string::npos);
}

TEST_F(Config, EveryExampleConfigParses) {
  int parsed = 0;
  for (auto& entry : std::filesystem::directory_iterator(GRM_EXAMPLES_DIR)) {
    if (entry.path().extension() != ".toml") continue;
    EXPECT_NO_THROW(load(entry.path().string(), fake_env)) << entry.path();
    ++parsed;
  }
  EXPECT_GE(parsed, 3);
}

}  // namespace
}  // namespace grm::config
