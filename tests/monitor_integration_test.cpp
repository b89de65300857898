// The monitor against the simulated org on loopback: real TLS, real WebSocket, real SSE, and
// every fault the simulator can inject. Waits are bounded; no test asserts a timing.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>

#include "tests/support/monitor_harness.hpp"

namespace grm::testing {
namespace {

using namespace std::chrono;
using kinds = std::vector<std::string>;
const kinds kFullLifecycle{"start", "update", "update", "end", "wrapup"};

sim::sim_options fast_sim(std::size_t conversations) {
  sim::sim_options o;
  o.max_conversations = conversations;
  o.start_interval = milliseconds{60};
  o.stage_interval = milliseconds{200};
  o.heartbeat_interval = milliseconds{300};
  o.socket_closing_grace = milliseconds{1500};
  o.sse_keepalive_interval = milliseconds{200};
  return o;
}

bool all_wrapped(const monitor_harness& h, const sim::genesys_simulator& s, std::size_t n) {
  if (s.stats().conversations_wrapped < n) return false;
  auto lc = h.lifecycles();
  std::size_t wrapped = 0;
  for (auto& [id, k] : lc)
    if (!k.empty() && k.back() == "wrapup") ++wrapped;
  return wrapped >= n;
}

// The API has no replay, so conversations start only once every transport is connected.
void start_connected(sim::genesys_simulator& s, monitor_harness& h, std::size_t transports = 1) {
  s.pause_generator(true);
  h.start();
  ASSERT_TRUE(h.wait_until([&] { return h.stats().connects >= transports; })) << h.fatal_error();
  s.pause_generator(false);
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

TEST(MonitorIntegration, DeliversEveryLifecycleOverVerifiedTlsWebSocket) {
  auto so = fast_sim(6);
  sim::genesys_simulator s(so);
  monitor_harness h(s, so, {});
  start_connected(s, h, 1);
  ASSERT_TRUE(h.wait_until([&] { return all_wrapped(h, s, 6); })) << h.fatal_error();
  for (auto& [id, k] : h.lifecycles()) EXPECT_EQ(k, kFullLifecycle) << id;
  EXPECT_EQ(h.lifecycles().size(), 6u);
  EXPECT_TRUE(h.fatal_error().empty());
}

TEST(MonitorIntegration, PlannedRotationMissesNothingAndDeliversNothingTwice) {
  auto so = fast_sim(24);
  sim::genesys_simulator s(so);
  monitor_harness h(s, so, {});
  start_connected(s, h, 1);
  ASSERT_TRUE(h.wait_until([&] { return s.stats().conversations_started >= 6; }));
  s.send_socket_closing();
  ASSERT_TRUE(h.wait_until([&] { return all_wrapped(h, s, 24); })) << h.fatal_error();
  EXPECT_EQ(h.stats().rotations, 1u);
  EXPECT_EQ(h.stats().reconnects, 0u);  // planned: no drop, no reconciliation needed
  auto published = s.published_lifecycles();
  for (auto& [id, k] : h.lifecycles()) {
    EXPECT_EQ(k, kFullLifecycle) << id;
    EXPECT_EQ(published[id].size(), 5u) << id;
  }
  EXPECT_EQ(h.lifecycles().size(), 24u);
}

// A channel may end with the token that created it: the relay rotates to a channel made with a
// fresh token before then, so nothing drops and nothing is missed.
TEST(MonitorIntegration, TheChannelIsRotatedBeforeTheTokenThatMadeItExpires) {
  auto so = fast_sim(30);
  so.start_interval = milliseconds{250};
  so.token_lifetime = seconds{5};
  so.channels_end_with_token = true;
  sim::genesys_simulator s(so);
  monitor_harness h(s, so, {});
  start_connected(s, h, 1);
  ASSERT_TRUE(h.wait_until([&] { return all_wrapped(h, s, 30); }, seconds{60})) << h.fatal_error();
  EXPECT_GE(h.stats().rotations, 1u);
  EXPECT_EQ(h.stats().reconnects, 0u) << "no channel ended under the relay";
  for (auto& [id, k] : h.lifecycles()) EXPECT_EQ(k, kFullLifecycle) << id;
  EXPECT_EQ(h.lifecycles().size(), 30u);
  auto logs = h.log_lines();
  EXPECT_TRUE(std::any_of(logs.begin(), logs.end(), [](auto& l) {
    return contains(l, "the token that created the channel expires soon; opening the replacement channel first");
  })) << ::testing::PrintToString(logs);
}

TEST(MonitorIntegration, ReconcilesEndAndWrapupThatHappenedWhileDisconnected) {
  auto so = fast_sim(5);
  so.stage_interval = milliseconds{400};
  sim::genesys_simulator s(so);
  monitor_harness h(s, so, {});
  start_connected(s, h, 1);
  ASSERT_TRUE(h.wait_until([&] { return h.lifecycles().size() == 5; }));
  // Everything ends while the relay cannot reconnect: only re-reading the state can tell it.
  s.refuse_websockets_for(milliseconds{3000});
  s.drop_sockets();
  ASSERT_TRUE(h.wait_until([&] { return all_wrapped(h, s, 5); }, seconds{40})) << h.fatal_error();
  EXPECT_GE(h.stats().reconnects, 1u);
  EXPECT_GE(h.stats().reconciled, 1u);
  for (auto& [id, k] : h.lifecycles()) {
    EXPECT_EQ(std::count(k.begin(), k.end(), "start"), 1) << id;
    EXPECT_EQ(std::count(k.begin(), k.end(), "end"), 1) << id;
    EXPECT_EQ(std::count(k.begin(), k.end(), "wrapup"), 1) << id;
    EXPECT_EQ(k.back(), "wrapup") << id;
  }
}

TEST(MonitorIntegration, SilentSocketIsDetectedAndReplaced) {
  auto so = fast_sim(0);
  so.start_interval = milliseconds{100'000};
  sim::genesys_simulator s(so);
  harness_options ho;
  ho.heartbeat_timeout = milliseconds{700};
  monitor_harness h(s, so, ho);
  h.start();
  ASSERT_TRUE(h.wait_until([&] { return h.stats().connects >= 1; }));
  s.pause_heartbeats(true);
  ASSERT_TRUE(h.wait_until([&] { return h.stats().reconnects >= 1; })) << h.fatal_error();
  s.pause_heartbeats(false);
  ASSERT_TRUE(h.wait_until([&] { return h.stats().connects >= 2; }));
  EXPECT_TRUE(h.fatal_error().empty());
}

TEST(MonitorIntegration, RevokedTokenIsRefreshedOnceAndWorkContinues) {
  auto so = fast_sim(0);
  so.start_interval = milliseconds{100'000};
  sim::genesys_simulator s(so);
  monitor_harness h(s, so, {});
  h.start();
  ASSERT_TRUE(h.wait_until([&] { return h.stats().connects >= 1; }));
  s.revoke_tokens();
  s.drop_sockets();  // the reconnect calls the API with the revoked token
  ASSERT_TRUE(h.wait_until([&] { return h.stats().connects >= 2; })) << h.fatal_error();
  EXPECT_EQ(h.token_refreshes(), 2u);
  EXPECT_GE(s.stats().unauthorized, 1u);
  EXPECT_TRUE(h.fatal_error().empty());
}

TEST(MonitorIntegration, MissingPermissionIsFatalAndNamesThePermissionAndClient) {
  auto so = fast_sim(0);
  sim::genesys_simulator s(so);
  s.forbid(true);
  monitor_harness h(s, so, {});
  h.start();
  ASSERT_TRUE(h.wait_until([&] { return h.finished(); }));
  auto e = h.fatal_error();
  EXPECT_TRUE(contains(e, "OAuth client 'sim-client' lacks a permission (HTTP 403 missing.permissions)")) << e;
  EXPECT_TRUE(contains(e, "routing:queue:view")) << e;
}

// A channel whose every topic is refused would only ever carry heartbeats: the stream stops and
// says why, instead of running silently with nothing to receive.
TEST(MonitorIntegration, EveryTopicRejectedIsFatalAndNamesEachTopicAndItsReason) {
  auto so = fast_sim(0);
  sim::genesys_simulator s(so);
  monitor_harness h(s, so, {});
  h.settings.notifications.topics = {"v2.analytics.nothing", "v2.no.such.topic"};
  h.start();
  ASSERT_TRUE(h.wait_until([&] { return h.finished(); }));
  auto e = h.fatal_error();
  EXPECT_TRUE(contains(e, "was rejected, so it would receive only heartbeats: v2.analytics.nothing (Topic is not "
                          "supported by the simulator); v2.no.such.topic (Topic is not supported by the simulator)"))
      << e;
  EXPECT_TRUE(contains(e, "OAuth client's permissions")) << e;
}

// Some topics refused: one warning names them, the rest are received.
TEST(MonitorIntegration, PartlyRejectedTopicsAreOneWarningAndTheOthersFlow) {
  auto so = fast_sim(2);
  sim::genesys_simulator s(so);
  monitor_harness h(s, so, {});
  h.settings.notifications.topics.push_back("v2.no.such.topic");
  auto subscribed = h.settings.notifications.topics.size();
  start_connected(s, h, 1);
  ASSERT_TRUE(h.wait_until([&] { return all_wrapped(h, s, 2); })) << h.fatal_error();
  EXPECT_TRUE(h.fatal_error().empty());
  auto logs = h.log_lines();
  auto warning = std::find_if(logs.begin(), logs.end(), [](auto& l) { return contains(l, "topics rejected on channel"); });
  ASSERT_NE(warning, logs.end()) << ::testing::PrintToString(logs);
  EXPECT_TRUE(contains(*warning, fmt::format("1 of {} topics rejected", subscribed))) << *warning;
  EXPECT_TRUE(contains(*warning, "v2.no.such.topic (Topic is not supported by the simulator); the other")) << *warning;
}

TEST(MonitorIntegration, WrongCredentialsFailWithOneLineNamingTheVariablesButNotTheSecret) {
  auto so = fast_sim(0);
  sim::genesys_simulator s(so);
  s.reject_credentials(true);
  monitor_harness h(s, so, {});
  h.start();
  ASSERT_TRUE(h.wait_until([&] { return h.finished(); }));
  auto e = h.fatal_error();
  EXPECT_TRUE(contains(e, "OAuth client 'sim-client' was refused")) << e;
  EXPECT_TRUE(contains(e, "invalid_client")) << e;
  EXPECT_TRUE(contains(e, "GENESYSCLOUD_OAUTHCLIENT_SECRET")) << e;
  EXPECT_FALSE(contains(e, so.client_secret)) << e;
  EXPECT_EQ(e.find('\n'), std::string::npos);
}

TEST(MonitorIntegration, RateLimitedCallsWaitForRetryAfterThenSucceed) {
  auto so = fast_sim(2);
  sim::genesys_simulator s(so);
  s.rate_limit_next(2, 1);
  monitor_harness h(s, so, {});
  start_connected(s, h, 1);
  ASSERT_TRUE(h.wait_until([&] { return all_wrapped(h, s, 2); })) << h.fatal_error();
  EXPECT_EQ(s.stats().rate_limited, 2u);
}

TEST(MonitorIntegration, TransientServerErrorsAreRetried) {
  auto so = fast_sim(1);
  sim::genesys_simulator s(so);
  s.fail_next(2, 503);
  monitor_harness h(s, so, {});
  start_connected(s, h, 1);
  ASSERT_TRUE(h.wait_until([&] { return all_wrapped(h, s, 1); })) << h.fatal_error();
}

// Injects one malformed, one wrongly typed and one oversized event into every stream; `check`
// asserts the messages (count(needle) = errors containing it). Then the same connections must
// go on delivering whole lifecycles.
using error_count = std::function<long(const std::string&)>;
void expect_bad_input_reported_and_streams_carry_on(harness_options o, const std::function<void(const error_count&)>& check) {
  auto so = fast_sim(2);
  sim::genesys_simulator s(so);
  s.pause_generator(true);
  monitor_harness h(s, so, o);
  h.start();
  ASSERT_TRUE(h.wait_until([&] { return h.stats().connects >= 1; }));
  s.inject_malformed();
  s.inject_wrong_types();
  s.inject_oversized(300 * 1024);
  ASSERT_TRUE(h.wait_until([&] { return h.stream_errors().size() >= 3; })) << h.fatal_error();
  auto errors = h.stream_errors();
  check([&](const std::string& needle) {
    return static_cast<long>(std::count_if(errors.begin(), errors.end(), [&](auto& e) { return contains(e, needle); }));
  });
  s.pause_generator(false);
  ASSERT_TRUE(h.wait_until([&] { return all_wrapped(h, s, 2); })) << h.fatal_error();
  for (auto& [id, k] : h.lifecycles()) EXPECT_EQ(k, kFullLifecycle) << id;
  EXPECT_EQ(h.stats().reconnects, 0u);
  EXPECT_TRUE(h.fatal_error().empty());
}

TEST(MonitorIntegration, BadInputIsReportedWithAPreciseMessageAndTheStreamsCarryOn) {
  expect_bad_input_reported_and_streams_carry_on({}, [](const error_count& count) {
    EXPECT_EQ(count("invalid JSON"), 1);
    EXPECT_EQ(count("field 'id' must be a string, got number"), 1);
    EXPECT_EQ(count("exceeds the limit of 262144 bytes"), 1);
  });
}

harness_options sse_only() {
  harness_options o;
  o.notifications = false;
  o.sse = true;
  return o;
}

TEST(MonitorIntegration, SseStreamDeliversEveryLifecycleOverTlsAndSkipsKeepAlives) {
  auto so = fast_sim(4);
  sim::genesys_simulator s(so);
  monitor_harness h(s, so, sse_only());
  start_connected(s, h, 1);
  ASSERT_TRUE(h.wait_until([&] { return all_wrapped(h, s, 4); })) << h.fatal_error();
  for (auto& [id, k] : h.lifecycles()) EXPECT_EQ(k, kFullLifecycle) << id;
  EXPECT_EQ(h.lifecycles().size(), 4u);
  EXPECT_TRUE(h.stream_errors().empty()) << h.stream_errors().front();  // keep-alives are not errors
  EXPECT_EQ(s.stats().sse_connections, 1u);
}

TEST(MonitorIntegration, SseByteByByteDeliveryLosesNothing) {
  auto so = fast_sim(3);
  sim::genesys_simulator s(so);
  s.slow_delivery(true);  // every byte in its own HTTP chunk: frames and UTF-8 split everywhere
  monitor_harness h(s, so, sse_only());
  start_connected(s, h, 1);
  ASSERT_TRUE(h.wait_until([&] { return all_wrapped(h, s, 3); }, seconds{60})) << h.fatal_error();
  for (auto& [id, k] : h.lifecycles()) EXPECT_EQ(k, kFullLifecycle) << id;
  EXPECT_TRUE(h.stream_errors().empty());
}

TEST(MonitorIntegration, SseBadLinesAreReportedWithTheRawLineAndTheStreamCarriesOn) {
  expect_bad_input_reported_and_streams_carry_on(sse_only(), [](const error_count& count) {
    EXPECT_EQ(count("invalid JSON"), 1);
    // The message carries the raw line that failed.
    EXPECT_EQ(count("[raw: {\"eventType\":\"conversation:start\",\"conversationId\":]"), 1);
    EXPECT_EQ(count("field 'conversationId' must be a string, got number"), 1);
    EXPECT_EQ(count("exceeds the limit of 262144 bytes"), 1);
  });
}

TEST(MonitorIntegration, BothTransportsTogetherDeliverEachEventOnce) {
  auto so = fast_sim(3);
  sim::genesys_simulator s(so);
  auto ho = sse_only();
  ho.notifications = true;
  monitor_harness h(s, so, ho);
  start_connected(s, h, 2);
  ASSERT_TRUE(h.wait_until([&] { return all_wrapped(h, s, 3); })) << h.fatal_error();
  // Each transition once, whichever transport saw it first; updates are observations, so each
  // transport's sighting of a change may pass (there is no shared identity to merge them by).
  for (auto& [id, k] : h.lifecycles()) {
    ASSERT_GE(k.size(), 5u) << id;
    EXPECT_EQ(k.front(), "start") << id;
    EXPECT_EQ(std::count(k.begin(), k.end(), "start"), 1) << id;
    EXPECT_EQ(std::count(k.begin(), k.end(), "end"), 1) << id;
    EXPECT_EQ(std::count(k.begin(), k.end(), "wrapup"), 1) << id;
    EXPECT_EQ(k.back(), "wrapup") << id;
    EXPECT_GE(std::count(k.begin(), k.end(), "update"), 2) << id;
  }
}

TEST(MonitorIntegration, MoreTopicsThanOneChannelTakesAreSpreadOverSeveralChannels) {
  auto so = fast_sim(3);
  sim::genesys_simulator s(so);  // refuses more than 1,000 topics on one channel, as the API does
  monitor_harness h(s, so, {});
  std::vector<std::string> topics;
  for (int i = 0; i < 2100; ++i) topics.push_back("v2.routing.queues.idle-" + std::to_string(i) + ".conversations");
  for (auto& t : h.settings.notifications.topics) topics.push_back(t);  // the busy ones land last
  h.settings.notifications.topics = topics;
  start_connected(s, h, 3);
  EXPECT_EQ(s.stats().channels_created, 3u);
  EXPECT_EQ(s.stats().websocket_connections, 3u);
  ASSERT_TRUE(h.wait_until([&] { return all_wrapped(h, s, 3); })) << h.fatal_error();
  for (auto& [id, k] : h.lifecycles()) EXPECT_EQ(k, kFullLifecycle) << id;
}

TEST(MonitorIntegration, PlainHttpAgainstTheSimulatorWorksToo) {
  auto so = fast_sim(2);
  sim::genesys_simulator s(so);
  harness_options ho;
  ho.tls = false;
  monitor_harness h(s, so, ho);
  // connectUri from the sim is wss://; plain HTTP covers the REST and token calls.
  start_connected(s, h, 1);
  ASSERT_TRUE(h.wait_until([&] { return all_wrapped(h, s, 2); })) << h.fatal_error();
}

TEST(MonitorIntegration, GivesUpAfterConfiguredRetriesWithTheLastError) {
  auto so = fast_sim(0);
  sim::genesys_simulator s(so);
  harness_options ho;
  ho.max_retries = 2;
  monitor_harness h(s, so, ho);
  h.start();
  ASSERT_TRUE(h.wait_until([&] { return h.stats().connects >= 1; }));
  s.refuse_websockets_for(seconds{60});
  s.drop_sockets();
  ASSERT_TRUE(h.wait_until([&] { return h.finished(); }));
  EXPECT_TRUE(contains(h.fatal_error(), "gave up after 2 reconnect attempts (monitor.max_retries); last error: WebSocket handshake"))
      << h.fatal_error();
}

// An untrusted certificate is refused. Like any failure to connect it is retried (a login host
// may present a new chain tomorrow) and reported; with max_retries set the monitor gives up.
TEST(MonitorIntegration, UntrustedCertificateIsRefused) {
  auto so = fast_sim(0);
  sim::genesys_simulator s(so);
  harness_options ho;
  ho.max_retries = 1;
  monitor_harness h(s, so, ho);
  h.connection.http.tls.ca_pem.clear();  // trust only the system store: the sim is self-signed
  h.connection.api_retry.max_attempts = 1;
  h.settings.reconnect.backoff.base = milliseconds{5};
  h.start();
  ASSERT_TRUE(h.wait_until([&] { return h.finished(); }));
  EXPECT_TRUE(contains(h.fatal_error(), "authentication: gave up after 1 reconnect attempts (monitor.max_retries); last error: "))
      << h.fatal_error();
  EXPECT_TRUE(contains(h.fatal_error(), "TLS handshake with 127.0.0.1")) << h.fatal_error();
  EXPECT_TRUE(contains(h.fatal_error(), "certificate verify failed")) << h.fatal_error();
}

// A Genesys outage longer than the old five reconnects: the login host and the API refuse
// connections, then come back. The monitor waits it out, reports it, and routes again.
TEST(MonitorIntegration, OutlivesAnUpstreamOutageOfManyReconnects) {
  auto so = fast_sim(0);
  sim::genesys_simulator s(so);
  harness_options ho;  // max_retries 0: forever, the default
  monitor_harness h(s, so, ho);
  h.settings.reconnect.backoff.base = milliseconds{5};
  h.settings.reconnect.backoff.cap = milliseconds{20};
  h.start();
  ASSERT_TRUE(h.wait_until([&] { return h.stats().connects >= 1; }));
  // Every reconnect fails until the test ends the outage: a fixed window could close before ten
  // attempts on a loaded machine (seen under parallel ASan runs).
  s.refuse_websockets_for(seconds{120});
  s.drop_sockets();
  ASSERT_TRUE(h.wait_until([&] { return h.stats().reconnects >= 10; }, seconds{60})) << ::testing::PrintToString(h.log_lines());
  EXPECT_FALSE(h.finished()) << h.fatal_error();
  s.refuse_websockets_for(milliseconds{0});
  auto routed = h.routed();
  ASSERT_TRUE(h.wait_until([&] { return h.stats().connects >= 2 && h.routed() > routed; }, seconds{30}))
      << ::testing::PrintToString(h.log_lines());
  EXPECT_FALSE(h.finished());
  // The line comes once the reconnect's reconciliation is done, which can be after events flow.
  auto says_connected_again = [&] {
    auto lines = h.log_lines();
    return std::any_of(lines.begin(), lines.end(), [](auto& l) { return contains(l, "connected again after "); });
  };
  EXPECT_TRUE(h.wait_until(says_connected_again)) << ::testing::PrintToString(h.log_lines());
  auto lines = h.log_lines();
  auto failures = std::count_if(lines.begin(), lines.end(), [](auto& l) { return contains(l, "; reconnecting in "); });
  EXPECT_LT(failures, static_cast<long>(h.stats().reconnects)) << "a long outage is not logged failure by failure";
  h.stop();
}

}  // namespace
}  // namespace grm::testing
