#include "net/websocket.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include "net/transport.hpp"

namespace grm::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace ws = beast::websocket;
using asio::as_tuple;
using asio::use_awaitable;

namespace {

template <typename Stream>
class beast_websocket final : public websocket_connection {
 public:
  beast_websocket(Stream&& next, std::string where, websocket_options o)
      : ws_(std::move(next)), where_(std::move(where)), options_(o) {}

  asio::awaitable<void> handshake(const endpoint& ep) {
    beast::get_lowest_layer(ws_).expires_never();  // the websocket timeouts take over
    ws::stream_base::timeout t{};
    t.handshake_timeout = options_.handshake_timeout;
    t.idle_timeout = options_.idle_timeout;
    t.keep_alive_pings = false;  // Genesys heartbeats are application messages, not pings
    ws_.set_option(t);
    ws_.set_option(ws::stream_base::decorator([](ws::request_type& req) {
      req.set(beast::http::field::user_agent, "genesys-relay/0.1");
    }));
    ws_.read_message_max(options_.max_message_bytes);
    auto [ec] = co_await ws_.async_handshake(ep.host_header(), ep.target, as_tuple(use_awaitable));
    if (ec) throw transport_error(ec, "WebSocket handshake with", where_);
    ws_.text(true);
  }

  asio::awaitable<std::string> read() override {
    beast::flat_buffer buf;
    auto [ec, n] = co_await ws_.async_read(buf, as_tuple(use_awaitable));
    if (ec == ws::error::closed)
      throw relay_error(error_kind::network, "WebSocket " + where_ + " closed by the server (" +
                                                 std::string(ws_.reason().reason.c_str()) + ")");
    if (ec) throw transport_error(ec, "WebSocket read from", where_);
    co_return beast::buffers_to_string(buf.data());
  }

  asio::awaitable<void> write(std::string text) override {
    auto [ec, n] = co_await ws_.async_write(asio::buffer(text), as_tuple(use_awaitable));
    if (ec) throw transport_error(ec, "WebSocket write to", where_);
  }

  asio::awaitable<void> close() override {
    // Errors are expected here (peer already gone); the socket is discarded either way.
    auto [ec] = co_await ws_.async_close(ws::close_code::normal, as_tuple(use_awaitable));
    (void)ec;
  }

  void abort() override { beast::get_lowest_layer(ws_).close(); }

 private:
  ws::stream<Stream> ws_;
  std::string where_;
  websocket_options options_;
};

}  // namespace

asio::awaitable<std::unique_ptr<websocket_connection>> connect_websocket(
    const http_client& client, std::string url, websocket_options options) {
  auto ep = parse_endpoint(url);
  auto& o = client.options();
  transport_settings s;
  s.tls_context = make_tls_context(o.tls);
  s.verify_peer = o.tls.verify_peer;
  s.proxy = o.proxy;
  s.connect_timeout = o.connect_timeout;
  auto t = co_await open_transport(ep, s);
  std::string where = ep.host_header() + ep.target.substr(0, ep.target.find('?'));
  if (auto* plain = std::get_if<beast::tcp_stream>(&t)) {
    auto c = std::make_unique<beast_websocket<beast::tcp_stream>>(std::move(*plain), where, options);
    co_await c->handshake(ep);
    co_return c;
  }
  auto c = std::make_unique<beast_websocket<tls_tcp_stream>>(std::move(*std::get<1>(t)), where,
                                                              options);
  co_await c->handshake(ep);
  co_return c;
}

}  // namespace grm::net
