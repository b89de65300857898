#pragma once
// Internal to net/: a connected byte stream, plain TCP or TLS over TCP (possibly through a
// CONNECT tunnel), and helpers that run one Beast operation on whichever it is.
// Includes Beast: only .cpp files of net/ include this.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <chrono>
#include <memory>
#include <variant>

#include "core/error.hpp"
#include "net/endpoint.hpp"
#include "net/http.hpp"

namespace grm::net {

using tls_tcp_stream = boost::beast::ssl_stream<boost::beast::tcp_stream>;
using transport = std::variant<boost::beast::tcp_stream, std::unique_ptr<tls_tcp_stream>>;

struct transport_settings {
  std::shared_ptr<boost::asio::ssl::context> tls_context;
  bool verify_peer = true;
  proxy_settings proxy;
  std::chrono::milliseconds connect_timeout{10'000};
};

std::shared_ptr<boost::asio::ssl::context> make_tls_context(const tls_options& tls);
boost::asio::awaitable<transport> open_transport(const endpoint& ep, const transport_settings& s);
relay_error transport_error(const boost::system::error_code& ec, std::string_view what,
                            std::string_view where);

template <typename F>
void with_lowest(transport& t, F&& f) {
  if (auto* plain = std::get_if<boost::beast::tcp_stream>(&t)) f(*plain);
  else f(boost::beast::get_lowest_layer(*std::get<1>(t)));
}

#define GRM_VISIT_STREAM(t, expr)                                        \
  (std::holds_alternative<boost::beast::tcp_stream>(t)                   \
       ? [&](auto& s) { return expr; }(std::get<0>(t))                   \
       : [&](auto& s) { return expr; }(*std::get<1>(t)))

template <typename Message>
auto visit_write(transport& t, const Message& m) {
  namespace http = boost::beast::http;
  using boost::asio::as_tuple;
  using boost::asio::use_awaitable;
  return GRM_VISIT_STREAM(t, http::async_write(s, m, as_tuple(use_awaitable)));
}

template <typename Parser>
auto visit_read(transport& t, boost::beast::flat_buffer& b, Parser& p) {
  namespace http = boost::beast::http;
  using boost::asio::as_tuple;
  using boost::asio::use_awaitable;
  return GRM_VISIT_STREAM(t, http::async_read(s, b, p, as_tuple(use_awaitable)));
}

template <typename Parser>
auto visit_read_header(transport& t, boost::beast::flat_buffer& b, Parser& p) {
  namespace http = boost::beast::http;
  using boost::asio::as_tuple;
  using boost::asio::use_awaitable;
  return GRM_VISIT_STREAM(t, http::async_read_header(s, b, p, as_tuple(use_awaitable)));
}

template <typename Parser>
auto visit_read_some(transport& t, boost::beast::flat_buffer& b, Parser& p) {
  namespace http = boost::beast::http;
  using boost::asio::as_tuple;
  using boost::asio::use_awaitable;
  return GRM_VISIT_STREAM(t, http::async_read_some(s, b, p, as_tuple(use_awaitable)));
}

}  // namespace grm::net
