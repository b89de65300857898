// The chat sentiment forwarder end to end against the simulated org, the AWS emulator and a CRM
// webhook receiver, all on loopback over verified TLS. Every outcome of the seed's flow, each
// asserted from what the services received and from the audit log. No timing is asserted.
#include <gtest/gtest.h>

#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json.hpp>

#include <filesystem>
#include <fstream>
#include <map>

#include "core/time.hpp"
#include "delivery/idempotency_store.hpp"
#include "genesys/api.hpp"
#include "net/http.hpp"
#include "pipeline/sentiment/forwarding_service.hpp"
#include "topology/service.hpp"
#include "pipeline/sentiment/sentiment.hpp"
#include "sim/aws_emulator.hpp"
#include "sim/genesys_sim.hpp"
#include "sim/sentiment_data.hpp"
#include "sim/webhook_receiver.hpp"
#include "sim/forwarding_targets.hpp"
#include "sinks/eventbridge/component.hpp"
#include "sinks/genesys_attributes/component.hpp"
#include "sinks/webhook/sink.hpp"
#include "tests/support/sim_org.hpp"

namespace grm {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
using namespace std::chrono;
using sentiment::forward_report;

using testing::conversation_id;
std::string conversation(int n) { return conversation_id(n); }

std::vector<json::object> read_lines(const std::string& path) {
  std::vector<json::object> out;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) out.push_back(json::parse(line).as_object());
  return out;
}

// The service as `genesys-relay forward` builds it (the composition root, purpose forward): the
// sentiment transform with its sinks (EventBridge, the CRM webhook, the marker, the alert
// webhook) over the outbox; forward() waits for the deliveries like the one-shot command.
class Forwarder : public ::testing::Test, protected testing::sim_org {
 protected:
  sim::webhook_receiver alerts;
  std::unique_ptr<topology::service> service;
  std::future<void> deliveries;
  std::vector<std::string> logs;
  std::string aws_secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
  std::string genesys_secret = "sim-secret";

  void SetUp() override { make_forwarder({}); }
  void TearDown() override { stop(); }

  topology::plan plan(const sentiment::forwarder_settings& f) {
    auto p = sim::forwarding_plan(aws, crm);
    p.genesys = sim::connect_to(genesys, {});
    p.genesys.credentials.client_secret = secret(genesys_secret);
    p.genesys.api_retry = net::retry_policy{.max_attempts = 3, .base = milliseconds{5}};
    p.sentiment->settings.forwarder = f;
    p.sentiment->settings.forwarder.alert_log = false;
    eventbridge(p).keys->secret_access_key = secret(aws_secret);
    p.sinks.push_back(sim::webhook_sink("alert_webhook", alerts, "/alerts", {"sentiment.alerts"}, sinks::webhook::body_shape::raw));
    for (auto& sink : p.sinks) {
      auto& o = sink.component->delivery;
      o.backoff_base = milliseconds{1};
      o.backoff_cap = milliseconds{5};
      o.max_attempts = 3;  // these tests read final reports: a failing sink is dead-lettered quickly
    }
    p.audit.path = dir + "/audit.jsonl";
    p.delivery.state_path = dir + "/state.db";
    return p;
  }

  static sinks::eventbridge::eventbridge_target& eventbridge(topology::plan& p) {
    return p.sink_as<sinks::eventbridge::component>("eventbridge")->target;
  }
  static sinks::genesys_attributes::attributes_settings& marker(topology::plan& p) {
    return p.sink_as<sinks::genesys_attributes::component>("marker")->settings;
  }

  void make_forwarder(const sentiment::forwarder_settings& f, std::function<void(topology::plan&)> change = {}) {
    stop();
    auto p = plan(f);
    if (change) change(p);
    service = std::make_unique<topology::service>(ioc.get_executor(), std::move(p), topology::purpose::forward,
                                                  [this](severity, std::string_view m) { logs.emplace_back(m); });
    deliveries = asio::co_spawn(ioc, service->run(), asio::use_future);
  }

  void stop() {
    if (!service) return;
    service->stop();
    ioc.restart();
    while (deliveries.wait_for(seconds{0}) != std::future_status::ready) ioc.run_one_for(milliseconds{20});
    service.reset();
  }

  template <typename F>
  static sentiment::forwarder_settings with(F change) {
    sentiment::forwarder_settings o;
    change(o);
    return o;
  }

  forward_report forward(const std::string& id, std::string trigger = "manual") {
    auto f = asio::co_spawn(ioc, service->forwarding()->forward(id, std::move(trigger), seconds{20}), asio::use_future);
    ioc.restart();
    while (f.wait_for(seconds{0}) != std::future_status::ready) ioc.run_one_for(milliseconds{20});
    return f.get();
  }

  static const sentiment::sink_delivery* delivery_to(const forward_report& r, std::string_view sink) {
    for (auto& d : r.deliveries)
      if (d.sink == sink) return &d;
    return nullptr;
  }

  sim::sentiment_record chat(int n) {
    sim::sentiment_record r;
    r.id = conversation(n);
    return r;
  }

  std::vector<json::object> audit_lines() { return read_lines(dir + "/audit.jsonl"); }
};

TEST_F(Forwarder, NegativeChatIsForwardedEverywhereMarkedAlertedAndAudited) {
  genesys.add_sentiment(chat(1));  // STA: score -0.7, nine of ten customer phrases negative
  auto r = forward(conversation(1));
  ASSERT_EQ(to_string(r.outcome), "forwarded") << r.reason;
  EXPECT_EQ(r.polarity, "negative");
  EXPECT_DOUBLE_EQ(r.confidence, 0.9);
  EXPECT_TRUE(r.alert);
  ASSERT_NE(delivery_to(r, "marker"), nullptr);
  EXPECT_EQ(delivery_to(r, "marker")->detail, "written on the participant");

  // EventBridge: the payload and, separately, the alert.
  auto events = aws.events();
  ASSERT_EQ(events.size(), 2u);
  const sim::accepted_event* forwarded = nullptr;
  for (auto& e : events)
    if (e.detail_type == "ChatSentimentAnalysis") forwarded = &e;
  ASSERT_NE(forwarded, nullptr);
  EXPECT_EQ(forwarded->event_id, r.event_id);
  EXPECT_EQ(forwarded->source, "genesys.sentiment.forwarder");
  sentiment::payload_validator v;
  EXPECT_EQ(v.validate(forwarded->detail), std::nullopt);
  auto detail = json::parse(forwarded->detail).as_object();
  EXPECT_EQ(detail.at("forwardingId").as_string(), r.forwarding_id);
  EXPECT_NE(forwarded->detail.find(
                R"("sentimentMatrix":{"polarity":"negative","confidence":0.9,"positive":0,"neutral":0.1,"negative":0.9})"),
            std::string::npos)
      << forwarded->detail;
  // The CRM webhook got the seed's envelope with the same payload.
  auto hooks = crm.received();
  ASSERT_EQ(hooks.size(), 1u);
  auto body = json::parse(hooks[0].body).as_object();
  EXPECT_EQ(body.at("event").as_string(), "sentiment.forwarded");
  EXPECT_EQ(body.at("data").as_object().at("forwardingId").as_string(), r.forwarding_id);
  EXPECT_EQ(hooks[0].path, "/crm");
  EXPECT_EQ(hooks[0].idempotency_key, r.forwarding_id) << "the CRM can de-duplicate retries";
  ASSERT_EQ(alerts.received().size(), 1u) << ::testing::PrintToString(logs);
  EXPECT_NE(alerts.received()[0].body.find("\"alert\":\"sentiment.escalation\""), std::string::npos);
  // The marker on the customer participant, as strings.
  auto rec = genesys.sentiment_of(conversation(1));
  ASSERT_TRUE(rec);
  EXPECT_EQ(rec->participant_attributes.at("sentimentForwardingId"), r.forwarding_id);
  EXPECT_EQ(rec->participant_attributes.at("forwardingStatus"), "forwarded");
  // The audit record.
  auto lines = audit_lines();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].at("outcome").as_string(), "forwarded");
  EXPECT_EQ(lines[0].at("eventId").as_string(), r.event_id);
  EXPECT_EQ(lines[0].at("alertTriggered").as_bool(), true);
  for (auto stage : {"fetch", "validate", "accept", "deliver", "total"})
    EXPECT_TRUE(lines[0].at("latencyMs").as_object().contains(stage)) << stage;
  auto& sinks = lines[0].at("deliveries").as_array();
  ASSERT_EQ(sinks.size(), 3u) << "EventBridge, the CRM and the marker, each with what it did";
  for (auto& d : sinks) EXPECT_EQ(d.as_object().at("state").as_string(), "delivered") << json::serialize(d);
}

// forward() waits for each conversation's deliveries. Past 1,000 reports, the final report of a
// conversation used to be dropped from a bounded map before its waiter read it (and one timer
// shared by every waiter made them cancel each other): those forwards waited out their wait and
// said "accepted". 16 in flight, 1,100 conversations: every one is reported forwarded.
TEST_F(Forwarder, EveryWaitingForwardGetsItsOwnFinalReportPastAThousand) {
  constexpr int kChats = 1100;
  std::vector<std::string> ids;
  for (int n = 2000 + kChats; n > 2000; --n) {  // each id sorts before those already reported
    genesys.add_sentiment(chat(n));
    ids.push_back(conversation(n));
  }
  std::size_t next = 0;
  std::map<std::string, int> outcomes;
  auto worker = [&]() -> asio::awaitable<void> {
    while (next < ids.size()) {
      auto id = ids[next++];
      auto r = co_await service->forwarding()->forward(id, "manual", seconds{5});
      ++outcomes[std::string(to_string(r.outcome))];
    }
  };
  std::vector<std::future<void>> workers;
  for (int w = 0; w < 16; ++w) workers.push_back(asio::co_spawn(ioc, worker(), asio::use_future));
  ioc.restart();
  for (auto& f : workers)
    while (f.wait_for(seconds{0}) != std::future_status::ready) ioc.run_one_for(milliseconds{20});
  EXPECT_EQ(outcomes, (std::map<std::string, int>{{"forwarded", kChats}}));
}

TEST_F(Forwarder, AnalyticsSourceFollowsEveryPage) {
  auto c = chat(2);
  c.analytics_pages = 7;
  genesys.add_sentiment(c);
  make_forwarder(with([](auto& o) { o.source = sentiment::source_kind::analytics; }));
  auto r = forward(conversation(2));
  ASSERT_EQ(to_string(r.outcome), "forwarded") << r.reason;
  EXPECT_DOUBLE_EQ(r.confidence, 0.82);  // the seed's sentimentOverallScore
  EXPECT_EQ(r.polarity, "negative");
  EXPECT_GE(genesys.sentiment_reads(), 7u);
}

TEST_F(Forwarder, LowConfidenceStopsWithTheReasonInTheAuditLog) {
  auto c = chat(3);
  c.customer_phrases = {-1, 1, 0, 0, -1};  // two of five agree with "negative"
  genesys.add_sentiment(c);
  auto r = forward(conversation(3));
  EXPECT_EQ(to_string(r.outcome), "below-threshold");
  EXPECT_EQ(r.reason, "confidence 0.4 is below the threshold 0.75 (speech-analytics sentiment, polarity negative)");
  EXPECT_TRUE(aws.events().empty());
  EXPECT_TRUE(crm.received().empty());
  EXPECT_EQ(audit_lines().at(0).at("reason").as_string(), r.reason);
}

TEST_F(Forwarder, NotAnalysedYetIsRetriedUntilTheHorizonThenRecorded) {
  auto c = chat(4);
  c.not_analysed = 2;
  genesys.add_sentiment(c);
  make_forwarder(with([](auto& o) { o.not_analysed_horizon = milliseconds{5000}, o.not_analysed_backoff = milliseconds{5}; }));
  auto r = forward(conversation(4));
  EXPECT_EQ(to_string(r.outcome), "forwarded") << r.reason;  // analysed on the third read

  auto later = chat(5);
  later.not_analysed = 1000;
  genesys.add_sentiment(later);
  make_forwarder(with([](auto& o) { o.not_analysed_horizon = milliseconds{30}, o.not_analysed_backoff = milliseconds{5}; }));
  r = forward(conversation(5));
  EXPECT_EQ(to_string(r.outcome), "not-analysed");
  EXPECT_EQ(r.reason, "no speech-analytics sentiment for conversation " + conversation(5) + " yet after waiting 30 ms");
  // Not analysed is not final: the same trigger may try again later.
  stop();
  EXPECT_FALSE(delivery::idempotency_store(dir + "/state.db").find(conversation(5) + ":manual"));
  make_forwarder({});
}

// A transfer gives the customer a second communication with its own transcript: both count.
TEST_F(Forwarder, TheTranscriptOfEveryCustomerCommunicationCounts) {
  auto c = chat(30);
  c.customer_sessions = 2;  // phrases 0,2,4,6,8 (all negative) on the first, 1,3,5,7,9 on the second
  genesys.add_sentiment(c);
  auto reads = genesys.stats().transcript_urls;
  auto r = forward(conversation(30));
  ASSERT_EQ(to_string(r.outcome), "forwarded") << r.reason;
  EXPECT_DOUBLE_EQ(r.confidence, 0.9) << "nine of ten phrases over both transcripts; the first alone would give 1.0";
  EXPECT_EQ(genesys.stats().transcript_urls - reads, 2u);
}

TEST_F(Forwarder, NoTranscriptIsItsOwnOutcomeNotAZeroConfidence) {
  auto c = chat(31);
  c.no_transcript = true;
  genesys.add_sentiment(c);
  auto r = forward(conversation(31));
  EXPECT_EQ(to_string(r.outcome), "no-transcript");
  EXPECT_EQ(r.reason, "conversation " + conversation(31) +
                          " is scored (-0.7) but none of the customer's 1 communication(s) has a transcript to take the "
                          "sentiment shares from");
  EXPECT_TRUE(aws.events().empty());
  EXPECT_TRUE(crm.received().empty());
  EXPECT_EQ(audit_lines().at(0).at("outcome").as_string(), "no-transcript");
  // Not final for the trigger: a later one may find the transcript.
  stop();
  EXPECT_FALSE(delivery::idempotency_store(dir + "/state.db").find(conversation(31) + ":manual"));
  make_forwarder({});
}

TEST_F(Forwarder, AMissingSentimentScoreIsNotAnalysedYetNotAFailure) {
  auto c = chat(32);
  c.missing_score = true;
  genesys.add_sentiment(c);
  make_forwarder(with([](auto& o) { o.not_analysed_horizon = milliseconds{30}, o.not_analysed_backoff = milliseconds{5}; }));
  auto r = forward(conversation(32));
  EXPECT_EQ(to_string(r.outcome), "not-analysed") << r.reason;
  EXPECT_EQ(r.reason, "no speech-analytics sentiment for conversation " + conversation(32) + " yet after waiting 30 ms");
}

// GET /api/v2/conversations/{id} in the SDK's Conversation shape: times, the participants'
// purpose, type, times, queue and user, attributes, every media array, and on the agent's
// communication its own wrapup and afterCallWork.
TEST_F(Forwarder, TheSimulatorsConversationHasTheApisShape) {
  auto c = chat(33);
  c.participant_attributes = {{"k", "v"}};
  genesys.add_sentiment(c);
  net::http_client_options ho;
  ho.tls.ca_pem = genesys.certificate_pem();
  genesys::api_session api(ioc.get_executor(), ho, genesys.https_url(), genesys.https_url(),
                           genesys::client_credentials{"sim-client", secret("sim-secret")}, net::retry_policy{});
  auto f = asio::co_spawn(ioc, api.api.call(genesys::api_priority::forwarding, "GET", "/api/v2/conversations/" + conversation(33)),
                          asio::use_future);
  ioc.restart();
  while (f.wait_for(seconds{0}) != std::future_status::ready) ioc.run_one_for(milliseconds{20});
  auto res = f.get();
  ASSERT_EQ(res.status, 200u) << res.body;
  auto doc = json::parse(res.body).as_object();
  EXPECT_EQ(doc.at("id").as_string(), conversation(33));
  EXPECT_TRUE(parse_rfc3339(std::string(doc.at("startTime").as_string())));
  EXPECT_TRUE(parse_rfc3339(std::string(doc.at("endTime").as_string())));
  std::map<std::string, json::object> by_purpose;
  for (auto& p : doc.at("participants").as_array()) by_purpose[std::string(p.as_object().at("purpose").as_string())] = p.as_object();
  ASSERT_TRUE(by_purpose.contains("customer") && by_purpose.contains("agent") && by_purpose.contains("acd"));
  auto& customer = by_purpose["customer"];
  EXPECT_EQ(customer.at("participantType").as_string(), "External");
  EXPECT_EQ(customer.at("attributes").as_object().at("k").as_string(), "v");
  for (auto key : {"startTime", "endTime", "calls", "callbacks", "chats", "emails", "messages", "videos"})
    EXPECT_TRUE(customer.contains(key)) << key;
  auto& chats = customer.at("chats").as_array();
  ASSERT_EQ(chats.size(), 1u);
  auto cid = std::string(chats[0].as_object().at("id").as_string());
  EXPECT_EQ(cid.size(), 36u) << "a UUID, as the API's communication ids: " << cid;
  EXPECT_EQ(chats[0].as_object().at("state").as_string(), "disconnected");
  auto& agent = by_purpose["agent"];
  EXPECT_EQ(agent.at("userId").as_string(), "u-agent-1");
  EXPECT_EQ(agent.at("wrapup").as_object().at("code").as_string(), "Resolved");
  auto& session = agent.at("chats").as_array().at(0).as_object();
  EXPECT_EQ(session.at("wrapup").as_object().at("code").as_string(), "Resolved") << "the wrap-up on the communication too";
  EXPECT_EQ(session.at("afterCallWork").as_object().at("state").as_string(), "complete");
  EXPECT_TRUE(session.at("afterCallWorkRequired").as_bool());
  // Transcripts are keyed by that communication id; another id has none.
  auto url = [&](const std::string& comm) {
    auto g = asio::co_spawn(ioc, api.api.call(genesys::api_priority::forwarding, "GET",
                                              "/api/v2/speechandtextanalytics/conversations/" + conversation(33) +
                                                  "/communications/" + comm + "/transcripturl"),
                            asio::use_future);
    ioc.restart();
    while (g.wait_for(seconds{0}) != std::future_status::ready) ioc.run_one_for(milliseconds{20});
    return g.get().status;
  };
  EXPECT_EQ(url(cid), 200u);
  EXPECT_EQ(url(conversation(33) + "-comm"), 404u);
}

TEST_F(Forwarder, AnUnknownConversationIsNotFoundAndTheNextOneStillGoes) {
  auto r = forward(conversation(404));
  EXPECT_EQ(to_string(r.outcome), "not-found");
  EXPECT_EQ(r.reason, "conversation " + conversation(404) + " not found");
  genesys.add_sentiment(chat(6));
  EXPECT_EQ(to_string(forward(conversation(6)).outcome), "forwarded");
}

TEST_F(Forwarder, AConflictRereadsTheConversationAndRetriesTheMarker) {
  auto c = chat(7);
  c.conflicts = 2;
  genesys.add_sentiment(c);
  auto r = forward(conversation(7));
  EXPECT_EQ(to_string(r.outcome), "forwarded");
  EXPECT_EQ(delivery_to(r, "marker")->state, delivery::delivery_state::delivered);
  EXPECT_EQ(genesys.sentiment_of(conversation(7))->attribute_writes, 1);

  auto always_conflicting = chat(8);
  always_conflicting.conflicts = 1000;  // far more 409s than conflict_retries (3) allows
  always_conflicting.live = true;       // a conversation still going may change version again: retried
  genesys.add_sentiment(always_conflicting);
  r = forward(conversation(8));
  // The marker is one target among others: its 409s never hold back EventBridge or the CRM.
  EXPECT_EQ(to_string(r.outcome), "dead-lettered");
  EXPECT_FALSE(r.event_id.empty());
  EXPECT_EQ(delivery_to(r, "crm")->state, delivery::delivery_state::delivered);
  EXPECT_EQ(delivery_to(r, "marker")->state, delivery::delivery_state::dead_lettered);
  EXPECT_EQ(delivery_to(r, "marker")->detail,
            "Conflict: the participant's attributes still answer 409 after 4 writes (after 3 attempts)");

  auto ended_conflicting = chat(34);  // an ended conversation does not change: refused, not retried
  ended_conflicting.conflicts = 1000;
  genesys.add_sentiment(ended_conflicting);
  r = forward(conversation(34));
  auto* marker = delivery_to(r, "marker");
  EXPECT_EQ(marker->attempts, 1);
  EXPECT_TRUE(marker->detail.starts_with("ConversationEnded: Genesys still answers 409 (conflict: The conversation was modified"))
      << marker->detail;
}

// A real org may refuse the write-back (an ended conversation, a client without the permission):
// publication never depends on it.
TEST_F(Forwarder, AMarkerRefusedWith403Or404IsDeadLetteredAndEventBridgeAndTheCrmStillGetThePayload) {
  for (auto [n, status] : {std::pair{30, 403u}, std::pair{31, 404u}}) {
    auto c = chat(n);
    c.refuse_writes = status;
    genesys.add_sentiment(c);
    auto before = crm.accepted();
    auto r = forward(conversation(n));
    EXPECT_EQ(to_string(r.outcome), "dead-lettered") << status;
    EXPECT_EQ(delivery_to(r, "eventbridge")->state, delivery::delivery_state::delivered) << status;
    EXPECT_FALSE(r.event_id.empty());
    EXPECT_EQ(delivery_to(r, "crm")->state, delivery::delivery_state::delivered) << status;
    EXPECT_EQ(crm.accepted(), before + 1);
    auto* marker = delivery_to(r, "marker");
    EXPECT_EQ(marker->state, delivery::delivery_state::dead_lettered);
    EXPECT_EQ(marker->attempts, 1) << "a refusal is not retried";
    EXPECT_NE(marker->detail.find(std::to_string(status)), std::string::npos) << marker->detail;
    EXPECT_NE(marker->detail.find(status == 403 ? "missing.permissions" : "not.found"), std::string::npos) << marker->detail;
    EXPECT_TRUE(genesys.sentiment_of(conversation(n))->participant_attributes.empty());
  }
}

// A strict org answers 409 to attribute writes once the conversation ended. The relay re-reads
// the conversation once (a 409 is usually a version conflict), sees its endTime and dead-letters
// the marker with Genesys's answer instead of retrying it for days; the payload still goes out.
TEST_F(Forwarder, AStrictOrgRefusingWritesOnEndedConversationsDeadLettersTheMarkerOnceWithTheReason) {
  genesys.refuse_writes_after_end(true);
  genesys.add_sentiment(chat(32));
  auto before = crm.accepted();
  auto r = forward(conversation(32));
  EXPECT_EQ(to_string(r.outcome), "dead-lettered");
  EXPECT_EQ(delivery_to(r, "eventbridge")->state, delivery::delivery_state::delivered);
  EXPECT_EQ(delivery_to(r, "crm")->state, delivery::delivery_state::delivered);
  EXPECT_EQ(crm.accepted(), before + 1);
  auto* marker = delivery_to(r, "marker");
  EXPECT_EQ(marker->state, delivery::delivery_state::dead_lettered);
  EXPECT_EQ(marker->attempts, 1) << "an ended conversation is not retried";
  EXPECT_NE(marker->detail.find("ConversationEnded: Genesys still answers 409 (conversation.participant.terminated: Participant "),
            std::string::npos) << marker->detail;
  EXPECT_NE(marker->detail.find("after 4 writes of the marker on conversation " + conversation(32) + ", which ended at 20"),
            std::string::npos) << marker->detail;
  EXPECT_TRUE(genesys.sentiment_of(conversation(32))->participant_attributes.empty());

  genesys.refuse_writes_after_end(false);  // the same org without the rule takes the marker
  genesys.add_sentiment(chat(33));
  EXPECT_EQ(to_string(forward(conversation(33)).outcome), "forwarded");
}

TEST_F(Forwarder, TheSeedsConversationAttributesPutIsWrittenWhenConfigured) {
  genesys.add_sentiment(chat(9));
  make_forwarder({}, [](auto& p) { marker(p) = {.participant = false, .conversation = true}; });
  auto r = forward(conversation(9));
  EXPECT_EQ(to_string(r.outcome), "forwarded");
  auto rec = genesys.sentiment_of(conversation(9));
  EXPECT_EQ(rec->conversation_attributes.at("sentimentForwardingId"), r.forwarding_id);
  EXPECT_TRUE(rec->participant_attributes.empty());
}

TEST_F(Forwarder, TheSeedsOwnFlowAnalyticsThenPutWorksWithoutTheParticipantRead) {
  genesys.add_sentiment(chat(12));
  make_forwarder(with([](auto& o) { o.source = sentiment::source_kind::analytics; }),
                 [](auto& p) { marker(p) = {.participant = false, .conversation = true}; });
  auto r = forward(conversation(12));
  ASSERT_EQ(to_string(r.outcome), "forwarded") << r.reason;
  EXPECT_EQ(delivery_to(r, "marker")->detail, "written on the conversation");
  EXPECT_EQ(genesys.sentiment_of(conversation(12))->conversation_attributes.at("forwardingStatus"), "forwarded");
  // An id the org does not know: the query finds no sentiment, so nothing is written or sent.
  r = forward("00000000-0000-4000-8000-00000000dead");
  EXPECT_EQ(to_string(r.outcome), "not-analysed");
  EXPECT_TRUE(r.deliveries.empty()) << "nothing was accepted";
}

TEST_F(Forwarder, AWebhookRefusingThePayloadDoesNotBlockEventBridgeAndIsDeadLettered) {
  genesys.add_sentiment(chat(10));
  crm.fail_next(100, 400);
  auto r = forward(conversation(10));
  EXPECT_EQ(to_string(r.outcome), "dead-lettered");
  EXPECT_FALSE(r.event_id.empty());
  EXPECT_EQ(delivery_to(r, "crm")->detail, "HTTP400: webhook " + crm.https_url() + "/crm answered HTTP 400: {\"status\":\"unavailable\"}");
  EXPECT_NE(r.reason.find("crm: HTTP400"), std::string::npos) << r.reason;
  crm.fail_next(0, 400);
}

TEST_F(Forwarder, AWebhookAnswering500ThenOkGetsThePayloadOnceWithTheSameIdempotencyKey) {
  genesys.add_sentiment(chat(20));
  crm.fail_next(2, 500);
  auto r = forward(conversation(20));
  ASSERT_EQ(to_string(r.outcome), "forwarded") << r.reason;
  EXPECT_EQ(delivery_to(r, "crm")->attempts, 3);
  auto got = crm.received();
  ASSERT_EQ(got.size(), 3u) << "two 500s, then 200";
  EXPECT_EQ(got[0].answered, 500u);
  EXPECT_EQ(got[2].answered, 200u);
  for (auto& g : got) EXPECT_EQ(g.idempotency_key, r.forwarding_id) << "the same key on every retry";
  EXPECT_EQ(crm.accepted(), 1u);
}

TEST_F(Forwarder, FailingEventBridgeDoesNotBlockTheWebhook) {
  genesys.add_sentiment(chat(11));
  aws_secret = "a-wrong-secret";
  make_forwarder({});
  auto r = forward(conversation(11));
  EXPECT_EQ(to_string(r.outcome), "dead-lettered");
  EXPECT_NE(r.reason.find("eventbridge: InvalidSignatureException"), std::string::npos) << r.reason;
  EXPECT_EQ(r.reason.find("a-wrong-secret"), std::string::npos);
  EXPECT_EQ(crm.received().size(), 1u);
  EXPECT_EQ(delivery_to(r, "crm")->detail, "HTTP 200");
}

TEST_F(Forwarder, EachTriggerForwardsOnceEvenAcrossRestarts) {
  genesys.add_sentiment(chat(12));
  auto first = forward(conversation(12), "end");
  ASSERT_EQ(to_string(first.outcome), "forwarded");
  auto again = forward(conversation(12), "end");
  EXPECT_EQ(to_string(again.outcome), "duplicate");
  EXPECT_EQ(again.forwarding_id, first.forwarding_id);
  // A new process: the same state file.
  make_forwarder({});
  EXPECT_EQ(to_string(forward(conversation(12), "end").outcome), "duplicate");
  // Another trigger forwards again, but the escalation alert is raised once per conversation.
  EXPECT_EQ(to_string(forward(conversation(12), "periodic-1").outcome), "forwarded");
  EXPECT_EQ(alerts.received().size(), 1u);
  std::size_t forwarded_events = 0;
  for (auto& e : aws.events()) forwarded_events += e.detail_type == "ChatSentimentAnalysis";
  EXPECT_EQ(forwarded_events, 2u);
}

TEST_F(Forwarder, APayloadTheSchemaRefusesIsDeadLetteredWithTheValidatorsMessage) {
  auto c = chat(13);
  c.id = "NOT-A-GENESYS-ID";
  genesys.add_sentiment(c);
  auto r = forward("NOT-A-GENESYS-ID");
  EXPECT_EQ(to_string(r.outcome), "failed");
  EXPECT_NE(r.reason.find("the payload fails chat-sentiment.v1.json: $.conversationId: "), std::string::npos) << r.reason;
  EXPECT_TRUE(aws.events().empty());
}

TEST_F(Forwarder, GenesysErrorsAreFailuresWithTheirMessageAndTheProcessGoesOn) {
  genesys.add_sentiment(chat(14));
  genesys.forbid(true);
  auto r = forward(conversation(14));
  EXPECT_EQ(to_string(r.outcome), "failed");
  EXPECT_NE(r.reason.find("lacks a permission (HTTP 403"), std::string::npos) << r.reason;
  genesys.forbid(false);
  genesys.fail_next(2, 502);
  EXPECT_EQ(to_string(forward(conversation(14)).outcome), "forwarded");  // 502s retried; a failure is not final
  genesys.rate_limit_next(1, 1);
  genesys.add_sentiment(chat(15));
  EXPECT_EQ(to_string(forward(conversation(15)).outcome), "forwarded");  // 429 + Retry-After honoured
}

TEST_F(Forwarder, A401RefreshesTheTokenOnceAndWrongCredentialsFailWithoutTheSecret) {
  genesys.add_sentiment(chat(16));
  genesys.revoke_tokens();  // the cached token now answers 401
  auto r = forward(conversation(16));
  EXPECT_EQ(to_string(r.outcome), "forwarded") << r.reason;

  genesys_secret = "not-the-secret";
  make_forwarder({});
  genesys.add_sentiment(chat(17));
  r = forward(conversation(17));
  EXPECT_EQ(to_string(r.outcome), "failed");
  EXPECT_NE(r.reason.find("sim-client"), std::string::npos) << r.reason;
  EXPECT_EQ(r.reason.find("not-the-secret"), std::string::npos) << r.reason;
  auto lines = audit_lines();
  EXPECT_EQ(lines.back().at("outcome").as_string(), "failed");
}

TEST_F(Forwarder, GatewayTimeoutsBeyondTheRetryBudgetFailThatConversationOnly) {
  genesys.add_sentiment(chat(18));
  genesys.add_sentiment(chat(19));
  genesys.fail_next(20, 504);
  auto r = forward(conversation(18));
  EXPECT_EQ(to_string(r.outcome), "failed");
  EXPECT_NE(r.reason.find("HTTP 504"), std::string::npos) << r.reason;
  genesys.fail_next(0, 504);
  EXPECT_EQ(to_string(forward(conversation(19)).outcome), "forwarded");
  EXPECT_EQ(to_string(forward(conversation(18)).outcome), "forwarded") << "a failed trigger is not recorded as done";
}

TEST_F(Forwarder, AuditLogRotatesBySize) {
  make_forwarder({}, [this](auto& p) { p.audit = {dir + "/small.jsonl", 2000, 2}; });
  for (int i = 20; i < 26; ++i) {
    genesys.add_sentiment(chat(i));
    forward(conversation(i));
  }
  EXPECT_TRUE(std::filesystem::exists(dir + "/small.jsonl.1"));
  EXPECT_TRUE(std::filesystem::exists(dir + "/small.jsonl.2"));
  EXPECT_FALSE(std::filesystem::exists(dir + "/small.jsonl.3"));
  EXPECT_LE(std::filesystem::file_size(dir + "/small.jsonl"), 2000u);
}

}  // namespace
}  // namespace grm
