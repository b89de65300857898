// The forwarding service: triggers from lifecycle events, durable pending triggers across a
// restart, duplicates, retries of failed forwards, the queue bound, periodic triggers, metrics,
// and the whole path from the monitor's ConversationEnd to EventBridge and the CRM webhook.
// Everything against the simulated org, the AWS emulator and webhook receivers over verified TLS.
// No timing is asserted; waits are bounded by conditions.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_future.hpp>

#include <sqlite3.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <thread>

#include <boost/json.hpp>

#include "delivery/idempotency_store.hpp"
#include "genesys/api.hpp"
#include "observability/health.hpp"
#include "observability/metrics.hpp"
#include "pipeline/sentiment/forwarding_service.hpp"
#include "sim/aws_emulator.hpp"
#include "sim/forwarding_targets.hpp"
#include "sim/genesys_sim.hpp"
#include "sim/sentiment_data.hpp"
#include "sim/webhook_receiver.hpp"
#include "sinks/eventbridge/component.hpp"
#include "sinks/file/component.hpp"
#include "sinks/webhook/component.hpp"
#include "sources/monitor_service.hpp"
#include "topology/service.hpp"
#include "tests/support/sim_org.hpp"

namespace grm {
namespace {

namespace asio = boost::asio;
using namespace std::chrono;
using sentiment::forward_report;

std::string conversation(int n) { return testing::conversation_id(n); }

lifecycle_event event(lifecycle kind, const std::string& id, std::string media = "chat") {
  event_fields f;
  f.conversation_id = id;
  f.media_type = std::move(media);
  f.event_type = "conversation:" + std::string(to_string(kind));
  f.origin = "test";
  return make_event(kind, f);
}

sinks::eventbridge::eventbridge_target& eventbridge(topology::plan& p) {
  return p.sink_as<sinks::eventbridge::component>("eventbridge")->target;
}
sinks::webhook::webhook_settings& crm_of(topology::plan& p) { return p.sink_as<sinks::webhook::component>("crm")->settings; }

// The service as the composition root builds it for the monitor, without sources: the test
// feeds lifecycle events to the sentiment transform itself (forwarding()->on_event).
class ForwardingService : public ::testing::Test, protected testing::sim_org {
 protected:
  ForwardingService() = default;
  explicit ForwardingService(sim::sim_options o) : testing::sim_org(std::move(o)) {}

  std::unique_ptr<genesys::api_session> genesys_api;
  metrics::registry registry;
  std::unique_ptr<topology::service> relay;
  sentiment::forwarding_service* service = nullptr;
  std::vector<forward_report> reports;
  std::vector<std::string> logs;

  void SetUp() override {
    net::http_client_options ho;
    ho.tls.ca_pem = genesys.certificate_pem();
    genesys_api = std::make_unique<genesys::api_session>(
        ioc.get_executor(), ho, genesys.https_url(), genesys.https_url(),
        genesys::client_credentials{"sim-client", secret("sim-secret")}, net::retry_policy{.max_attempts = 3, .base = milliseconds{5}});
  }

  void TearDown() override { close(); }

  topology::plan settings() {
    auto s = sim::forwarding_plan(aws, crm);
    s.genesys = sim::connect_to(genesys, {});
    s.genesys.api_retry = net::retry_policy{.max_attempts = 3, .base = milliseconds{5}};
    for (auto& sink : s.sinks) {
      auto& o = sink.component->delivery;
      o.backoff_base = milliseconds{1};
      o.backoff_cap = milliseconds{20};
      o.breaker.open_for = milliseconds{20};
    }
    s.audit.path = dir + "/audit.jsonl";
    s.delivery.state_path = dir + "/state.db";
    s.sentiment->settings.triggers.retry_after = milliseconds{50};
    s.sentiment->settings.forwarder.alert_log = false;
    return s;
  }

  void start(topology::plan&& s) {
    close();
    topology::service_hooks hooks;
    hooks.metrics = &registry;
    hooks.on_report = [this](const forward_report& r) { reports.push_back(r); };
    relay = std::make_unique<topology::service>(ioc.get_executor(), std::move(s), topology::purpose::monitor,
                                                [this](severity, std::string_view m) { logs.emplace_back(m); }, std::move(hooks));
    service = relay->forwarding();
  }
  // The test reads the paths afterwards: they are put back into the plan it passed.
  void start(topology::plan& s) {
    auto audit = s.audit;
    auto state = s.delivery.state_path;
    start(std::move(s));
    s.audit = audit;
    s.delivery.state_path = state;
  }

  // One Genesys API call through the relay's client, run to completion on the test's context.
  auto api_call(std::string method, std::string target, std::string body) {
    auto f = asio::co_spawn(ioc, genesys_api->api.call(genesys::api_priority::forwarding, std::move(method), std::move(target), std::move(body)), asio::use_future);
    ioc.restart();
    while (f.wait_for(seconds{0}) != std::future_status::ready) ioc.run_one_for(milliseconds{20});
    return f.get();
  }

  // Runs the service until `done` holds (bounded), then stops it and waits for run() to return.
  bool run_until(const std::function<bool()>& done, seconds limit = seconds{20}) {
    auto finished = asio::co_spawn(ioc, relay->run(), asio::use_future);
    ioc.restart();
    auto deadline = steady_clock::now() + limit;
    while (!done() && steady_clock::now() < deadline) ioc.run_one_for(milliseconds{50});
    bool ok = done();
    relay->stop();
    while (finished.wait_for(seconds{0}) != std::future_status::ready) ioc.run_one_for(milliseconds{50});
    finished.get();
    return ok;
  }

  void close() {
    service = nullptr;
    relay.reset();
  }

  void add_chat(int n) {
    sim::sentiment_record r;
    r.id = conversation(n);
    genesys.add_sentiment(r);
  }

  std::size_t lines_in(const std::string& path) const {
    std::ifstream in(path);
    std::size_t n = 0;
    for (std::string line; std::getline(in, line);) ++n;
    return n;
  }

  bool logged(std::string_view part) const {
    return std::any_of(logs.begin(), logs.end(), [&](auto& l) { return l.find(part) != std::string::npos; });
  }

  std::size_t forwarded() const {
    std::size_t n = 0;
    for (auto& r : reports) n += r.outcome == sentiment::forward_outcome::forwarded;
    return n;
  }
};

TEST_F(ForwardingService, ChatEndTriggersOneForwardEvenWhenTheEndIsSeenTwice) {
  add_chat(1);
  start(settings());
  service->on_event(event(lifecycle::start, conversation(1)));
  service->on_event(event(lifecycle::end, conversation(1)));
  service->on_event(event(lifecycle::end, conversation(1)));  // the same end on the second channel
  ASSERT_TRUE(run_until([&] { return !reports.empty(); })) << ::testing::PrintToString(logs);
  EXPECT_EQ(to_string(reports[0].outcome), "forwarded") << reports[0].reason;
  EXPECT_EQ(reports[0].trigger, "conversation-end");
  EXPECT_EQ(reports.size(), 1u);
  // A replay after it was forwarded is refused by the durable state, before any API call.
  auto reads = genesys.sentiment_reads();
  service->on_event(event(lifecycle::end, conversation(1)));
  EXPECT_EQ(service->stats().pending, 0u);
  EXPECT_EQ(genesys.sentiment_reads(), reads);
  EXPECT_EQ(crm.received().size(), 1u);
  EXPECT_EQ(service->stats().triggered, 1u);
}

TEST_F(ForwardingService, FinishedKeysPastTheRetentionArePrunedAtStart) {
  add_chat(9);
  start(settings());
  service->on_event(event(lifecycle::end, conversation(9)));
  ASSERT_TRUE(run_until([&] { return !reports.empty(); }));
  close();
  auto s = settings();
  s.sentiment->settings.triggers.state_retention = std::chrono::hours{0};  // everything finished is past it
  start(s);
  // Two keys: the trigger and the conversation's alert.
  ASSERT_TRUE(run_until([&] {
    return std::any_of(logs.begin(), logs.end(), [](auto& l) { return l.starts_with("state: pruned 2 finished key(s)"); });
  })) << ::testing::PrintToString(logs);
  service->on_event(event(lifecycle::end, conversation(9)));
  EXPECT_EQ(service->stats().triggered, 1u) << "the pruned key no longer suppresses a replay";
}

TEST_F(ForwardingService, OtherMediaAndOtherLifecycleKindsDoNotTrigger) {
  add_chat(2);
  start(settings());
  service->on_event(event(lifecycle::end, conversation(2), "voice"));
  service->on_event(event(lifecycle::wrapup, conversation(2)));
  service->on_event(event(lifecycle::update, conversation(2)));
  EXPECT_EQ(service->stats().triggered, 0u);
  EXPECT_EQ(service->stats().pending, 0u);
}

TEST_F(ForwardingService, ATriggerQueuedWhenTheProcessStoppedIsResumedByTheNextRun) {
  add_chat(3);
  start(settings());
  service->on_event(event(lifecycle::end, conversation(3)));
  EXPECT_EQ(service->stats().pending, 1u);
  close();  // "crash": the service goes away without running its queue
  EXPECT_EQ(crm.received().size(), 0u);

  start(settings());  // same state database
  ASSERT_TRUE(run_until([&] { return !reports.empty(); })) << ::testing::PrintToString(logs);
  EXPECT_EQ(service->stats().resumed, 1u);
  EXPECT_EQ(reports[0].conversation_id, conversation(3));
  EXPECT_EQ(to_string(reports[0].outcome), "forwarded") << reports[0].reason;
  EXPECT_EQ(crm.received().size(), 1u);
  EXPECT_NE(std::find_if(logs.begin(), logs.end(),
                         [](auto& l) { return l.find("resuming 1 forward trigger(s) left pending") != std::string::npos; }),
            logs.end());
}

// EventBridge answers 500: the outbox retries that delivery alone; the CRM got the payload once
// and nothing is rebuilt: the event that finally arrives carries the same forwardingId.
TEST_F(ForwardingService, ASinkFailureIsRetriedByTheOutboxAloneWithTheSamePayload) {
  add_chat(4);
  auto s = settings();
  std::erase(s.sink("eventbridge")->inputs, "sentiment.alerts");  // the failing requests are the payload's
  start(s);
  aws.fail_next(2, 500);
  service->on_event(event(lifecycle::end, conversation(4)));
  ASSERT_TRUE(run_until([&] { return forwarded() == 1; })) << ::testing::PrintToString(logs);
  ASSERT_EQ(reports.size(), 1u);
  auto& r = reports[0];
  EXPECT_EQ(to_string(r.outcome), "forwarded");
  for (auto& d : r.deliveries)
    if (d.sink == "eventbridge") {
      EXPECT_EQ(d.attempts, 3) << "two 500s, then delivered";
    }
  ASSERT_EQ(aws.events().size(), 1u);
  EXPECT_NE(aws.events()[0].detail.find(r.forwarding_id), std::string::npos);
  EXPECT_EQ(crm.received().size(), 1u) << "the CRM is not posted again when EventBridge fails";
  EXPECT_EQ(service->stats().retried, 0u) << "a sink failure is not a failed forward";
}

TEST_F(ForwardingService, ExpiredAwsCredentialsFailForwardsWithTheReasonAndTheServiceGoesOn) {
  for (int n : {10, 11}) add_chat(n);
  auto s = settings();
  eventbridge(s).keys->expiration = std::chrono::system_clock::now() - hours{1};
  eventbridge(s).keys->source = "the test's expired key";
  start(s);
  service->on_event(event(lifecycle::end, conversation(10)));
  service->on_event(event(lifecycle::end, conversation(11)));
  ASSERT_TRUE(run_until([&] { return reports.size() == 2; })) << ::testing::PrintToString(logs);
  for (auto& r : reports) {
    EXPECT_EQ(to_string(r.outcome), "dead-lettered");
    EXPECT_NE(r.reason.find("eventbridge: auth: the AWS credentials from the test's expired key (access key AKIDEXAMPLE) "
                            "expired at "),
              std::string::npos)
        << r.reason;
  }
  EXPECT_EQ(crm.received().size(), 2u) << "the CRM still gets both";
  EXPECT_EQ(aws.stats().put_events_requests, 0u) << "nothing is signed with expired keys";
}

// The disk under the audit log is full (the path is a symlink to /dev/full): forwards still
// complete, each worker survives, the error is counted and shown in health, and the records are
// kept and written in order once the path is writable again.
TEST_F(ForwardingService, AnUnwritableAuditLogKeepsItsRecordsAndTheWorkersGoOn) {
  for (int n : {20, 21, 22}) add_chat(n);
  auto s = settings();
  std::filesystem::create_symlink("/dev/full", s.audit.path);
  s.sentiment->settings.triggers.max_in_flight = 1;  // one worker: it must survive every failed write
  start(s);
  health::registry checks;
  service->add_health_checks(checks);
  for (int n : {20, 21}) service->on_event(event(lifecycle::end, conversation(n)));
  ASSERT_TRUE(run_until([&] { return reports.size() == 2; })) << ::testing::PrintToString(logs);
  for (auto& r : reports) {
    EXPECT_EQ(to_string(r.outcome), "forwarded") << r.reason;
    EXPECT_EQ(r.audit_error, "cannot write to the audit log " + s.audit.path + ": No space left on device");
  }
  EXPECT_EQ(service->stats().audit_waiting, 2u);
  auto text = registry.render();
  auto at = text.find("\nrelay_audit_write_errors_total ");
  ASSERT_NE(at, std::string::npos) << text;
  EXPECT_GE(std::stoi(text.substr(at + 32)), 2) << "both records, and the ticker's retries of them";
  EXPECT_NE(text.find("relay_audit_backlog 2\n"), std::string::npos) << text;
  EXPECT_FALSE(checks.ready());
  EXPECT_NE(checks.render_json(true).find(R"("name":"audit","status":"failing","detail":"cannot write to the audit log )"),
            std::string::npos)
      << checks.render_json(true);
  EXPECT_EQ(crm.received().size(), 2u) << "delivered once each; the state records them as done";

  std::filesystem::remove(s.audit.path);  // space again
  service->on_event(event(lifecycle::end, conversation(22)));
  ASSERT_TRUE(run_until([&] { return reports.size() == 3 && service->stats().audit_waiting == 0; }))
      << ::testing::PrintToString(logs);
  EXPECT_TRUE(reports[2].audit_error.empty()) << reports[2].audit_error;
  EXPECT_EQ(lines_in(s.audit.path), 3u);
  // The kept records come first, in the order they were kept (the order their reports came:
  // 20 and 21 may finish in either order), then 22's.
  std::ifstream in(s.audit.path);
  for (auto& r : reports) {
    std::string line;
    std::getline(in, line);
    EXPECT_NE(line.find(r.conversation_id), std::string::npos) << "records in the order they were made: " << line;
  }
  EXPECT_EQ(reports[2].conversation_id, conversation(22));
  EXPECT_TRUE(checks.ready()) << checks.render_json(true);
}

// "Not analysed yet" with a ten-minute horizon: the one worker is not held by it, so another
// conversation is forwarded meanwhile, and the waiting trigger stays pending in the state.
TEST_F(ForwardingService, NotAnalysedYetNeverHoldsAWorker) {
  sim::sentiment_record slow;
  slow.id = conversation(23);
  slow.not_analysed = 1'000'000;
  genesys.add_sentiment(slow);
  add_chat(24);
  auto s = settings();
  s.sentiment->settings.triggers.max_in_flight = 1;
  s.sentiment->settings.forwarder.not_analysed_horizon = seconds{600};
  s.sentiment->settings.forwarder.not_analysed_backoff = milliseconds{20};
  start(s);
  service->on_event(event(lifecycle::end, conversation(23)));
  service->on_event(event(lifecycle::end, conversation(24)));
  ASSERT_TRUE(run_until([&] { return forwarded() == 1 && service->stats().deferred >= 2; })) << ::testing::PrintToString(logs);
  EXPECT_EQ(reports.size(), 1u) << "a deferral is not a completed forward";
  EXPECT_EQ(reports[0].conversation_id, conversation(24));
  EXPECT_EQ(service->stats().pending, 1u);
  close();
  delivery::idempotency_store state(dir + "/state.db");
  EXPECT_EQ(state.pending(), std::vector<std::string>{conversation(23) + ":conversation-end"}) << "resumed by the next start";
}

// Another process holds the state database's write lock: the trigger cannot be recorded. The
// event is not lost and nothing throws into the stream; it is recorded and forwarded once the
// lock is gone.
TEST_F(ForwardingService, ATriggerTheStateDatabaseCannotRecordIsReportedAndRecordedLater) {
  add_chat(25);
  auto s = settings();
  start(s);
  health::registry checks;
  service->add_health_checks(checks);
  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open(s.delivery.state_path.c_str(), &other), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(other, "BEGIN EXCLUSIVE", nullptr, nullptr, nullptr), SQLITE_OK);
  EXPECT_NO_THROW(service->on_event(event(lifecycle::end, conversation(25))));
  EXPECT_EQ(service->stats().unrecorded, 1u);
  EXPECT_TRUE(logged("cannot record trigger conversation-end for conversation " + conversation(25) + ": state database " +
                     s.delivery.state_path + ": database is locked; kept and tried again in 1 s"))
      << ::testing::PrintToString(logs);
  EXPECT_FALSE(checks.ready());
  sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr);
  sqlite3_close(other);
  ASSERT_TRUE(run_until([&] { return !reports.empty(); })) << ::testing::PrintToString(logs);
  EXPECT_EQ(to_string(reports[0].outcome), "forwarded") << reports[0].reason;
  EXPECT_EQ(service->stats().unrecorded, 0u);
  EXPECT_TRUE(checks.ready()) << checks.render_json(true);
  EXPECT_NE(registry.render().find("relay_state_errors_total 1\n"), std::string::npos) << registry.render();
}

TEST_F(ForwardingService, AFullQueueRefusesTheTriggerLoudlyAndKeepsItForTheNextRun) {
  for (int n : {5, 6}) add_chat(n);
  auto s = settings();
  s.sentiment->settings.triggers.max_pending = 1;
  start(s);
  service->on_event(event(lifecycle::end, conversation(5)));
  service->on_event(event(lifecycle::end, conversation(6)));
  EXPECT_EQ(service->stats().dropped, 1u);
  ASSERT_FALSE(logs.empty());
  EXPECT_NE(logs.back().find("forward queue full (1 pending): trigger conversation-end for conversation " + conversation(6) +
                             " stays in the state database"),
            std::string::npos)
      << logs.back();
  close();
  start(settings());
  ASSERT_TRUE(run_until([&] { return reports.size() == 2; })) << ::testing::PrintToString(logs);
  EXPECT_EQ(forwarded(), 2u);
}

TEST_F(ForwardingService, PeriodicTriggersForwardActiveConversationsUntilTheyEnd) {
  add_chat(7);
  auto s = settings();
  s.sentiment->settings.triggers.periodic = seconds{1};
  s.sentiment->settings.triggers.on_end = false;
  start(s);
  service->on_event(event(lifecycle::start, conversation(7)));
  ASSERT_TRUE(run_until([&] { return forwarded() >= 1; })) << ::testing::PrintToString(logs);
  EXPECT_EQ(reports[0].trigger.rfind("periodic-", 0), 0u) << reports[0].trigger;
  EXPECT_TRUE(reports[0].alert);
  service->on_event(event(lifecycle::end, conversation(7)));
  EXPECT_EQ(service->stats().pending, 0u) << "on_end is off: the end only stops the periodic triggers";
}

TEST_F(ForwardingService, PeriodicTriggersStopForAConversationWhoseEndWasNeverSeen) {
  add_chat(26);
  auto s = settings();
  s.sentiment->settings.triggers.periodic = seconds{1};
  s.sentiment->settings.triggers.periodic_max_age = seconds{0};  // already too old at its first period
  s.sentiment->settings.triggers.on_end = false;
  start(s);
  service->on_event(event(lifecycle::start, conversation(26)));
  ASSERT_TRUE(run_until([&] { return logged("no end seen"); })) << ::testing::PrintToString(logs);
  EXPECT_TRUE(logged("conversation " + conversation(26) + ": no end seen 0 s after it started; periodic forwarding stops"));
  EXPECT_EQ(service->stats().triggered, 0u);
}

TEST_F(ForwardingService, OutcomesAndStageLatenciesReachTheMetrics) {
  add_chat(8);
  start(settings());
  service->on_event(event(lifecycle::end, conversation(8)));
  ASSERT_TRUE(run_until([&] { return !reports.empty(); }));
  auto text = registry.render();
  EXPECT_NE(text.find("relay_forwards_total{outcome=\"forwarded\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("relay_forward_stage_seconds_count{stage=\"total\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("relay_forward_stage_seconds_count{stage=\"fetch\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("relay_alerts_total 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("relay_sink_delivered_total{sink=\"eventbridge\"} 2\n"), std::string::npos) << text;
  EXPECT_NE(text.find("relay_sink_delivered_total{sink=\"crm\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("relay_sink_delivered_total{sink=\"marker\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("relay_outbox_pending 0\n"), std::string::npos) << text;
  EXPECT_NE(text.find("relay_forward_pending 0\n"), std::string::npos) << text;
}

TEST_F(ForwardingService, AnUnreadableCertificateFileIsAConfigErrorNamingTheSetting) {
  auto s = settings();
  crm_of(s).http.tls.ca_file = dir + "/missing.pem";
  crm_of(s).http.tls.ca_file_setting = "crm.ca_file";
  try {
    start(s);
    ADD_FAILURE() << "started";
  } catch (const relay_error& e) {
    EXPECT_EQ(e.kind(), error_kind::config);
    EXPECT_EQ(std::string(e.what()).rfind("crm.ca_file: cannot load the CA file '" + dir + "/missing.pem': ", 0), 0u) << e.what();
  }
}

// Each sink has its own TLS settings: an unverified CRM webhook (loopback) leaves EventBridge and
// the credential endpoints verified, so an EventBridge certificate nobody trusts is refused.
TEST_F(ForwardingService, EventBridgeRefusesAnUntrustedCertificateWhileTheCrmWebhookIsUnverified) {
  add_chat(12);
  auto s = settings();
  eventbridge(s).http.tls.ca_pem.clear();  // the emulator's self-signed certificate is not trusted
  s.sink("eventbridge")->component->delivery.max_attempts = 1;
  crm_of(s).http.tls.ca_pem.clear();
  crm_of(s).http.tls.verify_peer = false;  // what crm.tls_verify = false sets
  start(s);
  service->on_event(event(lifecycle::end, conversation(12)));
  ASSERT_TRUE(run_until([&] { return !reports.empty(); })) << ::testing::PrintToString(logs);
  EXPECT_EQ(to_string(reports[0].outcome), "dead-lettered");
  EXPECT_NE(reports[0].reason.find("eventbridge: network: TLS handshake"), std::string::npos) << reports[0].reason;
  EXPECT_NE(reports[0].reason.find("certificate verify failed"), std::string::npos) << reports[0].reason;
  bool crm_delivered = false;
  for (auto& d : reports[0].deliveries) crm_delivered = crm_delivered || (d.sink == "crm" && d.detail == "HTTP 200");
  EXPECT_TRUE(crm_delivered) << "the unverified CRM webhook on loopback got it";
  EXPECT_EQ(crm.received().size(), 1u);
  EXPECT_EQ(aws.stats().put_events_requests, 0u);
}

// Conversations that end while the relay is stopped: the next start finds them with the real
// analytics details query (from the checkpoint of the last run's connected streams) and
// forwards each once; the simulator's ledger is the ground truth.
TEST(Backfill, ChatsThatEndedWhileTheRelayWasStoppedAreForwardedAfterItStarts) {
  asio::io_context ioc;
  auto dir = (std::filesystem::temp_directory_path() / ("grm-backfill-" + std::to_string(::getpid()))).string();
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  sim::sim_options so;
  so.start_interval = milliseconds{20};
  so.stage_interval = milliseconds{20};
  so.max_conversations = 24;
  so.start_paused = true;
  so.ledger_path = dir + "/ledger.jsonl";
  sim::genesys_simulator genesys(so);
  sim::aws_emulator aws;
  sim::webhook_receiver crm;
  auto make_plan = [&] {
    auto p = sim::forwarding_plan(aws, crm);
    p.genesys = sim::connect_to(genesys, so);
    p.genesys.api_retry = net::retry_policy{.max_attempts = 3, .base = milliseconds{5}};
    p.delivery.state_path = dir + "/state.db";
    p.audit.path = dir + "/audit.jsonl";
    p.sentiment->settings.forwarder.alert_log = false;
    return p;
  };
  std::vector<std::string> logs;
  auto log = [&](severity, std::string_view l) { logs.emplace_back(l); };
  auto run_for = [&](topology::service& svc, const std::function<bool()>& done) {
    auto f = asio::co_spawn(ioc, svc.run(), asio::use_future);
    ioc.restart();
    auto deadline = steady_clock::now() + seconds{30};
    while (!done() && steady_clock::now() < deadline) ioc.run_one_for(milliseconds{20});
    bool ok = done();
    svc.stop();
    while (f.wait_for(seconds{0}) != std::future_status::ready) ioc.run_one_for(milliseconds{20});
    return ok;
  };
  bool connected = true;
  std::size_t ticks = 0;
  {
    // No sources: the test says when the streams are connected.
    topology::service first(ioc.get_executor(), make_plan(), topology::purpose::monitor, log);
    first.forwarding()->set_streams_connected([&] { return ++ticks, connected; });
    ASSERT_TRUE(run_for(first, [&] { return ticks >= 2; })) << "the checkpoint is written while connected";
  }
  // Nobody listens: every conversation starts and ends now.
  genesys.pause_generator(false);
  auto deadline = steady_clock::now() + seconds{30};
  while (genesys.stats().conversations_wrapped < so.max_conversations && steady_clock::now() < deadline)
    std::this_thread::sleep_for(milliseconds{20});
  std::set<std::string> ended_chats;
  {
    std::ifstream in(so.ledger_path);
    for (std::string line; std::getline(in, line);) {
      auto o = boost::json::parse(line).as_object();
      auto media = std::string(o.at("mediaType").as_string());
      if (media == "chat" || media == "message") ended_chats.insert(std::string(o.at("conversationId").as_string()));
    }
  }
  ASSERT_FALSE(ended_chats.empty());
  std::map<std::string, std::string> outcome_of;
  topology::service_hooks hooks;
  hooks.on_report = [&](const forward_report& r) { outcome_of[r.conversation_id] = std::string(to_string(r.outcome)); };
  topology::service second_relay(ioc.get_executor(), make_plan(), topology::purpose::monitor, log, std::move(hooks));
  auto& second = *second_relay.forwarding();
  connected = false;  // connecting: then connected, which starts the backfill
  ticks = 0;
  second.set_streams_connected([&] { return ++ticks > 1; });
  ASSERT_TRUE(run_for(second_relay, [&] { return outcome_of.size() >= ended_chats.size() && second.stats().pending == 0; }))
      << outcome_of.size() << " of " << ended_chats.size() << ": " << ::testing::PrintToString(logs);
  for (auto& id : ended_chats) {
    ASSERT_TRUE(outcome_of.contains(id)) << id;
    EXPECT_TRUE(outcome_of[id] == "forwarded" || outcome_of[id] == "below-threshold") << id << ": " << outcome_of[id];
  }
  EXPECT_EQ(second.stats().backfilled, ended_chats.size()) << "each once";
  EXPECT_TRUE(std::any_of(logs.begin(), logs.end(), [&](auto& l) {
    return l.find("backfill: " + std::to_string(ended_chats.size()) + " conversation(s) ended between ") != std::string::npos;
  })) << ::testing::PrintToString(logs);
}

TEST_F(ForwardingService, TheSimulatorAnswersTheRealDetailsQueryAsTheApiDoes) {
  auto call = [&](std::string body) { return api_call("POST", "/api/v2/analytics/conversations/details/query", std::move(body)); };
  auto missing = call(R"({"paging":{"pageSize":10,"pageNumber":1}})");
  EXPECT_EQ(missing.status, 400u);
  EXPECT_NE(missing.body.find("interval is required"), std::string::npos) << missing.body;
  auto too_big = call(R"({"interval":"2026-12-01T00:00:00Z/2026-12-02T00:00:00Z","paging":{"pageSize":101,"pageNumber":1}})");
  EXPECT_EQ(too_big.status, 400u);
  auto none = call(R"({"interval":"2000-01-01T00:00:00Z/2000-01-02T00:00:00Z"})");
  EXPECT_EQ(none.status, 200u);
  EXPECT_EQ(none.body, R"({"totalHits":0})") << "the API omits an empty conversations list";
  auto tutorial = call(R"({"view":"sentiment","filter":{"type":"and","clauses":[]}})");
  EXPECT_EQ(tutorial.status, 200u) << "the tutorial's shape is still served";
  EXPECT_NE(tutorial.body.find("\"entities\""), std::string::npos) << tutorial.body;
}

// The queue listing a client discovers its queues by, paged as the API pages it.
TEST_F(ForwardingService, TheSimulatorListsItsQueuesPagedAsTheApiDoes) {
  auto get = [&](std::string target) { return api_call("GET", std::move(target), ""); };
  sim::sim_options defaults;
  auto total = defaults.queue_ids.size();
  ASSERT_GE(total, 2u);
  auto first = get("/api/v2/routing/queues?pageSize=1&pageNumber=1");
  ASSERT_EQ(first.status, 200u) << first.body;
  auto page = boost::json::parse(first.body).as_object();
  EXPECT_EQ(page.at("entities").as_array().size(), 1u);
  EXPECT_EQ(page.at("entities").as_array()[0].as_object().at("id").as_string(), defaults.queue_ids[0]);
  EXPECT_EQ(page.at("pageSize").as_int64(), 1);
  EXPECT_EQ(page.at("pageNumber").as_int64(), 1);
  EXPECT_EQ(page.at("total").as_int64(), static_cast<std::int64_t>(total));
  EXPECT_EQ(page.at("pageCount").as_int64(), static_cast<std::int64_t>(total));
  auto all = boost::json::parse(get("/api/v2/routing/queues").body).as_object();
  EXPECT_EQ(all.at("pageSize").as_int64(), 25) << "the API's default page size";
  EXPECT_EQ(all.at("entities").as_array().size(), total);
  auto past = boost::json::parse(get("/api/v2/routing/queues?pageNumber=99").body).as_object();
  EXPECT_TRUE(past.at("entities").as_array().empty());
  auto bad = get("/api/v2/routing/queues?pageSize=501");
  EXPECT_EQ(bad.status, 400u);
  EXPECT_NE(bad.body.find("pageSize must be between 1 and 500"), std::string::npos) << bad.body;
}

// --- the per-token rate limit ---------------------------------------------------------------

// A simulated org with a per-token limit: `allowed` requests per `window`.
template <std::uint32_t allowed, int window_s>
class RateLimited : public ForwardingService {
 protected:
  RateLimited() : ForwardingService([] {
    auto o = testing::sim_org::paused();
    o.api_rate_limit = allowed;
    o.rate_limit_window = seconds{window_s};
    return o;
  }()) {}

  // One request with a token of `tokens`, no retry and no budget: what the API answers.
  net::http_response raw(genesys::token_provider& tokens, std::string target) {
    auto exchange = [&]() -> asio::awaitable<net::http_response> {
      auto token = co_await tokens.access_token();
      net::http_request req;
      req.url = genesys.https_url() + target;
      req.headers = {{"Authorization", "Bearer " + std::string(token.reveal())}};
      co_return co_await genesys_api->http.send(req);
    };
    auto f = asio::co_spawn(ioc, exchange(), asio::use_future);
    ioc.restart();
    while (f.wait_for(seconds{0}) != std::future_status::ready) ioc.run_one_for(milliseconds{20});
    return f.get();
  }
};

using SimulatorRateLimit = RateLimited<3, 60>;

TEST_F(SimulatorRateLimit, EveryAnswerCarriesTheWindowAndPastTheLimitIs429WithRetryAfter) {
  auto header = [](const net::http_response& r, std::string_view name) { return std::string(r.header_value(name).value_or("")); };
  for (int n = 1; n <= 3; ++n) {
    auto r = raw(genesys_api->tokens, "/api/v2/routing/queues");
    ASSERT_EQ(r.status, 200u) << r.body;
    EXPECT_EQ(header(r, "inin-ratelimit-count"), std::to_string(n));
    EXPECT_EQ(header(r, "inin-ratelimit-allowed"), "3");
    auto reset = std::stoi(header(r, "inin-ratelimit-reset"));
    EXPECT_TRUE(reset >= 1 && reset <= 60) << reset;
  }
  ::testing::internal::CaptureStderr();
  auto refused = raw(genesys_api->tokens, "/api/v2/routing/queues?pageSize=1");
  auto err = ::testing::internal::GetCapturedStderr();
  ASSERT_EQ(refused.status, 429u);
  auto retry_after = std::stoi(header(refused, "Retry-After"));
  EXPECT_TRUE(retry_after >= 1 && retry_after <= 60) << retry_after;
  auto body = boost::json::parse(refused.body).as_object();
  EXPECT_EQ(body.at("code").as_string(), "too.many.requests");
  EXPECT_EQ(body.at("status").as_int64(), 429);
  EXPECT_EQ(std::string(body.at("message").as_string()),
            "Rate limit exceeded the maximum. Retry the request in [" + std::to_string(retry_after) + "] seconds");
  EXPECT_EQ(header(refused, "inin-ratelimit-count"), "4");
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
  EXPECT_NE(err.find("429 too.many.requests for GET /api/v2/routing/queues?pageSize=1: request 4 of 3 allowed in this 60 s window"),
            std::string::npos)
      << err;
  EXPECT_EQ(genesys.stats().rate_limited, 1u);
  // The limit is per token: another token has its own window.
  net::http_client_options ho;
  ho.tls.ca_pem = genesys.certificate_pem();
  genesys::api_session other(ioc.get_executor(), ho, genesys.https_url(), genesys.https_url(),
                             genesys::client_credentials{"sim-client", secret("sim-secret")}, net::retry_policy{});
  auto fresh = raw(other.tokens, "/api/v2/routing/queues");
  EXPECT_EQ(fresh.status, 200u);
  EXPECT_EQ(header(fresh, "inin-ratelimit-count"), "1");
}

using RelayRateBudget = RateLimited<10, 60>;

// 10 a minute: forwarding may spend 8 (1 each kept for the stream and for recovery); the rest
// waits for the next window while a stream call still goes at once, and the API answers no 429.
TEST_F(RelayRateBudget, ForwardingCallsWaitForTheNextWindowWhileTheStreamStillGoes) {
  auto& api = genesys_api->api;
  std::vector<std::future<net::http_response>> forwarding;
  for (int i = 0; i < 12; ++i)
    forwarding.push_back(asio::co_spawn(ioc, api.call(genesys::api_priority::forwarding, "GET", "/api/v2/routing/queues"),
                                        asio::use_future));
  auto ready = [](auto& f) { return f.wait_for(seconds{0}) == std::future_status::ready; };
  auto done = [&] { return std::count_if(forwarding.begin(), forwarding.end(), ready); };
  auto deadline = steady_clock::now() + seconds{20};
  ioc.restart();
  while (done() < 8 && steady_clock::now() < deadline) ioc.run_one_for(milliseconds{20});
  ASSERT_EQ(done(), 8);
  for (int i = 0; i < 20; ++i) ioc.run_one_for(milliseconds{10});  // anything else that could go, goes
  EXPECT_EQ(done(), 8) << "the other 4 wait for the next window";
  auto stream = asio::co_spawn(ioc, api.call(genesys::api_priority::stream, "GET", "/api/v2/routing/queues"), asio::use_future);
  while (!ready(stream) && steady_clock::now() < deadline) ioc.run_one_for(milliseconds{20});
  ASSERT_TRUE(ready(stream));
  EXPECT_EQ(stream.get().status, 200u);
  EXPECT_EQ(done(), 8);
  for (auto& f : forwarding) {
    if (!ready(f)) continue;
    EXPECT_EQ(f.get().status, 200u);
  }
  EXPECT_EQ(genesys.stats().rate_limited, 0u);
  EXPECT_EQ(api.budget().waits(genesys::api_priority::forwarding), 4u);
  EXPECT_EQ(api.budget().headroom(), 1);
  auto metrics = [&] {
    metrics::registry r;
    api.budget().register_metrics(r);
    return r.render();
  }();
  EXPECT_NE(metrics.find("relay_genesys_ratelimit_headroom 1"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("relay_genesys_ratelimit_waits_total{priority=\"forwarding\"} 4"), std::string::npos) << metrics;
}

using RateLimitedForwarding = RateLimited<20, 2>;

// Steady forwarding against a limit it must spread over several windows: every chat is
// forwarded, only later, and the API never had to answer 429.
TEST_F(RateLimitedForwarding, EveryChatIsForwardedWithoutA429) {
  ::testing::internal::CaptureStderr();
  constexpr int chats = 8;
  for (int n = 1; n <= chats; ++n) add_chat(40 + n);
  start(settings());
  for (int n = 1; n <= chats; ++n) service->on_event(event(lifecycle::end, conversation(40 + n)));
  bool all = run_until([&] { return forwarded() == chats; }, seconds{90});
  auto err = ::testing::internal::GetCapturedStderr();
  ASSERT_TRUE(all) << ::testing::PrintToString(logs) << err;
  EXPECT_EQ(genesys.stats().rate_limited, 0u) << err;
  EXPECT_EQ(err.find("429"), std::string::npos) << err;
  EXPECT_EQ(crm.received().size(), static_cast<std::size_t>(chats));
  auto m = registry.render();
  EXPECT_NE(m.find("relay_genesys_ratelimit_allowed 20"), std::string::npos) << m;
  EXPECT_EQ(m.find("relay_genesys_ratelimit_waits_total{priority=\"forwarding\"} 0"), std::string::npos)
      << "8 chats need more than one window's forwarding share: " << m;
  EXPECT_NE(m.find("relay_genesys_rate_limited_total 0"), std::string::npos) << m;
  EXPECT_TRUE(logged("pacing Genesys API calls: ")) << ::testing::PrintToString(logs);
}

// The whole path as the composition root wires it: the simulator's generator → the
// notifications source → ConversationEnd of chats → the sentiment transform → EventBridge and
// the CRM webhook.
TEST(ForwardingFromTheMonitor, ChatsThatEndAreForwardedOnce) {
  asio::io_context ioc;
  sim::sim_options so;
  so.start_interval = milliseconds{20};
  so.stage_interval = milliseconds{50};
  so.max_conversations = 12;
  so.start_paused = true;  // conversations start once the monitor is subscribed
  sim::genesys_simulator genesys(so);
  sim::aws_emulator aws;
  sim::webhook_receiver crm;
  auto dir = (std::filesystem::temp_directory_path() / ("grm-fsvc-monitor-" + std::to_string(::getpid()))).string();
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);

  auto p = sim::forwarding_plan(aws, crm);
  p.genesys = sim::connect_to(genesys, so);
  p.monitor.use_notifications = true;
  for (auto& q : so.queue_ids) p.monitor.notifications.topics.push_back("v2.routing.queues." + q + ".conversations");
  for (auto& u : so.user_ids) p.monitor.notifications.topics.push_back("v2.users." + u + ".conversations");
  p.monitor.reconnect.max_retries = 0;
  p.sources.push_back({"notifications", sources::transport::notifications, {}, so.queue_ids});
  p.sentiment->inputs = {"notifications"};
  p.audit.path = dir + "/audit.jsonl";
  p.delivery.state_path = dir + "/state.db";
  p.sentiment->settings.forwarder.alert_log = false;
  auto audit_path = p.audit.path;

  std::set<std::string> chats_ended;
  std::map<std::string, std::string> outcome_of;
  std::vector<std::string> logs;
  topology::service_hooks hooks;
  hooks.on_event = [&](const lifecycle_event& e) {
    auto& f = fields_of(e);
    if (kind_of(e) == lifecycle::end && (f.media_type == "chat" || f.media_type == "message")) chats_ended.insert(f.conversation_id);
  };
  hooks.on_report = [&](const forward_report& r) { outcome_of[r.conversation_id] = std::string(to_string(r.outcome)); };
  topology::service relay(ioc.get_executor(), std::move(p), topology::purpose::monitor,
                          [&](severity, std::string_view l) { logs.emplace_back(l); }, std::move(hooks));
  auto& monitor = *relay.monitor();
  auto& forwarding = *relay.forwarding();

  auto run = asio::co_spawn(ioc, relay.run(), asio::use_future);
  auto deadline = steady_clock::now() + seconds{60};
  while (monitor.stats().connects == 0 && steady_clock::now() < deadline) ioc.run_one_for(milliseconds{50});
  genesys.pause_generator(false);
  // Done when every conversation has wrapped up and the reports are exactly the chats that ended:
  // a report can come before its end event reaches the hook (backfill finds it first), so equal
  // sizes alone are not enough.
  auto same_conversations = [&] {
    if (outcome_of.size() != chats_ended.size()) return false;
    for (auto& id : chats_ended)
      if (!outcome_of.contains(id)) return false;
    return true;
  };
  auto all_done = [&] {
    return genesys.stats().conversations_wrapped == so.max_conversations && !chats_ended.empty() && same_conversations() &&
           forwarding.stats().in_flight == 0 && forwarding.stats().pending == 0;
  };
  while (!all_done() && steady_clock::now() < deadline) ioc.run_one_for(milliseconds{50});
  bool done = all_done();
  std::vector<std::string> reported;
  for (auto& [id, o] : outcome_of) reported.push_back(id + ": " + o);
  EXPECT_TRUE(done) << chats_ended.size() << " chats ended " << ::testing::PrintToString(chats_ended) << ", reports "
                    << ::testing::PrintToString(reported) << ", " << genesys.stats().conversations_wrapped
                    << " wrapped; monitor: " << ::testing::PrintToString(logs);
  // Stop and drain either way: the coroutines must finish before the objects they use go away.
  relay.stop();
  ioc.restart();
  while (run.wait_for(seconds{0}) != std::future_status::ready) ioc.run_one_for(milliseconds{50});
  run.get();
  if (!done) return;

  std::size_t forwarded = 0;
  for (auto& id : chats_ended) {
    ASSERT_TRUE(outcome_of.contains(id)) << id;
    EXPECT_TRUE(outcome_of[id] == "forwarded" || outcome_of[id] == "below-threshold") << id << ": " << outcome_of[id];
    forwarded += outcome_of[id] == "forwarded";
  }
  EXPECT_EQ(crm.received().size(), forwarded) << "one CRM post per forwarded conversation";
  std::size_t audit_lines = 0;
  std::ifstream in(audit_path);
  for (std::string line; std::getline(in, line);) ++audit_lines;
  EXPECT_EQ(audit_lines, chats_ended.size());
  EXPECT_EQ(genesys.stats().tokens_issued, 1u) << "the forwarder shares the monitor's token";
  EXPECT_EQ(genesys.stats().conversation_reads, 0u) << "the notifications carried each chat's customer";
}

// Lifecycle events themselves to sinks, wired by id: the ends of chats (a filter) to a webhook
// and every event of the source to an NDJSON file, through the outbox, no sentiment step.
TEST(Topology, LifecycleEventsReachTheSinksThatNameTheirSourceOrFilter) {
  asio::io_context ioc;
  sim::sim_options so;
  so.start_interval = milliseconds{20};
  so.stage_interval = milliseconds{30};
  so.max_conversations = 16;
  so.start_paused = true;
  sim::genesys_simulator genesys(so);
  sim::webhook_receiver hooks_receiver;
  auto dir = (std::filesystem::temp_directory_path() / ("grm-topology-" + std::to_string(::getpid()))).string();
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);

  topology::plan p;
  p.genesys = sim::connect_to(genesys, so);
  p.monitor.use_notifications = true;
  for (auto& q : so.queue_ids) p.monitor.notifications.topics.push_back("v2.routing.queues." + q + ".conversations");
  p.monitor.reconnect.max_retries = 0;
  p.sources.push_back({"genesys", sources::transport::notifications, {}, so.queue_ids});
  pipeline::event_filter chat_ends{{lifecycle::end}, {"chat", "message"}, {}};
  p.filters.push_back({"chat_ends", {"genesys"}, chat_ends});
  p.sinks.push_back(sim::webhook_sink("ends", hooks_receiver, "/ends", {"chat_ends"}, sinks::webhook::body_shape::raw));
  sinks::file::file_settings file;
  file.path = dir + "/events.jsonl";
  p.sinks.push_back({"archive", {"genesys"}, std::make_unique<sinks::file::component>(file)});
  p.delivery.state_path = dir + "/state.db";

  std::size_t events = 0;
  std::set<std::string> ended_chats;
  topology::service_hooks hooks;
  hooks.on_event = [&](const lifecycle_event& e) {
    ++events;
    if (chat_ends.accepts(e)) ended_chats.insert(fields_of(e).conversation_id);
  };
  std::vector<std::string> logs;
  topology::service relay(ioc.get_executor(), std::move(p), topology::purpose::monitor,
                          [&](severity, std::string_view l) { logs.emplace_back(l); }, std::move(hooks));
  EXPECT_EQ(relay.built_sinks(), (std::vector<std::string>{"ends", "archive"}));
  EXPECT_EQ(relay.forwarding(), nullptr) << "no sentiment transform in this plan";

  auto run = asio::co_spawn(ioc, relay.run(), asio::use_future);
  auto deadline = steady_clock::now() + seconds{60};
  while (relay.monitor()->stats().connects == 0 && steady_clock::now() < deadline) ioc.run_one_for(milliseconds{50});
  genesys.pause_generator(false);
  auto lines = [&] {
    std::ifstream in(dir + "/events.jsonl");
    std::size_t n = 0;
    for (std::string l; std::getline(in, l);) ++n;
    return n;
  };
  auto settled = [&] {
    return genesys.stats().conversations_wrapped == so.max_conversations && hooks_receiver.accepted() == ended_chats.size() &&
           lines() == events && relay.delivery().stats().pending == 0;
  };
  while (!settled() && steady_clock::now() < deadline) ioc.run_one_for(milliseconds{50});
  bool done = settled();
  // The simulator counts a wrap before its frames reach us: a chat end may still arrive while the
  // relay stops (accepted, then delivered or left pending). What had arrived by now was posted.
  auto ended_when_settled = ended_chats;
  relay.stop();
  ioc.restart();
  while (run.wait_for(seconds{0}) != std::future_status::ready) ioc.run_one_for(milliseconds{50});
  run.get();
  ASSERT_TRUE(done) << hooks_receiver.accepted() << " posts for " << ended_chats.size() << " chat ends; " << lines() << " lines for "
                    << events << " events; " << ::testing::PrintToString(logs);
  ASSERT_FALSE(ended_chats.empty());
  std::set<std::string> keys, posted;
  for (auto& r : hooks_receiver.received()) {
    auto o = boost::json::parse(r.body).as_object();
    EXPECT_EQ(o.at("type").as_string(), "end");
    EXPECT_EQ(o.at("eventId").as_string(), r.idempotency_key) << "the consumer de-duplicates by the event's own id";
    posted.insert(std::string(o.at("conversationId").as_string()));
    keys.insert(r.idempotency_key);
  }
  EXPECT_TRUE(std::includes(posted.begin(), posted.end(), ended_when_settled.begin(), ended_when_settled.end()))
      << "each chat end that had arrived";
  EXPECT_TRUE(std::includes(ended_chats.begin(), ended_chats.end(), posted.begin(), posted.end())) << "and only chat ends";
  EXPECT_EQ(keys.size(), posted.size());
  EXPECT_GT(events, ended_chats.size()) << "the archive has every kind, of every medium";
}

}  // namespace
}  // namespace grm
