// The one HTTP client against real sockets on loopback: the simulator over verified TLS, a
// CONNECT proxy, a listener that never answers. No test asserts a timing.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_future.hpp>

#include "core/error.hpp"
#include "net/http.hpp"
#include "sim/connect_proxy.hpp"
#include "sim/genesys_sim.hpp"

namespace grm::net {
namespace {

namespace asio = boost::asio;
using namespace std::chrono;

struct fixture {
  sim::sim_options so = [] {
    sim::sim_options o;
    o.max_conversations = 0;
    return o;
  }();
  sim::genesys_simulator sim{so};
  asio::io_context ioc;

  http_client_options options() const {
    http_client_options o;
    o.tls.ca_pem = sim.certificate_pem();
    return o;
  }

  http_request token_request(const std::string& base) const {
    return {"POST", base + "/oauth/token",
            {{"Content-Type", "application/x-www-form-urlencoded"},
             {"Authorization", "Basic c2ltLWNsaWVudDpzaW0tc2VjcmV0"}},  // sim-client:sim-secret
            "grant_type=client_credentials", std::nullopt};
  }

  template <typename T>
  T run(asio::awaitable<T> op) {
    auto f = asio::co_spawn(ioc, std::move(op), asio::use_future);
    ioc.restart();
    ioc.run();
    return f.get();
  }
};

TEST(HttpClient, KeepAlivePoolReusesOneConnectionPerHost) {
  fixture fx;
  http_client c(fx.ioc.get_executor(), fx.options());
  for (int i = 0; i < 5; ++i) EXPECT_EQ(fx.run(c.send(fx.token_request(fx.sim.https_url()))).status, 200u);
  EXPECT_EQ(c.stats().connections_opened, 1u);
  EXPECT_EQ(c.stats().connections_reused, 4u);
  EXPECT_EQ(fx.run(c.send(fx.token_request(fx.sim.http_url()))).status, 200u);  // another scheme: another pool
  EXPECT_EQ(c.stats().connections_opened, 2u);
}

TEST(HttpClient, HttpsGoesThroughTheConnectProxyWithVerifiedTls) {
  fixture fx;
  sim::connect_proxy proxy;
  auto o = fx.options();
  o.proxy = {proxy.url(), ""};
  http_client c(fx.ioc.get_executor(), o);
  EXPECT_EQ(fx.run(c.send(fx.token_request(fx.sim.https_url()))).status, 200u);
  auto tunnels = proxy.tunnels();
  ASSERT_EQ(tunnels.size(), 1u);
  EXPECT_EQ(tunnels[0].target, "127.0.0.1:" + std::to_string(fx.sim.port()));
  EXPECT_EQ(tunnels[0].authorization, "");
}

TEST(HttpClient, ProxyCredentialsFromTheUrlAreSentAsBasicAuth) {
  fixture fx;
  sim::connect_proxy proxy("Basic dXNlcjpwYXNz");  // user:pass
  auto o = fx.options();
  o.proxy = {"http://user:pass@" + proxy.url().substr(7), ""};
  http_client c(fx.ioc.get_executor(), o);
  EXPECT_EQ(fx.run(c.send(fx.token_request(fx.sim.https_url()))).status, 200u);
  ASSERT_EQ(proxy.tunnels().size(), 1u);
  EXPECT_TRUE(proxy.tunnels()[0].accepted);
}

TEST(HttpClient, ARefusedTunnelIsAClearErrorWithoutTheProxyPassword) {
  fixture fx;
  sim::connect_proxy proxy("Basic dXNlcjpwYXNz");
  auto o = fx.options();
  o.proxy = {"http://user:hunter2@" + proxy.url().substr(7), ""};
  http_client c(fx.ioc.get_executor(), o);
  try {
    fx.run(c.send(fx.token_request(fx.sim.https_url())));
    FAIL() << "expected the proxy to refuse";
  } catch (const relay_error& e) {
    std::string m = e.what();
    EXPECT_EQ(m, "proxy " + proxy.url().substr(7) + " refused CONNECT to 127.0.0.1:" +
                     std::to_string(fx.sim.port()) + " with status 407");
    EXPECT_EQ(m.find("hunter2"), std::string::npos);
  }
}

TEST(HttpClient, NoProxyHostsAreReachedDirectly) {
  fixture fx;
  sim::connect_proxy proxy;
  auto o = fx.options();
  o.proxy = {proxy.url(), "example.com, 127.0.0.1"};
  http_client c(fx.ioc.get_executor(), o);
  EXPECT_EQ(fx.run(c.send(fx.token_request(fx.sim.https_url()))).status, 200u);
  EXPECT_TRUE(proxy.tunnels().empty());
}

TEST(HttpClient, AServerThatNeverAnswersHitsTheRequestDeadline) {
  fixture fx;
  asio::ip::tcp::acceptor silent(fx.ioc, {asio::ip::make_address("127.0.0.1"), 0});  // listens, never reads
  http_client c(fx.ioc.get_executor(), fx.options());
  auto url = "http://127.0.0.1:" + std::to_string(silent.local_endpoint().port()) + "/x";
  http_request req{"GET", url, {}, {}, milliseconds{200}};
  try {
    fx.run(c.send(req));
    FAIL() << "expected a timeout";
  } catch (const relay_error& e) {
    EXPECT_EQ(e.kind(), error_kind::timeout) << e.what();
  }
}

TEST(HttpClient, AnUntrustedCertificateIsRefusedUnlessVerificationIsExplicitlyOff) {
  fixture fx;
  http_client strict(fx.ioc.get_executor(), {});
  EXPECT_THROW(fx.run(strict.send(fx.token_request(fx.sim.https_url()))), relay_error);
  http_client_options lax;
  lax.tls.verify_peer = false;
  http_client c(fx.ioc.get_executor(), lax);
  EXPECT_EQ(fx.run(c.send(fx.token_request(fx.sim.https_url()))).status, 200u);
}

}  // namespace
}  // namespace grm::net
