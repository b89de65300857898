#include "sinks/webhook/sink.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>

#include "core/digest.hpp"
#include "core/text.hpp"
#include "core/time.hpp"
#include "net/endpoint.hpp"
#include "net/retry.hpp"

namespace grm::sinks::webhook {

namespace asio = boost::asio;
using namespace std::chrono;

std::string_view event_name(std::string_view kind) noexcept {
  if (kind == "sentiment") return "sentiment.forwarded";
  if (kind == "alert") return "sentiment.escalation";
  return "conversation.lifecycle";
}

std::string signature(std::string_view secret, std::string_view timestamp, std::string_view body) {
  std::string signed_text(timestamp);
  signed_text += '.';
  signed_text += body;
  return "v1=" + hex(hmac_sha256(secret, signed_text));
}

delivery::send_result classify_webhook_response(const net::http_response& r, std::string_view url) {
  delivery::send_result out;
  auto status = std::to_string(r.status);
  auto cls = net::classify_status(r.status);
  if (cls == net::status_class::success) {
    out.entries.push_back({delivery::verdict::delivered, "HTTP " + status, {}, {}, r.status});
    return out;
  }
  delivery::request_failure f;
  f.retryable = cls == net::status_class::retryable;
  f.code = "HTTP" + status;
  f.status = r.status;
  f.kind = r.status == 429 ? error_kind::rate_limited
           : r.status >= 500 ? error_kind::server
           : r.status == 401 || r.status == 403 ? error_kind::auth
                                               : error_kind::client;
  // The URL without its query (it may carry a token) and a bounded, masked excerpt of the body:
  // this message reaches logs, the audit log and dead letters.
  f.message = "webhook " + net::redacted_url(url) + " answered HTTP " + status +
              (r.body.empty() ? "" : ": " + safe_excerpt(r.body));
  if (r.status == 429 || r.status == 503)
    if (auto h = r.header_value("Retry-After")) f.retry_after = net::parse_retry_after(*h, system_clock::now());
  out.failure = std::move(f);
  return out;
}

delivery::probe_result classify_webhook_probe(const net::http_response& r, std::string_view url) {
  auto what = "OPTIONS " + net::redacted_url(url) + " answered HTTP " + std::to_string(r.status);
  auto why = r.status == 401 || r.status == 403 ? ": the receiver refused the token or signature"
             : r.status == 407                  ? ": the proxy wants credentials"
             : r.status == 404                  ? ": no such path on the receiver"
             : r.status >= 500                  ? ": the receiver failed"
                                                : "";
  if (*why) return {delivery::probe_outcome::failed, what + why + (r.body.empty() ? "" : " (" + safe_excerpt(r.body) + ")")};
  return {delivery::probe_outcome::reachable, what};
}

struct sink::impl {
  net::http_client& http;
  webhook_settings s;

  // The token and the signature of `body`, as every request of this sink carries them.
  void authorize(net::http_request& req) const {
    if (!s.bearer_token.empty()) req.headers.push_back({"Authorization", "Bearer " + std::string(s.bearer_token.reveal())});
    if (s.signing_secret.empty()) return;
    auto t = std::to_string(duration_cast<seconds>(system_clock::now().time_since_epoch()).count());
    req.headers.push_back({"X-Genesys-Relay-Timestamp", t});
    req.headers.push_back({"X-Genesys-Relay-Signature", signature(s.signing_secret.reveal(), t, req.body)});
  }

  std::string body_of(const delivery::entry& e) const {
    if (s.body == body_shape::raw) return e.msg.payload;
    auto now = format_rfc3339(time_point_cast<milliseconds>(system_clock::now()));
    return R"({"event":")" + std::string(event_name(e.msg.kind)) + R"(","data":)" + e.msg.payload +
           R"(,"syncTimestamp":")" + now + "\"}";
  }
};

sink::sink(net::http_client& http, webhook_settings settings) : impl_(std::make_unique<impl>(impl{http, std::move(settings)})) {}
sink::~sink() = default;
const webhook_settings& sink::settings() const noexcept { return impl_->s; }

asio::awaitable<delivery::send_result> sink::send(const std::vector<const delivery::entry*>& batch) {
  auto& d = *impl_;
  const auto& e = *batch.front();
  net::http_request req;
  req.method = "POST";
  req.url = d.s.url;
  req.body = d.body_of(e);
  req.timeout = d.s.request_timeout;
  req.headers = {{"Content-Type", "application/json"}, {"Idempotency-Key", e.msg.idempotency_key}};
  d.authorize(req);
  auto resp = co_await d.http.send(std::move(req));
  co_return classify_webhook_response(resp, d.s.url);
}

asio::awaitable<delivery::probe_result> sink::probe() {
  auto& d = *impl_;
  net::http_request req;
  req.method = "OPTIONS";
  req.url = d.s.url;
  req.timeout = d.s.request_timeout;
  d.authorize(req);
  auto resp = co_await d.http.send(std::move(req));
  co_return classify_webhook_probe(resp, d.s.url);
}

}  // namespace grm::sinks::webhook
