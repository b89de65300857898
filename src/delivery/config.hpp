#pragma once
// [state] and [outbox]: the state database and how deliveries are retried (docs/configuration.md).
//   [state]  path (default genesys-relay-state.db), retention_h (finished keys kept, default 168)
//   [outbox] max_pending, max_age_h, synchronous = "normal" | "full", retry_max_delay_s,
//            breaker_failures, breaker_open_s, breaker_max_open_s
// A sink's own `max_attempts` (default: retried until max_age_h) is read by sink_driver().
#include <chrono>
#include <string>

#include "config/section.hpp"
#include "delivery/database.hpp"
#include "delivery/driver.hpp"
#include "delivery/outbox.hpp"

namespace grm::delivery {

struct delivery_settings {
  std::string state_path = "genesys-relay-state.db";  // empty: in memory (nothing survives a restart: tests only)
  durability sync = durability::normal;
  std::chrono::hours state_retention{24 * 7};
  outbox_limits outbox;
  driver_options defaults;  // every sink's driver, unless the sink says otherwise
};

delivery_settings parse_delivery(const config::section& state, const config::section& outbox);
driver_options sink_driver(const config::section& sink, const driver_options& defaults);

}  // namespace grm::delivery
