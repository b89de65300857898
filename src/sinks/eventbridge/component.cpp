#include "sinks/eventbridge/component.hpp"

#include <fmt/format.h>

#include "aws/shared_config.hpp"
#include "core/error.hpp"
#include "net/endpoint.hpp"
#include "net/http.hpp"
#include "net/settings.hpp"
#include "sinks/eventbridge/sink.hpp"

namespace grm::sinks::eventbridge {

std::unique_ptr<delivery::sink> component::build(build_context& ctx) {
  auto& t = target;
  auto env = aws::process_environment();
  aws::chain_context chain;
  chain.env = env;
  chain.files = aws::load_shared_files(env);
  chain.profile = t.profile.empty() ? aws::profile_name(env) : t.profile;
  try {
    resolve_with_aws_config(t.settings, env, chain.files, chain.profile);
  } catch (const relay_error& e) {
    throw relay_error(e.kind(), std::string(e.what()) + " (or " + t.region_setting + " in the config file; " + t.without_it + ")");
  }
  chain.region = t.settings.region;
  auto credentials_options = t.credentials;
  credentials_options.tls.verify_peer = true;
  chain.http = &ctx.http(credentials_options);
  chain.log = ctx.log;
  credentials_ = std::make_unique<aws::credentials_cache>(t.keys ? aws::static_provider(*t.keys) : aws::default_chain(chain));
  if (t.settings.max_attempts > 0) delivery.max_attempts = t.settings.max_attempts;  // AWS_MAX_ATTEMPTS
  return std::make_unique<sink>(ctx.http(t.http), *credentials_, t.settings);
}

std::string component::describe() const {
  auto& s = target.settings;
  std::string kinds;
  for (auto& [kind, type] : s.detail_types) kinds += (kinds.empty() ? "" : ",") + kind + ":" + type;
  return fmt::format("region={} endpoint={} profile={} event_bus={} source={} detail_types={} batch_size={} request_limit={} "
                     "tls_verify={} ca_file={}",
                     s.region.empty() ? "(AWS configuration)" : s.region, s.endpoint.empty() ? "(default)" : net::redacted_url(s.endpoint),
                     target.profile.empty() ? "(default)" : target.profile, s.event_bus.empty() ? "default" : s.event_bus, s.source,
                     kinds, s.max_entries, s.max_request_bytes, target.http.tls.verify_peer, target.http.tls.ca_file);
}

std::unique_ptr<sinks::component> parse(const config::section& s, config::env_lookup env) {
  s.reject_unknown({"type", "inputs", "region", "endpoint", "profile", "event_bus", "source", "detail_type", "alert_detail_type",
                    "lifecycle_detail_type", "ca_file", "tls_verify", "max_attempts", "request_limit", "batch_size"});
  eventbridge_target t;
  t.region_setting = s.qualified("region");
  if (s.name() != "eventbridge") t.without_it = "or remove [" + s.name() + "] to publish elsewhere only";
  t.settings.region = s.string("region").value_or("");
  t.settings.endpoint = s.string("endpoint").value_or("");
  t.profile = s.string("profile").value_or("");
  t.settings.max_entries = static_cast<std::size_t>(s.integer("batch_size", 1).value_or(10));
  if (t.settings.max_entries > 10)
    s.fail("batch_size", s.qualified("batch_size") + " may be at most 10 (PutEvents takes 1 to 10 entries)");
  auto limit = s.choice("request_limit", {"256KB", "1MiB"}).value_or("256KB");
  if (limit == "1MiB") t.settings.max_request_bytes = limit_1mb;
  if (!t.settings.endpoint.empty()) net::require_secure_scheme(s, "endpoint", t.settings.endpoint, s.qualified("endpoint"));
  t.http = net::client_options(s, t.settings.endpoint);
  if (auto bundle = env("AWS_CA_BUNDLE"); bundle && t.http.tls.ca_file.empty()) {
    bool verify = t.http.tls.verify_peer;
    t.http.tls = {true, {}, *bundle, "AWS_CA_BUNDLE"};
    t.http.tls.verify_peer = verify;
  }
  // STS, container and IMDS: the AWS trust (AWS_CA_BUNDLE, else ca_file), always verified.
  t.credentials.proxy = t.http.proxy;
  t.credentials.tls = {true, {}, t.http.tls.ca_file, t.http.tls.ca_file_setting};
  if (auto bundle = env("AWS_CA_BUNDLE")) t.credentials.tls = {true, {}, *bundle, "AWS_CA_BUNDLE"};
  auto& st = t.settings;
  st.event_bus = s.string("event_bus").value_or("");
  st.source = s.string("source").value_or(st.source);
  st.detail_types["sentiment"] = s.string("detail_type").value_or(st.detail_types["sentiment"]);
  st.detail_types["alert"] = s.string("alert_detail_type").value_or(st.detail_types["alert"]);
  st.detail_types["lifecycle"] = s.string("lifecycle_detail_type").value_or(st.detail_types["lifecycle"]);
  return std::make_unique<component>(std::move(t));
}

}  // namespace grm::sinks::eventbridge
