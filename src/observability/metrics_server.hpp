#pragma once
// The scrape endpoint: GET /metrics (Prometheus text format), GET /healthz (the process is up:
// always 200, the JSON body names the failing checks) and GET /readyz (200 when every health
// check passes, 503 naming the failing ones).
// Plain HTTP on the address given (loopback by default); keep-alive; every read and write has a
// deadline so a stalled scraper cannot hold a session open. Beast stays inside the .cpp.
// With a bearer token ([metrics] bearer_token, for a listen address others can reach), every
// path answers 401 unless the request carries `Authorization: Bearer <token>` (compared in
// constant time; Prometheus sends it with `authorization: {credentials_file: ...}`).
#include <boost/asio/any_io_executor.hpp>

#include <cstdint>
#include <memory>
#include <string>

#include "core/secret.hpp"

namespace grm::health {
class registry;
}

namespace grm::metrics {

class registry;

class metrics_server final {
 public:
  // Listens on host:port (port 0: any free port); throws relay_error(config) naming the address.
  metrics_server(boost::asio::any_io_executor executor, const registry& metrics, const std::string& host,
                 std::uint16_t port, const health::registry* health = nullptr, grm::secret bearer_token = {});
  ~metrics_server();
  metrics_server(const metrics_server&) = delete;
  metrics_server& operator=(const metrics_server&) = delete;

  std::uint16_t port() const noexcept;
  void stop();  // closes the listener; sessions end at their next deadline or request

 private:
  struct impl;
  std::shared_ptr<impl> impl_;
};

// "127.0.0.1:9464" or "[::1]:9464" → host and port; throws relay_error(config) naming `key`.
std::pair<std::string, std::uint16_t> parse_listen_address(const std::string& text, const std::string& key);

}  // namespace grm::metrics
