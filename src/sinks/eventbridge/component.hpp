#pragma once
// [sinks.<id>] type = "eventbridge": PutEvents to a bus, signed with the AWS default credential
// chain (docs/configuration.md).
//   region, endpoint (both resolved the SDKs' way when absent), profile, event_bus, source,
//   detail_type / alert_detail_type / lifecycle_detail_type (by message kind), ca_file,
//   tls_verify, batch_size (1..10), request_limit = "256KB" | "1MiB", max_attempts
#include <memory>
#include <optional>

#include "aws/credentials.hpp"
#include "config/document.hpp"
#include "net/http.hpp"
#include "sinks/component.hpp"
#include "sinks/eventbridge/config.hpp"

namespace grm::sinks::eventbridge {

struct eventbridge_target {
  eventbridge_settings settings;         // empty region/endpoint: the AWS configuration's
  std::string profile;                   // empty: AWS_PROFILE, then "default"
  std::optional<aws::credentials> keys;  // set: these keys (demo, benchmarks); else the default chain
  // Each has its own client: tls_verify = false (loopback only) never reaches STS, the container
  // endpoint or IMDS, and no other sink's setting reaches either.
  net::http_client_options http;         // the EventBridge endpoint
  net::http_client_options credentials;  // STS, container and IMDS: verification always on
  // Named in "no Region" messages: "(or <region_setting> in the config file; <without_it>)".
  std::string region_setting = "eventbridge.region";
  std::string without_it = "eventbridge.enabled = false forwards to the CRM webhook only";
};

class component final : public sinks::component {
 public:
  explicit component(eventbridge_target t) : target(std::move(t)) {}
  std::string_view type() const noexcept override { return "eventbridge"; }
  std::unique_ptr<delivery::sink> build(build_context& ctx) override;
  std::string describe() const override;

  eventbridge_target target;

 private:
  std::unique_ptr<aws::credentials_cache> credentials_;  // the sink signs with it
};

std::unique_ptr<sinks::component> parse(const config::section& s, config::env_lookup env);

}  // namespace grm::sinks::eventbridge
