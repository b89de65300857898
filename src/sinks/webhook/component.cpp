#include "sinks/webhook/component.hpp"

#include <fmt/format.h>

#include "net/endpoint.hpp"
#include "net/settings.hpp"

namespace grm::sinks::webhook {

std::unique_ptr<delivery::sink> component::build(build_context& ctx) {
  return std::make_unique<sink>(ctx.http(settings.http), settings);
}

std::string component::describe() const {
  return fmt::format("url={} body={} timeout_ms={} token={} signed={} tls_verify={} ca_file={}", net::redacted_url(settings.url),
                     settings.body == body_shape::envelope ? "envelope" : "raw", settings.request_timeout.count(),
                     settings.bearer_token.empty() ? "none" : "set", settings.signing_secret.empty() ? "no" : "yes",
                     settings.http.tls.verify_peer, settings.http.tls.ca_file);
}

std::unique_ptr<sinks::component> parse(const config::section& s, config::env_lookup env) {
  s.reject_unknown({"type", "inputs", "url", "timeout_ms", "ca_file", "tls_verify", "body", "token", "token_env", "secret",
                    "secret_env", "secret_file", "max_attempts"});
  webhook_settings w;
  auto url = s.string("url");
  if (!url && !s.has("url")) s.report({}, "'" + s.qualified("url") + "' is required for a webhook sink");
  w.url = url.value_or("");
  if (url) net::require_secure_scheme(s, "url", w.url, s.name() + ": webhook URL");
  // `token` and `secret` take "${NAME}" or "file:/path" (config::section::secret_value); the
  // *_env and secret_file keys of earlier releases stay. One of each at most.
  auto one_of = [&](std::initializer_list<std::string_view> keys) {
    std::string set;
    std::string_view last;
    for (auto k : keys)
      if (s.has(k)) {
        set += (set.empty() ? "" : " and ") + s.qualified(k);
        last = k;
      }
    if (set.find(" and ") != std::string::npos) s.report(last, set + " are alternatives: set one");
  };
  one_of({"token", "token_env"});
  one_of({"secret", "secret_env", "secret_file"});
  if (auto t = s.secret_reference("token", env)) w.bearer_token = std::move(*t);
  if (auto k = s.secret_reference("secret", env)) w.signing_secret = std::move(*k);
  if (auto var = s.string("token_env")) {
    register_secret_variable(*var);  // kept from credential_process like the relay's own
    if (auto token = env(var->c_str())) w.bearer_token = secret(*token);
  }
  if (auto var = s.string("secret_env")) {
    register_secret_variable(*var);
    if (auto key = env(var->c_str())) w.signing_secret = secret(*key);
  }
  if (auto path = s.string("secret_file")) w.signing_secret = s.secret_file("secret_file", *path);
  w.body = s.choice("body", {"envelope", "raw"}).value_or("envelope") == "raw" ? body_shape::raw : body_shape::envelope;
  w.request_timeout = std::chrono::milliseconds{s.integer("timeout_ms", 1, 3'600'000).value_or(10'000)};
  if (url) w.http = net::client_options(s, w.url);  // validate goes on without a URL; the service never gets here
  return std::make_unique<component>(std::move(w));
}

}  // namespace grm::sinks::webhook
