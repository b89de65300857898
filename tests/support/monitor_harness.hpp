#pragma once
// Runs a monitor_service against a genesys_simulator on loopback, on its own thread, and records
// what the handlers received, for assertions. Thread-safe accessors; waits are bounded.
#include <chrono>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "sim/genesys_sim.hpp"
#include "genesys/config.hpp"
#include "sources/monitor_service.hpp"

namespace grm::testing {

struct harness_options {
  bool notifications = true;
  bool sse = false;
  bool tls = true;
  int max_retries = 0;
  std::chrono::milliseconds heartbeat_timeout{3000};
  std::chrono::milliseconds overlap{800};
};

class monitor_harness final {
 public:
  monitor_harness(sim::genesys_simulator& sim, const sim::sim_options& sim_options, harness_options o);
  ~monitor_harness();

  void start();
  void stop();  // graceful; joins
  bool wait_until(const std::function<bool()>& pred, std::chrono::milliseconds timeout = std::chrono::seconds{30});
  bool finished() const;
  std::string fatal_error() const;  // empty when none

  std::map<std::string, std::vector<std::string>> lifecycles() const;  // conversation -> kinds
  std::vector<std::string> stream_errors() const;  // "message [raw: ...] [origin: ...]"
  std::vector<std::string> log_lines() const;
  sources::source_stats stats() const;
  std::size_t token_refreshes() const;
  std::size_t routed() const;

  genesys::connection_settings connection;
  sources::monitor_settings settings;

 private:
  template <typename T, typename F>
  T on_loop(F f) const;

  sim::genesys_simulator& sim_;
  mutable std::mutex mu_;
  std::map<std::string, std::vector<std::string>> lifecycles_;
  std::vector<std::string> errors_;
  std::vector<std::string> logs_;
  std::string fatal_;
  bool finished_ = false;
  std::size_t routed_ = 0;
  struct loop;
  std::unique_ptr<loop> loop_;
};

}  // namespace grm::testing
