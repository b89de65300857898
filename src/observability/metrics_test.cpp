#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <cmath>
#include <functional>
#include <limits>
#include <thread>

#include "core/error.hpp"
#include "net/http.hpp"
#include "observability/metrics.hpp"
#include "observability/health.hpp"
#include "observability/metrics_server.hpp"
#include "observability/scrape.hpp"
#include "observability/top_view.hpp"

namespace grm::metrics {
namespace {

namespace asio = boost::asio;

TEST(Registry, CountersAreSharedByNameAndLabels) {
  registry r;
  auto& a = r.counter("relay_forwards_total", "forwards by outcome", {{"outcome", "forwarded"}});
  auto& b = r.counter("relay_forwards_total", "forwards by outcome", {{"outcome", "forwarded"}});
  auto& c = r.counter("relay_forwards_total", "forwards by outcome", {{"outcome", "failed"}});
  a.inc();
  b.inc(2);
  c.inc();
  EXPECT_EQ(&a, &b);
  EXPECT_EQ(a.value(), 3u);
  auto text = r.render();
  EXPECT_NE(text.find("# HELP relay_forwards_total forwards by outcome\n# TYPE relay_forwards_total counter\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("relay_forwards_total{outcome=\"forwarded\"} 3\n"), std::string::npos) << text;
  EXPECT_NE(text.find("relay_forwards_total{outcome=\"failed\"} 1\n"), std::string::npos) << text;
  EXPECT_EQ(text.find("# TYPE relay_forwards_total", text.find("# TYPE relay_forwards_total") + 1), std::string::npos)
      << "one TYPE line per family";
}

TEST(Registry, HistogramBucketsAreCumulativeWithInfSumAndCount) {
  registry r;
  auto& h = r.histogram("relay_forward_stage_seconds", "stage latency", {{"stage", "fetch"}}, {0.01, 0.1, 1});
  for (double v : {0.005, 0.01, 0.05, 0.5, 3.0}) h.observe(v);
  auto s = h.read();
  EXPECT_EQ(s.cumulative, (std::vector<std::uint64_t>{2, 3, 4, 5}));  // le is inclusive
  EXPECT_EQ(s.count, 5u);
  EXPECT_NEAR(s.sum, 3.565, 1e-9);
  auto text = r.render();
  EXPECT_NE(text.find("relay_forward_stage_seconds_bucket{stage=\"fetch\",le=\"0.01\"} 2\n"), std::string::npos) << text;
  EXPECT_NE(text.find("relay_forward_stage_seconds_bucket{stage=\"fetch\",le=\"+Inf\"} 5\n"), std::string::npos) << text;
  EXPECT_NE(text.find("relay_forward_stage_seconds_count{stage=\"fetch\"} 5\n"), std::string::npos) << text;
  EXPECT_NE(text.find("# TYPE relay_forward_stage_seconds histogram\n"), std::string::npos);
}

TEST(Registry, CollectorsReportValuesOwnedElsewhereAndLabelValuesAreEscaped) {
  registry r;
  std::uint64_t tracked = 7;
  r.add_collector([&](exposition& x) {
    x.gauge("relay_conversations_tracked", "active conversations", {}, static_cast<double>(tracked));
    x.counter("relay_stream_errors_total", "bad input", {{"origin", "sse \"a\"\\b\n"}}, 2);
  });
  tracked = 9;
  auto text = r.render();
  EXPECT_NE(text.find("relay_conversations_tracked 9\n"), std::string::npos) << text;
  EXPECT_NE(text.find(R"(relay_stream_errors_total{origin="sse \"a\"\\b\n"} 2)"), std::string::npos) << text;
}

TEST(ListenAddress, ParsesHostPortAndRejectsWithTheKey) {
  EXPECT_EQ(parse_listen_address("127.0.0.1:9464", "metrics.listen"), (std::pair<std::string, std::uint16_t>{"127.0.0.1", 9464}));
  EXPECT_EQ(parse_listen_address("[::1]:0", "metrics.listen").first, "::1");
  for (const char* bad : {"9464", "localhost:9464", "127.0.0.1:", "127.0.0.1:70000", "127.0.0.1:x"}) {
    try {
      parse_listen_address(bad, "metrics.listen");
      ADD_FAILURE() << bad;
    } catch (const relay_error& e) {
      EXPECT_EQ(std::string(e.what()), std::string("metrics.listen: '") + bad +
                                           "' is not host:port (e.g. 127.0.0.1:9464 or [::1]:9464)");
    }
  }
}

// Sends the requests in order over `http` (one keep-alive connection), calling before(i) ahead of
// request i, then stops the server; returns the answers.
std::vector<net::http_response> send_all(asio::io_context& ioc, net::http_client& http, metrics_server& server,
                                         std::vector<net::http_request> requests,
                                         std::function<void(std::size_t)> before = [](std::size_t) {}) {
  auto f = asio::co_spawn(ioc, [&]() -> asio::awaitable<std::vector<net::http_response>> {
    std::vector<net::http_response> out;
    for (auto& req : requests) {
      before(out.size());
      auto res = co_await http.send(req);
      out.push_back(std::move(res));
    }
    server.stop();
    co_return out;
  }, asio::use_future);
  ioc.run();
  return f.get();
}

net::http_request get(const metrics_server& server, std::string path, std::string authorization = {}) {
  net::http_request req;
  req.url = "http://127.0.0.1:" + std::to_string(server.port()) + path;
  if (!authorization.empty()) req.headers.push_back({"Authorization", std::move(authorization)});
  return req;
}

TEST(MetricsServer, ServesTheRegistryAndHealthOverKeepAlive) {
  asio::io_context ioc;
  registry r;
  r.counter("relay_frames_total", "frames").inc(42);
  health::registry checks;
  bool audit_ok = true;
  checks.add("genesys stream", [] { return health::result{}; });
  checks.add("audit", [&] {
    return audit_ok ? health::result{} : health::result{health::status::failing, "cannot write \"/dev/full\": disk full"};
  });
  metrics_server server(ioc.get_executor(), r, "127.0.0.1", 0, &checks);
  net::http_client http(ioc.get_executor(), {});
  std::vector<net::http_request> requests;
  for (auto path : {"/metrics", "/healthz", "/readyz", "/healthz", "/readyz", "/nope", "/metrics"}) requests.push_back(get(server, path));
  requests.back().method = "POST";
  auto res = send_all(ioc, http, server, requests, [&](std::size_t i) {
    if (i == 3) audit_ok = false;
  });
  ASSERT_EQ(res.size(), 7u);
  EXPECT_EQ(res[0].status, 200u);
  EXPECT_NE(res[0].body.find("relay_frames_total 42\n"), std::string::npos) << res[0].body;
  EXPECT_EQ(res[0].header_value("content-type").value_or(""), "text/plain; version=0.0.4; charset=utf-8");
  const std::string all_ok = R"({"status":"ok","checks":[{"name":"genesys stream","status":"ok"},{"name":"audit","status":"ok"}]})";
  EXPECT_EQ(res[1].status, 200u);
  EXPECT_EQ(res[1].body, all_ok + "\n");
  EXPECT_EQ(res[1].header_value("content-type").value_or(""), "application/json");
  EXPECT_EQ(res[2].status, 200u);
  EXPECT_EQ(res[2].body, all_ok + "\n");
  // A failing check: alive (200, degraded) but not ready (503), the failure named in both.
  const std::string failing = R"({"name":"audit","status":"failing","detail":"cannot write \"/dev/full\": disk full"})";
  EXPECT_EQ(res[3].status, 200u);
  EXPECT_EQ(res[3].body, R"({"status":"degraded","checks":[{"name":"genesys stream","status":"ok"},)" + failing + "]}\n");
  EXPECT_EQ(res[4].status, 503u);
  EXPECT_EQ(res[4].body, R"({"status":"not ready","checks":[{"name":"genesys stream","status":"ok"},)" + failing + "]}\n");
  EXPECT_EQ(res[5].status, 404u);
  EXPECT_EQ(res[6].status, 405u);
  EXPECT_EQ(http.stats().connections_opened, 1u) << "one keep-alive connection for all requests";
}

// A problem within its budget is degraded: named in both answers, but ready (200).
TEST(Health, DegradedIsNamedButStillReady) {
  health::registry checks;
  health::status state = health::status::degraded;
  checks.add("sink crm", [&] { return health::result{state, "circuit open for 12 s"}; });
  EXPECT_TRUE(checks.ready());
  EXPECT_EQ(checks.render_json(true),
            R"({"status":"degraded","checks":[{"name":"sink crm","status":"degraded","detail":"circuit open for 12 s"}]})" "\n");
  state = health::status::failing;
  EXPECT_FALSE(checks.ready());
  EXPECT_EQ(checks.render_json(true),
            R"({"status":"not ready","checks":[{"name":"sink crm","status":"failing","detail":"circuit open for 12 s"}]})" "\n");
}

// [metrics] bearer_token: every path needs the token; without it or with another, 401 and a
// challenge, and the body names the setting, never the token.
TEST(MetricsServer, ABearerTokenGuardsEveryPath) {
  asio::io_context ioc;
  registry r;
  r.counter("relay_frames_total", "frames").inc(1);
  health::registry checks;
  metrics_server server(ioc.get_executor(), r, "127.0.0.1", 0, &checks, grm::secret("scrape-canary-token"));
  net::http_client http(ioc.get_executor(), {});
  auto res = send_all(ioc, http, server,
                      {get(server, "/metrics"), get(server, "/readyz", "Bearer wrong-token-of-same-len"),
                       get(server, "/healthz", "Bearer scrape-canary-tokenX"), get(server, "/metrics", "Bearer scrape-canary-token"),
                       get(server, "/readyz", "Bearer scrape-canary-token")});
  ASSERT_EQ(res.size(), 5u);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(res[i].status, 401u) << i;
    EXPECT_EQ(res[i].header_value("www-authenticate").value_or(""), R"(Bearer realm="genesys-relay")");
    EXPECT_EQ(res[i].body, "unauthorized: send Authorization: Bearer <the token of metrics.bearer_token>\n");
  }
  EXPECT_EQ(res[3].status, 200u);
  EXPECT_NE(res[3].body.find("relay_frames_total 1\n"), std::string::npos);
  EXPECT_EQ(res[4].status, 200u);
}

TEST(MetricsServer, AnAddressInUseIsAConfigErrorNamingIt) {
  asio::io_context ioc;
  registry r;
  metrics_server first(ioc.get_executor(), r, "127.0.0.1", 0);
  try {
    metrics_server second(ioc.get_executor(), r, "127.0.0.1", first.port());
    ADD_FAILURE() << "bound twice";
  } catch (const relay_error& e) {
    EXPECT_EQ(e.kind(), error_kind::config);
    EXPECT_NE(std::string(e.what()).find("cannot serve metrics on 127.0.0.1:" + std::to_string(first.port())), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace grm::metrics

namespace grm::metrics {
namespace {

// What the registry writes, read back: labels with escapes, histograms, and lines that are not
// samples counted and skipped.
TEST(Scrape, ReadsTheRegistrysOwnTextBack) {
  registry r;
  r.counter("relay_sink_delivered_total", "d", {{"sink", "crm"}}).inc(7);
  r.counter("relay_sink_delivered_total", "d", {{"sink", "odd \"name\"\\x"}}).inc(2);
  auto& h = r.histogram("relay_sink_request_seconds", "latency", {{"sink", "crm"}}, {0.01, 0.1, 1});
  for (double v : {0.005, 0.005, 0.05, 0.05, 0.5}) h.observe(v);
  auto text = r.render() + "garbage line\nrelay_x{unterminated=\"1} 3\nrelay_ok 4 1700000000000\n";
  auto s = parse_scrape(text);
  EXPECT_EQ(s.malformed, 2u);
  EXPECT_EQ(s.sum("relay_sink_delivered_total"), 9);
  EXPECT_EQ(s.sum("relay_sink_delivered_total", {{"sink", "odd \"name\"\\x"}}), 2);
  EXPECT_EQ(s.sum("relay_ok"), 4) << "a timestamp after the value";
  EXPECT_EQ(s.types.at("relay_sink_request_seconds"), "histogram");
  auto b = s.buckets("relay_sink_request_seconds", {{"sink", "crm"}});
  ASSERT_EQ(b.size(), 4u);
  EXPECT_TRUE(std::isinf(b.back().first));
  EXPECT_EQ(b.back().second, 5);
  EXPECT_DOUBLE_EQ(*quantile(0.5, b), 0.01 + (0.1 - 0.01) * (2.5 - 2) / 2);  // within the second bucket
  EXPECT_DOUBLE_EQ(*quantile(0.99, b), 0.1 + (1 - 0.1) * (4.95 - 4) / 1);
  EXPECT_FALSE(quantile(0.5, {{0.1, 0}, {std::numeric_limits<double>::infinity(), 0}}));
  EXPECT_EQ(bucket_delta(b, b).back().second, 0);
}

TEST(TopView, AFrameShowsRatesPerKindSinksAndLatencies) {
  auto at = [](double routed_end, double delivered, double breaker) {
    return "relay_events_routed_total{kind=\"end\"} " + std::to_string(routed_end) + "\n" +
           "relay_events_routed_total{kind=\"start\"} 10\n"
           "relay_source_connected{stream=\"channel lane 0\"} 1\n"
           "relay_forwards_total{outcome=\"forwarded\"} 4\nrelay_forwards_total{outcome=\"failed\"} 0\n"
           "relay_outbox_pending 3\nrelay_outbox_oldest_age_seconds 1.5\n"
           "relay_sink_delivered_total{sink=\"eventbridge\"} " + std::to_string(delivered) + "\n" +
           "relay_sink_breaker_state{sink=\"eventbridge\"} " + std::to_string(breaker) + "\n" +
           "relay_sink_request_seconds_bucket{sink=\"eventbridge\",le=\"0.01\"} 4\n"
           "relay_sink_request_seconds_bucket{sink=\"eventbridge\",le=\"+Inf\"} 4\n";
  };
  auto before = parse_scrape(at(10, 100, 0)), now = parse_scrape(at(30, 140, 2));
  auto frame = render_top_frame({"http://127.0.0.1:9464", &before, &now, 2, ""});
  EXPECT_NE(frame.find("genesys-relay top — http://127.0.0.1:9464"), std::string::npos) << frame;
  EXPECT_NE(frame.find("end 10.0"), std::string::npos) << frame;        // (30 − 10) / 2 s
  EXPECT_NE(frame.find("start 0.0"), std::string::npos) << frame;
  EXPECT_NE(frame.find("streams connected 1/1"), std::string::npos) << frame;
  EXPECT_NE(frame.find("forwarded 4"), std::string::npos) << frame;
  EXPECT_EQ(frame.find("failed 0"), std::string::npos) << "outcomes that never happened are left out";
  EXPECT_NE(frame.find("outbox   pending 3   oldest 1.5 s"), std::string::npos) << frame;
  EXPECT_NE(frame.find("eventbridge             140     20.0"), std::string::npos) << frame;
  EXPECT_NE(frame.find("OPEN"), std::string::npos) << frame;
  EXPECT_NE(frame.find("5.0 ms"), std::string::npos) << "p50 within the first bucket, since start: " << frame;
  auto first = render_top_frame({"demo", nullptr, &now, 1, "connecting"});
  EXPECT_NE(first.find("end -"), std::string::npos) << "no rate before a second scrape: " << first;
  EXPECT_NE(first.find("  connecting\n"), std::string::npos);
}

}  // namespace
}  // namespace grm::metrics
