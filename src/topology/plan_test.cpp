#include "topology/plan.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include <unistd.h>

#include "core/error.hpp"
#include "sinks/eventbridge/component.hpp"
#include "sinks/file/component.hpp"
#include "sinks/genesys_attributes/component.hpp"
#include "sinks/webhook/component.hpp"

namespace grm::topology {
namespace {

std::map<std::string, std::string> g_env;
std::optional<std::string> fake_env(const char* name) {
  auto it = g_env.find(name);
  if (it == g_env.end()) return std::nullopt;
  return it->second;
}

plan parse(std::string_view text, std::string_view source, config::env_lookup env, purpose use = purpose::monitor) {
  return make_plan(config::document::parse(text, source, env), use);
}

std::string error_of(std::string_view text, purpose use = purpose::monitor) {
  try {
    parse(text, "relay.toml", fake_env, use);
  } catch (const relay_error& e) {
    EXPECT_EQ(e.kind(), error_kind::config);
    return e.what();
  }
  return "no error";
}

// The shorthand's sinks, by id.
sinks::eventbridge::eventbridge_target* eventbridge(plan& p) {
  auto* c = p.sink_as<sinks::eventbridge::component>("eventbridge");
  return c ? &c->target : nullptr;
}
sinks::webhook::webhook_settings* webhook(plan& p, std::string_view id) {
  auto* c = p.sink_as<sinks::webhook::component>(id);
  return c ? &c->settings : nullptr;
}
sinks::genesys_attributes::attributes_settings* marker(plan& p) {
  auto* c = p.sink_as<sinks::genesys_attributes::component>("marker");
  return c ? &c->settings : nullptr;
}
bool fed_by(plan& p, std::string_view sink, std::string_view output) {
  auto ids = sinks_fed_by(p, output);
  return std::find(ids.begin(), ids.end(), sink) != ids.end();
}

class Config : public ::testing::Test {
 protected:
  std::string dir_ = (std::filesystem::temp_directory_path() / ("grm-config-" + std::to_string(::getpid()))).string();
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void SetUp() override {
    std::filesystem::create_directories(dir_);
    g_env = {{"GENESYSCLOUD_OAUTHCLIENT_ID", "id-1"}, {"GENESYSCLOUD_OAUTHCLIENT_SECRET", "s3cr3t-value"},
             {"GENESYSCLOUD_REGION", "mypurecloud.ie"}};
  }
};

TEST_F(Config, RegionFromEnvironmentGivesLoginAndApiHosts) {
  auto c = parse("[monitor]\nqueues = [\"q1\"]\n", "relay.toml", fake_env);
  EXPECT_EQ(c.genesys.api_base, "https://api.mypurecloud.ie");
  EXPECT_EQ(c.genesys.login_base, "https://login.mypurecloud.ie");
  EXPECT_EQ(c.monitor.notifications.topics,
            std::vector<std::string>{"v2.routing.queues.q1.conversations"});
  EXPECT_EQ(c.genesys.credentials.client_secret.reveal(), "s3cr3t-value");
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
  EXPECT_FALSE(c.genesys.http.tls.verify_peer);
  EXPECT_EQ(c.genesys.login_base, "https://127.0.0.1:9443");
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
  auto& f = c.sentiment->settings.forwarder;
  EXPECT_TRUE(c.sentiment->inputs.empty()) << "forwarder.enabled is off: forward only";
  EXPECT_EQ(f.source, sentiment::source_kind::speech_analytics);
  EXPECT_DOUBLE_EQ(f.min_confidence, 0.75);
  EXPECT_DOUBLE_EQ(f.escalation_threshold, 0.8);
  ASSERT_TRUE(marker(c)) << "the marker on the customer participant, the real API";
  EXPECT_TRUE(marker(c)->participant);
  EXPECT_FALSE(marker(c)->conversation);
  ASSERT_TRUE(eventbridge(c)) << "EventBridge is on unless eventbridge.enabled = false";
  EXPECT_EQ(eventbridge(c)->settings.source, "genesys.sentiment.forwarder");
  EXPECT_EQ(eventbridge(c)->settings.detail_types.at("sentiment"), "ChatSentimentAnalysis");
  EXPECT_EQ(c.sink("eventbridge")->component->delivery.max_attempts, 0) << "retried until the outbox's max age";
  EXPECT_EQ(c.delivery.outbox.max_age, std::chrono::hours{96});
  EXPECT_EQ(c.delivery.sync, delivery::durability::normal);
  EXPECT_EQ(webhook(c, "crm"), nullptr);
  EXPECT_EQ(c.sentiment->settings.triggers.media_types, (std::set<std::string>{"chat", "message"}));
  EXPECT_EQ(c.audit.path, "genesys-relay-audit.jsonl");
  EXPECT_EQ(c.delivery.state_path, "genesys-relay-state.db");
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
  auto& f = c.sentiment->settings.forwarder;
  EXPECT_EQ(c.sentiment->inputs, std::vector<std::string>{"notifications"});
  EXPECT_EQ(f.source, sentiment::source_kind::analytics);
  EXPECT_DOUBLE_EQ(f.min_confidence, 0.6);
  EXPECT_DOUBLE_EQ(f.escalation_threshold, 0.85);
  EXPECT_TRUE(marker(c)->participant && marker(c)->conversation);
  EXPECT_EQ(c.sentiment->settings.triggers.periodic, std::chrono::seconds{60});
  EXPECT_EQ(c.sentiment->settings.triggers.media_types, (std::set<std::string>{"chat"}));
  EXPECT_EQ(c.delivery.state_path, "s.db");
  ASSERT_TRUE(eventbridge(c));
  EXPECT_EQ(eventbridge(c)->settings.region, "eu-west-1");
  EXPECT_EQ(eventbridge(c)->settings.max_request_bytes, sinks::eventbridge::limit_1mb);
  EXPECT_EQ(eventbridge(c)->settings.max_entries, 1u);
  EXPECT_EQ(eventbridge(c)->settings.event_bus, "sentiment");
  EXPECT_EQ(eventbridge(c)->settings.detail_types.at("sentiment"), "X");
  ASSERT_TRUE(webhook(c, "crm"));
  EXPECT_EQ(webhook(c, "crm")->url, "https://crm.example.com/hook");
  EXPECT_EQ(webhook(c, "crm")->bearer_token.reveal(), "crm-t0ken");
  EXPECT_EQ(webhook(c, "crm")->request_timeout, std::chrono::milliseconds{2500});
  EXPECT_EQ(webhook(c, "crm")->body, sinks::webhook::body_shape::envelope);
  EXPECT_EQ(webhook(c, "alert_webhook")->body, sinks::webhook::body_shape::raw);
  ASSERT_TRUE(webhook(c, "alert_webhook"));
  EXPECT_FALSE(f.alert_log);
  EXPECT_FALSE(fed_by(c, "eventbridge", "sentiment.alerts"));
  EXPECT_EQ(c.audit.path, "a.jsonl");
  EXPECT_EQ(c.audit.keep, 2);
  EXPECT_EQ(c.metrics_listen, "127.0.0.1:0");
}

TEST_F(Config, CrmWebhookUrlFromTheEnvironmentWins) {
  g_env["CRM_WEBHOOK_URL"] = "http://127.0.0.1:18080/crm";
  auto c = parse(std::string(kSim) + "[crm]\nurl=\"https://crm.example.com/hook\"\n", "relay.toml", fake_env, purpose::forward);
  ASSERT_TRUE(webhook(c, "crm"));
  EXPECT_EQ(webhook(c, "crm")->url, "http://127.0.0.1:18080/crm");
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
  EXPECT_EQ(err("[forwarder]\nmax_in_flight=0\n"), "relay.toml:6: 'forwarder.max_in_flight' must be between 1 and 10000 (it is 0)");
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
  EXPECT_EQ(d.sentiment->settings.triggers.periodic_max_age, std::chrono::seconds{86400});
  auto c = parse("[monitor]\nqueues=[\"q\"]\nmax_retries=7\nreconnect_max_delay_ms=2000\n[service]\nshutdown_timeout_s=3\n"
                 "[forwarder]\nperiodic_max_age_s=600\n",
                 "relay.toml", fake_env);
  EXPECT_EQ(c.monitor.reconnect.max_retries, 7);
  EXPECT_EQ(c.monitor.reconnect.backoff.cap, std::chrono::milliseconds{2000});
  EXPECT_EQ(c.shutdown_timeout, std::chrono::seconds{3});
  EXPECT_EQ(c.sentiment->settings.triggers.periodic_max_age, std::chrono::seconds{600});
  EXPECT_EQ(error_of("[monitor]\nqueues=[\"q\"]\n[service]\ngrace=1\n"), "relay.toml:4: unknown key 'service.grace'");
}

TEST_F(Config, EachSinkHasItsOwnTlsSettings) {
  g_env["AWS_CA_BUNDLE"] = "/etc/aws-bundle.pem";
  auto c = parse(std::string(kSim) +
                     "[eventbridge]\nregion=\"us-east-1\"\n"
                     "[crm]\nurl=\"https://127.0.0.1:9445/crm\"\ntls_verify=false\n"
                     "[alerts]\nwebhook_url=\"https://alerts.example.com/a\"\nca_file=\"/etc/alerts-ca.pem\"\n",
                 "relay.toml", fake_env, purpose::forward);
  ASSERT_TRUE(webhook(c, "crm") && webhook(c, "alert_webhook") && eventbridge(c));
  EXPECT_FALSE(webhook(c, "crm")->http.tls.verify_peer);
  auto& eb = *eventbridge(c);
  EXPECT_TRUE(eb.http.tls.verify_peer) << "crm.tls_verify must not reach EventBridge";
  EXPECT_TRUE(eb.credentials.tls.verify_peer) << "nor STS, the container endpoint or IMDS";
  EXPECT_EQ(eb.http.tls.ca_file, "/etc/aws-bundle.pem");
  EXPECT_EQ(eb.http.tls.ca_file_setting, "AWS_CA_BUNDLE");
  EXPECT_EQ(eb.credentials.tls.ca_file, "/etc/aws-bundle.pem");
  EXPECT_TRUE(webhook(c, "alert_webhook")->http.tls.verify_peer);
  EXPECT_EQ(webhook(c, "alert_webhook")->http.tls.ca_file, "/etc/alerts-ca.pem");
  EXPECT_EQ(webhook(c, "alert_webhook")->http.tls.ca_file_setting, "alerts.ca_file");
  EXPECT_TRUE(webhook(c, "crm")->http.tls.ca_file.empty()) << "the alert webhook's CA is not the CRM's";

  // eventbridge.tls_verify = false (loopback endpoint) leaves the credential endpoints verified.
  auto local = parse(std::string(kSim) + "[eventbridge]\nregion=\"us-east-1\"\nendpoint=\"https://127.0.0.1:9444\"\n"
                                         "tls_verify=false\n",
                     "relay.toml", fake_env, purpose::forward);
  EXPECT_FALSE(eventbridge(local)->http.tls.verify_peer);
  EXPECT_TRUE(eventbridge(local)->credentials.tls.verify_peer);
}

TEST_F(Config, WebhookTokensNeverAppearInErrors) {
  g_env["CRM_WEBHOOK_TOKEN"] = "crm-t0ken-value";
  auto e = error_of(std::string(kSim) + "[monitor]\nqueues=[\"q\"]\n[crm]\nurl=\"http://crm.example.com/x\"\n");
  EXPECT_NE(e, "no error");
  EXPECT_EQ(e.find("crm-t0ken-value"), std::string::npos);
}

// A shorthand file's [state] table counts (it was ignored: dlq on the demo's state read the default
// database); forwarder.state_path is the same setting, so both is an error.
TEST_F(Config, TheShorthandReadsTheStateTableAndRefusesTwoStatePaths) {
  EXPECT_EQ(parse("[state]\npath = \"/var/lib/x/state.db\"\nretention_h = 48\n", "relay.toml", fake_env, purpose::inspect)
                .delivery.state_path,
            "/var/lib/x/state.db");
  EXPECT_EQ(parse("[state]\nretention_h = 48\n", "relay.toml", fake_env, purpose::inspect).delivery.state_retention.count(), 48);
  EXPECT_EQ(error_of("[state]\npath = \"a.db\"\n[forwarder]\nstate_path = \"b.db\"\n", purpose::inspect),
            "relay.toml:4: forwarder.state_path and state.path are the same setting: set one");
}

TEST_F(Config, EveryExampleConfigParses) {
  g_env["CRM_WEBHOOK_TOKEN"] = "t";  // real-org.toml's token reference
  g_env["CREDENTIALS_DIRECTORY"] = dir_;  // systemd.toml's credentials
  std::ofstream(dir_ + "/genesys-client-secret") << "s\n";
  std::ofstream(dir_ + "/crm-webhook-token") << "t\n";
  int parsed = 0;
  for (auto dir : {std::string(GRM_EXAMPLES_DIR), std::string(GRM_EXAMPLES_DIR) + "/named"})
    for (auto& entry : std::filesystem::directory_iterator(dir)) {
      if (entry.path().extension() != ".toml") continue;
      EXPECT_NO_THROW(load(entry.path().string(), purpose::monitor, fake_env)) << entry.path();
      auto found = validate(entry.path().string(), fake_env);
      EXPECT_TRUE(found.problems.empty()) << entry.path() << ": " << found.problems.front();
      ++parsed;
    }
  EXPECT_GE(parsed, 10);
}

// Today's examples, unchanged, are the shorthand for the named form: each builds the same
// service as its counterpart in examples/named/ (compared component by component).
TEST_F(Config, TheShorthandBuildsTheSameServiceAsTheNamedForm) {
  int compared = 0;
  for (auto& entry : std::filesystem::directory_iterator(std::string(GRM_EXAMPLES_DIR) + "/named")) {
    auto legacy = std::string(GRM_EXAMPLES_DIR) + "/" + entry.path().filename().string();
    ASSERT_TRUE(std::filesystem::exists(legacy)) << legacy;
    auto old_form = load(legacy, purpose::monitor, fake_env);
    auto named = load(entry.path().string(), purpose::monitor, fake_env);
    EXPECT_TRUE(old_form.shorthand);
    EXPECT_FALSE(named.shorthand);
    EXPECT_EQ(old_form.describe(purpose::monitor), named.describe(purpose::monitor)) << legacy;
    if (named.sentiment) {
      EXPECT_EQ(load(legacy, purpose::forward, fake_env).describe(purpose::forward),
                load(entry.path().string(), purpose::forward, fake_env).describe(purpose::forward))
          << legacy;
    }
    ++compared;
  }
  EXPECT_EQ(compared, 3);
  // The comparison sees a difference: one changed setting is one differing line.
  auto a = load(std::string(GRM_EXAMPLES_DIR) + "/forwarder-simulator.toml", purpose::monitor, fake_env);
  auto b = parse(R"([genesys]
api_url = "https://127.0.0.1:9443"
[sources.notifications]
type = "notifications"
queues = ["q"]
)", "relay.toml", fake_env);
  EXPECT_NE(a.describe(purpose::monitor), b.describe(purpose::monitor));
}

constexpr const char* kNamed = R"([genesys]
api_url = "https://127.0.0.1:9443"
[sources.ws]
type = "notifications"
queues = ["q1", "q2"]
[sources.tutorial]
type = "sse"
[transforms.chat_ends]
type = "filter"
inputs = ["ws", "tutorial"]
event_types = ["end"]
media_types = ["Chat", "message"]
[transforms.q1_only]
type = "filter"
inputs = ["chat_ends"]
queues = ["q1"]
[transforms.mood]
type = "sentiment"
inputs = ["chat_ends"]
[sinks.bus]
type = "eventbridge"
inputs = ["mood", "mood.alerts"]
region = "eu-west-1"
[sinks.hook]
type = "webhook"
inputs = ["q1_only"]
url = "https://hooks.example.com/ended"
body = "raw"
max_attempts = 5
[sinks.archive]
type = "file"
inputs = ["ws"]
path = "events.jsonl"
keep = 2
[sinks.pager]
type = "webhook"
inputs = ["mood.alerts"]
url = "https://pager.example.com/a"
)";

TEST_F(Config, NamedComponentsAreWiredById) {
  auto p = parse(kNamed, "relay.toml", fake_env);
  EXPECT_FALSE(p.shorthand);
  ASSERT_EQ(p.sources.size(), 2u);
  EXPECT_EQ(p.sources[1].id, "ws") << "the file's tables come in key order";
  EXPECT_EQ(p.genesys.api_base, "https://127.0.0.1:9443");
  EXPECT_EQ(p.monitor.notifications.topics,
            (std::vector<std::string>{"v2.routing.queues.q1.conversations", "v2.routing.queues.q2.conversations"}));
  EXPECT_TRUE(p.monitor.use_notifications && p.monitor.use_sse);
  ASSERT_EQ(p.filters.size(), 2u);
  EXPECT_EQ(p.filters[0].filter.kinds, std::set<lifecycle>{lifecycle::end});
  EXPECT_EQ(p.filters[0].filter.media_types, (std::set<std::string>{"chat", "message"}));
  EXPECT_EQ(p.filters[1].filter.queues, std::set<std::string>{"q1"});
  ASSERT_TRUE(p.sentiment);
  EXPECT_EQ(p.sentiment->id, "mood");
  EXPECT_EQ(p.sentiment->settings.triggers.backfill_queues, (std::vector<std::string>{"q1", "q2"}));
  EXPECT_EQ(sinks_fed_by(p, "mood"), std::vector<std::string>{"bus"});
  EXPECT_EQ(sinks_fed_by(p, "mood.alerts"), (std::vector<std::string>{"bus", "pager"}));
  EXPECT_EQ(sinks_fed_by(p, "q1_only"), std::vector<std::string>{"hook"});
  EXPECT_EQ(p.sink("hook")->component->delivery.max_attempts, 5);
  EXPECT_EQ(p.sink("bus")->component->delivery.max_attempts, 0) << "until the outbox's max age";
  EXPECT_EQ(webhook(p, "hook")->body, sinks::webhook::body_shape::raw);
  EXPECT_EQ(p.sink_as<sinks::file::component>("archive")->settings.keep, 2);
  // What each purpose builds: the monitor everything; forward the sentiment transform's sinks.
  for (auto& s : p.sinks) EXPECT_TRUE(p.builds(s, purpose::monitor)) << s.id;
  EXPECT_TRUE(p.builds(*p.sink("bus"), purpose::forward));
  EXPECT_TRUE(p.builds(*p.sink("pager"), purpose::forward));
  EXPECT_FALSE(p.builds(*p.sink("hook"), purpose::forward)) << "lifecycle events only flow in the monitor";
  EXPECT_FALSE(p.builds(*p.sink("archive"), purpose::forward));
  EXPECT_TRUE(p.builds(*p.sink("archive"), purpose::replay));
  auto text = p.describe(purpose::monitor);
  EXPECT_NE(text.find("sink hook type=webhook inputs=[q1_only] max_attempts=5"), std::string::npos) << text;
  EXPECT_NE(text.find("transform q1_only type=filter inputs=[chat_ends] event_types=[] media_types=[] queues=[q1]"),
            std::string::npos) << text;
}

TEST_F(Config, WiringMistakesNameTheKeyAndLine) {
  auto err = [](std::string_view body) { return error_of(std::string(kSim) + std::string(body)); };
  std::string src = "[sources.ws]\ntype = \"notifications\"\nqueues = [\"q\"]\n";  // lines 2-4
  EXPECT_EQ(err(src + "[sinks.hook]\ntype = \"webhook\"\ninputs = [\"wss\"]\nurl = \"https://h.example.com\"\n"),
            "relay.toml:8: sinks.hook.inputs: 'wss' is not a source, a transform or one of its outputs (ws)");
  EXPECT_EQ(err(src + "[sinks.hook]\ntype = \"webhook\"\nurl = \"https://h.example.com\"\n"), "relay.toml:6: 'sinks.hook' has no inputs");
  EXPECT_EQ(err(src + "[sinks.kafka]\ntype = \"kafka\"\ninputs = [\"ws\"]\n"),
            "relay.toml:7: sinks.kafka.type: 'kafka' is not a sink type (eventbridge, webhook, file, genesys_attributes)");
  EXPECT_EQ(err(src + "[sinks.hook]\ntype = \"webhook\"\ninputs = [\"ws\"]\nurl = \"https://h.example.com\"\nretries = 3\n"),
            "relay.toml:10: unknown key 'sinks.hook.retries'");
  EXPECT_EQ(err(src + "[sinks.hook]\ninputs = [\"ws\"]\n"), "relay.toml:6: 'sinks.hook' needs a type");
  EXPECT_EQ(err(src + "[transforms.ws]\ntype = \"filter\"\ninputs = [\"ws\"]\n"),
            "relay.toml:6: 'transforms.ws': the id 'ws' is used by another component; ids are unique");
  EXPECT_EQ(err(src + "[transforms.m]\ntype = \"sentiment\"\ninputs = [\"ws\"]\n[transforms.f]\ntype = \"filter\"\ninputs = [\"m.alerts\"]\n"),
            "relay.toml:11: transforms.f.inputs: 'm.alerts' carries sentiment alerts; a transform takes lifecycle events");
  EXPECT_EQ(err(src + "[sinks.marker]\ntype = \"genesys_attributes\"\ninputs = [\"ws\"]\n"),
            "relay.toml:8: sinks.marker.inputs: 'ws': the marker is written for sentiment payloads only");
  EXPECT_EQ(err(src + "[transforms.a]\ntype = \"filter\"\ninputs = [\"b\"]\n[transforms.b]\ntype = \"filter\"\ninputs = [\"a\"]\n"),
            "relay.toml:8: transforms.a.inputs: 'a' is its own input (through other filters)");
  EXPECT_EQ(err(src + "[sources.ws2]\ntype = \"notifications\"\nqueues = [\"q2\"]\n"),
            "relay.toml:6: 'sources.ws2': a second notifications source; list every queue and user in one");
  EXPECT_EQ(err(src + "[sources.x]\ntype = \"pigeon\"\n"),
            "relay.toml:7: sources.x.type: 'pigeon' is not a source type (notifications, sse)");
  EXPECT_EQ(err("[sources.ws]\ntype = \"notifications\"\n"),
            "relay.toml:3: sources.ws: no topics to subscribe to: set sources.ws.queues, sources.ws.users or sources.ws.topics "
            "(or use the sse source)");
  EXPECT_EQ(err(src + "[sources.\"a.b\"]\ntype = \"sse\"\n"),
            "relay.toml:6: 'sources.a.b': a component id is 1 to 64 letters, digits, '_' or '-'");
  EXPECT_EQ(err(src + "[crm]\nurl = \"https://crm.example.com\"\n"),
            "relay.toml:6: [crm] is the shorthand of earlier releases; with [sources], [transforms] or [sinks] tables, describe "
            "every component there (docs/configuration.md, \"Shorthand\")");
  EXPECT_EQ(err(src + "[monitor]\nqueues = [\"q\"]\n"),
            "relay.toml:7: 'monitor.queues' belongs to a source when the file has [sources] tables: set it in [sources.<id>] "
            "(docs/configuration.md)");
  EXPECT_EQ(err("[sinks.f]\ntype = \"file\"\ninputs = [\"x\"]\npath = \"f.jsonl\"\n"),
            "relay.toml:5: sinks.f.inputs: 'x' is not a source, a transform or one of its outputs (there are none)");
  EXPECT_EQ(error_of("[genesys]\napi_url = \"https://127.0.0.1:9443\"\n[sinks.f]\ntype = \"file\"\ninputs = []\npath = \"f\"\n",
                     purpose::forward),
            "relay.toml:3: 'sinks.f' has no inputs");
  EXPECT_EQ(error_of(std::string(kSim) + src, purpose::forward),
            "relay.toml: no transform of type sentiment: `forward` needs one ([transforms.<id>] type = \"sentiment\")");
}

// The tutorials' invented endpoints are refused for a real region, named form and shorthand
// alike, with the key, the line, the tutorial and the real alternative; the simulator keeps them.
TEST_F(Config, TutorialOnlyPathsAreRefusedForARealRegionAndKeptForTheSimulator) {
  std::string real = "[genesys]\nregion = \"mypurecloud.ie\"\n";  // lines 1-2
  auto starts = [](const std::string& text, std::string_view prefix) { return text.rfind(prefix, 0) == 0; };
  auto sse = error_of(real + "[sources.tutorial]\ntype = \"sse\"\n");
  EXPECT_TRUE(starts(sse, "relay.toml:4: sources.tutorial.type = \"sse\" is the tutorial's stream (seed 002: POST "
                          "/api/v2/analytics/events), which Genesys Cloud (mypurecloud.ie) does not have; use type = "
                          "\"notifications\""))
      << sse;
  auto shorthand_sse = error_of(real + "[monitor]\ntransports = [\"sse\"]\n");
  EXPECT_NE(shorthand_sse.find("is the tutorial's stream (seed 002"), std::string::npos) << shorthand_sse;
  EXPECT_TRUE(starts(shorthand_sse, "relay.toml:4: monitor.transports: \"sse\" is the tutorial's stream")) << shorthand_sse;

  auto analytics = error_of(real + "[forwarder]\nsource = \"analytics\"\n", purpose::forward);
  EXPECT_TRUE(starts(analytics, "relay.toml:4: forwarder.source = ")) << analytics;
  EXPECT_NE(analytics.find("= \"analytics\" is the tutorial's query (seed 000: view \"sentiment\""), std::string::npos) << analytics;
  EXPECT_NE(analytics.find("use source = \"speech-analytics\""), std::string::npos) << analytics;

  auto marker = error_of(real + "[forwarder]\nmarker = [\"participant\", \"conversation\"]\n", purpose::forward);
  EXPECT_TRUE(starts(marker, "relay.toml:4: forwarder.marker: 'conversation'")) << marker;
  EXPECT_NE(marker.find("'conversation' is the tutorial's PUT /api/v2/conversations/{id}/attributes, which Genesys Cloud "
                        "(mypurecloud.ie) does not have; use write = [\"participant\"]"),
            std::string::npos)
      << marker;

  // The same files against the simulator (or any host that is not a region's) are accepted.
  EXPECT_NO_THROW(parse(std::string(kSim) + "[sources.tutorial]\ntype = \"sse\"\n", "relay.toml", fake_env));
  EXPECT_NO_THROW(parse(std::string(kSim) + "[forwarder]\nsource = \"analytics\"\nmarker = [\"conversation\"]\n", "relay.toml",
                        fake_env, purpose::forward));
  EXPECT_NO_THROW(parse(real + "[forwarder]\nmarker = [\"participant\"]\n", "relay.toml", fake_env, purpose::forward));
}

TEST_F(Config, AWebhookSigningSecretComesFromAVariableOrAFileNeverFromTheConfig) {
  auto hook = [&](std::string keys) {
    return std::string(kSim) +
           "[sources.ws]\ntype = \"notifications\"\nqueues = [\"q\"]\n[sinks.h]\ntype = \"webhook\"\ninputs = [\"ws\"]\n"
           "url = \"https://h.example.com\"\n" +
           keys;
  };
  g_env["HOOK_SECRET"] = "from-the-env";
  auto p = parse(hook("secret_env = \"HOOK_SECRET\"\ntoken_env = \"HOOK_TOKEN\"\n"), "relay.toml", fake_env);
  EXPECT_EQ(webhook(p, "h")->signing_secret.reveal(), "from-the-env");
  EXPECT_TRUE(webhook(p, "h")->bearer_token.empty()) << "HOOK_TOKEN is not set";
  auto file = dir_ + "/secret";
  std::ofstream(file) << "from-a-file\n";
  p = parse(hook("secret_file = \"" + file + "\"\n"), "relay.toml", fake_env);
  EXPECT_EQ(webhook(p, "h")->signing_secret.reveal(), "from-a-file") << "the trailing newline is not part of it";
  EXPECT_EQ(p.describe(purpose::monitor).find("from-a-file"), std::string::npos) << "describe() shows no secret";
  EXPECT_NE(p.describe(purpose::monitor).find("signed=yes"), std::string::npos);
  EXPECT_EQ(error_of(hook("secret_file = \"" + dir_ + "/missing\"\n")),
            "relay.toml:10: sinks.h.secret_file: cannot read '" + dir_ + "/missing'");
  EXPECT_EQ(error_of(hook("secret_env = \"HOOK_SECRET\"\nsecret_file = \"" + file + "\"\n")),
            "relay.toml:11: sinks.h.secret_env and sinks.h.secret_file are alternatives: set one");
  EXPECT_EQ(error_of(hook("secret = \"inline\"\n")),
            "relay.toml:10: sinks.h.secret must be a reference, \"${NAME}\" (an environment variable), \"file:/path\" or "
            "\"credential:NAME\" (systemd), so that no secret sits in the config file");
  g_env["HOOK_TOKEN"] = "tok-from-env";
  p = parse(hook("token = \"${HOOK_TOKEN}\"\nsecret = \"file:" + file + "\"\n"), "relay.toml", fake_env);
  EXPECT_EQ(webhook(p, "h")->bearer_token.reveal(), "tok-from-env");
  EXPECT_EQ(webhook(p, "h")->signing_secret.reveal(), "from-a-file");
  EXPECT_EQ(error_of(hook("token = \"${HOOK_TOKEN}\"\ntoken_env = \"HOOK_TOKEN\"\n")),
            "relay.toml:11: sinks.h.token and sinks.h.token_env are alternatives: set one");
}

// validate: one run lists every problem, by line, each naming its key; reading goes on past
// each (a bad value counts as absent), and a component that failed still counts as an input.
TEST_F(Config, ValidateReportsEveryProblemAtOnceByLine) {
  auto file = dir_ + "/relay.toml";
  std::ofstream(file) << "[genesys]\n"                                       // 1
                         "api_url = \"https://127.0.0.1:9443\"\n"            // 2
                         "client_secret = \"${NOT_SET_ANYWHERE}\"\n"         // 3
                         "colour = \"blue\"\n"                               // 4
                         "[outbox]\n"                                         // 5
                         "max_age_h = 99999999999\n"                          // 6
                         "[sources.ws]\n"                                     // 7
                         "type = \"notifications\"\n"                        // 8
                         "queues = [\"q\"]\n"                                 // 9
                         "heartbeat_timeout_ms = 2.5\n"                       // 10
                         "[transforms.sentiment]\n"                           // 11
                         "type = \"sentiment\"\n"                            // 12
                         "inputs = [\"ws\"]\n"                                // 13
                         "min_confidence = 3\n"                               // 14
                         "[sinks.crm]\n"                                      // 15
                         "type = \"webhook\"\n"                              // 16
                         "inputs = [\"sentiment\", \"nosuch\"]\n"            // 17
                         "timeout_ms = 0\n"                                   // 18
                         "[sinks.bus]\n"                                      // 19
                         "type = \"eventbridge\"\n"                          // 20
                         "inputs = [\"sentiment\"]\n"                         // 21
                         "region = \"us-east-1\"\n"                          // 22
                         "batch_size = \"ten\"\n"                             // 23
                         "[sinks.orphan]\n"                                   // 24
                         "type = \"file\"\n"                                 // 25
                         "path = \"x.jsonl\"\n";                              // 26
  g_env.erase("GENESYSCLOUD_OAUTHCLIENT_SECRET");
  auto found = validate(file, fake_env);
  EXPECT_FALSE(found.built);
  EXPECT_EQ(found.problems,
            (std::vector<std::string>{
                file + ":3: genesys.client_secret = \"${NOT_SET_ANYWHERE}\", but NOT_SET_ANYWHERE is not set in the environment",
                file + ":4: unknown key 'genesys.colour'",
                file + ":6: 'outbox.max_age_h' must be between 1 and 8784 (it is 99999999999)",
                file + ":10: 'sources.ws.heartbeat_timeout_ms' must be a whole number",
                file + ":14: 'transforms.sentiment.min_confidence' must be between 0 and 1",
                file + ":15: 'sinks.crm.url' is required for a webhook sink",
                file + ":17: sinks.crm.inputs: 'nosuch' is not a source, a transform or one of its outputs (sentiment, "
                       "sentiment.alerts, ws)",
                file + ":18: 'sinks.crm.timeout_ms' must be between 1 and 3600000 (it is 0)",
                file + ":23: 'sinks.bus.batch_size' must be a number",
                file + ":24: 'sinks.orphan' has no inputs",
            }));
  // The same file for the service: the first problem only, as before.
  g_env["GENESYSCLOUD_OAUTHCLIENT_SECRET"] = "s3cr3t-value";
  EXPECT_EQ(error_of(std::string("[genesys]\napi_url = \"https://127.0.0.1:9443\"\n[outbox]\nmax_age_h = 99999999999\n")),
            "relay.toml:4: 'outbox.max_age_h' must be between 1 and 8784 (it is 99999999999)");
}

TEST_F(Config, AScrapeEndpointBeyondLoopbackWithoutATokenIsNoted) {
  auto file = dir_ + "/relay.toml";
  auto with = [&](std::string metrics) {
    std::ofstream(file) << kSim << "[sources.ws]\ntype = \"notifications\"\nqueues = [\"q\"]\n[metrics]\n" << metrics;
    return validate(file, fake_env);
  };
  EXPECT_TRUE(with("listen = \"127.0.0.1:9464\"\n").notes.empty());
  EXPECT_TRUE(with("listen = \"[::1]:9464\"\n").notes.empty());
  EXPECT_EQ(with("listen = \"0.0.0.0:9464\"\n").notes,
            std::vector<std::string>{file + ": metrics.listen = \"0.0.0.0:9464\" is reachable from other hosts and "
                                            "metrics.bearer_token is not set: anyone who can connect reads /metrics, /healthz and /readyz"});
  g_env["SCRAPE_TOKEN"] = "scrape-canary";
  auto found = with("listen = \"0.0.0.0:9464\"\nbearer_token = \"${SCRAPE_TOKEN}\"\n");
  EXPECT_TRUE(found.notes.empty());
  ASSERT_TRUE(found.built);
  EXPECT_EQ(found.built->metrics_token.reveal(), "scrape-canary");
  EXPECT_EQ(found.built->describe(purpose::monitor).find("scrape-canary"), std::string::npos);
  EXPECT_EQ(with("listen = \"0.0.0.0:9464\"\nbearer_token = \"scrape-canary\"\n").problems,
            std::vector<std::string>{file + ":8: metrics.bearer_token must be a reference, \"${NAME}\" (an environment variable), "
                                            "\"file:/path\" or \"credential:NAME\" (systemd), so that no secret sits in the config file"});
}

// systemd's LoadCredential=NAME:/path: "credential:NAME" reads $CREDENTIALS_DIRECTORY/NAME.
TEST_F(Config, ACredentialReferenceReadsTheSystemdCredentialsDirectory) {
  std::ofstream(dir_ + "/genesys-client-secret") << "from-systemd\n";
  auto text = std::string(kSim) + "client_secret = \"credential:genesys-client-secret\"\n[monitor]\nqueues = [\"q\"]\n";
  g_env.erase("GENESYSCLOUD_OAUTHCLIENT_SECRET");
  EXPECT_EQ(error_of(text), "relay.toml:3: genesys.client_secret = \"credential:genesys-client-secret\" reads "
                            "$CREDENTIALS_DIRECTORY/genesys-client-secret, but CREDENTIALS_DIRECTORY is not set (systemd sets it "
                            "for a unit with LoadCredential=genesys-client-secret:...)");
  g_env["CREDENTIALS_DIRECTORY"] = dir_;
  EXPECT_EQ(parse(text, "relay.toml", fake_env).genesys.credentials.client_secret.reveal(), "from-systemd");
  std::filesystem::remove(dir_ + "/genesys-client-secret");
  EXPECT_EQ(error_of(text), "relay.toml:3: genesys.client_secret: cannot read '" + dir_ + "/genesys-client-secret'");
  EXPECT_EQ(error_of(std::string(kSim) + "client_secret = \"credential:../etc/shadow\"\n[monitor]\nqueues = [\"q\"]\n"),
            "relay.toml:3: genesys.client_secret = \"credential:../etc/shadow\": a credential name is one file name "
            "(LoadCredential=NAME:/path)");
}

TEST_F(Config, ValidateAcceptsAGoodFileAndNotesATransformOnlyForwardRuns) {
  auto file = dir_ + "/relay.toml";
  std::ofstream(file) << kSim << "[monitor]\nqueues = [\"q\"]\n[crm]\nurl = \"https://crm.example.com/hook\"\n";
  auto found = validate(file, fake_env);
  EXPECT_TRUE(found.problems.empty()) << found.problems.front();
  ASSERT_TRUE(found.built);
  EXPECT_EQ(found.notes, (std::vector<std::string>{file + ": the sentiment transform 'sentiment' has no inputs (forwarder.enabled "
                                                          "is not true), so the monitor does not run it or the sinks it alone "
                                                          "feeds [eventbridge,crm,marker]; `genesys-relay forward` does"}));
  std::ofstream(file) << "[genesys]\napi_url = \"https://127.0.0.1:9443\"\n[sinks.f]\ntype = \"file\"\ninputs = [\"x\"]\npath = \"f\"\n";
  found = validate(file, fake_env);
  ASSERT_EQ(found.problems.size(), 2u);
  EXPECT_EQ(found.problems[0], file + ":5: sinks.f.inputs: 'x' is not a source, a transform or one of its outputs (there are none)");
  EXPECT_EQ(found.problems[1], file + ": nothing to run: no source (a [sources.<id>] of type notifications or sse) for the monitor "
                                      "and no sentiment transform for `forward`");
  EXPECT_EQ(validate(dir_ + "/absent.toml", fake_env).problems,
            std::vector<std::string>{"cannot read config file '" + dir_ + "/absent.toml'"});
}

}  // namespace
}  // namespace grm::topology
