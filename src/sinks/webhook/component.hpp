#pragma once
// [sinks.<id>] type = "webhook": where it posts and how it signs (docs/configuration.md).
//   url, timeout_ms, ca_file, tls_verify, body = "envelope" | "raw",
//   token_env (the bearer token's variable), secret_env / secret_file (the signing secret),
//   max_attempts (default: until the outbox's max age)
// Tokens and secrets never come from the file itself.
#include <memory>

#include "config/document.hpp"
#include "sinks/component.hpp"
#include "sinks/webhook/sink.hpp"

namespace grm::sinks::webhook {

class component final : public sinks::component {
 public:
  explicit component(webhook_settings s) : settings(std::move(s)) {}
  std::string_view type() const noexcept override { return "webhook"; }
  std::unique_ptr<delivery::sink> build(build_context& ctx) override;
  std::string describe() const override;

  webhook_settings settings;
};

std::unique_ptr<sinks::component> parse(const config::section& s, config::env_lookup env);

}  // namespace grm::sinks::webhook
