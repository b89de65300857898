#include "delivery/config.hpp"

namespace grm::delivery {

delivery_settings parse_delivery(const config::section& st, const config::section& ob) {
  st.reject_unknown({"path", "retention_h"});
  ob.reject_unknown({"max_pending", "max_age_h", "synchronous", "retry_max_delay_s", "breaker_failures", "breaker_open_s",
                     "breaker_max_open_s", "breaker_ready_budget_s"});
  delivery_settings d;
  d.state_path = st.string("path").value_or(d.state_path);
  d.state_retention = std::chrono::hours{st.integer("retention_h", 1, 24 * 366 * 10).value_or(24 * 7)};
  d.outbox.max_pending = static_cast<std::size_t>(ob.integer("max_pending", 1, 1'000'000'000).value_or(1'000'000));
  d.outbox.max_age = std::chrono::hours{ob.integer("max_age_h", 1, 24 * 366).value_or(96)};
  if (ob.choice("synchronous", {"normal", "full"}).value_or("normal") == "full") d.sync = durability::full;
  auto& o = d.defaults;
  o.backoff_cap = std::chrono::seconds{ob.integer("retry_max_delay_s", 1, 86'400).value_or(300)};
  o.breaker.failures_to_open = static_cast<int>(ob.integer("breaker_failures", 1, 1'000'000).value_or(5));
  o.breaker.open_for = std::chrono::seconds{ob.integer("breaker_open_s", 1, 86'400).value_or(5)};
  o.breaker.max_open_for = std::chrono::seconds{ob.integer("breaker_max_open_s", 1, 86'400).value_or(300)};
  if (o.breaker.max_open_for < o.breaker.open_for) o.breaker.max_open_for = o.breaker.open_for;
  o.breaker.ready_budget = std::chrono::seconds{ob.integer("breaker_ready_budget_s", 0, 86'400).value_or(300)};
  return d;
}

driver_options sink_driver(const config::section& sink, const driver_options& defaults) {
  auto o = defaults;
  // Opt-in: by default a delivery is retried until the outbox's max age.
  if (auto n = sink.integer("max_attempts", 1, 1'000'000)) o.max_attempts = static_cast<int>(*n);
  return o;
}

}  // namespace grm::delivery
