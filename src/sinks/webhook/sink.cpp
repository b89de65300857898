#include "sinks/webhook/sink.hpp"

#include "core/text.hpp"
#include "delivery/batcher.hpp"
#include "net/endpoint.hpp"
#include "net/retry.hpp"

namespace grm::sinks::webhook {

namespace asio = boost::asio;

delivery::send_result classify_webhook_response(const net::http_response& r, std::string_view url) {
  delivery::send_result out;
  auto status = std::to_string(r.status);
  if (r.status >= 200 && r.status < 300) {
    out.entries.push_back({delivery::verdict::delivered, "HTTP " + status, {}, {}});
    return out;
  }
  delivery::request_failure f;
  f.retryable = net::classify_status(r.status) == net::status_class::retryable;
  f.code = "HTTP" + status;
  // The URL without its query (it may carry a token) and a bounded, masked excerpt of the body:
  // this message reaches logs, the audit log and dead letters.
  f.message = "webhook " + net::redacted_url(url) + " answered HTTP " + status +
              (r.body.empty() ? "" : ": " + safe_excerpt(r.body));
  if (r.status == 429 || r.status == 503)
    if (auto h = r.header_value("Retry-After")) f.retry_after = net::parse_retry_after(*h, std::chrono::system_clock::now());
  out.failure = std::move(f);
  return out;
}

namespace {

class post_sink final : public delivery::batch_sink<std::string> {
 public:
  post_sink(net::http_client& http, const webhook_settings& s) : http_(http), s_(s) {}
  delivery::batch_limits limits() const override { return {1, 0}; }
  std::size_t entry_size(const std::string& body) const override { return body.size(); }
  asio::awaitable<delivery::send_result> send(const std::vector<const std::string*>& batch) override {
    net::http_request req;
    req.method = "POST";
    req.url = s_.url;
    req.headers = {{"Content-Type", "application/json"}};
    if (!s_.bearer_token.empty()) req.headers.push_back({"Authorization", "Bearer " + std::string(s_.bearer_token.reveal())});
    req.body = *batch.front();
    req.timeout = s_.request_timeout;
    auto resp = co_await http_.send(std::move(req));
    co_return classify_webhook_response(resp, s_.url);
  }

 private:
  net::http_client& http_;
  const webhook_settings& s_;
};

}  // namespace

struct publisher::impl {
  impl(net::http_client& http, webhook_settings s) : settings(std::move(s)), sink(http, settings), batch(sink, settings.delivery) {}
  webhook_settings settings;
  post_sink sink;
  delivery::batcher<std::string> batch;
};

publisher::publisher(net::http_client& http, webhook_settings settings)
    : impl_(std::make_unique<impl>(http, std::move(settings))) {}
publisher::~publisher() = default;

asio::awaitable<delivery::outcome> publisher::post(std::string json_body) {
  co_return co_await impl_->batch.submit(std::move(json_body));
}
asio::awaitable<void> publisher::close() { co_await impl_->batch.close(); }
void publisher::abort() { impl_->batch.abort(); }
delivery::delivery_stats publisher::stats() const { return impl_->batch.stats(); }

}  // namespace grm::sinks::webhook
