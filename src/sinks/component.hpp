#pragma once
// A sink as the composition root sees it (src/topology): settings parsed from the sink's
// [sinks.<id>] table (or the shorthand), built into a delivery::sink when the service is
// assembled. Each sink folder has one (component.hpp): parse, describe, build. The driver
// options (retries, breaker) are the [outbox] defaults with the sink's own max_attempts.
#include <boost/asio/any_io_executor.hpp>

#include <functional>
#include <memory>
#include <string>

#include "core/log.hpp"
#include "delivery/driver.hpp"
#include "delivery/sink.hpp"

namespace grm::net {
class http_client;
struct http_client_options;
}  // namespace grm::net
namespace grm::genesys {
class api_client;
}

namespace grm::sinks {

// What a sink may use when it is built; all of it outlives the sink.
struct build_context {
  boost::asio::any_io_executor executor;
  // A client of the sink's own (its TLS trust, proxy and pool are nobody else's).
  std::function<net::http_client&(const net::http_client_options&)> http;
  genesys::api_client* genesys = nullptr;  // the Genesys API (the marker sink); null for commands without one
  log_fn log;
};

class component {
 public:
  virtual ~component() = default;
  virtual std::string_view type() const noexcept = 0;  // "eventbridge", "webhook", "file", "genesys_attributes"
  // Throws relay_error(config) for what can only be checked now (no AWS Region, an unwritable file).
  // The component keeps what the sink refers to (credentials), so it must outlive the sink.
  virtual std::unique_ptr<delivery::sink> build(build_context& ctx) = 0;
  // The settings in one line, no secrets: what `genesys-relay config` prints and tests compare.
  virtual std::string describe() const = 0;
  virtual bool needs_genesys() const noexcept { return false; }

  delivery::driver_options delivery;
};

}  // namespace grm::sinks
