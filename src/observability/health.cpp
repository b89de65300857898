#include "observability/health.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>
#include <fmt/format.h>

namespace grm::health {

namespace {

std::string json_string(std::string_view s) { return boost::json::serialize(boost::json::string(s)); }

}  // namespace

std::string_view to_string(status s) noexcept {
  switch (s) {
    case status::ok: return "ok";
    case status::degraded: return "degraded";
    case status::failing: return "failing";
  }
  return "?";
}

void registry::add(std::string name, check c) {
  std::lock_guard lock(mu_);
  checks_.emplace_back(std::move(name), std::move(c));
}

std::vector<named_result> registry::evaluate() const {
  std::vector<std::pair<std::string, check>> checks;
  {
    std::lock_guard lock(mu_);
    checks = checks_;
  }
  std::vector<named_result> out;
  for (auto& [name, c] : checks) out.push_back({name, c()});
  return out;
}

bool registry::ready() const {
  for (auto& n : evaluate())
    if (n.r.state == status::failing) return false;
  return true;
}

std::string registry::render_json(bool readiness) const {
  auto results = evaluate();
  bool all_ok = true, any_failing = false;
  std::string checks;
  for (auto& n : results) {
    all_ok = all_ok && n.r.state == status::ok;
    any_failing = any_failing || n.r.state == status::failing;
    if (!checks.empty()) checks += ',';
    checks += fmt::format(R"({{"name":{},"status":"{}"{}}})", json_string(n.name), to_string(n.r.state),
                          n.r.detail.empty() ? "" : ",\"detail\":" + json_string(n.r.detail));
  }
  auto overall = all_ok ? "ok" : readiness && any_failing ? "not ready" : "degraded";
  return fmt::format(R"({{"status":"{}","checks":[{}]}})", overall, checks) + "\n";
}

}  // namespace grm::health
