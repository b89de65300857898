#pragma once
// The webhook sink (the CRM callback, alert webhooks): one JSON document per POST, through the
// shared delivery layer (retries with backoff on 408, 429 and 5xx except 501, honouring
// Retry-After; bounded concurrency). post() completes with the HTTP status or the reason the
// document was dead-lettered.
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "core/secret.hpp"
#include "delivery/batch_sink.hpp"
#include "net/http.hpp"

namespace grm::sinks::webhook {

struct webhook_settings {
  std::string url;
  net::http_client_options http;  // this webhook's own TLS trust, proxy and pool
  secret bearer_token;  // sent as Authorization: Bearer, when set
  std::chrono::milliseconds request_timeout{10'000};
  delivery::delivery_options delivery{.linger = std::chrono::milliseconds{0}};
};

class publisher final {
 public:
  // `http` (built from settings.http by the caller) must outlive the publisher.
  publisher(net::http_client& http, webhook_settings settings);
  ~publisher();
  publisher(const publisher&) = delete;
  publisher& operator=(const publisher&) = delete;

  boost::asio::awaitable<delivery::outcome> post(std::string json_body);
  boost::asio::awaitable<void> close();
  void abort();  // shutdown's hard phase: queued and in-flight entries end as ShuttingDown
  delivery::delivery_stats stats() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

// How a webhook answer is read (exposed for tests): 2xx delivered; 408, 429, 5xx except 501
// retried; anything else rejected with the status and the start of the body.
delivery::send_result classify_webhook_response(const net::http_response& r, std::string_view url);

}  // namespace grm::sinks::webhook
