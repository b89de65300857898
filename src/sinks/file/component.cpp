#include "sinks/file/component.hpp"

#include <fmt/format.h>

namespace grm::sinks::file {

namespace {

void rotation(const config::section& s, audit_settings& a) {
  a.max_bytes = static_cast<std::size_t>(s.integer("max_bytes", 4096, std::int64_t{1} << 40).value_or(64 << 20));
  a.keep = static_cast<int>(s.integer("keep", 0, 1000).value_or(5));
}

}  // namespace

std::unique_ptr<delivery::sink> component::build(build_context&) { return std::make_unique<sink>(settings); }

std::string component::describe() const {
  return fmt::format("path={} max_bytes={} keep={}", settings.path, settings.max_bytes, settings.keep);
}

std::unique_ptr<sinks::component> parse(const config::section& s, config::env_lookup) {
  s.reject_unknown({"type", "inputs", "path", "max_bytes", "keep", "max_attempts"});
  file_settings f;
  auto path = s.string("path");
  if (!path || path->empty()) s.fail({}, "'" + s.qualified("path") + "' is required for a file sink");
  f.path = *path;
  rotation(s, f);
  return std::make_unique<component>(std::move(f));
}

audit_settings parse_audit(const config::section& s) {
  s.reject_unknown({"path", "max_bytes", "keep"});
  audit_settings a;
  a.path = s.string("path").value_or("genesys-relay-audit.jsonl");
  rotation(s, a);
  return a;
}

}  // namespace grm::sinks::file
