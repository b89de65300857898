#include "sinks/eventbridge/sink.hpp"

#include "aws/credentials.hpp"
#include "aws/sigv4.hpp"
#include "core/error.hpp"
#include "delivery/batcher.hpp"
#include "net/endpoint.hpp"
#include "net/http.hpp"

namespace grm::sinks::eventbridge {

namespace asio = boost::asio;

std::string default_endpoint(const std::string& region) {
  return "https://events." + region + (region.starts_with("cn-") ? ".amazonaws.com.cn" : ".amazonaws.com");
}

void resolve_with_aws_config(eventbridge_settings& s, const aws::env_lookup& env, const aws::shared_files& files,
                             const std::string& profile) {
  if (s.region.empty()) s.region = aws::resolve_region(env, files, profile);
  if (s.region.empty())
    throw relay_error(error_kind::config,
                      "no AWS region for EventBridge: set AWS_REGION (or AWS_DEFAULT_REGION), 'region' in profile '" +
                          profile + "' of " + files.config_path);
  if (s.endpoint.empty())
    s.endpoint = aws::resolve_endpoint(env, files, profile, "EVENTBRIDGE", "eventbridge").value_or(default_endpoint(s.region));
  if (auto m = env("AWS_MAX_ATTEMPTS")) {
    int n = 0;
    try {
      n = std::stoi(*m);
    } catch (const std::exception&) {
    }
    if (n < 1) throw relay_error(error_kind::config, "AWS_MAX_ATTEMPTS must be a positive integer, got '" + *m + "'");
    s.delivery.max_attempts = n;
  }
}

namespace {

// One PutEvents request per batch: encode, sign, send, classify.
class put_events_sink final : public delivery::batch_sink<put_entry> {
 public:
  put_events_sink(net::http_client& http, aws::credentials_cache& creds, const eventbridge_settings& s)
      : http_(http), creds_(creds), settings_(s), endpoint_(net::parse_endpoint(s.endpoint)) {
    signing_.region = s.region;
    signing_.service = "events";
  }

  delivery::batch_limits limits() const override { return {settings_.max_entries, settings_.max_request_bytes}; }
  std::size_t entry_size(const put_entry& e) const override { return eventbridge::entry_size(e); }

  asio::awaitable<delivery::send_result> send(const std::vector<const put_entry*>& batch) override {
    auto creds = co_await creds_.get();  // per attempt: a retry signs with refreshed credentials
    aws::signable_request sr{"POST", endpoint_.target,
                             {{"Host", endpoint_.host_header()},
                              {"Content-Type", "application/x-amz-json-1.1"},
                              {"X-Amz-Target", "AWSEvents.PutEvents"}},
                             {}};
    net::http_request req;
    req.method = "POST";
    req.url = settings_.endpoint;
    req.body = encode_put_events(batch);
    req.timeout = settings_.request_timeout;
    sr.body = req.body;
    signer_.sign(sr, creds, signing_, std::chrono::system_clock::now());
    req.headers = std::move(sr.headers);
    auto resp = co_await http_.send(std::move(req));
    delivery::send_result out;
    if (resp.status == 200)
      out.entries = parse_put_events_result(resp.body, batch.size());
    else
      out.failure = classify_failure(resp);
    co_return out;
  }

 private:
  net::http_client& http_;
  aws::credentials_cache& creds_;
  const eventbridge_settings& settings_;
  net::endpoint endpoint_;
  aws::signing_options signing_;
  aws::signer signer_;
};

}  // namespace

struct publisher::impl {
  impl(net::http_client& http, aws::credentials_cache& creds, eventbridge_settings s)
      : settings(std::move(s)), sink(http, creds, settings), batch(sink, settings.delivery) {}
  eventbridge_settings settings;
  put_events_sink sink;
  delivery::batcher<put_entry> batch;
};

publisher::publisher(net::http_client& http, aws::credentials_cache& credentials, eventbridge_settings settings)
    : impl_(std::make_unique<impl>(http, credentials, std::move(settings))) {}
publisher::~publisher() = default;

asio::awaitable<delivery::outcome> publisher::publish(put_entry entry) {
  co_return co_await impl_->batch.submit(std::move(entry));
}
asio::awaitable<void> publisher::drain() { co_await impl_->batch.drain(); }
asio::awaitable<void> publisher::close() { co_await impl_->batch.close(); }
void publisher::abort() { impl_->batch.abort(); }
delivery::delivery_stats publisher::stats() const { return impl_->batch.stats(); }
const eventbridge_settings& publisher::settings() const noexcept { return impl_->settings; }

}  // namespace grm::sinks::eventbridge
