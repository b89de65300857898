#include "sim/connect_proxy.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <mutex>

#include "sim/loopback.hpp"

namespace grm::sim {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::as_tuple;
using asio::use_awaitable;
using asio::ip::tcp;
using namespace asio::experimental::awaitable_operators;

struct connect_proxy::impl {
  explicit impl(std::string auth) : required_authorization(std::move(auth)) {}

  std::string required_authorization;
  loopback_loop loop;
  mutable std::mutex mu;
  std::vector<proxy_tunnel> tunnels;

  asio::awaitable<void> accept_loop() {
    for (;;) {
      auto [ec, sock] = co_await loop.acceptor.async_accept(as_tuple(use_awaitable));
      if (ec) co_return;
      asio::co_spawn(loop.ioc, session(std::move(sock)), asio::detached);
    }
  }

  static asio::awaitable<void> pipe(tcp::socket& from, tcp::socket& to) {
    char buf[16 * 1024];
    for (;;) {
      auto [rec, n] = co_await from.async_read_some(asio::buffer(buf), as_tuple(use_awaitable));
      if (rec) break;
      auto [wec, m] = co_await asio::async_write(to, asio::buffer(buf, n), as_tuple(use_awaitable));
      if (wec) break;
    }
    boost::system::error_code ignored;
    to.shutdown(tcp::socket::shutdown_send, ignored);
  }

  asio::awaitable<void> session(tcp::socket client) {
    beast::flat_buffer buf;
    http::request<http::empty_body> req;
    auto [rec, rn] = co_await http::async_read(client, buf, req, as_tuple(use_awaitable));
    if (rec || req.method() != http::verb::connect) co_return;
    proxy_tunnel t{std::string(req.target()), std::string(req[http::field::proxy_authorization]), false};
    t.accepted = required_authorization.empty() || t.authorization == required_authorization;
    {
      std::lock_guard lock(mu);
      tunnels.push_back(t);
    }
    auto reply = [&](std::string_view head) { return asio::async_write(client, asio::buffer(head), as_tuple(use_awaitable)); };
    if (!t.accepted) {
      co_await reply("HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic\r\nContent-Length: 0\r\n\r\n");
      co_return;
    }
    auto colon = t.target.rfind(':');
    tcp::socket upstream(loop.ioc);
    tcp::resolver resolver(loop.ioc);
    auto [dec, results] = co_await resolver.async_resolve(t.target.substr(0, colon), t.target.substr(colon + 1),
                                                           as_tuple(use_awaitable));
    if (dec) co_return;
    auto [cec, ep] = co_await asio::async_connect(upstream, results, as_tuple(use_awaitable));
    if (cec) {
      co_await reply("HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n");
      co_return;
    }
    co_await reply("HTTP/1.1 200 Connection Established\r\n\r\n");
    co_await (pipe(client, upstream) && pipe(upstream, client));
  }
};

connect_proxy::connect_proxy(std::string required_authorization)
    : impl_(std::make_shared<impl>(std::move(required_authorization))) {
  asio::co_spawn(impl_->loop.ioc, impl_->accept_loop(), asio::detached);
  impl_->loop.start();
}

connect_proxy::~connect_proxy() { impl_->loop.stop(); }

std::string connect_proxy::url() const { return "http://127.0.0.1:" + std::to_string(impl_->loop.port()); }

std::vector<proxy_tunnel> connect_proxy::tunnels() const {
  std::lock_guard lock(impl_->mu);
  return impl_->tunnels;
}

}  // namespace grm::sim
