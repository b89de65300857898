#pragma once
// The one HTTP/1.1 client of the project: TLS (verification on by default), a keep-alive pool
// per scheme+host+port, a deadline on every operation, and an HTTPS_PROXY CONNECT tunnel.
// Beast stays behind this header, so including it is cheap.
//
// Threading: an http_client and the streams it opens belong to one executor (single-threaded
// io_context or a strand); calls are coroutines on that executor. Cancellation: cancelling the
// awaiting coroutine closes the connection in use; it is not returned to the pool.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace grm::net {

struct header {
  std::string name;
  std::string value;
};

struct http_request {
  std::string method = "GET";
  std::string url;  // absolute: http(s)://host[:port]/path?query
  std::vector<header> headers;
  std::string body;
  std::optional<std::chrono::milliseconds> timeout;  // whole exchange; client default if unset
};

struct http_response {
  unsigned status = 0;
  std::vector<header> headers;
  std::string body;

  std::optional<std::string_view> header_value(std::string_view name) const;  // case-insensitive
};

// The one classification of HTTP statuses for every client and sink (declared here, with no
// Asio, so parsers and their fuzz targets share it): 2xx success; 408, 429 and every 5xx but 501
// retryable; anything else fatal (retrying will not change the answer).
enum class status_class : std::uint8_t { success, retryable, fatal };
status_class classify_status(unsigned status) noexcept;

struct tls_options {
  bool verify_peer = true;  // only turned off by an explicit user setting
  std::string ca_pem;       // extra trust anchors (e.g. the simulator's certificate)
  std::string ca_file;
  std::string ca_file_setting;  // the setting that named ca_file ("crm.ca_file"), for messages
};

struct proxy_settings {
  std::string https_proxy;  // http://[user:pass@]host:port
  std::string no_proxy;     // comma-separated hosts/domains, "*" for all

  static proxy_settings from_env();  // HTTPS_PROXY/https_proxy, NO_PROXY/no_proxy
  bool bypass(std::string_view host) const;
};

struct http_client_options {
  tls_options tls;
  proxy_settings proxy;
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds request_timeout{30'000};
  std::size_t max_idle_per_host = 8;
  std::size_t max_body_bytes = 16u << 20;
  std::string user_agent = "genesys-relay/0.1";
};

// A response whose body is read as it arrives (SSE). read_some appends what arrived to `out`
// and returns the byte count, 0 at the end of the body; each read has the idle deadline given
// to open_stream.
class http_body_stream {
 public:
  virtual ~http_body_stream() = default;
  virtual unsigned status() const = 0;
  virtual std::optional<std::string_view> header_value(std::string_view name) const = 0;
  virtual boost::asio::awaitable<std::size_t> read_some(std::string& out) = 0;
  virtual void close() = 0;
};

struct client_stats {
  std::size_t connections_opened = 0;
  std::size_t connections_reused = 0;
  std::size_t idle = 0;
};

class http_client final {
 public:
  http_client(boost::asio::any_io_executor executor, http_client_options options);
  ~http_client();
  http_client(const http_client&) = delete;
  http_client& operator=(const http_client&) = delete;

  // One exchange (no retries: see retry.hpp). Throws relay_error of kind network, timeout or
  // cancelled; any HTTP status is a response.
  boost::asio::awaitable<http_response> send(http_request request);
  boost::asio::awaitable<std::unique_ptr<http_body_stream>> open_stream(
      http_request request, std::chrono::milliseconds idle_timeout);

  client_stats stats() const;
  const http_client_options& options() const noexcept;

 private:
  struct impl;
  std::shared_ptr<impl> impl_;
};

}  // namespace grm::net
