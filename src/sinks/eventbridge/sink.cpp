#include "sinks/eventbridge/sink.hpp"

#include "aws/credentials.hpp"
#include "aws/sigv4.hpp"
#include "core/error.hpp"
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
  if (s.endpoint.rfind("https://", 0) != 0 && !net::is_loopback_url(s.endpoint))
    throw relay_error(error_kind::config, "the EventBridge endpoint " + net::redacted_url(s.endpoint) +
                                              " must be https:// (plain http only to a loopback host)");
  if (auto m = env("AWS_MAX_ATTEMPTS")) {
    int n = 0;
    try {
      n = std::stoi(*m);
    } catch (const std::exception&) {
    }
    if (n < 1) throw relay_error(error_kind::config, "AWS_MAX_ATTEMPTS must be a positive integer, got '" + *m + "'");
    s.max_attempts = n;
  }
}

struct sink::impl {
  impl(net::http_client& h, aws::credentials_cache& c, eventbridge_settings st)
      : http(h), creds(c), settings(std::move(st)), endpoint(net::parse_endpoint(settings.endpoint)) {
    signing.region = settings.region;
    signing.service = "events";
  }
  net::http_client& http;
  aws::credentials_cache& creds;
  eventbridge_settings settings;
  net::endpoint endpoint;
  aws::signing_options signing;
  aws::signer signer;

  asio::awaitable<net::http_response> put_events(std::string body) {
    auto c = co_await creds.get();  // per attempt: a retry signs with refreshed credentials
    aws::signable_request sr{"POST", endpoint.target,
                             {{"Host", endpoint.host_header()},
                              {"Content-Type", "application/x-amz-json-1.1"},
                              {"X-Amz-Target", "AWSEvents.PutEvents"}},
                             {}};
    net::http_request req;
    req.method = "POST";
    req.url = settings.endpoint;
    req.body = std::move(body);
    req.timeout = settings.request_timeout;
    sr.body = req.body;
    signer.sign(sr, c, signing, std::chrono::system_clock::now());
    req.headers = std::move(sr.headers);
    co_return co_await http.send(std::move(req));
  }
};

sink::sink(net::http_client& http, aws::credentials_cache& credentials, eventbridge_settings settings)
    : impl_(std::make_unique<impl>(http, credentials, std::move(settings))) {}
sink::~sink() = default;

const eventbridge_settings& sink::settings() const noexcept { return impl_->settings; }

delivery::batch_limits sink::limits() const { return {impl_->settings.max_entries, impl_->settings.max_request_bytes}; }

put_entry sink::to_put_entry(const delivery::entry& e) const {
  const auto& s = impl_->settings;
  auto type = s.detail_types.find(e.msg.kind);
  return put_entry{s.source, type == s.detail_types.end() ? e.msg.kind : type->second, e.msg.payload, s.resources,
                   std::nullopt, s.event_bus, {}};
}

std::size_t sink::entry_size(const delivery::entry& e) const { return eventbridge::entry_size(to_put_entry(e)); }

asio::awaitable<delivery::send_result> sink::send(const std::vector<const delivery::entry*>& batch) {
  auto& d = *impl_;
  std::vector<put_entry> entries;
  entries.reserve(batch.size());
  for (auto* e : batch) entries.push_back(to_put_entry(*e));
  std::vector<const put_entry*> view;
  for (auto& e : entries) view.push_back(&e);
  auto resp = co_await d.put_events(encode_put_events(view));
  delivery::send_result out;
  if (resp.status == 200) out.entries = parse_put_events_result(resp.body, batch.size());
  else out.failure = classify_failure(resp);
  co_return out;
}

}  // namespace grm::sinks::eventbridge

namespace grm::sinks::eventbridge {

asio::awaitable<delivery::probe_result> sink::probe() {
  auto& d = *impl_;
  std::string no_entries = R"({"Entries":[]})";
  auto resp = co_await d.put_events(std::move(no_entries));
  auto where = "PutEvents with no entries to " + net::redacted_url(d.settings.endpoint) + " (" + d.settings.region + ")";
  auto err = parse_aws_error(resp);
  if (resp.status == 200 || (resp.status == 400 && err.code == "ValidationException"))
    co_return delivery::probe_result{delivery::probe_outcome::reachable,
                                     where + ": signature and credentials accepted (" +
                                         (resp.status == 200 ? std::string("HTTP 200") : "ValidationException for the empty list") + ")"};
  co_return delivery::probe_result{delivery::probe_outcome::failed, where + ": " + classify_failure(resp).message};
}

}  // namespace grm::sinks::eventbridge
