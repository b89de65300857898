#pragma once
// Health checks that components register and the scrape server reports: GET /healthz (the
// process is alive; its body lists what is failing) and GET /readyz (503 while any check fails).
// A check is a function evaluated at request time, so it reads the component's current state.
// `degraded` is a problem still within its budget (a stream reconnecting for a few seconds, a
// breaker open for a minute): named in both answers, but /readyz stays 200.
// Asio-free, like the metrics registry. Thread-safe registration; checks run on the caller's
// thread (the server's executor, which is the components' executor).
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace grm::health {

enum class status : std::uint8_t { ok, degraded, failing };
std::string_view to_string(status s) noexcept;

struct result {
  status state = status::ok;
  std::string detail;  // what is wrong and what is being done about it; empty when ok
};

struct named_result {
  std::string name;
  result r;
};

class registry final {
 public:
  using check = std::function<result()>;
  void add(std::string name, check c);
  std::vector<named_result> evaluate() const;
  bool ready() const;  // no check failing

  // {"status":"ok"|"degraded"|"not ready","checks":[{"name":..,"status":..,"detail":..},...]}
  std::string render_json(bool readiness) const;

 private:
  mutable std::mutex mu_;
  std::vector<std::pair<std::string, check>> checks_;
};

}  // namespace grm::health
