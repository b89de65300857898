#pragma once
// [sinks.<id>] type = "genesys_attributes": the forwarding marker written back on the
// conversation (docs/configuration.md).
//   write = ["participant"] (the real PATCH) and/or "conversation" (the tutorial's PUT),
//   conflict_retries, max_attempts
#include <memory>

#include "config/document.hpp"
#include "sinks/component.hpp"
#include "sinks/genesys_attributes/sink.hpp"

namespace grm::sinks::genesys_attributes {

class component final : public sinks::component {
 public:
  explicit component(attributes_settings s) : settings(s) {}
  std::string_view type() const noexcept override { return "genesys_attributes"; }
  std::unique_ptr<delivery::sink> build(build_context& ctx) override;
  std::string describe() const override;
  bool needs_genesys() const noexcept override { return true; }

  attributes_settings settings;
};

std::unique_ptr<sinks::component> parse(const config::section& s, config::env_lookup env);

}  // namespace grm::sinks::genesys_attributes
