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

  // A client trusting the simulator whose HTTPS goes through `proxy_url` (none: direct), hosts
  // in `no_proxy` excepted.
  std::unique_ptr<http_client> client(std::string proxy_url = {}, std::string no_proxy = {}) {
    auto o = options();
    o.proxy = {std::move(proxy_url), std::move(no_proxy)};
    return std::make_unique<http_client>(ioc.get_executor(), o);
  }
  unsigned token_status(http_client& c, const std::string& base) { return run(c.send(token_request(base))).status; }
  // The error the request fails with; nullopt when it succeeds.
  std::optional<relay_error> error_of(http_client& c, http_request req) {
    try {
      run(c.send(std::move(req)));
      return std::nullopt;
    } catch (const relay_error& e) {
      return e;
    }
  }
};

TEST(HttpClient, KeepAlivePoolReusesOneConnectionPerHost) {
  fixture fx;
  auto c = fx.client();
  for (int i = 0; i < 5; ++i) EXPECT_EQ(fx.token_status(*c, fx.sim.https_url()), 200u);
  EXPECT_EQ(c->stats().connections_opened, 1u);
  EXPECT_EQ(c->stats().connections_reused, 4u);
  EXPECT_EQ(fx.token_status(*c, fx.sim.http_url()), 200u);  // another scheme: another pool
  EXPECT_EQ(c->stats().connections_opened, 2u);
}

TEST(HttpClient, HttpsGoesThroughTheConnectProxyWithVerifiedTls) {
  fixture fx;
  sim::connect_proxy proxy;
  auto c = fx.client(proxy.url());
  EXPECT_EQ(fx.token_status(*c, fx.sim.https_url()), 200u);
  auto tunnels = proxy.tunnels();
  ASSERT_EQ(tunnels.size(), 1u);
  EXPECT_EQ(tunnels[0].target, "127.0.0.1:" + std::to_string(fx.sim.port()));
  EXPECT_EQ(tunnels[0].authorization, "");
}

TEST(HttpClient, ProxyCredentialsFromTheUrlAreSentAsBasicAuth) {
  fixture fx;
  sim::connect_proxy proxy("Basic dXNlcjpwYXNz");  // user:pass
  auto c = fx.client("http://user:pass@" + proxy.url().substr(7));
  EXPECT_EQ(fx.token_status(*c, fx.sim.https_url()), 200u);
  ASSERT_EQ(proxy.tunnels().size(), 1u);
  EXPECT_TRUE(proxy.tunnels()[0].accepted);
}

TEST(HttpClient, ARefusedTunnelIsAClearErrorWithoutTheProxyPassword) {
  fixture fx;
  sim::connect_proxy proxy("Basic dXNlcjpwYXNz");
  auto c = fx.client("http://user:hunter2@" + proxy.url().substr(7));
  auto e = fx.error_of(*c, fx.token_request(fx.sim.https_url()));
  ASSERT_TRUE(e) << "expected the proxy to refuse";
  std::string m = e->what();
  EXPECT_EQ(m, "proxy " + proxy.url().substr(7) + " refused CONNECT to 127.0.0.1:" +
                   std::to_string(fx.sim.port()) + " with status 407");
  EXPECT_EQ(m.find("hunter2"), std::string::npos);
}

TEST(HttpClient, NoProxyHostsAreReachedDirectly) {
  fixture fx;
  sim::connect_proxy proxy;
  auto c = fx.client(proxy.url(), "example.com, 127.0.0.1");
  EXPECT_EQ(fx.token_status(*c, fx.sim.https_url()), 200u);
  EXPECT_TRUE(proxy.tunnels().empty());
}

TEST(HttpClient, AServerThatNeverAnswersHitsTheRequestDeadline) {
  fixture fx;
  asio::ip::tcp::acceptor silent(fx.ioc, {asio::ip::make_address("127.0.0.1"), 0});  // listens, never reads
  auto c = fx.client();
  auto url = "http://127.0.0.1:" + std::to_string(silent.local_endpoint().port()) + "/x";
  auto e = fx.error_of(*c, {"GET", url, {}, {}, milliseconds{200}});
  ASSERT_TRUE(e) << "expected a timeout";
  EXPECT_EQ(e->kind(), error_kind::timeout) << e->what();
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
