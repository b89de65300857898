#pragma once
// [sinks.<id>] type = "file": one JSON document per line, rotated by size
// (docs/configuration.md).   path, max_bytes, keep, max_attempts
// Also the [audit] table's reader (the same rotation settings).
#include <memory>

#include "config/document.hpp"
#include "sinks/component.hpp"
#include "sinks/file/sink.hpp"

namespace grm::sinks::file {

class component final : public sinks::component {
 public:
  explicit component(file_settings s) : settings(std::move(s)) {}
  std::string_view type() const noexcept override { return "file"; }
  std::unique_ptr<delivery::sink> build(build_context& ctx) override;
  std::string describe() const override;

  file_settings settings;
};

std::unique_ptr<sinks::component> parse(const config::section& s, config::env_lookup env);

// [audit] path, max_bytes, keep (path default: genesys-relay-audit.jsonl).
audit_settings parse_audit(const config::section& s);

}  // namespace grm::sinks::file
