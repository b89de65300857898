#pragma once
// The webhook sink (a CRM, alerting, anything that takes an HTTP POST): one JSON document per
// request. Every post carries `Idempotency-Key: <forwardingId>` — the same on every retry — and,
// when a signing secret is set, `X-Genesys-Relay-Timestamp: <unix seconds>` and
// `X-Genesys-Relay-Signature: v1=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`, so the
// receiver can verify the sender and de-duplicate. 2xx is delivered; 408, 429 and 5xx but 501
// are retried (Retry-After honoured); anything else is a dead letter with the status and a
// bounded, masked excerpt of the body.
#include <chrono>
#include <memory>
#include <string>

#include "core/secret.hpp"
#include "delivery/sink.hpp"
#include "net/http.hpp"

namespace grm::sinks::webhook {

enum class body_shape : std::uint8_t {
  envelope,  // {"event": "<by kind>", "data": <payload>, "syncTimestamp": "<now>"} (the tutorial's CRM)
  raw,       // the payload as it is
};

struct webhook_settings {
  std::string url;
  secret bearer_token;    // sent as Authorization: Bearer, when set
  secret signing_secret;  // empty: no signature headers
  body_shape body = body_shape::envelope;
  std::chrono::milliseconds request_timeout{10'000};
  net::http_client_options http;  // this webhook's own TLS trust, proxy and pool
};

// The envelope's "event" for a message kind: sentiment → sentiment.forwarded, alert →
// sentiment.escalation, lifecycle → conversation.lifecycle.
std::string_view event_name(std::string_view kind) noexcept;

// "v1=<hex HMAC-SHA256(secret, timestamp + "." + body)>"
std::string signature(std::string_view secret, std::string_view timestamp, std::string_view body);

class sink final : public delivery::sink {
 public:
  sink(net::http_client& http, webhook_settings settings);  // `http` must outlive the sink
  ~sink() override;
  delivery::batch_limits limits() const override { return {1, 0}; }
  boost::asio::awaitable<delivery::send_result> send(const std::vector<const delivery::entry*>& batch) override;
  // OPTIONS to the URL with the sink's token and signature: any answer but 401/403/404/407 or a
  // 5xx shows it reachable (a receiver that takes only POST answers 405, which counts).
  boost::asio::awaitable<delivery::probe_result> probe() override;
  const webhook_settings& settings() const noexcept;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

// How an answer is read (exposed for tests).
delivery::send_result classify_webhook_response(const net::http_response& r, std::string_view url);
delivery::probe_result classify_webhook_probe(const net::http_response& r, std::string_view url);

}  // namespace grm::sinks::webhook
