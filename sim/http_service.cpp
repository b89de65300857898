#include "sim/http_service.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

namespace grm::sim {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::as_tuple;
using asio::use_awaitable;
using namespace std::chrono;

namespace {

template <typename Stream>
asio::awaitable<void> serve(Stream stream, beast::flat_buffer& buf, const http_handler& handler, std::size_t limit) {
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(limit);
    beast::get_lowest_layer(stream).expires_after(seconds{120});
    auto [rec, n] = co_await http::async_read(stream, buf, parser, as_tuple(use_awaitable));
    if (rec == http::error::body_limit) {
      http_request_msg req = parser.release();
      auto res = make_response(req, 413, "text/plain", "");  // what AWS front ends do for huge bodies
      res.keep_alive(false);
      co_await http::async_write(stream, res, as_tuple(use_awaitable));
      co_return;
    }
    if (rec) co_return;  // the client closed or timed out: the session ends
    auto req = parser.release();
    auto res = co_await handler(req);
    res.prepare_payload();
    auto [wec, wn] = co_await http::async_write(stream, res, as_tuple(use_awaitable));
    if (wec || !res.keep_alive()) co_return;
  }
}

asio::awaitable<void> session(asio::ip::tcp::socket sock, asio::ssl::context& tls, const http_handler& handler,
                              std::size_t limit) {
  beast::tcp_stream stream(std::move(sock));
  beast::flat_buffer buf;
  stream.expires_after(seconds{30});
  auto [dec, is_tls] = co_await beast::async_detect_ssl(stream, buf, as_tuple(use_awaitable));
  if (dec) co_return;
  if (!is_tls) {
    co_await serve(std::move(stream), buf, handler, limit);
    co_return;
  }
  beast::ssl_stream<beast::tcp_stream> s(std::move(stream), tls);
  auto [hec, used] = co_await s.async_handshake(asio::ssl::stream_base::server, buf.data(), as_tuple(use_awaitable));
  if (hec) co_return;  // a client that does not trust our certificate
  buf.consume(used);
  co_await serve(std::move(s), buf, handler, limit);
}

asio::awaitable<void> accept_loop(loopback_loop& loop, asio::ssl::context& tls, const http_handler& handler,
                                  std::size_t limit) {
  for (;;) {
    auto [ec, sock] = co_await loop.acceptor.async_accept(as_tuple(use_awaitable));
    if (ec) co_return;  // acceptor closed: stopping
    asio::co_spawn(loop.ioc, session(std::move(sock), tls, handler, limit), asio::detached);
  }
}

}  // namespace

void serve_http(loopback_loop& loop, asio::ssl::context& tls, http_handler handler, std::size_t body_limit) {
  auto h = std::make_shared<http_handler>(std::move(handler));
  asio::co_spawn(loop.ioc, [&loop, &tls, h, body_limit]() { return accept_loop(loop, tls, *h, body_limit); },
                 asio::detached);
}

certificate use_new_certificate(asio::ssl::context& tls, const std::string& common_name) {
  auto cert = make_self_signed_certificate(common_name);
  tls.use_certificate_chain(asio::buffer(cert.cert_pem));
  tls.use_private_key(asio::buffer(cert.key_pem), asio::ssl::context::pem);
  return cert;
}

http_response_msg make_response(const http_request_msg& req, unsigned status, std::string content_type,
                                std::string body) {
  http_response_msg res{static_cast<http::status>(status), req.version()};
  res.set(http::field::server, "genesys-relay-sim");
  res.set(http::field::content_type, content_type);
  res.keep_alive(req.keep_alive());
  res.body() = std::move(body);
  return res;
}

}  // namespace grm::sim
