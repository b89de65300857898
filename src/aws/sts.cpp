#include "aws/sts.hpp"

#include "core/error.hpp"
#include "net/retry.hpp"

namespace grm::aws {

std::string sts_url(const env_lookup& env, const shared_files& files, const std::string& profile,
                    const std::string& region) {
  if (auto e = resolve_endpoint(env, files, profile, "STS", "sts")) return *e;
  if (region.empty()) return "https://sts.amazonaws.com/";
  return "https://sts." + region + (region.starts_with("cn-") ? ".amazonaws.com.cn/" : ".amazonaws.com/");
}

boost::asio::awaitable<net::http_response> credential_call(net::http_client& http, net::http_request req,
                                                           const std::string& what) {
  std::string failure;
  error_kind kind = error_kind::network;
  try {
    co_return co_await net::send_with_retry(
        http, std::move(req), net::retry_policy{.max_attempts = 3, .base = std::chrono::milliseconds{200}});
  } catch (const relay_error& e) {
    failure = e.what();
    kind = e.kind();
  }
  throw relay_error(kind, what + ": " + failure);
}

std::string sts_signing_region(const std::string& region) { return region.empty() ? "us-east-1" : region; }

std::string form_encode(std::initializer_list<std::pair<std::string_view, std::string_view>> fields) {
  std::string out;
  for (auto& [k, v] : fields) {
    if (v.empty()) continue;  // optional parameters left out, as the SDKs leave them
    if (!out.empty()) out += '&';
    out += uri_encode(k, false);
    out += '=';
    out += uri_encode(v, false);
  }
  return out;
}

}  // namespace grm::aws
