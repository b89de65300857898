#pragma once
// The service as the configuration describes it: every component with its parsed settings and
// its inputs, checked for wiring (each input names a component and one of its outputs, no
// cycles) before anything runs. Outputs: a source or a filter emits lifecycle events; the
// sentiment transform "<id>" emits sentiment payloads and "<id>.alerts" escalation alerts.
// src/topology/service.hpp builds the running service from it. Tests and the demo may also
// assemble a plan in code.
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/document.hpp"
#include "delivery/config.hpp"
#include "genesys/config.hpp"
#include "pipeline/filter.hpp"
#include "pipeline/sentiment/forwarding_service.hpp"
#include "sinks/component.hpp"
#include "sinks/file/audit_log.hpp"
#include "sources/config.hpp"

namespace grm::topology {

// What the configuration is loaded for: the monitor runs streams; a one-shot forward needs the
// sentiment transform and its sinks; replay needs every sink; inspecting the state (dlq list,
// show, purge) needs no Genesys credentials or Region; validate reads every component as the
// monitor and `forward` would, and needs something to run.
enum class purpose : std::uint8_t { monitor, forward, replay, inspect, validate };

struct filter_plan {
  std::string id;
  std::vector<std::string> inputs;
  pipeline::event_filter filter;
};

struct sentiment_plan {
  std::string id = "sentiment";
  std::vector<std::string> inputs;  // empty: only `genesys-relay forward` uses it
  sentiment::sentiment_settings settings;
};

struct sink_plan {
  std::string id;
  std::vector<std::string> inputs;
  std::unique_ptr<sinks::component> component;
};

struct plan {
  std::string source = "<code>";  // the configuration file
  bool shorthand = false;
  genesys::connection_settings genesys;
  sources::monitor_settings monitor;
  std::vector<sources::source_spec> sources;
  std::vector<filter_plan> filters;
  std::optional<sentiment_plan> sentiment;
  std::vector<sink_plan> sinks;
  delivery::delivery_settings delivery;
  sinks::file::audit_settings audit;
  bool json_output = false;
  std::string metrics_listen;  // empty: no scrape endpoint
  grm::secret metrics_token;   // empty: no Authorization needed
  // After SIGTERM/SIGINT, how long work in flight may take before it is abandoned (it stays
  // pending for the next start).
  std::chrono::seconds shutdown_timeout{10};

  sink_plan* sink(std::string_view id);
  // A scrape endpoint that hosts beyond this one reach, without a bearer token: said at start and
  // by validate (Prometheus endpoints are often open on purpose, so it is not an error).
  std::optional<std::string> metrics_exposure() const;
  // What a service built for `use` runs: the sentiment transform (forward; the monitor when it
  // has inputs, or when there are no sources and the caller feeds it), and each sink fed by
  // something that runs (replay: every sink; inspect: none).
  bool runs_sentiment(purpose use) const;
  bool builds(const sink_plan& s, purpose use) const;
  template <typename T>
  T* sink_as(std::string_view id) {
    auto* s = sink(id);
    return s ? dynamic_cast<T*>(s->component.get()) : nullptr;
  }
  // What a service for `use` builds: every component it runs, its type, inputs and settings, one
  // per line, no secrets. Two plans that describe alike run alike (the shorthand test compares
  // them; `genesys-relay config` prints it).
  std::string describe(purpose use) const;
};

// Throws relay_error(config) naming the file, line and key; a document that collects (validate)
// keeps every problem in doc.problems() instead, and the plan is then only partly built.
plan make_plan(const config::document& doc, purpose use);

// `genesys-relay validate`: every problem of the file at once, by line, and notes on what is
// valid but will not run as a reader might expect. Makes no connection.
struct findings {
  std::vector<std::string> problems;
  std::vector<std::string> notes;
  std::optional<plan> built;  // when there are no problems
};
findings validate(const std::optional<std::string>& path, config::env_lookup env = config::process_env);
plan load(const std::optional<std::string>& path, purpose use, config::env_lookup env = config::process_env);

// The sink ids whose inputs name `output` ("sentiment", "sentiment.alerts", a source or filter id).
std::vector<std::string> sinks_fed_by(const plan& p, std::string_view output);

}  // namespace grm::topology
