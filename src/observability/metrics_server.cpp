#include "observability/metrics_server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <openssl/crypto.h>

#include <charconv>
#include <list>

#include "core/error.hpp"
#include "observability/health.hpp"
#include "observability/metrics.hpp"

namespace grm::metrics {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::as_tuple;
using asio::use_awaitable;
using tcp = asio::ip::tcp;

namespace {

constexpr auto kSessionDeadline = std::chrono::seconds{30};
constexpr std::size_t kMaxRequestBytes = 16 * 1024;  // a scrape request is a GET line and a few headers

bool authorized(const http::request<http::empty_body>& req, const grm::secret& token) {
  if (token.empty()) return true;
  auto got = req[http::field::authorization];
  std::string want = "Bearer " + std::string(token.reveal());
  return got.size() == want.size() && CRYPTO_memcmp(got.data(), want.data(), want.size()) == 0;
}

http::response<http::string_body> answer(const http::request<http::empty_body>& req, const registry& metrics,
                                         const health::registry* health, const grm::secret& token) {
  http::response<http::string_body> res{http::status::ok, req.version()};
  res.set(http::field::server, "genesys-relay");
  res.keep_alive(req.keep_alive());
  auto target = req.target();
  auto path = target.substr(0, target.find('?'));
  if (!authorized(req, token)) {
    res.result(http::status::unauthorized);
    res.set(http::field::www_authenticate, R"(Bearer realm="genesys-relay")");
    res.set(http::field::content_type, "text/plain");
    res.body() = "unauthorized: send Authorization: Bearer <the token of metrics.bearer_token>\n";
  } else if (req.method() != http::verb::get && req.method() != http::verb::head) {
    res.result(http::status::method_not_allowed);
    res.set(http::field::allow, "GET, HEAD");
  } else if (path == "/metrics") {
    res.set(http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
    res.body() = metrics.render();
  } else if (path == "/healthz" || path == "/readyz") {
    static const health::registry none;
    const auto& checks = health ? *health : none;
    bool readiness = path == "/readyz";
    res.set(http::field::content_type, "application/json");
    res.body() = checks.render_json(readiness);
    if (readiness && !checks.ready()) res.result(http::status::service_unavailable);
  } else {
    res.result(http::status::not_found);
    res.set(http::field::content_type, "text/plain");
    res.body() = "not found: try /metrics, /healthz or /readyz\n";
  }
  res.prepare_payload();
  if (req.method() == http::verb::head) res.body().clear();
  return res;
}

}  // namespace

struct metrics_server::impl : std::enable_shared_from_this<impl> {
  impl(asio::any_io_executor ex, const registry& m, const health::registry* h, grm::secret t)
      : metrics(m), health(h), token(std::move(t)), acceptor(ex) {}
  const registry& metrics;
  const health::registry* health;
  grm::secret token;
  tcp::acceptor acceptor;
  std::list<beast::tcp_stream*> sessions;  // open sessions, closed by stop() (a scraper's keep-alive
                                           // connection must not hold the process for its deadline)
  bool stopped = false;

  asio::awaitable<void> session(tcp::socket sock) {
    beast::tcp_stream stream(std::move(sock));
    auto self = sessions.insert(sessions.end(), &stream);
    struct unregister {
      std::list<beast::tcp_stream*>& l;
      std::list<beast::tcp_stream*>::iterator it;
      ~unregister() { l.erase(it); }
    } guard{sessions, self};
    beast::flat_buffer buf(kMaxRequestBytes);
    while (!stopped) {
      stream.expires_after(kSessionDeadline);
      http::request_parser<http::empty_body> parser;
      parser.header_limit(kMaxRequestBytes);
      auto [rec, n] = co_await http::async_read(stream, buf, parser, as_tuple(use_awaitable));
      if (rec) co_return;  // closed, timed out or a malformed request: the session ends
      auto res = answer(parser.get(), metrics, health, token);
      auto [wec, wn] = co_await http::async_write(stream, res, as_tuple(use_awaitable));
      if (wec || !res.keep_alive()) co_return;
    }
  }

  asio::awaitable<void> accept_loop() {
    auto self = shared_from_this();
    for (;;) {
      auto [ec, sock] = co_await acceptor.async_accept(as_tuple(use_awaitable));
      if (ec) co_return;  // the listener was closed: stopping
      // Sessions are short-lived and each read/write has a deadline, so they need no owner.
      asio::co_spawn(acceptor.get_executor(), [self, s = std::move(sock)]() mutable { return self->session(std::move(s)); },
                     asio::detached);
    }
  }
};

metrics_server::metrics_server(asio::any_io_executor ex, const registry& metrics, const std::string& host,
                               std::uint16_t port, const health::registry* health, grm::secret bearer_token)
    : impl_(std::make_shared<impl>(ex, metrics, health, std::move(bearer_token))) {
  boost::system::error_code ec;
  auto addr = asio::ip::make_address(host, ec);
  if (ec) throw relay_error(error_kind::config, "metrics listen address '" + host + "' is not an IP address");
  tcp::endpoint ep{addr, port};
  impl_->acceptor.open(ep.protocol(), ec);
  if (!ec) impl_->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) impl_->acceptor.bind(ep, ec);
  if (!ec) impl_->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec)
    throw relay_error(error_kind::config, "cannot serve metrics on " + host + ":" + std::to_string(port) + ": " + ec.message());
  asio::co_spawn(ex, [i = impl_] { return i->accept_loop(); }, asio::detached);
}

metrics_server::~metrics_server() { stop(); }

std::uint16_t metrics_server::port() const noexcept {
  boost::system::error_code ec;
  return impl_->acceptor.local_endpoint(ec).port();
}

void metrics_server::stop() {
  boost::system::error_code ec;
  impl_->stopped = true;
  impl_->acceptor.close(ec);
  for (auto* s : impl_->sessions) s->socket().close(ec);
}

std::pair<std::string, std::uint16_t> parse_listen_address(const std::string& text, const std::string& key) {
  auto bad = [&] {
    return relay_error(error_kind::config, key + ": '" + text + "' is not host:port (e.g. 127.0.0.1:9464 or [::1]:9464)");
  };
  auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0) throw bad();
  auto host = text.substr(0, colon);
  if (host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  unsigned port = 0;
  auto ps = std::string_view(text).substr(colon + 1);
  auto [p, err] = std::from_chars(ps.data(), ps.data() + ps.size(), port);
  if (err != std::errc{} || p != ps.data() + ps.size() || port > 65535) throw bad();
  boost::system::error_code ec;
  asio::ip::make_address(host, ec);
  if (ec) throw bad();
  return {host, static_cast<std::uint16_t>(port)};
}

}  // namespace grm::metrics
