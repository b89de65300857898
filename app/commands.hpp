#pragma once
// Subcommand entry points. They parse nothing (CLI11 does that in main.cpp) and hold no logic of
// their own beyond wiring the library pieces together. Each returns the process exit code.
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "core/events.hpp"
#include "pipeline/monitor_pipeline.hpp"
#include "sources/source_context.hpp"

namespace grm::app {

// Shared output helpers.
void log_line(sources::severity s, std::string_view message);
void print_stream_error(const pipeline::stream_error& e);
std::string event_line(const lifecycle_event& e, bool json);

struct monitor_args {
  std::optional<std::string> config_path;
  bool json = false;
};
int run_monitor(const monitor_args& args);

struct sse_parse_args {
  std::vector<std::size_t> chunks;
};
int run_sse_parse(const sse_parse_args& args);

struct sim_args {
  std::uint16_t port = 9443;
  std::string cert_out;
  double conversations_per_second = 5;
  std::optional<double> duration_s;
};
int run_sim(const sim_args& args);

struct eventbridge_put_args {
  std::string source, detail_type, detail, bus, region, endpoint, profile, ca_file;
  std::vector<std::string> resources;
  bool insecure = false;
  bool one_mb = false;
};
int run_eventbridge_put(const eventbridge_put_args& args);

struct aws_sim_args {
  std::uint16_t port = 9444;
  std::string region = "us-east-1";
  std::string cert_out, events_file;
  bool one_mb = false;
  std::optional<double> duration_s;
};
int run_aws_sim(const aws_sim_args& args);

struct demo_args {
  double duration_s = 20;
  bool json = false;
};
int run_demo(const demo_args& args);

}  // namespace grm::app
