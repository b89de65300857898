#pragma once
// The composition root: the running service, built in this one place from a plan (Vector's
// topology builder). It opens the state database, makes the Genesys session (credentials),
// builds each sink the purpose needs with its own HTTP client and a driver over the outbox, the
// audit trail, the sentiment transform with its targets, the monitor with its sources, and
// routes lifecycle events by id: source → filters → the sentiment transform and the sinks that
// take lifecycle events (through the outbox). Nothing under sources/ or pipeline/ builds a
// sink, a credential chain or a database.
//
// Only what the purpose reaches is built: `monitor` builds the sinks fed by its sources (and by
// the sentiment transform when it has inputs), `forward` those the sentiment transform feeds,
// `replay` every sink, `inspect` none. A monitor plan without sources (tests, benchmarks) runs
// the sentiment transform for events its caller feeds to forwarding()->on_event().
//
// Threading: one executor. run() until stop() (two-phase shutdown: stop(), then cancel() after
// the caller's deadline).
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <functional>
#include <memory>

#include "core/events.hpp"
#include "core/log.hpp"
#include "delivery/database.hpp"
#include "delivery/service.hpp"
#include "pipeline/monitor_pipeline.hpp"
#include "pipeline/publish.hpp"
#include "topology/plan.hpp"

namespace grm::genesys {
struct api_session;
}
namespace grm::metrics {
class registry;
}
namespace grm::health {
class registry;
}
namespace grm::sources {
class monitor_service;
}

namespace grm::topology {

struct service_hooks {
  metrics::registry* metrics = nullptr;
  health::registry* health = nullptr;
  std::function<void(const lifecycle_event&)> on_event;  // every event a source passes on (the monitor prints them)
  std::function<void(const pipeline::stream_error&)> on_stream_error;
  std::function<void(const sentiment::forward_report&)> on_report;
  // One logger per module: when set, each part gets the log of its module ("sources", "sentiment",
  // "delivery", "sinks", "genesys", "pipeline") instead of the one log the service was given.
  std::function<log_fn(std::string_view module)> module_log;
};

class service final {
 public:
  // Throws relay_error(config) for what only building can find (no AWS Region, an unwritable
  // audit log, a state database that cannot be opened).
  service(boost::asio::any_io_executor executor, plan p, purpose use, log_fn log, service_hooks hooks = {});
  ~service();
  service(const service&) = delete;
  service& operator=(const service&) = delete;

  // monitor: the streams, the sentiment transform, the lifecycle publisher and the deliveries,
  // until stop() or a fatal stream error (rethrown once the rest has stopped). Other purposes:
  // the deliveries until stop() (the caller forwards or replays meanwhile).
  boost::asio::awaitable<void> run();
  void stop();    // no new intake; work in flight finishes; the rest stays pending
  void cancel();  // abandons what is in flight (still pending for the next start)

  sources::monitor_service* monitor();          // purpose monitor only
  sentiment::forwarding_service* forwarding();  // when the purpose uses the sentiment transform
  delivery::delivery_service& delivery();
  delivery::database& database();
  genesys::api_session* genesys();  // null for inspect
  const plan& layout() const;
  std::vector<std::string> built_sinks() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

// `validate --check-connectivity`: a Genesys token and GET /api/v2/tokens/me (which needs no
// permission), then each sink built as the service builds it and probed once (delivery::sink::probe).
// No state database is opened and nothing is delivered. One report per component, in plan order.
struct probe_report {
  std::string component;  // "genesys", "sink crm"
  delivery::probe_outcome outcome = delivery::probe_outcome::failed;
  std::string detail;
};
boost::asio::awaitable<std::vector<probe_report>> check_connectivity(plan& p, log_fn log);

}  // namespace grm::topology
