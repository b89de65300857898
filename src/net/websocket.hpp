#pragma once
// A WebSocket client connection (RFC 6455 over TCP or TLS), text frames only, as the Genesys
// Notifications API uses. The idle deadline closes a socket that receives nothing (no event and
// no heartbeat) for that long, which is how a silent socket is detected.
// Threading: one connection, one executor; one reader and one writer at a time.
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <memory>
#include <string>

#include "net/http.hpp"

namespace grm::net {

struct websocket_options {
  std::chrono::milliseconds handshake_timeout{15'000};
  std::chrono::milliseconds idle_timeout{75'000};
  std::size_t max_message_bytes = 4u << 20;
};

class websocket_connection {
 public:
  virtual ~websocket_connection() = default;
  // Next text message; throws relay_error (network / timeout / cancelled) when the socket ends.
  virtual boost::asio::awaitable<std::string> read() = 0;
  virtual boost::asio::awaitable<void> write(std::string text) = 0;
  // Polite close (close frame); errors are swallowed because the socket is going away anyway.
  virtual boost::asio::awaitable<void> close() = 0;
  // Immediate close without a close frame, from any coroutine on the same executor.
  virtual void abort() = 0;
};

// Connects to ws:// or wss:// `url` using the client's TLS trust, proxy and connect timeout.
boost::asio::awaitable<std::unique_ptr<websocket_connection>> connect_websocket(
    const http_client& client, std::string url, websocket_options options);

}  // namespace grm::net
